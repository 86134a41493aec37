import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { readKerasArchive } from '../interop/kerasArchive';
import type { Logs } from '../protocol/trainer';
import { runsFolderProblem } from '../runner/runs';
import type { Backend } from './backend';
import { buildModel } from './builder';
import { setKerasWeights } from './layers/keras-weights';
import { readKerasWeights } from './kerasWeightsFile';
import { runsRoot, writeRun } from './runFolder';
import { compileModel, evaluateOn, originalUnitsMae, prepareModelData, readModelFile, tensor, trainingSeed, UserError } from './train';

export interface ImportedWeights {
  runDir: string;
  testMetrics?: Logs;
  kerasTestMetrics?: Logs;
  notes: string[];
}

/**
 * A `.keras` archive's trained weights -> a run folder of the imported model, in the layout the
 * trainer writes (runs/<model>/<time>/ beside the model file), so that evaluate, predict, the memory
 * view and Compare treat it as any run. The data are prepared as for training the model file, with
 * the sample cap and seed the archive records, and the run is evaluated on its test split here.
 */
export async function importKerasWeights(job: { modelPath: string; modelText: string; kerasFile: string }, backend: Backend): Promise<ImportedWeights> {
  const { tf } = backend;
  const started = Date.now();
  const where = job.kerasFile;
  const archive = await readFile(job.kerasFile).then(readKerasArchive, (e: Error) => {
    throw new UserError(`cannot read ${where}: ${e.message}`, where);
  }).catch((e: Error) => {
    throw e instanceof UserError ? e : new UserError(`${where}: ${e.message}`, where);
  });
  const record = archive.record;
  const h5 = archive.weights;
  if (!h5) throw new UserError(`${where} has no trained weights (no model.weights.h5 in the archive): there is nothing to import as a run.`, where);
  const { model: file, analysis } = readModelFile(job.modelText, job.modelPath);
  const root = runsRoot(job.modelPath, analysis.name);
  const folderProblem = runsFolderProblem(root, 'The runs folder');
  if (folderProblem) throw new UserError(folderProblem, job.modelPath);

  const weights = (() => {
    try {
      return readKerasWeights(h5, analysis.layers, where);
    } catch (e) {
      throw new UserError((e as Error).message, where);
    }
  })();

  // The seeds as training this model file would use them: evaluate rebuilds the same split from them.
  const seed = trainingSeed(file);
  const maxSamples = typeof record?.max_samples === 'number' ? record.max_samples : undefined;
  const data = await prepareModelData(file, path.dirname(job.modelPath), maxSamples, seed);
  const notes: string[] = [];
  const theirs = (record?.preprocessor as { tokenizer?: { vocabulary?: unknown } } | undefined)?.tokenizer?.vocabulary;
  const ours = (data.preprocessor as { tokenizer?: { vocabulary?: unknown } }).tokenizer?.vocabulary;
  if (theirs !== undefined && JSON.stringify(theirs) !== JSON.stringify(ours)) {
    notes.push(`The tokenizer fitted here differs from the one train.py recorded in ${path.basename(where)} (other data files?), so token ids may not mean what the weights learned.`);
  }

  const model = buildModel(tf, analysis, file.input.dtype ?? 'float32', { seed });
  const test = data.test && data.test.x.shape[0] > 0 ? { x: tensor(tf, data.test.x), y: tensor(tf, data.test.y) } : undefined;
  try {
    try {
      setKerasWeights(tf, model, weights);
    } catch (e) {
      throw new UserError(`${where}: the trained weights do not match the model's architecture: ${(e as Error).message}`, where);
    }
    const names = compileModel(tf, model, file.compile);
    const batchSize = file.training?.batch_size ?? 32;
    const testMetrics = test ? await evaluateOn(model, test, names, batchSize) : undefined;
    if (test && testMetrics && data.kind === 'timeseries') Object.assign(testMetrics, await originalUnitsMae(tf, model, test, data));
    const history = (record?.history ?? []).map((logs) => Object.fromEntries(Object.entries(logs).filter(([, v]) => typeof v === 'number')));
    const runDir = await writeRun(root, tf, model, {
      preprocessor: data.preprocessor,
      history,
      modelText: job.modelText,
      metrics: {
        epochs: history.length,
        stoppedEarly: false,
        cancelled: false,
        testMetrics,
        baseline: data.baseline,
        backend: `Keras ${record?.keras_version ?? ''}`.trim(),
        samplesPerSecond: 0,
        durationMs: Date.now() - started,
        labels: data.labels,
        dataSummary: data.summary,
        names,
        // Where the weights came from, and what Keras measured with them.
        importedFrom: path.resolve(job.kerasFile),
        kerasTestMetrics: record?.test_metrics,
        // What evaluate and predict need to rebuild the same data (as a trained run's).
        modelPath: job.modelPath,
        maxSamples,
        seed,
      },
    });
    return { runDir, testMetrics, kerasTestMetrics: record?.test_metrics, notes };
  } finally {
    if (test) tf.dispose([test.x, test.y]);
    model.dispose();
  }
}
