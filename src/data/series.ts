/** Time-series forecasting data: numeric CSV columns, sliding windows, normalisation, naive baseline. */
import type { DataConfig } from './config';
import { quote, quoteValue } from '../core/json';
import { DEFAULTS } from './config';
import { DataError, FileRef, dataError, fmtInt } from './errors';
import * as path from 'path';
import { columnIndex, fileRef, readCsv } from './files';
import { seattleCsv } from './builtin';
import { testSplitAt, validationSplitAt } from './split';
import type { ColumnScaling, Matrix, PreparedData, PrepareOptions, SeriesPreprocessor, Split } from './types';

const NUMERIC = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/;
const TIME_NAMES = /^(date|time|datetime|timestamp|ds|day|week|month|year|period)$/i;

/** The numeric columns of a CSV, plus its time column. */
export interface SeriesTable {
  file: FileRef;
  rows: number;
  values: Map<string, Float64Array>;
  times?: string[];
  timeColumn?: string;
  lines: Int32Array;
}

function parseNumber(file: FileRef, line: number, column: string, s: string | undefined): number {
  if (s === undefined || !NUMERIC.test(s)) {
    const shown = s === undefined || s.trim() === '' ? 'an empty value' : quote(s);
    throw dataError(file, line, `column "${column}" has ${shown}, which is not a number. Time-series columns must be numeric in every row: fix or remove the row (missing values are not filled in), or drop the column from data.columns.`);
  }
  const n = Number(s);
  if (!Number.isFinite(n)) {
    throw dataError(file, line, `column "${column}" has ${quote(s)}, beyond the largest number there is (about 1.8e308): it would read as Infinity and make the loss NaN. Fix the value, or remove the row.`);
  }
  return n;
}

export function readSeriesTable(file: FileRef, needed: string[], keys: Record<string, string>): SeriesTable {
  const table = readCsv(file);
  const n = table.rows.length;
  const values = new Map<string, Float64Array>();
  for (const name of needed) {
    if (values.has(name)) continue;
    const ci = columnIndex(file, table.header, name, keys[name] ?? 'columns');
    const col = new Float64Array(n);
    for (let r = 0; r < n; r++) col[r] = parseNumber(file, table.lines[r], name, table.rows[r][ci]);
    values.set(name, col);
  }
  // The time column: a date/time-like name, else the first unused column that is not numeric.
  let ti = table.header.findIndex((h) => TIME_NAMES.test(h) && !needed.includes(h));
  if (ti < 0) ti = table.header.findIndex((h, i) => !needed.includes(h) && table.rows[0][i] !== undefined && !NUMERIC.test(table.rows[0][i]));
  const timeColumn = ti >= 0 ? table.header[ti] : undefined;
  const times = ti >= 0 ? table.rows.map((r) => r[ti] ?? '') : undefined;
  return { file, rows: n, values, times, timeColumn, lines: table.lines };
}

function statsOf(column: string, v: Float64Array, from: number, to: number, method: SeriesPreprocessor['normalization']): ColumnScaling {
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = from; i < to; i++) {
    const x = v[i];
    sum += x;
    if (x < min) min = x;
    if (x > max) max = x;
  }
  const count = to - from;
  const mean = sum / count;
  let ss = 0;
  for (let i = from; i < to; i++) ss += (v[i] - mean) * (v[i] - mean);
  const std = Math.sqrt(ss / count); // population std, like Keras' Normalization layer
  let offset = 0;
  let scale = 1;
  if (method === 'zscore') {
    offset = mean;
    scale = std > 0 ? std : 1;
  } else if (method === 'minmax') {
    offset = min;
    scale = max > min ? max - min : 1;
  }
  return { column, offset, scale, mean, std, min, max };
}

interface WindowSet {
  table: SeriesTable;
  /** First row of each window. */
  starts: Int32Array;
}

function windowStarts(from: number, count: number, stride: number): Int32Array {
  const s = new Int32Array(count);
  for (let i = 0; i < count; i++) s[i] = from + i * stride;
  return s;
}

function windowCount(rows: number, window: number, horizon: number, stride: number): number {
  return rows < window + horizon ? 0 : Math.floor((rows - window - horizon) / stride) + 1;
}

function tooShort(t: SeriesTable, window: number, horizon: number): DataError {
  return dataError(
    t.file,
    undefined,
    `the series has ${t.rows} rows, shorter than window + horizon = ${window} + ${horizon} = ${window + horizon}, so not a single sample fits. Add rows, or make data.window (and input.shape[0]) or data.horizon smaller.`,
  );
}

function buildSplit(w: WindowSet, p: SeriesPreprocessor): Split {
  const { window: T, horizon: H } = p;
  const F = p.columns.length;
  const N = w.starts.length;
  const x = new Float32Array(N * T * F);
  const y = new Float32Array(N);
  const feats = p.features.map((s) => {
    const raw = w.table.values.get(s.column)!;
    const norm = new Float32Array(raw.length);
    for (let i = 0; i < raw.length; i++) norm[i] = (raw[i] - s.offset) / s.scale;
    return norm;
  });
  const target = w.table.values.get(p.target)!;
  const ts = p.targetScaling;
  const times: string[] = new Array(N);
  for (let i = 0; i < N; i++) {
    const s = w.starts[i];
    let o = i * T * F;
    for (let t = 0; t < T; t++) for (let f = 0; f < F; f++) x[o++] = feats[f][s + t];
    const tr = s + T - 1 + H;
    y[i] = (target[tr] - ts.offset) / ts.scale;
    times[i] = w.table.times ? w.table.times[tr] : String(tr + 1);
  }
  const xm: Matrix = { data: x, shape: [N, T, F] };
  return { x: xm, y: { data: y, shape: [N, 1] }, times };
}

/** Mean |target at the window's last step - target `horizon` steps later|, original units. */
export function naiveMae(w: WindowSet, p: SeriesPreprocessor): number {
  const target = w.table.values.get(p.target)!;
  let sum = 0;
  for (const s of w.starts) {
    const last = s + p.window - 1;
    sum += Math.abs(target[last + p.horizon] - target[last]);
  }
  return sum / w.starts.length;
}

export function prepareSeries(data: DataConfig, o: PrepareOptions, cap: number | undefined): PreparedData {
  const builtin = data.source === 'builtin';
  if (!builtin && data.source !== 'csv') throw new DataError(`Time series are read from CSV files: set data.source to "csv" (it is "${data.source}").`);
  if (o.labelEncoding !== 'regression') {
    throw new DataError('Time-series targets are numbers, but the loss is a classification loss. Use a regression loss (mse, mae or huber) with a linear Dense(1) output.');
  }
  const target = data.target ?? (builtin ? 'temp_max' : undefined);
  if (!target) throw new DataError('data.target is missing: name the CSV column to predict, e.g. "target": "temp_max".');
  const columns = data.columns ?? [target];
  if (o.inputShape.length !== 2) {
    throw new DataError(`Time-series samples are [window, features], so the model input must be 2-D, e.g. "shape": [${data.window ?? 30}, ${columns.length}]; it is [${o.inputShape.join(', ')}].`);
  }
  const [inT, inF] = o.inputShape;
  const window = data.window ?? inT ?? undefined;
  if (window === undefined) throw new DataError('data.window is missing: set the number of past steps per sample (and input.shape[0] to the same), e.g. 30.');
  if (inT !== null && inT !== window) throw new DataError(`data.window is ${window} but the model input length (input.shape[0]) is ${inT}. Make them equal.`);
  if (inF !== null && inF !== columns.length) {
    throw new DataError(`The model input has ${inF} feature(s) (input.shape[1]) but data.columns lists ${columns.length} (${columns.join(', ')}). Set input.shape to [${window}, ${columns.length}].`);
  }
  const horizon = data.horizon ?? DEFAULTS.horizon;
  const stride = data.stride ?? DEFAULTS.stride;
  const method = data.normalization ?? DEFAULTS.normalization;

  let file: FileRef;
  if (builtin) file = seattleCsv();
  else {
    if (!data.path) throw new DataError('data.source "csv" needs data.path: the CSV file with the series, relative to the model file.');
    file = fileRef(o.modelDir, data.path);
  }
  const keys: Record<string, string> = { [target]: 'target' };
  const needed = [...columns, ...(columns.includes(target) ? [] : [target])];
  const table = readSeriesTable(file, needed, keys);
  let W = windowCount(table.rows, window, horizon, stride);
  if (W === 0) throw tooShort(table, window, horizon);
  if (cap !== undefined) W = Math.min(W, cap);

  let testSet: WindowSet | undefined;
  let trainable = W;
  if (data.test_path) {
    const t = readSeriesTable(fileRef(o.modelDir, data.test_path), needed, keys);
    let tw = windowCount(t.rows, window, horizon, stride);
    if (tw === 0) throw tooShort(t, window, horizon);
    if (cap !== undefined) tw = Math.min(tw, cap);
    testSet = { table: t, starts: windowStarts(0, tw, stride) };
  } else {
    trainable = testSplitAt(W, data.test_split ?? DEFAULTS.test_split_series, 'windows');
    if (trainable < W) testSet = { table, starts: windowStarts(trainable * stride, W - trainable, stride) };
  }
  const trainCount = validationSplitAt(trainable, o.validationSplit, 'windows');
  const trainSet: WindowSet = { table, starts: windowStarts(0, trainCount, stride) };
  const valSet: WindowSet | undefined = trainCount < trainable ? { table, starts: windowStarts(trainCount * stride, trainable - trainCount, stride) } : undefined;

  // Statistics of the rows the training samples see (inputs and targets), nothing later.
  const fitEnd = (trainCount - 1) * stride + window - 1 + horizon + 1;
  const scaling = new Map<string, ColumnScaling>();
  for (const name of needed) scaling.set(name, statsOf(name, table.values.get(name)!, 0, fitEnd, method));
  const preprocessor: SeriesPreprocessor = {
    kind: 'timeseries',
    version: 1,
    columns,
    target,
    window,
    horizon,
    stride,
    normalization: method,
    features: columns.map((c) => scaling.get(c)!),
    targetScaling: scaling.get(target)!,
    ...(table.timeColumn ? { timeColumn: table.timeColumn } : {}),
  };
  const train = buildSplit(trainSet, preprocessor);
  const validation = valSet ? buildSplit(valSet, preprocessor) : undefined;
  const test = testSet ? buildSplit(testSet, preprocessor) : undefined;
  const baseSet = testSet ?? valSet;
  const naiveName = horizon === 1 ? 'naive "tomorrow = today"' : `naive "${horizon} steps ahead = now"`;
  const baseline = baseSet ? { name: testSet ? naiveName : `${naiveName} (validation)`, mae: naiveMae(baseSet, preprocessor) } : undefined;

  const name = builtin ? 'Seattle weather' : data.path!;
  const rowsNoun = builtin ? 'days' : 'rows';
  const parts = [`${fmtInt(trainCount)} train`];
  if (valSet) parts.push(`${fmtInt(valSet.starts.length)} validation`);
  if (testSet) parts.push(`${fmtInt(testSet.starts.length)} test`);
  const summary =
    `${name}: ${fmtInt(table.rows)} ${rowsNoun}, ${fmtInt(W)} windows of ${window} x [${columns.join(', ')}] -> ${target} ${horizon} ahead` +
    ` (${parts.join(', ')}), ${method}` +
    (baseline ? `; ${baseline.name} MAE ${baseline.mae.toFixed(3)}` : '');
  return { kind: 'timeseries', train, validation, test, preprocessor, summary, baseline };
}

/** Model outputs (normalised) back to the target's original units. */
export function denormalizeWith(p: SeriesPreprocessor, values: Float32Array | number[]): number[] {
  const { offset, scale } = p.targetScaling;
  return Array.from(values, (v) => v * scale + offset);
}

function rowValue(p: SeriesPreprocessor, row: Record<string, number>, column: string, r: number): number {
  const v: unknown = row[column];
  const n = typeof v === 'number' ? v : typeof v === 'string' && NUMERIC.test(v) ? Number(v) : NaN;
  if (!Number.isFinite(n)) {
    throw new DataError(`Row ${r + 1} ${v === undefined ? `has no "${column}"` : `has ${quoteValue(v)} for "${column}", which is not a finite number`}. The model reads ${p.columns.join(', ')} for each of its last ${p.window} steps.`);
  }
  return n;
}

/** The last `window` rows -> one normalised sample [1, window, features]. */
export function seriesInputWith(p: SeriesPreprocessor, rows: Record<string, number>[]): Matrix {
  const T = p.window;
  const F = p.columns.length;
  if (rows.length < T) throw new DataError(`The model needs the last ${T} rows (data.window) to predict; got ${rows.length}. Provide at least ${T} rows of ${p.columns.join(', ')}.`);
  const x = new Float32Array(T * F);
  const first = rows.length - T;
  for (let t = 0; t < T; t++) {
    for (let f = 0; f < F; f++) {
      const s = p.features[f];
      x[t * F + f] = (rowValue(p, rows[first + t], s.column, first + t) - s.offset) / s.scale;
    }
  }
  return { data: x, shape: [1, T, F] };
}

/** For `predict --series FILE`: the CSV's rows with the model's columns, as numbers. */
export function readSeriesRows(filePath: string, p: SeriesPreprocessor): Record<string, number>[] {
  const file: FileRef = { display: filePath, abs: path.resolve(filePath) };
  const t = readSeriesTable(file, p.columns, {});
  const out: Record<string, number>[] = [];
  for (let r = 0; r < t.rows; r++) {
    const row: Record<string, number> = Object.create(null);
    for (const c of p.columns) row[c] = t.values.get(c)![r];
    out.push(row);
  }
  return out;
}
