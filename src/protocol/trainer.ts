import type { MemoryResult } from './training';

/**
 * Messages between a parent (the extension host or the CLI) and the trainer process, over Node's
 * IPC channel (`child_process.fork`). One union per direction; each side validates on arrival.
 */

/** Settings a caller may override for one run (the CLI's --epochs, tests' tiny runs). */
export interface TrainOverrides {
  epochs?: number;
  batchSize?: number;
  /** Cap on the samples read from the data source. */
  maxSamples?: number;
  /** False: train even when the memory estimate exceeds what is available (--no-memory-check). */
  memoryCheck?: boolean;
}

/** Parent -> trainer. */
export type ToTrainerMessage =
  /** Train the model in `modelText` (the editor's text, saved or not) whose file is `modelPath`. */
  | { type: 'train'; modelPath: string; modelText: string; outDir?: string; overrides?: TrainOverrides }
  /** Evaluate a finished run on its test split. */
  | { type: 'evaluate'; runDir: string }
  /** Predict with a finished run: texts for text models, or a CSV file of past rows for series. */
  | { type: 'predict'; runDir: string; texts?: string[]; seriesFile?: string }
  /** What the RNN remembers: hidden states over time for a text or test sample; for series, the test range. */
  | { type: 'inspect'; runDir: string; text?: string; sample?: number }
  /**
   * The trained weights of a `.keras` archive as a run of the model `modelText` (imported from it and
   * saved at `modelPath`): the run folder goes beside the model file, as a trained run's would.
   */
  | { type: 'importWeights'; modelPath: string; modelText: string; kerasFile: string }
  /** Stop after the current batch; the run keeps the best weights so far. */
  | { type: 'cancel' };

export type Logs = Record<string, number>;

export interface RunSummary {
  runDir: string;
  epochs: number;
  /** The epoch whose weights were kept (early stopping with restore_best_weights), 1-based. */
  bestEpoch?: number;
  stoppedEarly: boolean;
  cancelled: boolean;
  history: Logs[];
  testMetrics?: Logs;
  baseline?: { name: string; mae: number };
  samplesPerSecond: number;
  durationMs: number;
  backend: string;
  /** Which build of RNN Studio's kernels ran the recurrent layers, e.g. `native kernels (avx2, 2 threads)`. */
  kernels?: string;
  /** The model file's dtype_policy, and what the products were computed in (src/trainer/precision.ts). */
  dtypePolicy?: string;
  compute?: string;
}

export interface Prediction {
  input: string;
  /** Text models: the class probabilities (one per label), the class names, and the chosen label. */
  probabilities?: number[];
  labels?: string[];
  label?: string;
  /** Series models: the forecast in the target's original units. */
  forecast?: number[];
}

/** Trainer -> parent. */
export type FromTrainerMessage =
  | { type: 'backend'; backend: string; native: boolean; notice?: string }
  | { type: 'data'; summary: string }
  /** Something about this run the user should know, said once (e.g. mixed_bfloat16 trained in float32). */
  | { type: 'notice'; message: string }
  | { type: 'start'; epochs: number; stepsPerEpoch: number; params: number }
  | { type: 'batch'; epoch: number; step: number; steps: number; logs: Logs; samplesPerSecond: number; etaSeconds: number }
  /** `tensors`: live tensors after the epoch (flat across epochs, or something leaks). */
  | { type: 'epoch'; epoch: number; logs: Logs; durationMs: number; improved: boolean; tensors: number }
  | { type: 'done'; run: RunSummary }
  | { type: 'evaluated'; runDir: string; metrics: Logs }
  | { type: 'predicted'; runDir: string; predictions: Prediction[] }
  | { type: 'inspected'; runDir: string; result: MemoryResult }
  /** `testMetrics`: the run evaluated here on its test split; `kerasTestMetrics`: what Keras printed for it. */
  | { type: 'weightsImported'; runDir: string; testMetrics?: Logs; kerasTestMetrics?: Logs; notes: string[] }
  /** Something went wrong; `file`/`line` locate bad data. The process exits after sending it. */
  | { type: 'error'; message: string; file?: string; line?: number };

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isNumber = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const isCount = (x: unknown): x is number => isNumber(x) && Number.isInteger(x) && x >= 0;
const isLogs = (x: unknown): x is Logs => isObject(x) && Object.values(x).every((v) => typeof v === 'number');
const isString = (x: unknown): x is string => typeof x === 'string';

function isOverrides(x: unknown): boolean {
  if (x === undefined) return true;
  if (!isObject(x)) return false;
  return ['epochs', 'batchSize', 'maxSamples'].every((k) => x[k] === undefined || (isCount(x[k]) && (x[k] as number) > 0)) && (x.memoryCheck === undefined || typeof x.memoryCheck === 'boolean');
}

export function isToTrainerMessage(x: unknown): x is ToTrainerMessage {
  if (!isObject(x)) return false;
  switch (x.type) {
    case 'train':
      return isString(x.modelPath) && isString(x.modelText) && (x.outDir === undefined || isString(x.outDir)) && isOverrides(x.overrides);
    case 'evaluate':
      return isString(x.runDir);
    case 'predict':
      return isString(x.runDir) && (x.texts === undefined || (Array.isArray(x.texts) && x.texts.every(isString))) && (x.seriesFile === undefined || isString(x.seriesFile));
    case 'inspect':
      return isString(x.runDir) && (x.text === undefined || isString(x.text)) && (x.sample === undefined || isCount(x.sample));
    case 'importWeights':
      return isString(x.modelPath) && isString(x.modelText) && isString(x.kerasFile);
    case 'cancel':
      return true;
    default:
      return false;
  }
}

export function isFromTrainerMessage(x: unknown): x is FromTrainerMessage {
  if (!isObject(x)) return false;
  switch (x.type) {
    case 'backend':
      return isString(x.backend) && typeof x.native === 'boolean';
    case 'data':
      return isString(x.summary);
    case 'notice':
      return isString(x.message);
    case 'start':
      return isCount(x.epochs) && isCount(x.stepsPerEpoch) && isCount(x.params);
    case 'batch':
      return isCount(x.epoch) && isCount(x.step) && isCount(x.steps) && isLogs(x.logs) && isNumber(x.samplesPerSecond) && isNumber(x.etaSeconds);
    case 'epoch':
      return isCount(x.epoch) && isLogs(x.logs) && isNumber(x.durationMs) && typeof x.improved === 'boolean' && isCount(x.tensors);
    case 'done':
      return isObject(x.run) && isString(x.run.runDir) && Array.isArray(x.run.history);
    case 'evaluated':
      return isString(x.runDir) && isLogs(x.metrics);
    case 'predicted':
      return isString(x.runDir) && Array.isArray(x.predictions);
    case 'inspected':
      return isString(x.runDir) && isObject(x.result) && (x.result.kind === 'text' || x.result.kind === 'series');
    case 'weightsImported':
      return isString(x.runDir) && (x.testMetrics === undefined || isLogs(x.testMetrics)) && (x.kerasTestMetrics === undefined || isLogs(x.kerasTestMetrics)) && Array.isArray(x.notes) && x.notes.every(isString);
    case 'error':
      return isString(x.message);
    default:
      return false;
  }
}
