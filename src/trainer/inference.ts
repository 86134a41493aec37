import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import type * as tfType from '@tensorflow/tfjs';
import { denormalize, encodeTexts, readSeriesRows, seriesInput, type Preprocessor, type TextPreprocessor, type SeriesPreprocessor } from '../data';
import type { Logs, Prediction } from '../protocol/trainer';
import type { Backend } from './backend';
import { registerCustomLayers } from './builder';
import { runFolderProblem } from '../runner/runs';
import { loadRunModel, readRunJson, RUN_FILES } from './runFolder';
import { compileModel, prepareModelData, readModelFile, trainingSeed, UserError } from './train';

/** Evaluate and predict with a finished run folder. */

export interface RunMetrics {
  labels?: string[];
  modelPath?: string;
  maxSamples?: number;
  seed?: number;
}

export type OpenedRun = Awaited<ReturnType<typeof openRun>>;

export async function openRun(backend: Backend, runDir: string) {
  const problem = runFolderProblem(runDir);
  if (problem) throw new UserError(problem, runDir);
  const modelText = await readFile(path.join(runDir, RUN_FILES.modelFile), 'utf8');
  registerCustomLayers(backend.tf);
  const model = await loadRunModel(backend.tf, runDir);
  const preprocessor = await readRunJson<Preprocessor>(runDir, RUN_FILES.preprocessor);
  const metrics = await readRunJson<RunMetrics>(runDir, RUN_FILES.metrics);
  return { runDir, modelText, model, preprocessor, metrics, labels: metrics.labels };
}

/** The run's test split (else validation), rebuilt exactly as in training: same files, seed and cap. */
export async function heldOutSplit(run: OpenedRun) {
  const { model: file } = readModelFile(run.modelText, path.join(run.runDir, RUN_FILES.modelFile));
  // Paths in `data` are relative to the trained model file (older runs: three folders up).
  const modelDir = run.metrics.modelPath ? path.dirname(run.metrics.modelPath) : path.resolve(run.runDir, '..', '..', '..');
  const data = await prepareModelData(file, modelDir, run.metrics.maxSamples, run.metrics.seed ?? trainingSeed(file));
  const split = data.test ?? data.validation;
  if (!split) throw new UserError('This run has no test or validation split: set data.test_split or data.test_path.');
  return { file, split };
}

export async function evaluateRun(backend: Backend, runDir: string): Promise<Logs> {
  const { tf } = backend;
  const run = await openRun(backend, runDir);
  const model = run.model;
  try {
    const { file, split } = await heldOutSplit(run);
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
    const rows = readSeriesRows(seriesFile, preprocessor as SeriesPreprocessor);
    const x = seriesInput(preprocessor as SeriesPreprocessor, rows);
    const output = tf.tidy(() => model.predict(tf.tensor(x.data, x.shape, 'float32')) as tfType.Tensor);
    const forecast = denormalize(preprocessor as SeriesPreprocessor, await output.data() as Float32Array);
    output.dispose();
    return [{ input: seriesFile, forecast }];
  } finally {
    model.dispose();
  }
}
