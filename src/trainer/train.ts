import { parse } from 'jsonc-parser';
import * as path from 'node:path';
import type * as tfType from '@tensorflow/tfjs';
import { analyzeModel, estimateTrainingMemory, memoryProblem, ModelDocument, sizingProperty, tokenIdsMessage, trainingSettings, type ModelAnalysis } from '../core';
import { denormalize, labelEncodingForLoss, mulberry32, prepareData, type Matrix, type PreparedData, type SeriesPreprocessor } from '../data';
import type { FromTrainerMessage, Logs, RunSummary, TrainOverrides } from '../protocol/trainer';
import type { Backend, Tf } from './backend';
import { availableMemory } from '../runner/memory';
import { kernelsDescription } from './layers/fused/addon';
import { buildModel } from './builder';
import { trainingPrecision } from './precision';
import { kerasAdam } from './optimizers';
import { runsFolderProblem } from '../runner/runs';
import { runsRoot, writeRun } from './runFolder';

/** Errors the user can act on (bad model, bad data): reported as messages, not stack traces. */
export class UserError extends Error {
  constructor(
    message: string,
    readonly file?: string,
    readonly line?: number,
  ) {
    super(message);
  }
}

interface ModelFile {
  name?: string;
  input: { shape: (number | null)[]; dtype?: 'float32' | 'int32' };
  compile?: { optimizer?: string; learning_rate?: number; loss?: string; metrics?: string[] };
  data?: Record<string, unknown>;
  training?: {
    epochs?: number;
    batch_size?: number;
    validation_split?: number;
    shuffle?: boolean;
    seed?: number;
    memory_check?: boolean;
    early_stopping?: { monitor?: string; patience?: number; min_delta?: number; mode?: 'auto' | 'min' | 'max'; restore_best_weights?: boolean };
  };
}

/** The seed of a model file's splits, shuffles and initial weights: training.seed, else data.seed, else 1337. */
export function trainingSeed(file: ModelFile): number {
  return file.training?.seed ?? (file.data?.seed as number | undefined) ?? 1337;
}

/**
 * A model file's data prepared as training prepares it (paths relative to `modelDir`, the sample
 * cap and seed): evaluate and an imported run rebuild the same splits with it.
 */
export function prepareModelData(file: ModelFile, modelDir: string, maxSamples: number | undefined, seed: number): Promise<PreparedData> {
  return prepareData(file.data as never, {
    modelDir,
    inputShape: file.input.shape,
    labelEncoding: labelEncodingForLoss(file.compile?.loss),
    validationSplit: file.training?.validation_split ?? 0,
    maxSamples,
    seed,
  });
}

/** Reads and checks a model file the way training needs it. */
export function readModelFile(text: string, file: string): { model: ModelFile; analysis: ModelAnalysis } {
  const analysis = analyzeModel(text);
  const errors = analysis.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) {
    const first = errors[0];
    throw new UserError(`${file}:${first.range.start.line + 1}:${first.range.start.character + 1}: the model has ${errors.length} error${errors.length > 1 ? 's' : ''}; first: ${first.message}`, file, first.range.start.line + 1);
  }
  const model = parse(text) as ModelFile;
  if (!model.data) throw new UserError(`${file}: the model has no "data" section, so there is nothing to train on. Add one (for example { "source": "builtin", "dataset": "spam_assassin" }).`, file);
  return { model, analysis };
}

const LOSSES: Record<string, string> = {
  binary_crossentropy: 'binaryCrossentropy',
  categorical_crossentropy: 'categoricalCrossentropy',
  sparse_categorical_crossentropy: 'sparseCategoricalCrossentropy',
  mse: 'meanSquaredError',
  mean_squared_error: 'meanSquaredError',
  mae: 'meanAbsoluteError',
  mean_absolute_error: 'meanAbsoluteError',
};

const METRICS: Record<string, string> = {
  accuracy: 'accuracy',
  binary_accuracy: 'binaryAccuracy',
  categorical_accuracy: 'categoricalAccuracy',
  sparse_categorical_accuracy: 'sparseCategoricalAccuracy',
  mae: 'mae',
  mse: 'mse',
  precision: 'precision',
  recall: 'recall',
};

export function compileModel(tf: Tf, model: tfType.LayersModel, compile: ModelFile['compile'] = {}): string[] {
  const lr = compile.learning_rate ?? (compile.optimizer === 'sgd' ? 0.01 : 0.001); // Keras' defaults
  const optimizers: Record<string, () => tfType.Optimizer> = {
    adam: () => kerasAdam(tf, lr),
    rmsprop: () => tf.train.rmsprop(lr),
    sgd: () => tf.train.sgd(lr),
    adagrad: () => tf.train.adagrad(lr),
  };
  const optimizer = optimizers[compile.optimizer ?? 'adam'];
  if (!optimizer) throw new UserError(`The optimizer "${compile.optimizer}" is not available in the trainer yet; use adam, rmsprop, sgd or adagrad.`);
  const lossName = compile.loss ?? 'mse';
  const loss = lossName === 'huber' ? (y: tfType.Tensor, p: tfType.Tensor) => tf.losses.huberLoss(y, p) : LOSSES[lossName];
  if (!loss) throw new UserError(`The loss "${lossName}" is not available in the trainer yet.`);
  const metrics = (compile.metrics ?? []).filter((m) => METRICS[m]);
  model.compile({ optimizer: optimizer(), loss, metrics: metrics.map((m) => METRICS[m]) });
  return ['loss', ...metrics];
}

export function tensor(tf: Tf, m: Matrix): tfType.Tensor {
  return tf.tensor(m.data, m.shape, m.data instanceof Int32Array ? 'int32' : 'float32');
}

interface Tensors {
  x: tfType.Tensor;
  y: tfType.Tensor;
}

function named(names: string[], values: number | number[], prefix = ''): Logs {
  const list = Array.isArray(values) ? values : [values];
  return Object.fromEntries(list.map((v, i) => [`${prefix}${names[i]}`, v]));
}

export async function evaluateOn(model: tfType.LayersModel, split: Tensors, names: string[], batchSize: number, prefix = ''): Promise<Logs> {
  const result = model.evaluate(split.x, split.y, { batchSize }) as tfType.Scalar | tfType.Scalar[];
  const scalars = Array.isArray(result) ? result : [result];
  const values = await Promise.all(scalars.map(async (s) => (await s.data())[0]));
  scalars.forEach((s) => s.dispose());
  return named(names, values, prefix);
}

/** Early stopping as Keras does it: monitor, min_delta, patience, mode, restore_best_weights. */
class EarlyStopping {
  private best = Infinity;
  private wait = 0;
  bestEpoch = 0;
  bestWeights: tfType.Tensor[] | undefined;
  private readonly sign: number;

  constructor(
    private readonly config: NonNullable<NonNullable<ModelFile['training']>['early_stopping']>,
    readonly monitor = config.monitor ?? 'val_loss',
  ) {
    const mode = config.mode ?? 'auto';
    this.sign = mode === 'max' || (mode === 'auto' && /acc|auc|precision|recall/.test(this.monitor)) ? -1 : 1;
  }

  /** Returns [improved, stop]. */
  update(epoch: number, logs: Logs, model: tfType.LayersModel): [boolean, boolean] {
    const value = logs[this.monitor];
    if (value === undefined) throw new UserError(`early_stopping monitors "${this.monitor}", which this run does not log (it logs ${Object.keys(logs).join(', ')}).`);
    const current = this.sign * value;
    const minDelta = Math.abs(this.config.min_delta ?? 0);
    if (current < this.best - minDelta) {
      this.best = current;
      this.wait = 0;
      this.bestEpoch = epoch;
      if (this.config.restore_best_weights) {
        this.bestWeights?.forEach((t) => t.dispose());
        this.bestWeights = model.getWeights().map((w) => w.clone());
      }
      return [true, false];
    }
    this.wait++;
    return [false, this.wait >= (this.config.patience ?? 0)]; // Keras: stop once `patience` epochs brought nothing
  }

  restore(model: tfType.LayersModel): boolean {
    if (!this.bestWeights) return false;
    model.setWeights(this.bestWeights);
    return true;
  }

  dispose(): void {
    this.bestWeights?.forEach((t) => t.dispose());
  }
}

export interface TrainJob {
  modelPath: string;
  modelText: string;
  outDir?: string;
  overrides?: TrainOverrides;
}

/**
 * Trains one model and writes its run folder. `cancelled()` is polled between batches; a cancelled
 * run still saves what finished (the best weights so far when early stopping restores them).
 */
export async function train(job: TrainJob, backend: Backend, send: (m: FromTrainerMessage) => void, cancelled: () => boolean): Promise<RunSummary> {
  const { tf } = backend;
  const started = Date.now();
  const { model: file, analysis } = readModelFile(job.modelText, job.modelPath);
  const training = file.training ?? {};
  const epochs = job.overrides?.epochs ?? training.epochs ?? 10;
  const batchSize = job.overrides?.batchSize ?? training.batch_size ?? 32;
  const seed = trainingSeed(file);
  checkMemory(job, analysis, file, batchSize);
  const root = runsRoot(job.modelPath, analysis.name, job.outDir);
  const folderProblem = runsFolderProblem(root, job.outDir ? 'The output folder' : 'The runs folder');
  if (folderProblem) throw new UserError(folderProblem, job.outDir ? undefined : job.modelPath);
  const data = await prepareModelData(file, path.dirname(job.modelPath), job.overrides?.maxSamples, seed);
  send({ type: 'data', summary: data.summary });
  checkTokenIds(analysis, data, file, job.modelPath);

  const model = buildModel(tf, analysis, file.input.dtype ?? 'float32', { seed });
  const names = compileModel(tf, model, file.compile);
  const trainSet = { x: tensor(tf, data.train.x), y: tensor(tf, data.train.y) };
  const validation = data.validation && data.validation.x.shape[0] > 0 ? { x: tensor(tf, data.validation.x), y: tensor(tf, data.validation.y) } : undefined;
  const test = data.test && data.test.x.shape[0] > 0 ? { x: tensor(tf, data.test.x), y: tensor(tf, data.test.y) } : undefined;
  const n = data.train.x.shape[0];
  if (n === 0) throw new UserError('The training split is empty: the data source has no samples left after the test and validation splits.');
  const steps = Math.ceil(n / batchSize);
  const precision = trainingPrecision(analysis.dtypePolicy);
  if (precision.notice) send({ type: 'notice', message: precision.notice });
  send({ type: 'start', epochs, stepsPerEpoch: steps, params: model.countParams() });

  const earlyStopping = training.early_stopping ? new EarlyStopping(training.early_stopping) : undefined;
  const rng = mulberry32(seed); // shuffles are reproducible from training.seed
  const history: Logs[] = [];
  let stoppedEarly = false;
  let samplesSeen = 0;
  let trainingMs = 0;
  const order = Int32Array.from({ length: n }, (_, i) => i);
  try {
    for (let epoch = 1; epoch <= epochs && !cancelled(); epoch++) {
      const epochStart = Date.now();
      if (training.shuffle !== false) {
        for (let i = n - 1; i > 0; i--) {
          const j = Math.floor(rng() * (i + 1));
          [order[i], order[j]] = [order[j], order[i]];
        }
      }
      const sums = new Map<string, number>();
      let lastSent = 0;
      let step = 0;
      for (; step < steps; step++) {
        // tfjs resolves batches on microtasks only; yield so a cancel message can arrive.
        await new Promise((resolve) => setImmediate(resolve));
        if (cancelled()) break;
        const batch = order.subarray(step * batchSize, Math.min(n, (step + 1) * batchSize));
        const indices = tf.tensor1d(batch, 'int32');
        const xb = tf.gather(trainSet.x, indices);
        const yb = tf.gather(trainSet.y, indices);
        const values = await model.trainOnBatch(xb, yb);
        tf.dispose([indices, xb, yb]);
        const logs = named(names, values);
        // As Keras' TerminateOnNaN: a run whose loss is no longer a number is not worth saving.
        if (!Number.isFinite(logs.loss)) throw new UserError(nonFiniteLossMessage(logs.loss, epoch, epochs, step + 1, steps, job.modelPath), job.modelPath);
        for (const [k, v] of Object.entries(logs)) sums.set(k, (sums.get(k) ?? 0) + v * batch.length);
        samplesSeen += batch.length;
        const elapsed = trainingMs + (Date.now() - epochStart);
        const now = Date.now();
        if (now - lastSent > 100 || step === steps - 1) {
          lastSent = now;
          const seen = Math.min(n, (step + 1) * batchSize);
          const average = Object.fromEntries([...sums].map(([k, v]) => [k, v / seen]));
          const rate = samplesSeen / Math.max(elapsed / 1000, 1e-3);
          const remaining = (epochs - epoch) * n + (n - seen);
          send({ type: 'batch', epoch, step: step + 1, steps, logs: average, samplesPerSecond: rate, etaSeconds: remaining / Math.max(rate, 1e-3) });
        }
      }
      trainingMs += Date.now() - epochStart;
      if (step < steps) break; // cancelled mid-epoch: this epoch does not count
      const seen = n;
      const logs: Logs = Object.fromEntries([...sums].map(([k, v]) => [k, v / seen]));
      if (validation) Object.assign(logs, await evaluateOn(model, validation, names, batchSize, 'val_'));
      history.push(logs);
      const [improved, stop] = earlyStopping ? earlyStopping.update(epoch, logs, model) : [true, false];
      send({ type: 'epoch', epoch, logs, durationMs: Date.now() - epochStart, improved, tensors: tf.memory().numTensors });
      if (stop) {
        stoppedEarly = true;
        break;
      }
    }
    if (history.length === 0) throw new UserError('Training was cancelled before the first epoch finished; no run was saved.');
    const restored = earlyStopping?.restore(model) ?? false;
    const testMetrics = test ? await evaluateOn(model, test, names, batchSize) : undefined;
    if (test && testMetrics && data.kind === 'timeseries') Object.assign(testMetrics, await originalUnitsMae(tf, model, test, data));

    const summary: Omit<RunSummary, 'runDir'> = {
      epochs: history.length,
      bestEpoch: restored ? earlyStopping!.bestEpoch : undefined,
      stoppedEarly,
      cancelled: cancelled(),
      history,
      testMetrics,
      baseline: data.baseline,
      samplesPerSecond: samplesSeen / Math.max(trainingMs / 1000, 1e-3),
      durationMs: Date.now() - started,
      backend: backend.name,
      kernels: kernelsDescription(),
      dtypePolicy: analysis.dtypePolicy,
      compute: precision.compute,
    };
    // What evaluate and predict need to rebuild the same data: the model's folder and the caps used.
    const provenance = { modelPath: job.modelPath, maxSamples: job.overrides?.maxSamples, seed };
    const runDir = await writeRun(root, tf, model, {
      preprocessor: data.preprocessor,
      history,
      modelText: job.modelText,
      metrics: { ...summary, history: undefined, labels: data.labels, dataSummary: data.summary, names, ...provenance },
    });
    return { ...summary, runDir };
  } finally {
    earlyStopping?.dispose();
    tf.dispose([trainSet.x, trainSet.y, ...(validation ? [validation.x, validation.y] : []), ...(test ? [test.x, test.y] : [])]);
    model.dispose();
  }
}

/** Token ids the data holds against the first Embedding's table, before the model is built (what analysis cannot know: the user's own files). */
function checkTokenIds(analysis: ModelAnalysis, data: PreparedData, file: ModelFile, modelPath: string): void {
  const embedding = analysis.layers[0];
  const inputDim = embedding?.config.input_dim;
  if (embedding?.type !== 'Embedding' || typeof inputDim !== 'number') return;
  let maxId = -1;
  for (const split of [data.train, data.validation, data.test]) {
    if (!split || !(split.x.data instanceof Int32Array)) continue;
    for (const id of split.x.data) if (id > maxId) maxId = id;
  }
  if (maxId < inputDim) return;
  const allWords = file.data?.num_words === undefined;
  const why = `the prepared data holds token ids up to ${maxId.toLocaleString('en-US')}${allWords ? ' (data.num_words is not set, so the tokenizer keeps every word)' : ''}`;
  const advice = allWords ? `Set data.num_words to ${inputDim} (the most frequent words), or "input_dim": ${maxId + 1}.` : `Set "input_dim": ${maxId + 1}.`;
  throw new UserError(`${modelPath}: ${tokenIdsMessage(embedding.name, embedding.path, inputDim, why, advice)}`, modelPath);
}

export function nonFiniteLossMessage(loss: number, epoch: number, epochs: number, step: number, steps: number, modelPath: string): string {
  return `${modelPath}: the loss became ${loss} at epoch ${epoch}/${epochs}, batch ${step}/${steps}; training stopped there (as Keras' TerminateOnNaN) and no run was saved. Usual causes: a learning_rate too high for the data, non-finite or very large values in the data (normalize them), or a loss that does not fit the output layer.`;
}

/**
 * Refuses, before any data or weight is allocated, a model whose training would not fit in the memory
 * available here (the cgroup limit or the machine's memory; 4 GiB on the portable kernels).
 */
function checkMemory(job: TrainJob, analysis: ModelAnalysis, file: ModelFile, batchSize: number): void {
  if (job.overrides?.memoryCheck === false || file.training?.memory_check === false) return;
  const estimate = estimateTrainingMemory(analysis.layers, trainingSettings(file as unknown as Record<string, unknown>, batchSize));
  const portable = kernelsDescription().startsWith('portable');
  const problem = memoryProblem(estimate, availableMemory(), portable, analysis.layers);
  if (!problem) return;
  // Point at the property that sizes the largest layer (its units), else at the layer.
  const layer = estimate.largest && analysis.layers[estimate.largest.index];
  const property = layer && sizingProperty(layer);
  const doc = new ModelDocument(job.modelText);
  const node = layer && property ? doc.node([...layer.path, ...property.path.split('.')]) : undefined;
  const start = node ? doc.propertyRange(node).start : layer?.range.start;
  const where = start ? `${job.modelPath}:${start.line + 1}:${start.character + 1}` : job.modelPath;
  throw new UserError(`${where}: ${problem}`, job.modelPath, start && start.line + 1);
}

/** A forecaster's test MAE back in the target's own units (degrees, not z-scores). */
export async function originalUnitsMae(tf: Tf, model: tfType.LayersModel, test: Tensors, data: PreparedData): Promise<Logs> {
  const predicted = tf.tidy(() => model.predict(test.x) as tfType.Tensor);
  const [p, y] = [await predicted.data(), await test.y.data()];
  predicted.dispose();
  const preprocessor = data.preprocessor as SeriesPreprocessor;
  const pp = denormalize(preprocessor, p as Float32Array);
  const yy = denormalize(preprocessor, y as Float32Array);
  const mae = pp.reduce((s, v, i) => s + Math.abs(v - yy[i]), 0) / pp.length;
  return { mae_original_units: mae };
}
