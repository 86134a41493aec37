/**
 * Messages between the extension host and the designer webview. One union per direction;
 * both sides import these types (`import type`), and each side validates what it receives.
 */
import type { ModelAnalysis } from '../core/types';

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
  | { type: 'detached'; reason: string };

/** Webview -> host. */
export type FromDesignerMessage =
  /** The webview has loaded and wants the current model. */
  | { type: 'ready' }
  /** Reveal and select a layer's JSON in the editor. */
  | { type: 'reveal'; layerIndex: number }
  /** Apply fix `fixIndex` of diagnostic `diagnosticIndex`, computed for document version `version`. */
  | { type: 'applyFix'; version: number; diagnosticIndex: number; fixIndex: number }
  | { type: 'edit'; version: number; edit: LayerEdit }
  | { type: 'copySummary' };

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
    default:
      return false;
  }
}

/** Validates a message from the host (the webview trusts nothing it did not check). */
export function isToDesignerMessage(x: unknown): x is ToDesignerMessage {
  if (!isObject(x)) return false;
  switch (x.type) {
    case 'model':
      return typeof x.uri === 'string' && typeof x.fileName === 'string' && isIndex(x.version) && isObject(x.analysis) && Array.isArray(x.analysis.layers) && typeof x.stale === 'boolean' && typeof x.summaryText === 'string';
    case 'highlight':
      return x.layerIndex === null || isIndex(x.layerIndex);
    case 'detached':
      return typeof x.reason === 'string';
    default:
      return false;
  }
}
