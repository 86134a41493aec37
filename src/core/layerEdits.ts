import type { Node } from 'jsonc-parser';
import type { CellType, LayerEdit, PaletteItem } from '../protocol/designer';
import { analyzeModel } from './analyze';
import { ModelDocument } from './document';
import { inlineJson, removeArrayItem, removeProperty, replaceValue, setProperty } from './edits';
import { layerSchema } from './schema';
import { isRecurrentType } from './layers';
import type { AnalyzeOptions, JsonPath, ModelAnalysis, TextEdit } from './types';

/**
 * Edits of the layer stack as text edits of the model file (the designer's buttons and the
 * editor's completions): the text stays the single source of truth and keeps its formatting.
 */

/** The JSON of a new layer of the palette, fitted to where it goes. */
export function layerTemplate(item: PaletteItem, context: { nextIsRecurrent: boolean; numWords?: number }): Record<string, unknown> {
  const sequences = context.nextIsRecurrent ? { return_sequences: true } : {};
  switch (item) {
    case 'LSTM':
    case 'GRU':
    case 'SimpleRNN':
      return { type: item, units: 64, ...sequences };
    case 'Bidirectional':
      return { type: 'Bidirectional', layer: { type: 'LSTM', units: 64, ...sequences } };
    case 'Dense':
      return { type: 'Dense', units: 32, activation: 'relu' };
    case 'Dropout':
      return { type: 'Dropout', rate: 0.2 };
    case 'Embedding':
      return { type: 'Embedding', input_dim: context.numWords ?? 10000, output_dim: 64 };
    case 'Conv1D':
      return { type: 'Conv1D', filters: 64, kernel_size: 3, padding: 'same', activation: 'relu' };
    case 'GlobalMaxPooling1D':
      return { type: 'GlobalMaxPooling1D' };
    case 'LayerNormalization':
      return { type: 'LayerNormalization' };
  }
}

/** The recurrent layer's own object: the layer itself, or the one a Bidirectional wraps. */
export function recurrentPath(analysis: ModelAnalysis, index: number): JsonPath | undefined {
  const layer = analysis.layers[index];
  if (!layer) return undefined;
  if (isRecurrentType(layer.type)) return layer.path;
  if (layer.type === 'Bidirectional' && layer.inner) return [...layer.path, 'layer'];
  return undefined;
}

export function applyLayerEdit(text: string, edit: LayerEdit, options?: AnalyzeOptions): TextEdit[] {
  const doc = new ModelDocument(text);
  const analysis = analyzeModel(text, options);
  const items = doc.node(['layers'])?.children ?? [];
  switch (edit.kind) {
    case 'setOption': {
      const layer = analysis.layers[edit.index];
      if (!layer) return [];
      const innerKey = edit.key === 'units' || edit.key === 'return_sequences';
      const path = innerKey && layer.type === 'Bidirectional' ? [...layer.path, 'layer'] : layer.path;
      return setProperty(doc, path, edit.key, edit.value);
    }
    case 'setCellType': {
      const path = recurrentPath(analysis, edit.index);
      return path ? replaceValue(doc, [...path, 'type'], edit.cell) : [];
    }
    case 'wrapBidirectional': {
      const node = items[edit.index];
      if (!node || !isRecurrentType(analysis.layers[edit.index]?.type)) return [];
      return [doc.edit(node.offset, node.length, wrapText(doc, node))];
    }
    case 'unwrapBidirectional': {
      const node = items[edit.index];
      const inner = doc.node(['layers', edit.index, 'layer']);
      if (!node || !inner || analysis.layers[edit.index]?.type !== 'Bidirectional') return [];
      return [doc.edit(node.offset, node.length, dedent(doc.text.slice(inner.offset, inner.offset + inner.length), indentUnit(doc)))];
    }
    case 'insert':
      return insertLayer(doc, analysis, items, edit.index, edit.layer);
    case 'delete':
      return removeArrayItem(doc, ['layers'], edit.index);
    case 'move':
      return moveLayer(doc, items, edit.from, edit.to);
  }
}

function insertLayer(doc: ModelDocument, analysis: ModelAnalysis, items: Node[], index: number, item: PaletteItem): TextEdit[] {
  const layersNode = doc.node(['layers']);
  if (!layersNode || layersNode.type !== 'array') return [];
  const at = Math.min(index, items.length);
  const next = analysis.layers[at];
  const nextIsRecurrent = !!next && (isRecurrentType(next.type) || next.type === 'Bidirectional');
  const numWords = (doc.value(['data', 'num_words']) as number | undefined) ?? undefined;
  const layer = layerTemplate(item, { nextIsRecurrent, numWords: typeof numWords === 'number' ? numWords : undefined });
  const json = inlineJson(layer);
  const edits: TextEdit[] = [];
  if (items.length === 0) {
    edits.push(doc.edit(layersNode.offset + 1, layersNode.length - 2, `\n${lineIndent(doc, layersNode)}${indentUnit(doc)}${json}\n${lineIndent(doc, layersNode)}`));
  } else if (at < items.length) {
    const target = items[at];
    const multiLine = doc.lines.positionAt(items[0].offset).line !== doc.lines.positionAt(layersNode.offset).line;
    const separator = multiLine ? `,\n${lineIndent(doc, target)}` : ', ';
    edits.push(doc.edit(target.offset, 0, json + separator));
  } else {
    const last = items[items.length - 1];
    const multiLine = doc.lines.positionAt(last.offset).line !== doc.lines.positionAt(layersNode.offset).line;
    edits.push(doc.edit(last.offset + last.length, 0, (multiLine ? `,\n${lineIndent(doc, last)}` : ', ') + json));
  }
  // A recurrent layer right after a recurrent layer needs the time axis: set return_sequences there too.
  const previous = analysis.layers[at - 1];
  const previousPath = previous && recurrentPath(analysis, at - 1);
  const inserted = item === 'LSTM' || item === 'GRU' || item === 'SimpleRNN' || item === 'Bidirectional';
  const previousConfig = previous?.type === 'Bidirectional' ? previous.inner?.config : previous?.config;
  if (inserted && previousPath && previousConfig?.return_sequences !== true) edits.push(...setProperty(doc, previousPath, 'return_sequences', true));
  return edits.sort((a, b) => a.offset - b.offset);
}

/** Reorder by rewriting the span from the first to the last moved item: items permute, separators stay. */
function moveLayer(doc: ModelDocument, items: Node[], from: number, to: number): TextEdit[] {
  if (from === to || !items[from] || !items[to]) return [];
  const lo = Math.min(from, to);
  const hi = Math.max(from, to);
  const texts = items.map((n) => doc.text.slice(n.offset, n.offset + n.length));
  const order = items.map((_, i) => i);
  const [moved] = order.splice(from, 1);
  order.splice(to, 0, moved);
  let out = '';
  for (let i = lo; i <= hi; i++) {
    out += texts[order[i]];
    if (i < hi) out += doc.text.slice(items[i].offset + items[i].length, items[i + 1].offset);
  }
  const start = items[lo].offset;
  return [doc.edit(start, items[hi].offset + items[hi].length - start, out)];
}

function wrapText(doc: ModelDocument, node: Node): string {
  const text = doc.text.slice(node.offset, node.offset + node.length);
  if (!text.includes('\n')) return `{ "type": "Bidirectional", "layer": ${text} }`;
  const unit = indentUnit(doc);
  const base = lineIndent(doc, node);
  const inner = text.replace(/\n/g, `\n${unit}`);
  return `{\n${base}${unit}"type": "Bidirectional",\n${base}${unit}"layer": ${inner}\n${base}}`;
}

function dedent(text: string, unit: string): string {
  return text.split('\n').map((line, i) => (i > 0 && line.startsWith(unit) ? line.slice(unit.length) : line)).join('\n');
}

function lineIndent(doc: ModelDocument, node: Node): string {
  const lineStart = doc.lines.offsetAt({ line: doc.lines.positionAt(node.offset).line, character: 0 });
  return /^[ \t]*/.exec(doc.text.slice(lineStart))![0];
}

/** The file's indentation unit, guessed from its first indented line. */
function indentUnit(doc: ModelDocument): string {
  const m = /\n([ \t]+)\S/.exec(doc.text);
  return m ? (m[1].startsWith('\t') ? '\t' : m[1]) : '  ';
}

/** The diagnostics that "Fix all return_sequences problems" repairs, in model files and Python alike. */
export const RETURN_SEQUENCES_CODES = ['missing-return-sequences', 'unexpected-return-sequences', 'return-sequences-at-output'];

/**
 * Apply a fix of every diagnostic with one of `codes`, again and again (fixing one broken link
 * of a stack reveals the next), and return one edit covering what changed.
 */
export function fixAllEdits(text: string, codes: string[], options?: AnalyzeOptions): TextEdit[] {
  let current = text;
  for (let round = 0; round < 1000; round++) {
    const d = analyzeModel(current, options).diagnostics.find((x) => codes.includes(x.code) && x.fixes?.length);
    if (!d) break;
    current = applyAll(current, preferredFix(d).edits);
  }
  const changed = changedSpan(text, current);
  return changed ? [new ModelDocument(text).edit(changed.offset, changed.length, changed.newText)] : [];
}

/** The fix a "fix all" applies: the preferred one, else the first. */
export function preferredFix(d: { fixes?: { isPreferred?: boolean; edits: TextEdit[] }[] }): { edits: TextEdit[] } {
  return d.fixes!.find((f) => f.isPreferred) ?? d.fixes![0];
}

/** The one replacement that turns `before` into `after` (common prefix and suffix kept), or undefined when equal. */
export function changedSpan(before: string, after: string): { offset: number; length: number; newText: string } | undefined {
  if (before === after) return undefined;
  let start = 0;
  while (start < before.length && start < after.length && before[start] === after[start]) start++;
  let end = 0;
  while (end < before.length - start && end < after.length - start && before[before.length - 1 - end] === after[after.length - 1 - end]) end++;
  return { offset: start, length: before.length - end - start, newText: after.slice(start, after.length - end) };
}

export function applyAll(text: string, edits: TextEdit[]): string {
  return [...edits].sort((a, b) => b.offset - a.offset).reduce((t, e) => t.slice(0, e.offset) + e.newText + t.slice(e.offset + e.length), text);
}

/**
 * The same model with every recurrent layer of another cell type (and optionally wrapped in, or
 * unwrapped from, Bidirectional): the cell-type comparison trains these.
 */
export function withCellType(text: string, cell: CellType, bidirectional?: boolean): string {
  let current = text;
  const count = analyzeModel(text).layers.length;
  for (let i = 0; i < count; i++) {
    const analysis = analyzeModel(current);
    const path = recurrentPath(analysis, i);
    if (!path) continue;
    const doc = new ModelDocument(current);
    // Keys the new cell does not have (GRU's reset_after, recurrent_activation for SimpleRNN) go.
    const known = Object.keys(layerSchema(cell)?.properties ?? {});
    const config = doc.value(path) as Record<string, unknown>;
    const foreign = Object.keys(config).filter((k) => !known.includes(k));
    current = applyAll(current, replaceValue(doc, [...path, 'type'], cell));
    for (const key of foreign) current = applyAll(current, removeProperty(new ModelDocument(current), path, key));
    const isWrapped = analysis.layers[i].type === 'Bidirectional';
    if (bidirectional !== undefined && bidirectional !== isWrapped) {
      current = applyAll(current, applyLayerEdit(current, { kind: bidirectional ? 'wrapBidirectional' : 'unwrapBidirectional', index: i }));
    }
  }
  return current;
}

/** The same model with every recurrent layer returning its whole sequence (the memory view reads hidden states over time). */
export function withAllSequences(text: string): string {
  const analysis = analyzeModel(text);
  const doc = new ModelDocument(text);
  const edits = analysis.layers.flatMap((_, i) => {
    const path = recurrentPath(analysis, i);
    return path ? setProperty(doc, path, 'return_sequences', true) : [];
  });
  return applyAll(text, edits);
}
