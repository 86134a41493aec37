/**
 * Training data pipelines (the model file's `data` section): text classification from JSONL, CSV,
 * a folder per class or SpamAssassin, with Keras Tokenizer + pad_sequences semantics; time series
 * from CSV or Seattle weather, with windows and normalisation; a synthetic long-range memory task.
 * Pure TypeScript (Node fs/path and csv-parse): no TensorFlow, no vscode.
 */
import type { DataConfig } from './config';
import { DEFAULTS } from './config';
import { DataError } from './errors';
import { prepareBuiltinText } from './builtin';
import { denormalizeWith, prepareSeries, seriesInputWith } from './series';
import { encodeTextsWith, prepareTextFiles } from './text';
import type { Matrix, PreparedData, PrepareOptions, SeriesPreprocessor, TextPreprocessor } from './types';

export type { DataConfig } from './config';
export { DEFAULTS, KERAS_FILTERS } from './config';
export { DataError } from './errors';
export type { ColumnScaling, IdentityTokenizerConfig, LabelEncoding, Matrix, PreparedData, PrepareOptions, Preprocessor, SeriesPreprocessor, Split, TextPreprocessor } from './types';
export type { KerasTokenizerConfig, TokenizerOptions } from './tokenizer';
export { Tokenizer, WordSplitter, fitTokenizer, textToWordSequence } from './tokenizer';
export { padArrays, padSequences } from './sequences';
export { labelEncodingForLoss } from './labels';
export { validationSplitAt, testSplitAt } from './split';
export { longRangeMemory, MEMORY_MARKER, upperHalfStart, spamIndex } from './builtin';
export { readSeriesRows } from './series';
export { mulberry32, permutation } from './random';

/** Kind of data: declared, implied by the built-in data set, or guessed from the keys. */
export function dataKind(data: DataConfig): 'text' | 'timeseries' {
  const implied = data.dataset === 'seattle_weather' ? 'timeseries' : data.dataset ? 'text' : undefined;
  if (data.kind && implied && data.kind !== implied) {
    throw new DataError(`data.kind is "${data.kind}" but the built-in data set ${data.dataset} is ${implied === 'text' ? 'text' : 'a time series'}. Remove data.kind or set it to "${implied}".`);
  }
  return data.kind ?? implied ?? (data.window !== undefined || data.target !== undefined ? 'timeseries' : 'text');
}

/**
 * Reads and prepares the data for training. Throws a DataError (never returns a partial result)
 * when the data or the settings are wrong; the message says where and what to do.
 */
export async function prepareData(data: DataConfig, options: PrepareOptions): Promise<PreparedData> {
  if (!data || typeof data !== 'object') throw new DataError('The model has no "data" section: add one, e.g. {"source": "builtin", "dataset": "spam_assassin"}.');
  const seed = data.seed ?? options.seed ?? DEFAULTS.seed;
  const caps = [options.maxSamples, data.max_samples].filter((c): c is number => typeof c === 'number' && c > 0);
  const cap = caps.length ? Math.min(...caps) : undefined;
  try {
    if (data.source === 'builtin') {
      if (!data.dataset) throw new DataError('data.source "builtin" needs data.dataset: "spam_assassin", "seattle_weather" or "long_range_memory".');
      if (!['spam_assassin', 'seattle_weather', 'long_range_memory'].includes(data.dataset)) {
        throw new DataError(`Unknown built-in data set "${data.dataset}". Use "spam_assassin", "seattle_weather" or "long_range_memory".`);
      }
    } else if (!['jsonl', 'csv', 'folder'].includes(data.source)) {
      throw new DataError(`Unknown data.source "${data.source}". Use "builtin", "jsonl", "csv" or "folder".`);
    }
    const kind = dataKind(data);
    if (kind === 'timeseries') return prepareSeries(data, options, cap);
    if (data.source === 'builtin') return prepareBuiltinText(data, options, seed, cap);
    return prepareTextFiles(data, options, seed, cap);
  } catch (e) {
    if (e instanceof DataError) throw e;
    const code = (e as NodeJS.ErrnoException)?.code;
    if (typeof code === 'string') throw new DataError(`Cannot read the data: ${(e as Error).message}`);
    if (e instanceof RangeError) throw new DataError(`The data is too large to prepare in memory (${e.message}). Set data.max_samples, or a smaller maxlen / window.`);
    throw e;
  }
}

/** For predict: texts -> [N, maxlen] int32 ids, with the tokenizer and padding of training. */
export function encodeTexts(p: TextPreprocessor, texts: string[]): Matrix {
  return encodeTextsWith(p, texts);
}

/** Model outputs (normalised) -> the target's original units. */
export function denormalize(p: SeriesPreprocessor, values: Float32Array | number[]): number[] {
  return denormalizeWith(p, values);
}

/** For predict: the last `window` rows -> one normalised sample [1, window, features]. */
export function seriesInput(p: SeriesPreprocessor, rows: Record<string, number>[]): Matrix {
  return seriesInputWith(p, rows);
}

/**
 * For predict: a classifier's output row -> the label and its probability. Binary: one sigmoid
 * value (probability of labels[1]); otherwise a softmax row.
 */
export function interpretPrediction(p: TextPreprocessor, output: ArrayLike<number>): { label: string; probability: number; index: number } {
  if (p.labelEncoding === 'binary') {
    const prob = output[0];
    const index = prob > 0.5 ? 1 : 0; // Keras BinaryAccuracy: y_pred > 0.5
    return { label: p.labels[index], probability: index === 1 ? prob : 1 - prob, index };
  }
  let index = 0;
  for (let i = 1; i < output.length; i++) if (output[i] > output[index]) index = i;
  return { label: p.labels[index] ?? String(index), probability: output[index], index };
}
