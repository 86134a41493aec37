import { formatMemoryEstimate } from './memory';
import { formatBytes, formatCount, formatShape } from './shapes';
import type { Diagnostic, ModelAnalysis } from './types';

/** A Keras 3 style `model.summary()` table, as plain text. */
export function formatSummary(analysis: ModelAnalysis): string {
  const rows = analysis.layers.map((l) => [`${l.name} (${l.type})`, formatShape(l.outputShape), formatCount(l.trainableParams + l.nonTrainableParams)]);
  const headers = ['Layer (type)', 'Output Shape', 'Param #'];
  const widths = headers.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)) + 2);
  const cell = (text: string, c: number) => (c === 2 ? ` ${text.padStart(widths[c] - 2)} ` : ` ${text.padEnd(widths[c] - 2)} `);
  const line = (l: string, m: string, r: string, fill: string) => l + widths.map((w) => fill.repeat(w)).join(m) + r;
  const out = [`Model: "${analysis.name}"`, line('┏', '┳', '┓', '━'), `┃${headers.map(cell).join('┃')}┃`, line('┡', '╇', '┩', '━')];
  rows.forEach((r, i) => {
    out.push(`│${r.map(cell).join('│')}│`);
    if (i < rows.length - 1) out.push(line('├', '┼', '┤', '─'));
  });
  out.push(line('└', '┴', '┘', '─'));
  const params = (n: number) => `${formatCount(n)} (${formatBytes(n * 4)})`;
  out.push(` Total params: ${params(analysis.totalParams)}`);
  out.push(` Trainable params: ${params(analysis.trainableParams)}`);
  out.push(` Non-trainable params: ${params(analysis.nonTrainableParams)}`);
  out.push(` Training memory: ${formatMemoryEstimate(analysis.trainingMemory)}`);
  return out.join('\n');
}

/** `file:line:col: severity code: message`, one-based like compilers print. */
export function formatDiagnostic(file: string, d: Diagnostic): string {
  return `${file}:${d.range.start.line + 1}:${d.range.start.character + 1}: ${d.severity} ${d.code}: ${d.message}`;
}
