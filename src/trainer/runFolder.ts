import { rmSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import type * as tfType from '@tensorflow/tfjs';
import { RUN_FILES } from '../runner/runs';
import type { Tf } from './backend';

export { RUN_FILES, runsRoot } from '../runner/runs';

/**
 * A run folder: `runs/<model-name>/<timestamp>/` beside the model file, holding the trained
 * model in the TF.js layers format (model.json + weights.bin), the preprocessor, the history,
 * the exact model file used and the metrics. Written to a hidden temporary folder first and
 * renamed into place, so a crash or a cancel never leaves half a run behind.
 */

/** Temporary folders being written now: removed when the process must end at once (see `removePartialRuns`). */
const partial = new Set<string>();

/** Removes every run folder still being written; for a trainer that must exit now (its parent went away, a second Ctrl-C). */
export function removePartialRuns(): void {
  for (const dir of partial) rmSync(dir, { recursive: true, force: true });
  partial.clear();
}

/** Temporary run folders left by trainers that no longer run (killed outright while saving): removed by the next run. */
async function removeAbandonedRuns(root: string): Promise<void> {
  const names = await readdir(root).catch(() => [] as string[]);
  for (const name of names) {
    const pid = Number(/^\..*\.(\d+)\.partial$/.exec(name)?.[1]);
    if (pid && pid !== process.pid && !processAlive(pid)) await rm(path.join(root, name), { recursive: true, force: true });
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // alive, another user's
  }
}

export class RunWriter {
  readonly finalDir: string;
  private readonly tempDir: string;

  constructor(root: string, stamp = new Date().toISOString().replace(/[:.]/g, '-')) {
    this.finalDir = path.join(root, stamp);
    this.tempDir = path.join(root, `.${stamp}.${process.pid}.partial`);
  }

  async begin(): Promise<void> {
    partial.add(this.tempDir);
    await removeAbandonedRuns(path.dirname(this.tempDir));
    await mkdir(this.tempDir, { recursive: true });
  }

  async writeJson(name: string, value: unknown): Promise<void> {
    await writeFile(path.join(this.tempDir, name), JSON.stringify(value, null, 2) + '\n');
  }

  async writeText(name: string, text: string): Promise<void> {
    await writeFile(path.join(this.tempDir, name), text);
  }

  /** Saves the model in the TF.js layers format without needing tfjs-node's file:// handler. */
  async writeModel(tf: Tf, model: tfType.LayersModel): Promise<void> {
    await model.save(
      tf.io.withSaveHandler(async (artifacts) => {
        const weights = artifacts.weightData ? Buffer.from(tf.io.CompositeArrayBuffer.join(artifacts.weightData)) : Buffer.alloc(0);
        await writeFile(path.join(this.tempDir, RUN_FILES.weights), weights);
        await this.writeJson(RUN_FILES.model, {
          format: 'layers-model',
          generatedBy: artifacts.generatedBy,
          convertedBy: 'RNN Studio',
          modelTopology: artifacts.modelTopology,
          weightsManifest: [{ paths: [RUN_FILES.weights], weights: artifacts.weightSpecs }],
        });
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
  }

  /** Moves the finished run into place. */
  async commit(): Promise<string> {
    await rename(this.tempDir, this.finalDir);
    partial.delete(this.tempDir);
    return this.finalDir;
  }

  async abandon(): Promise<void> {
    await rm(this.tempDir, { recursive: true, force: true });
    partial.delete(this.tempDir);
  }
}

/**
 * Writes a whole run (the model and its weights, the data's preprocessing, the history, the model
 * file's text and the metrics) into a new folder under `root`, moved into place only when all of it
 * is written. Returns the run's folder.
 */
export async function writeRun(root: string, tf: Tf, model: tfType.LayersModel, run: { preprocessor: unknown; history: unknown; modelText: string; metrics: Record<string, unknown> }): Promise<string> {
  const writer = new RunWriter(root);
  await writer.begin();
  try {
    await writer.writeModel(tf, model);
    await writer.writeJson(RUN_FILES.preprocessor, run.preprocessor);
    await writer.writeJson(RUN_FILES.history, run.history);
    await writer.writeText(RUN_FILES.modelFile, run.modelText);
    await writer.writeJson(RUN_FILES.metrics, run.metrics);
    return await writer.commit();
  } catch (e) {
    await writer.abandon();
    throw e;
  }
}

export async function loadRunModel(tf: Tf, runDir: string): Promise<tfType.LayersModel> {
  const json = JSON.parse(await readFile(path.join(runDir, RUN_FILES.model), 'utf8'));
  const weights = await readFile(path.join(runDir, RUN_FILES.weights));
  return tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest[0].weights,
      weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
    }),
  );
}

export async function readRunJson<T>(runDir: string, name: string): Promise<T> {
  return JSON.parse(await readFile(path.join(runDir, name), 'utf8')) as T;
}
