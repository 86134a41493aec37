import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import type * as tfType from '@tensorflow/tfjs';
import { encodeTexts, prepareData, seriesInput, denormalize, type Preprocessor, type TextPreprocessor, type SeriesPreprocessor } from '../data';
import type { Logs, Prediction } from '../protocol/trainer';
import type { Backend } from './backend';
import { registerCustomLayers } from './builder';
import { loadRunModel, readRunJson, RUN_FILES } from './runFolder';
import { compileModel, labelEncoding, readModelFile, UserError } from './train';

/** Evaluate and predict with a finished run folder. */

export interface RunMetrics {
  labels?: string[];
  modelPath?: string;
  maxSamples?: number;
  seed?: number;
}

export type OpenedRun = Awaited<ReturnType<typeof openRun>>;

export async function openRun(backend: Backend, runDir: string) {
  const modelText = await readFile(path.join(runDir, RUN_FILES.modelFile), 'utf8').catch(() => {
    throw new UserError(`${runDir} is not a run folder of RNN Studio (no ${RUN_FILES.modelFile}).`, runDir);
  });
  registerCustomLayers(backend.tf);
  const model = await loadRunModel(backend.tf, runDir);
  const preprocessor = await readRunJson<Preprocessor>(runDir, RUN_FILES.preprocessor);
  const metrics = await readRunJson<RunMetrics>(runDir, RUN_FILES.metrics);
  return { runDir, modelText, model, preprocessor, metrics, labels: metrics.labels };
}

export async function evaluateRun(backend: Backend, runDir: string): Promise<Logs> {
  const { tf } = backend;
  const { modelText, model, metrics } = await openRun(backend, runDir);
  try {
    const { model: file } = readModelFile(modelText, path.join(runDir, RUN_FILES.modelFile));
    // The same data as in training: paths relative to the trained model file, the same seed and cap.
    const modelDir = metrics.modelPath ? path.dirname(metrics.modelPath) : path.resolve(runDir, '..', '..', '..');
    const data = await prepareData(file.data as never, {
      modelDir,
      inputShape: file.input.shape,
      labelEncoding: labelEncoding(file.compile?.loss),
      validationSplit: file.training?.validation_split ?? 0,
      maxSamples: metrics.maxSamples,
      seed: metrics.seed ?? file.training?.seed ?? (file.data?.seed as number | undefined) ?? 1337,
    });
    const split = data.test ?? data.validation;
    if (!split) throw new UserError('This run has no test or validation split to evaluate on: set data.test_split or data.test_path.');
    const names = compileModel(tf, model, file.compile);
    const x = tf.tensor(split.x.data, split.x.shape, split.x.data instanceof Int32Array ? 'int32' : 'float32');
    const y = tf.tensor(split.y.data, split.y.shape, split.y.data instanceof Int32Array ? 'int32' : 'float32');
    try {
      const result = model.evaluate(x, y, { batchSize: 64 }) as tfType.Scalar | tfType.Scalar[];
      const scalars = Array.isArray(result) ? result : [result];
      const values = scalars.map((s) => s.dataSync()[0]);
      tf.dispose(scalars);
      return Object.fromEntries(values.map((v, i) => [names[i], v]));
    } finally {
      tf.dispose([x, y]);
    }
  } finally {
    model.dispose();
  }
}

export async function predictRun(backend: Backend, runDir: string, texts: string[] = [], seriesFile?: string): Promise<Prediction[]> {
  const { tf } = backend;
  const { model, preprocessor, labels } = await openRun(backend, runDir);
  try {
    if (preprocessor.kind === 'text') {
      if (texts.length === 0) throw new UserError('Give the text to classify, e.g. rnn-studio predict RUN "free money now".');
      const x = encodeTexts(preprocessor as TextPreprocessor, texts);
      const output = tf.tidy(() => model.predict(tf.tensor(x.data, x.shape, 'int32')) as tfType.Tensor);
      const values = await output.array() as number[][];
      output.dispose();
      return texts.map((input, i) => {
        const row = values[i];
        const probabilities = row.length === 1 ? [1 - row[0], row[0]] : row;
        const best = probabilities.indexOf(Math.max(...probabilities));
        return { input, probabilities, labels, label: labels?.[best] ?? String(best) };
      });
    }
    if (!seriesFile) throw new UserError('Give a CSV file with the latest rows of the series: rnn-studio predict RUN --series FILE.');
    const text = await readFile(seriesFile, 'utf8').catch(() => {
      throw new UserError(`Cannot read ${seriesFile}.`, seriesFile);
    });
    const rows = (parseCsv(text, { columns: true, skip_empty_lines: true }) as Record<string, string>[]).map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Number(v)])));
    const x = seriesInput(preprocessor as SeriesPreprocessor, rows);
    const output = tf.tidy(() => model.predict(tf.tensor(x.data, x.shape, 'float32')) as tfType.Tensor);
    const forecast = denormalize(preprocessor as SeriesPreprocessor, await output.data() as Float32Array);
    output.dispose();
    return [{ input: seriesFile, forecast }];
  } finally {
    model.dispose();
  }
}
