import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import * as path from 'node:path';
import { parse } from 'jsonc-parser';
import { analyzeModel, isRecurrentType } from '../core';
import type { Logs } from '../protocol/trainer';
import type { RunInfo } from '../protocol/training';

/**
 * The run folders of a model: `runs/<model-name>/<timestamp>/` beside the model file. The layout is
 * written by the trainer and read here (the CLI and the extension list, compare and delete runs).
 */

export const RUN_FILES = {
  model: 'model.json',
  weights: 'weights.bin',
  preprocessor: 'preprocessor.json',
  history: 'history.json',
  modelFile: 'model.rnn.json',
  metrics: 'metrics.json',
} as const;

export function runsRoot(modelPath: string, modelName: string, outDir?: string): string {
  return outDir ?? path.join(path.dirname(modelPath), 'runs', modelName.replace(/[^\w.-]+/g, '_'));
}

/**
 * Why runs cannot be written under `dir` (a file in the way, no permission), or undefined when
 * they can: checked before training, so that a run is never trained only to fail when saved.
 * `what` names the folder in the message (`--out`, `the runs folder`).
 */
export function runsFolderProblem(dir: string, what: string): string | undefined {
  // The folder itself when it exists, else its nearest existing ancestor (mkdir -p creates the rest).
  for (let p = path.resolve(dir); ; p = path.dirname(p)) {
    let isDirectory: boolean;
    try {
      isDirectory = statSync(p).isDirectory();
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if ((code === 'ENOENT' || code === 'ENOTDIR') && path.dirname(p) !== p) continue;
      return `${what} ${dir} cannot be used: ${code === 'EACCES' ? 'permission denied' : (e as Error).message}.`;
    }
    if (!isDirectory) return p === path.resolve(dir) ? `${what} ${dir} is a file, not a folder; name a folder (it is created when missing).` : `${what} ${dir} cannot be created: ${p} is a file, not a folder.`;
    try {
      accessSync(p, constants.W_OK | constants.X_OK);
    } catch {
      return `${what} ${dir} cannot be written: ${p === path.resolve(dir) ? 'the folder' : `its parent ${p}`} is not writable.`;
    }
    return undefined;
  }
}

/** Why `runDir` is not a complete run folder (a missing file names itself), or undefined when it is one. */
export function runFolderProblem(runDir: string): string | undefined {
  const missing = Object.values(RUN_FILES).find((name) => !existsSync(path.join(runDir, name)));
  return missing ? `${runDir} is not a run folder of RNN Studio (no ${missing}).` : undefined;
}

interface MetricsFile {
  epochs: number;
  /** The `.keras` file a run was imported from (`rnn-studio import`). */
  importedFrom?: string;
  bestEpoch?: number;
  stoppedEarly: boolean;
  cancelled: boolean;
  testMetrics?: Logs;
  baseline?: { name: string; mae: number };
  backend: string;
  samplesPerSecond: number;
  durationMs: number;
}

/** Finished runs, newest first; folders that are not complete runs (a crash, a partial write) are skipped. */
export async function listRuns(root: string): Promise<RunInfo[]> {
  const names = await readdir(root).catch(() => [] as string[]);
  const runs = await Promise.all(
    names
      .filter((n) => !n.startsWith('.'))
      .map(async (id): Promise<RunInfo | undefined> => {
        const dir = path.join(root, id);
        try {
          const [metrics, history, modelText] = await Promise.all([
            readFile(path.join(dir, RUN_FILES.metrics), 'utf8').then((t) => JSON.parse(t) as MetricsFile),
            readFile(path.join(dir, RUN_FILES.history), 'utf8').then((t) => JSON.parse(t) as Logs[]),
            readFile(path.join(dir, RUN_FILES.modelFile), 'utf8'),
          ]);
          const analysis = analyzeModel(modelText);
          const file = (parse(modelText) ?? {}) as { compile?: { optimizer?: string; learning_rate?: number; loss?: string }; training?: { batch_size?: number } };
          return {
            id,
            date: idToDate(id),
            epochs: metrics.epochs,
            bestEpoch: metrics.bestEpoch,
            stoppedEarly: metrics.stoppedEarly,
            cancelled: metrics.cancelled,
            history,
            testMetrics: metrics.testMetrics,
            baseline: metrics.baseline,
            backend: metrics.backend,
            samplesPerSecond: metrics.samplesPerSecond,
            durationMs: metrics.durationMs,
            importedFrom: metrics.importedFrom ? path.basename(metrics.importedFrom) : undefined,
            settings: {
              cells: analysis.layers.flatMap((l) => (isRecurrentType(l.type) ? [l.type] : l.inner && isRecurrentType(l.inner.type) ? [`Bidirectional(${l.inner.type})`] : [])),
              params: analysis.totalParams,
              optimizer: file.compile?.optimizer ?? 'adam',
              learningRate: file.compile?.learning_rate ?? 0.001,
              batchSize: file.training?.batch_size ?? 32,
              loss: file.compile?.loss ?? 'mse',
            },
          };
        } catch {
          return undefined;
        }
      }),
  );
  return runs.filter((r): r is RunInfo => !!r).sort((a, b) => b.id.localeCompare(a.id));
}

/** `2026-11-21T05-58-51-609Z` -> `2026-11-21T05:58:51.609Z`. */
function idToDate(id: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2})-(\d{2})-(\d{2})-(\d{3})Z/.exec(id);
  return m ? `${m[1]}T${m[2]}:${m[3]}:${m[4]}.${m[5]}Z` : id;
}

/** Deletes one run; refuses anything that is not a run folder directly under `root`. */
export async function deleteRun(root: string, id: string): Promise<void> {
  const dir = path.resolve(root, id);
  if (path.dirname(dir) !== path.resolve(root) || id.startsWith('.')) throw new Error(`Not a run of this model: ${id}`);
  await readFile(path.join(dir, RUN_FILES.metrics)); // must be a run
  await rm(dir, { recursive: true, force: true });
}
