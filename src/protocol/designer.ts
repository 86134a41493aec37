/**
 * Messages between the extension host and the designer webview. One union per direction;
 * both sides import these types (`import type`), and each side validates what it receives.
 */
import type { ModelAnalysis } from '../core/types';
import type { Prediction } from './trainer';
import type { ComparisonRow, MemoryResult, RunInfo, TrainingState } from './training';

export const CELL_TYPES = ['SimpleRNN', 'LSTM', 'GRU'] as const;
export type CellType = (typeof CELL_TYPES)[number];

/** Layers the designer's palette can insert (see `src/core/layerEdits.ts` for their JSON). */
export const PALETTE = ['LSTM', 'GRU', 'SimpleRNN', 'Bidirectional', 'Dense', 'Dropout', 'Embedding', 'Conv1D', 'GlobalMaxPooling1D', 'LayerNormalization'] as const;
export type PaletteItem = (typeof PALETTE)[number];

/** A change the user makes in the panel; the host turns it into a text edit of the model file. */
export type LayerEdit =
  | { kind: 'setOption'; index: number; key: 'units' | 'rate' | 'return_sequences' | 'merge_mode'; value: number | boolean | string }
  | { kind: 'setCellType'; index: number; cell: CellType }
  | { kind: 'wrapBidirectional'; index: number }
  | { kind: 'unwrapBidirectional'; index: number }
  | { kind: 'insert'; index: number; layer: PaletteItem }
  | { kind: 'delete'; index: number }
  | { kind: 'move'; from: number; to: number };

/** Host -> webview. */
export type ToDesignerMessage =
  /** The analysis of the model file's current text. `stale` is true while the text does not parse: the analysis is then the last good one. */
  | { type: 'model'; uri: string; fileName: string; version: number; analysis: ModelAnalysis; stale: boolean; parseError?: string; summaryText: string }
  /** The editor's cursor moved into a layer (or out of all layers: null). */
  | { type: 'highlight'; layerIndex: number | null }
  /** The active editor is not a model file any more; the panel keeps its picture and says so. */
  | { type: 'detached'; reason: string }
  /** Training of this model: a snapshot, sent when it starts, a few times a second while it runs, and when it ends. */
  | { type: 'training'; state: TrainingState }
  /** The past runs of this model (newest first), and whether training is allowed here (trusted workspace). */
  | { type: 'runs'; runs: RunInfo[]; canTrain: boolean; reason?: string }
  /** What the RNN remembers for an input (answer to `inspect`), or why it could not be shown. */
  | { type: 'memory'; runId: string; result?: MemoryResult; error?: string }
  /** The cell-type comparison's table, updated as each cell finishes. */
  | { type: 'comparison'; rows: ComparisonRow[]; running: boolean }
  /** Answer to `predict`. */
  | { type: 'prediction'; runId: string; predictions?: Prediction[]; error?: string };

/** Webview -> host. */
export type FromDesignerMessage =
  /** The webview has loaded and wants the current model. */
  | { type: 'ready' }
  /** Reveal and select a layer's JSON in the editor. */
  | { type: 'reveal'; layerIndex: number }
  /** Apply fix `fixIndex` of diagnostic `diagnosticIndex`, computed for document version `version`. */
  | { type: 'applyFix'; version: number; diagnosticIndex: number; fixIndex: number }
  | { type: 'edit'; version: number; edit: LayerEdit }
  | { type: 'copySummary' }
  /** Train the model shown (its current text, saved or not). */
  | { type: 'train' }
  /** Stop the running training after the current batch. */
  | { type: 'stop' }
  | { type: 'deleteRun'; runId: string }
  /** Show the memory view for a run: a typed text, or test sample `sample` (text models); series models ignore both. */
  | { type: 'inspect'; runId: string; text?: string; sample?: number }
  | { type: 'predict'; runId: string; text: string }
  /** Train the same architecture with SimpleRNN, LSTM and GRU (and Bidirectional variants if asked), one after another. */
  | { type: 'compareCells'; bidirectional: boolean };

const isIndex = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0 && x < 1_000_000;
const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

export function isLayerEdit(x: unknown): x is LayerEdit {
  if (!isObject(x)) return false;
  switch (x.kind) {
    case 'setOption':
      if (!isIndex(x.index)) return false;
      if (x.key === 'units') return isIndex(x.value) && x.value >= 1;
      if (x.key === 'rate') return typeof x.value === 'number' && x.value >= 0 && x.value < 1;
      if (x.key === 'return_sequences') return typeof x.value === 'boolean';
      if (x.key === 'merge_mode') return ['concat', 'sum', 'mul', 'ave'].includes(x.value as string);
      return false;
    case 'setCellType':
      return isIndex(x.index) && CELL_TYPES.includes(x.cell as CellType);
    case 'wrapBidirectional':
    case 'unwrapBidirectional':
    case 'delete':
      return isIndex(x.index);
    case 'insert':
      return isIndex(x.index) && PALETTE.includes(x.layer as PaletteItem);
    case 'move':
      return isIndex(x.from) && isIndex(x.to);
    default:
      return false;
  }
}

/** Validates a message from the webview; anything else is dropped by the host. */
export function isFromDesignerMessage(x: unknown): x is FromDesignerMessage {
  if (!isObject(x)) return false;
  switch (x.type) {
    case 'ready':
    case 'copySummary':
      return true;
    case 'reveal':
      return isIndex(x.layerIndex);
    case 'applyFix':
      return isIndex(x.version) && isIndex(x.diagnosticIndex) && isIndex(x.fixIndex);
    case 'edit':
      return isIndex(x.version) && isLayerEdit(x.edit);
    case 'train':
    case 'stop':
      return true;
    case 'deleteRun':
      return isRunId(x.runId);
    case 'inspect':
      return isRunId(x.runId) && (x.text === undefined || isText(x.text)) && (x.sample === undefined || isIndex(x.sample));
    case 'predict':
      return isRunId(x.runId) && isText(x.text);
    case 'compareCells':
      return typeof x.bidirectional === 'boolean';
    default:
      return false;
  }
}

/** Run ids are folder names the host created: no path separators, no dot-dot. */
const isRunId = (x: unknown): x is string => typeof x === 'string' && /^[\w.:-]{1,100}$/.test(x) && !x.includes('..');
const isText = (x: unknown): x is string => typeof x === 'string' && x.length <= 100_000;

/** Validates a message from the host (the webview trusts nothing it did not check). */
export function isToDesignerMessage(x: unknown): x is ToDesignerMessage {
  if (!isObject(x)) return false;
  switch (x.type) {
    case 'model':
      return typeof x.uri === 'string' && typeof x.fileName === 'string' && isIndex(x.version) && isObject(x.analysis) && Array.isArray(x.analysis.layers) && Array.isArray(x.analysis.uncountedLayers) && typeof x.stale === 'boolean' && typeof x.summaryText === 'string';
    case 'highlight':
      return x.layerIndex === null || isIndex(x.layerIndex);
    case 'detached':
      return typeof x.reason === 'string';
    case 'training':
      return isObject(x.state) && typeof x.state.status === 'string' && Array.isArray(x.state.history) && Array.isArray(x.state.batches);
    case 'runs':
      return Array.isArray(x.runs) && typeof x.canTrain === 'boolean';
    case 'memory':
    case 'prediction':
      return typeof x.runId === 'string';
    case 'comparison':
      return Array.isArray(x.rows) && typeof x.running === 'boolean';
    default:
      return false;
  }
}
