/**
 * Plain data shared by every consumer of the core (CLI, extension, webview, tests).
 * Positions are zero-based lines and UTF-16 characters, like LSP and VS Code.
 */

import type { MemoryEstimate } from './memory';

export interface Position {
  line: number;
  character: number;
}

export interface Range {
  start: Position;
  end: Position;
}

/** A JSON path into the model file, e.g. `["layers", 3, "return_sequences"]`. */
export type JsonPath = (string | number)[];

export type Severity = 'error' | 'warning' | 'info';

/** One text replacement. `offset`/`length` address the analysed text; `range` is the same span as lines. */
export interface TextEdit {
  offset: number;
  length: number;
  range: Range;
  newText: string;
}

export interface Fix {
  title: string;
  edits: TextEdit[];
  /** The fix a user most likely wants; editors apply it on "quick fix" and "fix all". */
  isPreferred?: boolean;
}

export interface RelatedLocation {
  message: string;
  path: JsonPath;
  range: Range;
}

export interface Diagnostic {
  severity: Severity;
  /** Stable identifier, e.g. `missing-return-sequences`; documented in the README. */
  code: string;
  message: string;
  path: JsonPath;
  range: Range;
  /**
   * `json` when any JSON editor given the schema reports this problem itself (syntax and schema
   * errors; VS Code shows those from `jsonValidation`); `model` for everything the engine adds.
   */
  source: 'json' | 'model';
  /** Index into `layers` of the layer this problem belongs to, for panels that draw layers. */
  layerIndex?: number;
  related?: RelatedLocation[];
  fixes?: Fix[];
}

/** Output shape including the batch axis; `null` is an unknown size (batch, variable time axis). */
export type Shape = (number | null)[];

export interface LayerInfo {
  index: number;
  path: JsonPath;
  /** Keras name: the file's `name`, else Keras' default (`lstm`, `lstm_1`, ...). */
  name: string;
  type: string;
  /** The layer's config with Keras defaults filled in. */
  config: Record<string, unknown>;
  /** Range of the whole layer object in the file. */
  range: Range;
  inputShape: Shape | null;
  outputShape: Shape | null;
  /** Why `outputShape` is null and the counts are not known (`after the problem in layer 2 "lstm_1"`). */
  unknownReason?: string;
  trainableParams: number;
  nonTrainableParams: number;
  /** How the count was computed, e.g. `4 x (64 x (64 + 64) + 64) = 33,024`. */
  paramFormula?: string;
  /** Inner layer of Bidirectional / TimeDistributed. */
  inner?: { name: string; type: string; config: Record<string, unknown>; outputShape: Shape | null };
}

/**
 * Keras' global dtype policy (`keras.mixed_precision.set_global_policy`): `mixed_bfloat16` computes
 * in bfloat16 and keeps the weights in float32. The file's top-level `dtype_policy`.
 */
export type DtypePolicy = 'float32' | 'mixed_bfloat16';

export interface ModelAnalysis {
  /** Model name from the file, or `sequential`. */
  name: string;
  /** The file's `dtype_policy` when valid, else Keras' default `float32` (a bad value has its diagnostic). */
  dtypePolicy: DtypePolicy;
  /** False when the text is not JSON at all (no layers could be read). */
  parsed: boolean;
  inputShape: Shape | null;
  layers: LayerInfo[];
  /** Sums over the layers that could be computed; see `uncountedLayers`. */
  totalParams: number;
  trainableParams: number;
  nonTrainableParams: number;
  /** Indices of the layers whose counts are unknown (after an error): the totals are then partial. */
  uncountedLayers: number[];
  /** Bytes of the weights as float32. */
  weightBytes: number;
  /** What training one batch would need (weights, gradients, optimizer slots, activations), checked against the machine before training. */
  trainingMemory: MemoryEstimate;
  diagnostics: Diagnostic[];
}

export interface AnalyzeOptions {
  /** SimpleRNN over more timesteps than this gets an information hint (vanishing gradients). */
  simpleRnnMaxSteps?: number;
  /** Models with more parameters than this get an information hint about their size. */
  largeModelParams?: number;
}
