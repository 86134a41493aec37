import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { exportKeras, type DistributionStrategy, type ExportKerasResult } from './exportKeras';
import { importModel, type ImportKind, type ImportResult } from './importModel';
import { readZipEntry } from './zip';

/**
 * The file side of Keras interop, for the CLI and the extension: reading a `.keras` archive or a
 * model JSON to import, and exporting a model file (with a run folder) to a script.
 */

export class InteropFileError extends Error {}

/** What to import from a file: a `.keras` archive's config.json, or the JSON file itself. */
export async function readImportSource(file: string): Promise<{ text: string; kind?: ImportKind }> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (e) {
    throw new InteropFileError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  if (bytes.length >= 4 && bytes.readUInt32LE(0) === 0x04034b50) {
    let config: Buffer | undefined;
    try {
      config = readZipEntry(bytes, 'config.json');
    } catch (e) {
      throw new InteropFileError(`${file}: ${(e as Error).message}`);
    }
    if (!config) throw new InteropFileError(`${file} is a ZIP archive without config.json, so not a Keras 3 .keras file.`);
    return { text: config.toString('utf8'), kind: 'keras-archive-config' };
  }
  if (/\.(h5|hdf5)$/i.test(file)) throw new InteropFileError(`${file}: HDF5 (.h5) models cannot be read; in Python, save the model as .keras or write model.to_json() to a file.`);
  return { text: bytes.toString('utf8').replace(/^\ufeff/, '') };
}

export async function importFile(file: string, kind?: ImportKind): Promise<ImportResult> {
  const source = await readImportSource(file);
  return importModel(source.text, kind ?? source.kind);
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
  runDir?: string;
  strategy?: DistributionStrategy;
  dataRoot?: string;
  /** Where the script will be written (for its usage text). */
  outPath?: string;
}

/** Reads a model file (and the run's model.json) and exports it. */
export async function exportKerasFile(modelPath: string, options: ExportFileOptions = {}): Promise<ExportKerasResult> {
  let modelText: string;
  try {
    modelText = await readFile(modelPath, 'utf8');
  } catch (e) {
    throw new InteropFileError(`cannot read ${modelPath}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  let runModelJson: string | undefined;
  if (options.runDir) {
    try {
      runModelJson = await readFile(path.join(options.runDir, 'model.json'), 'utf8');
    } catch {
      throw new InteropFileError(`${options.runDir} is not a run folder of RNN Studio (no model.json).`);
    }
  }
  return exportKeras(modelText, {
    modelPath: path.resolve(modelPath),
    runDir: options.runDir && path.resolve(options.runDir),
    strategy: options.strategy,
    dataRoot: options.dataRoot ?? packageRoot(),
    runModelJson,
    scriptName: options.outPath && options.outPath !== '-' ? path.basename(options.outPath) : undefined,
  });
}

/** `examples/spam-lstm.rnn.json` -> `examples/spam-lstm.py`. */
export function defaultScriptPath(modelPath: string): string {
  return path.join(path.dirname(modelPath), `${path.basename(modelPath).replace(/(\.rnn)?\.jsonc?$/i, '')}.py`);
}

/** `downloads/model.keras` -> `downloads/model.rnn.json`. */
export function defaultImportPath(file: string): string {
  return path.join(path.dirname(file), `${path.basename(file).replace(/\.(keras|jsonc?)$/i, '')}.rnn.json`);
}
