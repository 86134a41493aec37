/**
 * What the designer's training views show: live training state, past runs, the memory view,
 * cell-type comparisons and predictions. Built by the extension host from the trainer's messages
 * and run folders; sent to the webview inside `ToDesignerMessage`s (see designer.ts).
 */
import type { Logs, Prediction, RunSummary } from './trainer';

export type TrainingStatus = 'starting' | 'running' | 'done' | 'cancelled' | 'failed';

/** One point of a per-batch curve: `x` is fractional epochs (epoch - 1 + step / steps). */
export interface BatchPoint {
  x: number;
  logs: Logs;
}

/** A snapshot of the current (or last) training run of the model shown. */
export interface TrainingState {
  status: TrainingStatus;
  /** What is training: the model, or `compare: LSTM` during a comparison. */
  label: string;
  backend?: string;
  /** Set when training runs on the slow pure-JS backend. */
  notice?: string;
  dataSummary?: string;
  epochs: number;
  stepsPerEpoch: number;
  epoch: number;
  step: number;
  /** Per-batch running averages, thinned to at most a few hundred points. */
  batches: BatchPoint[];
  /** Per-epoch logs (train and `val_` metrics), index 0 = epoch 1. */
  history: Logs[];
  /** The epoch early stopping kept (1-based), when it restored the best weights. */
  bestEpoch?: number;
  stoppedEarly: boolean;
  testMetrics?: Logs;
  baseline?: { name: string; mae: number };
  samplesPerSecond: number;
  etaSeconds?: number;
  error?: string;
  runId?: string;
}

/** A run folder of this model, as listed in the Runs view: its summary, plus what identifies it. */
export interface RunInfo
  extends Pick<RunSummary, 'epochs' | 'bestEpoch' | 'stoppedEarly' | 'cancelled' | 'history' | 'testMetrics' | 'baseline' | 'backend' | 'samplesPerSecond' | 'durationMs'> {
  /** The folder name under runs/<model>/ (a timestamp). */
  id: string;
  date: string;
  /** The `.keras` file (its name) whose trained weights this run holds: imported, not trained by RNN Studio. */
  importedFrom?: string;
  /** The settings that matter when comparing runs. */
  settings: { cells: string[]; params: number; optimizer: string; learningRate: number; batchSize: number; loss: string };
}

/** Hidden state of one recurrent layer over time (the memory view's heatmaps). */
export interface LayerMemory {
  name: string;
  type: string;
  /** `hidden[t][u]`: unit u after timestep t. Bidirectional: forward units, then backward units. */
  hidden: number[][];
  /** LSTM only: the cell state, same layout. */
  cell?: number[][];
}

export type MemoryResult =
  | {
      kind: 'text';
      input: string;
      /** One token per timestep ('' for padding, the OOV token for unknown words). */
      tokens: string[];
      layers: LayerMemory[];
      /** The output layer applied to the state after each token: how the prediction builds up. */
      perStep?: number[];
      prediction: Prediction;
    }
  | {
      kind: 'series';
      /** Over the test range, in the target's original units. */
      times: string[];
      actual: number[];
      predicted: number[];
      /** The naive "tomorrow = today" forecast. */
      baseline: number[];
      mae: number;
      baselineMae: number;
    };

/** One row of the cell-type comparison: the same architecture, data and seed with another cell. */
export interface ComparisonRow {
  cell: string;
  bidirectional: boolean;
  status: 'waiting' | 'running' | 'done' | 'failed';
  params: number;
  trainSeconds?: number;
  valAccuracy?: number;
  testAccuracy?: number;
  testMae?: number;
  history: Logs[];
  error?: string;
  runId?: string;
}
