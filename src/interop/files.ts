import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { exportKeras, type ExportKerasResult } from './exportKeras';
import { importModel, weightsLeftBehind, type ImportKind, type ImportResult } from './importModel';
import { readKerasArchive, type KerasArchive, type KerasTrainingRecord } from './kerasArchive';

/**
 * The file side of Keras interop, for the CLI and the extension: reading a `.keras` archive or a
 * model JSON to import, and exporting a model file (with a run folder) to a script.
 */

export class InteropFileError extends Error {}

/** What to import from a file: a `.keras` archive's config.json (with its weights and training record), or the JSON file itself. */
export async function readImportSource(file: string): Promise<{ text: string; kind?: ImportKind; weights?: string; record?: KerasTrainingRecord }> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (e) {
    throw new InteropFileError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  if (bytes.length >= 4 && bytes.readUInt32LE(0) === 0x04034b50) {
    let archive: KerasArchive;
    try {
      archive = readKerasArchive(bytes);
    } catch (e) {
      throw new InteropFileError(`${file}: ${(e as Error).message}`);
    }
    if (!archive.config) throw new InteropFileError(`${file} is a ZIP archive without config.json, so not a Keras 3 .keras file.`);
    return { text: archive.config.toString('utf8'), kind: 'keras-archive-config', weights: archive.weightsEntry, record: archive.record };
  }
  if (/\.(h5|hdf5)$/i.test(file)) throw new InteropFileError(`${file}: HDF5 (.h5) models cannot be read; in Python, save the model as .keras or write model.to_json() to a file.`);
  return { text: bytes.toString('utf8').replace(/^\ufeff/, '') };
}

export interface FileImportResult extends ImportResult {
  /**
   * The archive's trained weights, to import as a run of the new model file (a trainer job,
   * `importWeights`): set when the archive has weights and records the data they were trained on.
   */
  weights?: { entry: string; kerasFile: string };
}

/**
 * Imports a model file. A `.keras` archive saved by an exported project's train.py records its
 * data and training settings (rnn-studio.json): they become the model's `data` and `training`
 * sections, and its weights can become a run. Other archives' weights are said to stay behind.
 */
export async function importFile(file: string, kind?: ImportKind): Promise<FileImportResult> {
  const source = await readImportSource(file);
  const record = source.record;
  const result: FileImportResult = importModel(source.text, kind ?? source.kind, record ? { data: record.data, training: record.training } : undefined);
  if (source.kind === 'keras-archive-config' && !source.weights && result.modelText) {
    result.notes = [...(result.notes ?? []), `${path.basename(file)} has no trained weights (no model.weights.h5 in the archive): only the architecture and settings were imported.`];
  }
  if (source.weights && result.modelText) {
    if (record?.data) result.weights = { entry: source.weights, kerasFile: file };
    else result.notes = [...(result.notes ?? []), weightsLeftBehind(`${source.weights} in ${path.basename(file)}`, 'the archive does not record the data they were trained on (the train.py of a project exported by RNN Studio records it)')];
  }
  return result;
}

/** The folder of the installed RNN Studio package (its node_modules hold the built-in data sets). */
export function packageRoot(from = __dirname): string | undefined {
  let dir = from;
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if (JSON.parse(readFileSync(pkg, 'utf8')).name === 'rnn-studio') return dir;
      } catch {
        // not ours: keep looking
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

export interface ExportFileOptions {
  /** A run folder of the model: its weights and settings go into the project's run/. */
  runDir?: string;
  /** The project folder to write. */
  outDir: string;
  /** Write into an existing, non-empty folder. */
  force?: boolean;
  /** The model's text when it differs from the file (an editor with unsaved changes). */
  modelText?: string;
}

export interface ExportProjectResult extends ExportKerasResult {
  outDir: string;
}

/** What of a run's metrics.json goes with its weights: what produced them, no path of this machine. */
interface RunMetricsFile {
  maxSamples?: number;
  seed?: number;
  epochs?: number;
  testMetrics?: Record<string, number>;
  backend?: string;
}

/**
 * Reads a model file (and a run folder) and writes the Keras project folder: train.py,
 * requirements.txt, README.md, data/ and run/. Throws InteropFileError (nothing written) when an
 * input cannot be read or the folder is in the way; the model's own problems are diagnostics.
 */
export async function exportKerasProject(modelPath: string, options: ExportFileOptions): Promise<ExportProjectResult> {
  let modelText = options.modelText;
  try {
    modelText ??= await readFile(modelPath, 'utf8');
  } catch (e) {
    throw new InteropFileError(`cannot read ${modelPath}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  let runModelJson: string | undefined;
  let runMetrics: RunMetricsFile = {};
  if (options.runDir) {
    try {
      runModelJson = await readFile(path.join(options.runDir, 'model.json'), 'utf8');
    } catch {
      throw new InteropFileError(`${options.runDir} is not a run folder of RNN Studio (no model.json).`);
    }
    runMetrics = await readFile(path.join(options.runDir, 'metrics.json'), 'utf8').then((t) => JSON.parse(t) as RunMetricsFile, () => ({}));
  }
  const result = exportKeras(modelText, { modelPath, runModelJson, runMaxSamples: runMetrics.maxSamples });
  const outDir = options.outDir;
  if (!result.code) return { ...result, outDir };
  if (existsSync(outDir) && (await readdir(outDir)).length > 0 && !options.force) {
    throw new InteropFileError(`${outDir} exists and is not empty; pass --force to write into it, or --out another folder.`);
  }
  // Sources first: a missing data file is a diagnostic, and the project is still written.
  const modelDir = path.dirname(path.resolve(modelPath));
  const copies: { from: string; to: string }[] = [];
  for (const copy of result.dataCopies) {
    const from = copy.builtin ? builtinDataFile(copy.source) : path.resolve(modelDir, copy.source);
    if (from && existsSync(from)) copies.push({ from, to: path.join(outDir, 'data', copy.target) });
    else result.diagnostics.push(copy.builtin
      ? `error data-missing at ${copy.key}: the built-in data file ${copy.source} was not found (run npm run build in RNN Studio's folder); train.py expects it in data/.`
      : `error data-missing at ${copy.key}: ${from} does not exist; train.py expects it at data/${copy.target} (or pass --data-dir).`);
  }
  try {
    await mkdir(path.join(outDir, 'data'), { recursive: true });
    await writeFile(path.join(outDir, 'train.py'), result.code);
    await writeFile(path.join(outDir, 'requirements.txt'), result.requirements);
    await writeFile(path.join(outDir, 'README.md'), result.readme);
    for (const c of copies) await cp(c.from, c.to, { recursive: true, force: true });
    if (options.runDir) await copyRun(options.runDir, path.join(outDir, 'run'), runModelJson!, runMetrics);
  } catch (e) {
    throw new InteropFileError(`cannot write ${outDir}: ${(e as Error).message}`);
  }
  return { ...result, outDir };
}

/** The run's weights (the TF.js layers format), its preprocessor and the settings that produced them. */
async function copyRun(runDir: string, target: string, modelJson: string, metrics: RunMetricsFile): Promise<void> {
  await mkdir(target, { recursive: true });
  const manifest = (JSON.parse(modelJson) as { weightsManifest?: { paths?: string[] }[] }).weightsManifest ?? [];
  const files = ['model.json', 'preprocessor.json', 'history.json', ...manifest.flatMap((g) => g.paths ?? [])];
  for (const f of files) if (existsSync(path.join(runDir, f))) await cp(path.join(runDir, f), path.join(target, f));
  const settings = {
    run: path.basename(runDir),
    max_samples: metrics.maxSamples ?? null,
    seed: metrics.seed ?? null,
    epochs: metrics.epochs ?? null,
    backend: metrics.backend ?? null,
    test_metrics: metrics.testMetrics ?? null,
  };
  await writeFile(path.join(target, 'settings.json'), JSON.stringify(settings, null, 2) + '\n');
}

/** A built-in data file in the compact form RNN Studio ships (dist/data of the installed package). */
function builtinDataFile(name: string): string | undefined {
  const root = packageRoot();
  return root ? path.join(root, 'dist', 'data', name) : undefined;
}

/** `examples/spam-lstm.rnn.json` -> `examples/spam-lstm-keras`. */
export function defaultProjectDir(modelPath: string): string {
  return path.join(path.dirname(modelPath), `${path.basename(modelPath).replace(/(\.rnn)?\.jsonc?$/i, '')}-keras`);
}

/** `downloads/model.keras` -> `downloads/model.rnn.json`. */
export function defaultImportPath(file: string): string {
  return path.join(path.dirname(file), `${path.basename(file).replace(/\.(keras|jsonc?)$/i, '')}.rnn.json`);
}
