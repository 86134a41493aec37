/**
 * The model file's `data` section, typed from `schemas/rnn-model.schema.json` (`properties.data`),
 * and the defaults the pipelines apply.
 */
export interface DataConfig {
  kind?: 'text' | 'timeseries';
  source: 'builtin' | 'jsonl' | 'csv' | 'folder';
  dataset?: 'spam_assassin' | 'seattle_weather' | 'long_range_memory';
  path?: string;
  test_path?: string;
  // text
  text_column?: string;
  label_column?: string;
  labels?: (string | number)[];
  num_words?: number;
  oov_token?: string;
  lower?: boolean;
  filters?: string;
  split?: string;
  maxlen?: number;
  padding?: 'pre' | 'post';
  truncating?: 'pre' | 'post';
  pad_value?: number;
  // time series
  columns?: string[];
  target?: string;
  window?: number;
  horizon?: number;
  stride?: number;
  normalization?: 'zscore' | 'minmax' | 'none';
  // synthetic
  k?: number;
  samples?: number;
  vocab_size?: number;
  // splits
  test_split?: number;
  seed?: number;
  max_samples?: number;
}

/** Keras `Tokenizer`'s default `filters`: punctuation, tab and newline. */
export const KERAS_FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n';

export const DEFAULTS = {
  text_column: 'text',
  label_column: 'label',
  lower: true,
  filters: KERAS_FILTERS,
  split: ' ',
  padding: 'pre' as const,
  truncating: 'pre' as const,
  pad_value: 0,
  horizon: 1,
  stride: 1,
  normalization: 'zscore' as const,
  k: 50,
  samples: 4000,
  vocab_size: 10,
  /** test_split for built-in data sets and time series when there is no test_path. */
  test_split_builtin: 0.2,
  test_split_series: 0.2,
  seed: 1337,
};
