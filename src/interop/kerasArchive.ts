import { readZipEntry, zipEntries } from './zip';

/**
 * What a Keras 3 `.keras` archive (a ZIP) holds for an import: `config.json` (the model),
 * `model.weights.h5` (the trained weights) and, when the exported project's train.py saved it,
 * `rnn-studio.json`: what the weights were trained on (written by `record_training` in
 * src/interop/python/main.ts; Keras ignores the entry when it loads the model).
 */

export const TRAINING_RECORD_ENTRY = 'rnn-studio.json';

/** `rnn-studio.json`: the settings that produced the weights, as train.py knew them (snake_case, Python's names). */
export interface KerasTrainingRecord {
  format: 'rnn-studio-keras-training';
  /** The model file's `data` section (paths relative to the project's data/ folder). */
  data?: Record<string, unknown>;
  /** The `training` settings train.py used (epochs, batch_size, validation_split, shuffle, seed). */
  training?: Record<string, unknown>;
  /** --max-samples of the training run (null: all the data). */
  max_samples?: number | null;
  seed?: number;
  /** Keras' epoch logs (loss, accuracy, val_loss, ...). */
  history?: Record<string, number>[];
  /** model.evaluate on the test split, as Keras printed it. */
  test_metrics?: Record<string, number>;
  /** The tokenizer or scaling train.py fitted (RNN Studio's preprocessor.json format). */
  preprocessor?: Record<string, unknown>;
  keras_version?: string;
}

export interface KerasArchive {
  config?: Buffer;
  /** The name of the weights entry (`model.weights.h5`), when there is one, and its bytes (HDF5). */
  weightsEntry?: string;
  weights?: Buffer;
  record?: KerasTrainingRecord;
}

/** Throws (with the ZIP problem) when the archive is damaged; a bad record is ignored, not fatal. */
export function readKerasArchive(zip: Buffer): KerasArchive {
  const entries = zipEntries(zip);
  const weightsEntry = entries.find((e) => e.name === 'model.weights.h5')?.name ?? entries.find((e) => /\.h5$/.test(e.name))?.name;
  let record: KerasTrainingRecord | undefined;
  if (entries.some((e) => e.name === TRAINING_RECORD_ENTRY)) {
    try {
      const parsed = JSON.parse(readZipEntry(zip, TRAINING_RECORD_ENTRY)!.toString('utf8'));
      if (parsed && parsed.format === 'rnn-studio-keras-training') record = parsed;
    } catch {
      record = undefined; // not ours, or damaged: the import goes on without it
    }
  }
  return { config: readZipEntry(zip, 'config.json'), weightsEntry, weights: weightsEntry ? readZipEntry(zip, weightsEntry) : undefined, record };
}
