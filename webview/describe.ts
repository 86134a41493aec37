/**
 * What the picture says about each layer, computed from the analysis without touching the DOM
 * (so it reads like a spec of the panel and can be tested in plain Node).
 */
import type { Diagnostic, LayerInfo, ModelAnalysis, RelatedLocation, Severity, Shape } from '../src/core/types';
import { formatCount, formatShape } from '../src/core/shapes';
import { CELL_TYPES, type CellType } from '../src/protocol/designer';

/** How an edge carries data: a sequence keeps the time axis, a vector has lost it. */
export type EdgeKind = 'sequence' | 'vector' | 'unknown';

export function isCellType(type: unknown): type is CellType {
  return CELL_TYPES.includes(type as CellType);
}

/**
 * `(batch, steps, features...)` is a sequence. The model input of an Embedding is too: token ids
 * are `(batch, steps)` with the time axis already there, only the feature axis is missing.
 */
export function edgeKind(shape: Shape | null, tokenIds = false): EdgeKind {
  if (!shape) return 'unknown';
  return shape.length >= 3 || (tokenIds && shape.length === 2) ? 'sequence' : 'vector';
}

export interface EdgeView {
  shape: string;
  kind: EdgeKind;
  /** `200 steps × 128 features`, `32 features`: the shape read out loud. */
  reading: string;
  /** Set where the time axis disappears (or appears) on this edge. */
  transition?: 'dropped' | 'added';
}

function reading(shape: Shape | null, kind: EdgeKind, tokenIds: boolean): string {
  if (!shape) return 'unknown shape';
  const dim = (d: number | null) => (d === null ? 'any number of' : formatCount(d));
  const features = (d: number | null) => `${dim(d)} feature${d === 1 ? '' : 's'}`;
  if (kind === 'sequence') {
    const steps = `${dim(shape[1])} step${shape[1] === 1 ? '' : 's'}`;
    if (tokenIds && shape.length === 2) return `${steps} of token ids`;
    const rest = shape.slice(2);
    return `${steps} × ${rest.length === 1 ? features(rest[0]) : rest.map((d) => (d === null ? 'None' : formatCount(d))).join(' × ')}`;
  }
  return shape.length === 2 ? features(shape[1]) : formatShape(shape);
}

/** Edges of the picture: `edges[0]` leaves the input block, `edges[i + 1]` leaves layer `i`. */
export function edges(analysis: ModelAnalysis): EdgeView[] {
  const tokenIds = analysis.layers[0]?.type === 'Embedding';
  const shapes: (Shape | null)[] = [analysis.inputShape, ...analysis.layers.map((l) => l.outputShape)];
  const out: EdgeView[] = [];
  shapes.forEach((shape, i) => {
    const isInput = i === 0;
    const kind = edgeKind(shape, isInput && tokenIds);
    const view: EdgeView = { shape: formatShape(shape), kind, reading: reading(shape, kind, isInput && tokenIds) };
    const prev = out[i - 1]?.kind;
    if (prev === 'sequence' && kind === 'vector') view.transition = 'dropped';
    if (prev === 'vector' && kind === 'sequence') view.transition = 'added';
    out.push(view);
  });
  return out;
}

export interface Setting {
  key: string;
  value: string;
}

const DEFAULT_ACTIVATION: Record<string, string> = { SimpleRNN: 'tanh', LSTM: 'tanh', GRU: 'tanh', Dense: 'linear', Conv1D: 'linear' };

function show(v: unknown): string {
  if (v === null) return 'None';
  if (Array.isArray(v)) return v.length === 1 ? show(v[0]) : `(${v.map(show).join(', ')})`;
  return typeof v === 'number' ? (Number.isInteger(v) ? formatCount(v) : String(v)) : String(v);
}

/**
 * The read-only settings worth seeing on a block. Settings the panel can edit (units,
 * return_sequences, rate, merge_mode, the cell type) are shown as controls instead.
 */
export function keySettings(type: string, config: Record<string, unknown>): Setting[] {
  const pick = (...keys: string[]) => keys.filter((k) => config[k] !== undefined).map((k) => ({ key: k, value: show(config[k]) }));
  const activation = () => {
    const a = config.activation;
    return typeof a === 'string' && a !== DEFAULT_ACTIVATION[type] ? [{ key: 'activation', value: a }] : [];
  };
  switch (type) {
    case 'SimpleRNN':
    case 'LSTM':
    case 'GRU': {
      const extra: Setting[] = [...activation()];
      if (config.go_backwards === true) extra.push({ key: 'go_backwards', value: 'true' });
      if (typeof config.dropout === 'number' && config.dropout > 0) extra.push({ key: 'dropout', value: show(config.dropout) });
      if (typeof config.recurrent_dropout === 'number' && config.recurrent_dropout > 0) extra.push({ key: 'recurrent_dropout', value: show(config.recurrent_dropout) });
      if (config.use_bias === false) extra.push({ key: 'use_bias', value: 'false' });
      if (type === 'GRU' && config.reset_after === false) extra.push({ key: 'reset_after', value: 'false' });
      return extra;
    }
    case 'Dense':
      return [...activation(), ...(config.use_bias === false ? [{ key: 'use_bias', value: 'false' }] : [])];
    case 'Embedding':
      return [...pick('input_dim', 'output_dim'), ...(config.mask_zero === true ? [{ key: 'mask_zero', value: 'true' }] : [])];
    case 'Conv1D': {
      const extra = pick('filters', 'kernel_size');
      if (config.strides !== undefined && show(config.strides) !== '1') extra.push({ key: 'strides', value: show(config.strides) });
      if (config.dilation_rate !== undefined && show(config.dilation_rate) !== '1') extra.push({ key: 'dilation_rate', value: show(config.dilation_rate) });
      if (config.padding !== undefined && config.padding !== 'valid') extra.push({ key: 'padding', value: show(config.padding) });
      return [...extra, ...activation()];
    }
    case 'MaxPooling1D':
    case 'AveragePooling1D':
      return pick('pool_size', 'strides', 'padding').filter((s) => !(s.key === 'strides' && s.value === 'None'));
    case 'Activation':
      return pick('activation');
    case 'RepeatVector':
      return pick('n');
    case 'Reshape':
      return pick('target_shape');
    case 'SpatialDropout1D':
    case 'Dropout':
      return [];
    default:
      return [];
  }
}

export interface MergeView {
  mode: string;
  /** `64 + 64 = 128 features`, `64 features (element-wise)`. */
  text: string;
}

/** How a Bidirectional layer combines its halves. Keras' `merge_mode=None` returns both outputs unmerged. */
export function mergeView(layer: LayerInfo): MergeView {
  const raw = layer.config.merge_mode;
  const mode = raw === null ? 'none' : typeof raw === 'string' ? raw : 'concat';
  const half = lastDim(layer.inner?.outputShape ?? null);
  const out = lastDim(layer.outputShape);
  const n = (d: number | null) => (d === null ? '?' : formatCount(d));
  switch (mode) {
    case 'concat':
      return { mode, text: `${n(half)} + ${n(half)} = ${n(out ?? (half === null ? null : 2 * half))} features` };
    case 'sum':
    case 'mul':
    case 'ave':
      return { mode, text: `${n(out ?? half)} features, element-wise ${mode === 'ave' ? 'average' : mode === 'mul' ? 'product' : 'sum'}` };
    case 'none':
      return { mode, text: 'two outputs, not merged' };
    default:
      return { mode, text: `unknown merge mode` };
  }
}

function lastDim(shape: Shape | null): number | null {
  return shape && shape.length > 0 ? shape[shape.length - 1] : null;
}

export interface ParamView {
  total: string;
  /** `trainable`, `1,000 trainable · 256 non-trainable`, `no weights`. */
  detail: string;
  formula?: string;
}

export function params(layer: LayerInfo): ParamView {
  const total = layer.trainableParams + layer.nonTrainableParams;
  // The core cannot count a layer whose input it could not work out; 0 would read as "no weights".
  if (layer.unknownReason) return { total: '?', detail: 'not computed', formula: `Unknown: ${layer.unknownReason}` };
  const detail =
    total === 0 ? 'no weights' : layer.nonTrainableParams === 0 ? 'trainable' : `${formatCount(layer.trainableParams)} trainable · ${formatCount(layer.nonTrainableParams)} non-trainable`;
  return { total: formatCount(total), detail, formula: layer.paramFormula };
}

export interface IndexedDiagnostic {
  /** Index into `analysis.diagnostics`: what `applyFix` sends back. */
  index: number;
  diagnostic: Diagnostic;
}

export interface RelatedMark extends IndexedDiagnostic {
  related: RelatedLocation;
}

export interface DiagnosticGroups {
  /** Problems that belong to no layer (JSON syntax, the input shape, compile settings). */
  global: IndexedDiagnostic[];
  own: Map<number, IndexedDiagnostic[]>;
  /** Layers another layer's problem points at (e.g. the LSTM that receives the 2-D tensor). */
  related: Map<number, RelatedMark[]>;
}

const RANK: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

export function groupDiagnostics(analysis: ModelAnalysis): DiagnosticGroups {
  const groups: DiagnosticGroups = { global: [], own: new Map(), related: new Map() };
  const count = analysis.layers.length;
  const inRange = (i: unknown): i is number => typeof i === 'number' && Number.isInteger(i) && i >= 0 && i < count;
  analysis.diagnostics.forEach((diagnostic, index) => {
    const item = { index, diagnostic };
    if (inRange(diagnostic.layerIndex)) push(groups.own, diagnostic.layerIndex, item);
    else groups.global.push(item);
    for (const related of diagnostic.related ?? []) {
      const target = related.path[0] === 'layers' ? related.path[1] : undefined;
      if (inRange(target) && target !== diagnostic.layerIndex) push(groups.related, target, { ...item, related });
    }
  });
  const bySeverity = (a: IndexedDiagnostic, b: IndexedDiagnostic) => RANK[a.diagnostic.severity] - RANK[b.diagnostic.severity] || a.index - b.index;
  groups.global.sort(bySeverity);
  for (const list of groups.own.values()) list.sort(bySeverity);
  return groups;
}

function push<T>(map: Map<number, T[]>, key: number, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** The loudest severity in a list, for the block's border. */
export function worst(items: IndexedDiagnostic[] | undefined): Severity | undefined {
  let best: Severity | undefined;
  for (const { diagnostic } of items ?? []) if (best === undefined || RANK[diagnostic.severity] < RANK[best]) best = diagnostic.severity;
  return best;
}

export function countBySeverity(analysis: ModelAnalysis): Record<Severity, number> {
  const counts: Record<Severity, number> = { error: 0, warning: 0, info: 0 };
  for (const d of analysis.diagnostics) counts[d.severity]++;
  return counts;
}

export function plural(n: number, word: string): string {
  return `${formatCount(n)} ${word}${n === 1 ? '' : 's'}`;
}
