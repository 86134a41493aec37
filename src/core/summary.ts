import { formatMemoryEstimate } from './memory';
import { formatBytes, formatCount, formatShape } from './shapes';
import type { Diagnostic, DtypePolicy, LayerInfo, ModelAnalysis } from './types';

/** A Keras 3 style `model.summary()` table, as plain text. */
export function formatSummary(analysis: ModelAnalysis): string {
  const rows = analysis.layers.map((l) => [`${l.name} (${l.type})`, formatShape(l.outputShape), l.unknownReason ? '?' : formatCount(l.trainableParams + l.nonTrainableParams)]);
  const headers = ['Layer (type)', 'Output Shape', 'Param #'];
  const widths = headers.map((h, c) => rows.reduce((w, r) => Math.max(w, r[c].length), h.length) + 2);
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
  const policy = dtypePolicyNote(analysis.dtypePolicy);
  if (policy) out.push(` Dtype policy: ${policy}`);
  const note = partialNote(analysis);
  if (note) out.push(` Partial: ${note}`);
  return out.join('\n');
}

/** What a dtype policy other than Keras' default means, for summaries; undefined for float32. */
export function dtypePolicyNote(policy: DtypePolicy): string | undefined {
  return policy === 'mixed_bfloat16' ? 'mixed_bfloat16 (bfloat16 products with float32 accumulation, float32 weights)' : undefined;
}

/** The parameter total for one-line displays: `727,745`, or `at least 1,234 (partial)` after an error. */
export function formatTotalParams(analysis: ModelAnalysis): string {
  return analysis.uncountedLayers.length === 0 ? formatCount(analysis.totalParams) : `at least ${formatCount(analysis.totalParams)} (partial)`;
}

/** Why the totals are partial, or undefined when every layer was counted. */
export function partialNote(analysis: ModelAnalysis): string | undefined {
  const n = analysis.uncountedLayers.length;
  if (n === 0) return undefined;
  const first = analysis.layers[analysis.uncountedLayers[0]];
  const last = analysis.layers[analysis.uncountedLayers[n - 1]];
  const reason = first.unknownReason === 'see the problem on this layer' ? 'see its problem' : first.unknownReason;
  return n === 1
    ? `layer ${first.index} "${first.name}" could not be computed (${reason}), so the totals leave it out.`
    : `layers ${first.index} to ${last.index} could not be computed (layer ${first.index} "${first.name}": ${reason}; the others follow it), so the totals leave them out.`;
}

/** A layer's inlay hint: `(None, 64) · 33,024`, or why its shape and count are unknown. */
export function layerHint(layer: LayerInfo): string {
  if (layer.unknownReason) return `? · unknown: ${layer.unknownReason}`;
  return `${formatShape(layer.outputShape)} · ${formatCount(layer.trainableParams + layer.nonTrainableParams)}`;
}

/** `file:line:col: severity code: message`, one-based like compilers print. */
export function formatDiagnostic(file: string, d: Diagnostic): string {
  return `${file}:${d.range.start.line + 1}:${d.range.start.character + 1}: ${d.severity} ${d.code}: ${d.message}`;
}
