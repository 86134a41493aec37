import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { defaultImportPath, defaultProjectDir, exportKerasProject, importFile, InteropFileError, type ImportKind } from '../interop';
import { formatLogs, type TrainerJob, type TrainerResult } from '../runner/trainerProcess';
import type { Output } from './main';

/**
 * `rnn-studio export keras` and `rnn-studio import`. Exit codes as the rest of the CLI: 0 done
 * without diagnostics, 1 done but with diagnostics (what Keras or the schema cannot express; the
 * file is still written), 2 bad usage or an unreadable input (nothing written).
 */


export const INTEROP_USAGE = `  export keras FILE [--run RUN_DIR] [--out DIR] [--force]
                           a self-contained Keras 3 project folder: train.py (model, data pipeline,
                           training in one process or on several workers), requirements.txt,
                           README.md, the data in data/ and, with --run, the run's trained weights
                           and settings in run/; default out: FILE's name with -keras
  import FILE [--out X.rnn.json] [--kind keras-json|keras-archive-config|tfjs] [--no-weights] [--force]
                           a .rnn.json from a Keras model JSON (model.to_json()), a .keras
                           archive or a TF.js model.json; default out: FILE's name .rnn.json
                           (--out - writes it to standard output). A .keras file saved by an
                           exported project's train.py brings its trained weights as a run
                           beside the model file (runs/NAME/TIME/), unless --no-weights`;

function parse(args: string[], valued: string[], flags: string[]): { values: Record<string, string>; flags: Set<string>; rest: string[]; bad?: string } {
  const values: Record<string, string> = {};
  const set = new Set<string>();
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a.startsWith('--')) {
      const name = a.slice(2);
      if (flags.includes(name)) set.add(name);
      else if (valued.includes(name) && i + 1 < args.length) values[name] = args[++i];
      else return { values, flags: set, rest, bad: a };
    } else rest.push(a);
  }
  return { values, flags: set, rest };
}

async function write(target: string, text: string, force: boolean, io: Output): Promise<boolean> {
  if (target === '-') {
    io.out(text.replace(/\n$/, ''));
    return true;
  }
  if (existsSync(target) && !force) {
    io.err(`rnn-studio: ${target} exists; pass --force to replace it, or --out another file.`);
    return false;
  }
  try {
    await writeFile(target, text);
  } catch (e) {
    io.err(`rnn-studio: cannot write ${target}: ${(e as Error).message}`);
    return false;
  }
  return true;
}

/** An unreadable input is reported in one line (the caller exits 2); anything else is a bug and throws. */
async function orUnreadable<T>(io: Output, work: Promise<T>): Promise<T | undefined> {
  try {
    return await work;
  } catch (e) {
    if (!(e instanceof InteropFileError)) throw e;
    io.err(`rnn-studio: ${e.message}`);
    return undefined;
  }
}

export async function exportCommand(args: string[], io: Output): Promise<number> {
  const { values, flags, rest, bad } = parse(args, ['run', 'out'], ['force']);
  if (bad || rest.length !== 2 || rest[0] !== 'keras') {
    io.err(bad ? `rnn-studio: unknown or incomplete option ${bad}` : rest[0] !== 'keras' ? 'rnn-studio: export supports one target: export keras FILE.' : 'rnn-studio: export keras takes one model file.');
    io.err(`Usage:\n${INTEROP_USAGE}`);
    return 2;
  }
  if (values.out === '-') {
    io.err('rnn-studio: export keras writes a folder (train.py, data, requirements); --out takes a folder name.');
    return 2;
  }
  const file = rest[1];
  const out = values.out ?? defaultProjectDir(file);
  const result = await orUnreadable(io, exportKerasProject(file, { runDir: values.run, outDir: out, force: flags.has('force') }));
  if (!result) return 2;
  for (const d of result.diagnostics) io.err(`${file}: ${d}`);
  if (!result.code) return 2;
  io.err(`Wrote ${out}/ (train.py, requirements.txt, README.md${result.dataCopies.length ? ', data/' : ''}${values.run ? ', run/' : ''}). Try: cd ${out} && python train.py --summary-only${values.run ? '; python train.py --run' : ''}`);
  return result.diagnostics.length ? 1 : 0;
}

const KINDS: ImportKind[] = ['keras-json', 'keras-archive-config', 'tfjs'];

/** Runs a trainer job for the CLI (progress on stderr); a number is the exit code of a failure it reported. */
export type RunTrainerJob = (job: TrainerJob, io: Output) => Promise<TrainerResult | number>;

export async function importCommand(args: string[], io: Output, runJob?: RunTrainerJob): Promise<number> {
  const { values, flags, rest, bad } = parse(args, ['out', 'kind'], ['force', 'no-weights']);
  if (bad || rest.length !== 1) {
    io.err(bad ? `rnn-studio: unknown or incomplete option ${bad}` : 'rnn-studio: import takes one file.');
    io.err(`Usage:\n${INTEROP_USAGE}`);
    return 2;
  }
  if (values.kind && !KINDS.includes(values.kind as ImportKind)) {
    io.err(`rnn-studio: --kind is one of ${KINDS.join(', ')}; got "${values.kind}".`);
    return 2;
  }
  const file = rest[0];
  const result = await orUnreadable(io, importFile(file, values.kind as ImportKind | undefined));
  if (!result) return 2;
  for (const d of result.diagnostics) io.err(`${file}: ${d}`);
  for (const n of result.notes ?? []) io.err(`${file}: note: ${n}`);
  if (!result.modelText) return 1;
  const out = values.out ?? defaultImportPath(file);
  if (!(await write(out, result.modelText, flags.has('force'), io))) return 2;
  if (out !== '-') io.err(`Wrote ${out}`);
  let code = result.diagnostics.length ? 1 : 0;
  if (result.weights && !flags.has('no-weights')) {
    const what = `the trained weights (${result.weights.entry} in ${path.basename(file)})`;
    if (out === '-' || !runJob) io.err(`${file}: note: ${what} were not imported: a run folder goes beside the model file, and --out - writes none.`);
    else {
      const done = await runJob({ type: 'importWeights', modelPath: path.resolve(out), modelText: result.modelText, kerasFile: path.resolve(file) }, io);
      if (typeof done === 'number') return Math.max(code, 1);
      if (done.type !== 'weightsImported') return 1;
      for (const n of done.notes) io.err(`${file}: note: ${n}`);
      const runDir = path.relative(process.cwd(), done.runDir) || done.runDir;
      io.err(`Wrote ${runDir}/ with ${what}, imported from ${file}${done.testMetrics ? `; test: ${formatLogs(done.testMetrics)}` : ''}${done.kerasTestMetrics ? ` (Keras printed ${formatLogs(done.kerasTestMetrics)})` : ''}`);
      if (done.notes.length) code = Math.max(code, 1);
    }
  }
  return code;
}
