/**
 * The nested fields of the host's training messages, read defensively. `isToDesignerMessage`
 * checks only a message's outer shape; these readers check every field a view reads, drop what
 * is malformed and return values the views can trust (finite numbers, strings, matching lengths).
 * No DOM here, so they are tested in plain Node.
 */
import type { Logs, Prediction } from '../src/protocol/trainer';
import type { BatchPoint, ComparisonRow, LayerMemory, MemoryResult, RunInfo, TrainingState, TrainingStatus } from '../src/protocol/training';

/** What the panel shows of a prediction; `labels` (one per class) is read when the host sends it. */
export interface PredictionView extends Prediction {
  labels?: string[];
}

/** A `MemoryResult` as read here (its prediction may carry `labels`). */
export type MemoryData = Exclude<MemoryResult, { kind: 'text' }> | (Extract<MemoryResult, { kind: 'text' }> & { prediction: PredictionView });

/** Bounds on what the panel draws: anything larger is a bug on the other side, not data. */
const MAX = { text: 100_000, list: 100_000, keys: 64, units: 4096 } as const;

const STATUSES: readonly TrainingStatus[] = ['starting', 'running', 'done', 'cancelled', 'failed'];
const ROW_STATUSES: readonly ComparisonRow['status'][] = ['waiting', 'running', 'done', 'failed'];

/** Same rule as the host's: run ids are folder names, no separators, no dot-dot. */
export const isRunId = (x: unknown): x is string => typeof x === 'string' && /^[\w.:-]{1,100}$/.test(x) && !x.includes('..');

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const num = (x: unknown): number | undefined => (typeof x === 'number' && Number.isFinite(x) ? x : undefined);
const count = (x: unknown): number | undefined => (typeof x === 'number' && Number.isInteger(x) && x >= 0 ? x : undefined);
const str = (x: unknown): string | undefined => (typeof x === 'string' ? x.slice(0, MAX.text) : undefined);

function list<T>(x: unknown, read: (item: unknown) => T | undefined, max: number = MAX.list): T[] {
  if (!Array.isArray(x)) return [];
  const out: T[] = [];
  for (const item of x.slice(0, max)) {
    const value = read(item);
    if (value !== undefined) out.push(value);
  }
  return out;
}

/** Numbers in order; a missing or non-finite value becomes NaN (a gap), so positions stay aligned. */
function numbers(x: unknown, max: number = MAX.list): number[] | undefined {
  if (!Array.isArray(x)) return undefined;
  return x.slice(0, max).map((v) => num(v) ?? NaN);
}

function strings(x: unknown): string[] | undefined {
  if (!Array.isArray(x)) return undefined;
  return x.slice(0, MAX.list).map((v) => (typeof v === 'string' ? v.slice(0, 200) : String(v ?? '')));
}

export function readLogs(x: unknown): Logs | undefined {
  if (!isObject(x)) return undefined;
  const out: Logs = {};
  for (const [key, value] of Object.entries(x).slice(0, MAX.keys)) {
    const n = num(value);
    if (n !== undefined && key.length <= 100) out[key] = n;
  }
  return out;
}

function readBaseline(x: unknown): { name: string; mae: number } | undefined {
  if (!isObject(x)) return undefined;
  const mae = num(x.mae);
  return mae === undefined ? undefined : { name: str(x.name) ?? 'naive baseline', mae };
}

function readBatch(x: unknown): BatchPoint | undefined {
  if (!isObject(x)) return undefined;
  const at = num(x.x);
  const logs = readLogs(x.logs);
  return at === undefined || !logs ? undefined : { x: at, logs };
}

export function readTrainingState(x: unknown): TrainingState | undefined {
  if (!isObject(x) || !STATUSES.includes(x.status as TrainingStatus)) return undefined;
  return {
    status: x.status as TrainingStatus,
    label: str(x.label) ?? '',
    backend: str(x.backend),
    notice: str(x.notice),
    dataSummary: str(x.dataSummary),
    epochs: count(x.epochs) ?? 0,
    stepsPerEpoch: count(x.stepsPerEpoch) ?? 0,
    epoch: count(x.epoch) ?? 0,
    step: count(x.step) ?? 0,
    batches: list(x.batches, readBatch),
    history: list(x.history, readLogs),
    bestEpoch: count(x.bestEpoch),
    stoppedEarly: x.stoppedEarly === true,
    testMetrics: readLogs(x.testMetrics),
    baseline: readBaseline(x.baseline),
    samplesPerSecond: num(x.samplesPerSecond) ?? 0,
    etaSeconds: num(x.etaSeconds),
    error: str(x.error),
    runId: isRunId(x.runId) ? x.runId : undefined,
  };
}

function readRun(x: unknown): RunInfo | undefined {
  if (!isObject(x) || !isRunId(x.id)) return undefined;
  const s = isObject(x.settings) ? x.settings : {};
  return {
    id: x.id,
    date: str(x.date) ?? x.id,
    epochs: count(x.epochs) ?? 0,
    bestEpoch: count(x.bestEpoch),
    stoppedEarly: x.stoppedEarly === true,
    cancelled: x.cancelled === true,
    history: list(x.history, readLogs),
    testMetrics: readLogs(x.testMetrics),
    baseline: readBaseline(x.baseline),
    backend: str(x.backend) ?? '',
    samplesPerSecond: num(x.samplesPerSecond) ?? 0,
    durationMs: num(x.durationMs) ?? 0,
    importedFrom: str(x.importedFrom),
    settings: {
      cells: list(s.cells, str, 100),
      params: count(s.params) ?? 0,
      optimizer: str(s.optimizer) ?? '',
      learningRate: num(s.learningRate) ?? NaN,
      batchSize: count(s.batchSize) ?? 0,
      loss: str(s.loss) ?? '',
    },
  };
}

export function readRuns(x: unknown): RunInfo[] {
  return list(x, readRun, 1000);
}

export function readPrediction(x: unknown): PredictionView | undefined {
  if (!isObject(x)) return undefined;
  const probabilities = numbers(x.probabilities, 1000);
  const forecast = numbers(x.forecast);
  const labels = strings(x.labels);
  return {
    input: str(x.input) ?? '',
    probabilities: probabilities?.length ? probabilities : undefined,
    label: str(x.label),
    forecast: forecast?.length ? forecast : undefined,
    labels: labels?.length ? labels : undefined,
  };
}

export function readPredictions(x: unknown): PredictionView[] {
  return list(x, readPrediction, 100);
}

/** A `[time][unit]` matrix with `steps` rows of equal length, or undefined. */
function matrix(x: unknown, steps: number): number[][] | undefined {
  if (!Array.isArray(x) || x.length !== steps) return undefined;
  const rows = x.map((row) => numbers(row, MAX.units + 1));
  const width = rows[0]?.length ?? 0;
  if (width === 0 || width > MAX.units || rows.some((r) => !r || r.length !== width)) return undefined;
  return rows as number[][];
}

function readLayer(x: unknown, steps: number): LayerMemory | undefined {
  if (!isObject(x)) return undefined;
  const hidden = matrix(x.hidden, steps);
  if (!hidden) return undefined;
  const cell = matrix(x.cell, steps);
  return { name: str(x.name) ?? 'layer', type: str(x.type) ?? '', hidden, cell: cell && cell[0].length === hidden[0].length ? cell : undefined };
}

export function readMemory(x: unknown): MemoryData | undefined {
  if (!isObject(x)) return undefined;
  if (x.kind === 'text') {
    const tokens = strings(x.tokens);
    const prediction = readPrediction(x.prediction);
    if (!tokens || !prediction) return undefined;
    const perStep = numbers(x.perStep);
    return {
      kind: 'text',
      input: str(x.input) ?? '',
      tokens,
      layers: list(x.layers, (l) => readLayer(l, tokens.length), 64),
      perStep: perStep && perStep.length === tokens.length ? perStep : undefined,
      prediction,
    };
  }
  if (x.kind === 'series') {
    const times = strings(x.times);
    const actual = numbers(x.actual);
    const predicted = numbers(x.predicted);
    const baseline = numbers(x.baseline) ?? [];
    if (!times || !actual || !predicted) return undefined;
    const n = Math.min(times.length, actual.length, predicted.length);
    return {
      kind: 'series',
      times: times.slice(0, n),
      actual: actual.slice(0, n),
      predicted: predicted.slice(0, n),
      baseline: baseline.length >= n ? baseline.slice(0, n) : [],
      mae: num(x.mae) ?? NaN,
      baselineMae: num(x.baselineMae) ?? NaN,
    };
  }
  return undefined;
}

function readRow(x: unknown): ComparisonRow | undefined {
  if (!isObject(x)) return undefined;
  const cell = str(x.cell);
  if (!cell) return undefined;
  return {
    cell,
    bidirectional: x.bidirectional === true,
    status: ROW_STATUSES.includes(x.status as ComparisonRow['status']) ? (x.status as ComparisonRow['status']) : 'waiting',
    params: count(x.params) ?? 0,
    trainSeconds: num(x.trainSeconds),
    valAccuracy: num(x.valAccuracy),
    testAccuracy: num(x.testAccuracy),
    testMae: num(x.testMae),
    history: list(x.history, readLogs),
    error: str(x.error),
    runId: isRunId(x.runId) ? x.runId : undefined,
  };
}

export function readComparison(x: unknown): ComparisonRow[] {
  return list(x, readRow, 32);
}
