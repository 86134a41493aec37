/** Public types of the data pipelines. Everything here is plain data (JSON-serialisable where said). */
import type { KerasTokenizerConfig } from './tokenizer';

/** From the loss: binary_crossentropy / sparse_categorical_crossentropy / categorical_crossentropy. */
export type LabelEncoding = 'binary' | 'sparse' | 'onehot';

/**
 * A row-major tensor. x: [N, T] int32 token ids (text) or [N, T, F] float32 (series);
 * y: [N, 1] float32 (binary, regression), [N] int32 (sparse), [N, C] float32 (one-hot).
 */
export interface Matrix {
  data: Int32Array | Float32Array;
  shape: number[];
}

export interface Split {
  x: Matrix;
  y: Matrix;
  /** Text: the original texts, row by row. */
  texts?: string[];
  /** Series: the time (the CSV's time column, else the 1-based data row) of each sample's target. */
  times?: string[];
}

/** The tokenizer of a model whose data are token ids already (synthetic data): texts are ids separated by spaces or commas. */
export interface IdentityTokenizerConfig {
  type: 'identity';
  /** Ids must be below this. */
  vocab_size: number;
}

/** Everything needed to turn new texts into the model's input, saved with a trained model. */
export interface TextPreprocessor {
  kind: 'text';
  version: 1;
  tokenizer: KerasTokenizerConfig | IdentityTokenizerConfig;
  /** pad_sequences options. */
  maxlen: number;
  padding: 'pre' | 'post';
  truncating: 'pre' | 'post';
  pad_value: number;
  /** Class names in class-index order. */
  labels: string[];
  labelEncoding: LabelEncoding;
  /** Ids the tokenizer can emit: the smallest Embedding input_dim that fits. */
  vocabSize: number;
}

/** How one column is scaled: `normalised = (value - offset) / scale`. */
export interface ColumnScaling {
  column: string;
  offset: number;
  scale: number;
  /** Statistics of the training rows, for display. */
  mean: number;
  std: number;
  min: number;
  max: number;
}

/** Everything needed to turn recent rows into the model's input and its output back into units. */
export interface SeriesPreprocessor {
  kind: 'timeseries';
  version: 1;
  /** Input features, in order (input.shape[1] === columns.length). */
  columns: string[];
  target: string;
  window: number;
  horizon: number;
  stride: number;
  normalization: 'zscore' | 'minmax' | 'none';
  /** One per column, same order as `columns`. */
  features: ColumnScaling[];
  /** The target's scaling: y = (target - offset) / scale. An MAE on y times `scale` is in original units. */
  targetScaling: ColumnScaling;
  /** Column holding the time, if the CSV has one (used for `Split.times`). */
  timeColumn?: string;
}

export type Preprocessor = TextPreprocessor | SeriesPreprocessor;

export interface PreparedData {
  kind: 'text' | 'timeseries';
  train: Split;
  validation?: Split;
  test?: Split;
  /** Class names in class-index order (text). */
  labels?: string[];
  preprocessor: Preprocessor;
  /** One line for logs. */
  summary: string;
  /** Series: the naive "tomorrow = today" MAE on the test split (validation when there is no test split), original units. */
  baseline?: { name: string; mae: number };
}

export interface PrepareOptions {
  /** Relative paths in `data` are relative to the model file's folder. */
  modelDir: string;
  /** Model input without the batch axis, e.g. [200] or [30, 1]. */
  inputShape: (number | null)[];
  labelEncoding: LabelEncoding | 'regression';
  /** training.validation_split: the last fraction of the training samples (Keras), before any shuffling. */
  validationSplit: number;
  /** Cap on the samples used (tests and quick runs); the smaller of this and data.max_samples applies. */
  maxSamples?: number;
  /** Used when data.seed is absent. */
  seed?: number;
}
