import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { analyzeModel, type Diagnostic, type Fix, type ModelAnalysis, type TextEdit } from '../../src/core';

export const repoRoot = path.resolve(__dirname, '../../..');

export function readRepoFile(relative: string): string {
  return readFileSync(path.join(repoRoot, relative), 'utf8');
}

/** Applies non-overlapping edits from the end so offsets stay valid. */
export function applyEdits(text: string, edits: TextEdit[]): string {
  return [...edits].sort((a, b) => b.offset - a.offset).reduce((t, e) => t.slice(0, e.offset) + e.newText + t.slice(e.offset + e.length), text);
}

export function applyFix(text: string, fix: Fix): string {
  return applyEdits(text, fix.edits);
}

/** A model file from its layers, in the format users write (one layer per line). */
export function modelText(layers: object[], rest: Record<string, unknown> = {}, input: object = { shape: [200], dtype: 'int32' }): string {
  const body = layers.map((l) => `    ${JSON.stringify(l)}`).join(',\n');
  const extra = Object.entries(rest)
    .map(([k, v]) => `,\n  ${JSON.stringify(k)}: ${JSON.stringify(v)}`)
    .join('');
  return `{\n  "input": ${JSON.stringify(input)},\n  "layers": [\n${body}\n  ]${extra}\n}\n`;
}

export function only(analysis: ModelAnalysis, code: string): Diagnostic {
  const found = analysis.diagnostics.filter((d) => d.code === code);
  if (found.length !== 1) {
    throw new Error(`expected one ${code}, got ${found.length}: ${JSON.stringify(analysis.diagnostics.map((d) => `${d.code}: ${d.message}`), null, 2)}`);
  }
  return found[0];
}

/** The text the range covers. */
export function textAt(text: string, d: { range: Diagnostic['range'] }): string {
  const lines = text.split('\n');
  const { start, end } = d.range;
  if (start.line === end.line) return lines[start.line].slice(start.character, end.character);
  return [lines[start.line].slice(start.character), ...lines.slice(start.line + 1, end.line), lines[end.line].slice(0, end.character)].join('\n');
}

/** One model of test/fixtures/keras/expected.json, as Keras 3 built (or refused) it. */
export interface KerasLayer {
  name: string;
  class_name: string;
  output_shape: (number | null)[];
  trainable_params: number;
  non_trainable_params: number;
}
export type KerasModel = { layers: KerasLayer[]; total_params: number; trainable_params: number; non_trainable_params: number } | { error: string; error_layer_index: number | null };

export function kerasExpected(): Record<string, KerasModel> {
  return JSON.parse(readRepoFile('test/fixtures/keras/expected.json')) as Record<string, KerasModel>;
}

export { analyzeModel };

/**
 * |actual - expected| <= tolerance * max(1, |expected|), element-wise; the message names the worst
 * element and what was compared (`against`: "Keras", "the reference", ...).
 */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number, what: string, against = 'expected'): void {
  assert.equal(actual.length, expected.length, `${what}: ${actual.length} values, ${against} has ${expected.length}`);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]) / Math.max(1, Math.abs(expected[i]));
    if (!(err <= worst)) {
      worst = err;
      at = i;
    }
  }
  assert.ok(worst <= tolerance, `${what}: differs from ${against} by ${worst.toExponential(2)} at ${at} (${actual[at]} vs ${expected[at]})`);
}
