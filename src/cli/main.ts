import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { analyzeModel, formatDiagnostic, formatSummary, type Diagnostic, type MemoryEstimate, type ModelAnalysis, type Range } from '../core';
import { analyzePython, type PythonModelAnalysis } from '../core/python/analyze';
import { analyzeNotebook, notebookCodeCells, type NotebookModelAnalysis } from '../core/python/notebook';
import type { FromTrainerMessage } from '../protocol/trainer';
import { exportCommand, importCommand, INTEROP_USAGE } from './interop';
import { runFolderProblem, runsFolderProblem, runsRoot } from '../runner/runs';
import { formatLogs, startTrainer, TrainerError, type TrainerJob, type TrainerResult } from '../runner/trainerProcess';

/** `rnn-studio`: the core, headless. Exit codes: 0 no errors, 1 error diagnostics, 2 unreadable file or bad usage. */

const USAGE = `Usage: rnn-studio <command> [options] FILE...

Commands:
  summary FILE...          Keras-style summary table of each model, then its diagnostics
  summary --json FILE...   one JSON object per file and line: layers, shapes, counts, diagnostics
  check FILE...            diagnostics as file:line:col: severity code: message
                           FILE: a model file (*.rnn.json), a Python file (*.py) or a notebook
                           (*.ipynb): one summary per Keras Sequential model in the code
  train FILE [--epochs N] [--batch-size N] [--max-samples N] [--out DIR] [--no-memory-check]
                           train on the model's data; writes runs/<model>/<time>/ beside FILE
                           (refused when its memory estimate exceeds what this machine has;
                           --no-memory-check trains anyway)
  evaluate RUN             test metrics of a finished run folder
  predict RUN "TEXT"...    probability and label for each text
  predict RUN --series CSV next value(s) of a series, in its original units
${INTEROP_USAGE}

Ctrl-C during training stops after the current batch and keeps the finished epochs;
a second Ctrl-C stops at once and keeps nothing of the run.

Exit codes: 0 no errors, 1 error diagnostics, 2 unreadable file or bad usage.`;

export type Output = { out: (s: string) => void; err: (s: string) => void };

interface Command {
  describe: string;
  run(args: string[], io: Output): Promise<number>;
}

const COMMANDS: Record<string, Command> = {
  summary: { describe: 'Keras-style summary', run: (args, io) => forEachModel(args, io, printSummary) },
  check: { describe: 'diagnostics only', run: (args, io) => forEachModel(args, io, printCheck) },
  train: { describe: 'train a model', run: trainCommand },
  evaluate: { describe: 'evaluate a run', run: evaluateCommand },
  predict: { describe: 'predict with a run', run: predictCommand },
  export: { describe: 'export to Keras', run: exportCommand },
  import: { describe: 'import a Keras or TF.js model', run: (args, io) => importCommand(args, io, runJob) },
};

export async function main(argv: string[], io: Output = { out: (s) => process.stdout.write(s + '\n'), err: (s) => process.stderr.write(s + '\n') }): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(USAGE);
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.err(`rnn-studio: unknown command "${name}".\n\n${USAGE}`);
    return 2;
  }
  return command.run(args, io);
}

type Printer = (file: string, analysis: ModelAnalysis, io: Output, json: boolean) => void;

async function forEachModel(args: string[], io: Output, print: Printer): Promise<number> {
  const json = args.includes('--json');
  const files = args.filter((a) => a !== '--json');
  const unknownFlag = files.find((f) => f.startsWith('--'));
  if (unknownFlag || files.length === 0) {
    io.err(unknownFlag ? `rnn-studio: unknown option ${unknownFlag}` : 'rnn-studio: no model file given.');
    io.err(USAGE);
    return 2;
  }
  let code = 0;
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      io.err(`rnn-studio: cannot read ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
      code = 2;
      continue;
    }
    if (/\.(py|ipynb)$/i.test(file)) {
      const result = await printPython(file, text, io, json, print === printSummary);
      code = Math.max(code, result);
      continue;
    }
    const analysis = analyzeModel(text);
    print(file, analysis, io, json);
    if (code === 0 && analysis.diagnostics.some((d) => d.severity === 'error')) code = 1;
  }
  return code;
}

function printSummary(file: string, a: ModelAnalysis, io: Output, json: boolean): void {
  if (json) {
    io.out(JSON.stringify(toJson(file, a)));
    return;
  }
  io.out(`${file}`);
  io.out(formatSummary(a));
  printCheck(file, a, io);
  io.out('');
}

/**
 * Keras models in a Python file or a notebook: one summary (or JSON object) per model, in source
 * order, with the variable it is bound to; notebook diagnostics carry their cell.
 */
async function printPython(file: string, text: string, io: Output, json: boolean, summary: boolean): Promise<number> {
  const notebook = /\.ipynb$/i.test(file);
  let models: (PythonModelAnalysis | NotebookModelAnalysis)[];
  try {
    models = notebook ? await analyzeNotebook(notebookCodeCells(text)) : await analyzePython(text);
  } catch (e) {
    io.err(`rnn-studio: cannot read ${file}: ${(e as Error).message}`);
    return 2;
  }
  const where = (d: { cell?: number; range: Range }) => (d.cell !== undefined ? `${file}:cell ${d.cell + 1}:${d.range.start.line + 1}:${d.range.start.character + 1}` : `${file}:${d.range.start.line + 1}:${d.range.start.character + 1}`);
  const printed = new Set<string>();
  const check = (d: Diagnostic & { cell?: number }) => {
    const line = `${where(d)}: ${d.severity} ${d.code}: ${d.message}`;
    // A function's model read at several call sites has the same problem in its body once.
    if (summary || !printed.has(line)) io.out(line);
    printed.add(line);
  };
  if (!json && summary && models.length === 0) io.out(`${file}: no Keras Sequential model found`);
  for (const m of models) {
    const cell = 'cell' in m ? m.cell : undefined;
    if (json) {
      const base = toJson(file, m);
      const diagnostics = (m.diagnostics as (Diagnostic & { cell?: number })[]).map((d) => ({ severity: d.severity, code: d.code, message: d.message, range: d.range, ...(d.cell !== undefined ? { cell: d.cell } : {}) }));
      io.out(JSON.stringify({ ...base, variable: m.variable, ...(cell !== undefined ? { cell } : {}), range: m.range, diagnostics }));
    } else if (summary) {
      io.out(`${where({ cell, range: m.range })}: ${m.variable ?? '(unnamed model)'}`);
      io.out(formatSummary(m));
      m.diagnostics.forEach(check);
      io.out('');
    } else m.diagnostics.forEach(check);
  }
  return models.some((m) => m.diagnostics.some((d) => d.severity === 'error')) ? 1 : 0;
}

function printCheck(file: string, a: ModelAnalysis, io: Output): void {
  for (const d of a.diagnostics) io.out(formatDiagnostic(file, d));
}

/** The `summary --json` record; its shape is documented in the README. */
export function toJson(file: string, a: ModelAnalysis) {
  return {
    file,
    name: a.name,
    layers: a.layers.map((l) => ({
      index: l.index,
      name: l.name,
      type: l.type,
      output_shape: l.outputShape,
      trainable_params: l.trainableParams,
      non_trainable_params: l.nonTrainableParams,
    })),
    total_params: a.totalParams,
    trainable_params: a.trainableParams,
    non_trainable_params: a.nonTrainableParams,
    weight_bytes: a.weightBytes,
    uncounted_layers: a.uncountedLayers,
    training_memory: memoryJson(a.trainingMemory),
    dtype_policy: a.dtypePolicy,
    diagnostics: a.diagnostics.map((d) => ({ severity: d.severity, code: d.code, message: d.message, path: d.path, range: d.range })),
  };
}

/** The memory estimate in bytes, snake_case as the rest of the record. */
function memoryJson(m: MemoryEstimate) {
  return {
    batch_size: m.batchSize,
    optimizer: m.optimizer,
    weights: m.weights,
    gradients: m.gradients,
    optimizer_slots: m.optimizerSlots,
    activations: m.activations,
    total: m.total,
    portable_kernels: m.kernelMemory,
    ...(m.assumedTimesteps !== undefined ? { assumed_timesteps: m.assumedTimesteps } : {}),
  };
}

// ---- training --------------------------------------------------------------------------------

/** `--name value` options and `--flag`s; returns the remaining positional arguments. */
function options(args: string[], known: string[], flags: string[] = []): { values: Record<string, string>; flags: Set<string>; rest: string[]; bad?: string } {
  const values: Record<string, string> = {};
  const set = new Set<string>();
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a.startsWith('--')) {
      const name = a.slice(2);
      if (flags.includes(name)) {
        set.add(name);
        continue;
      }
      if (!known.includes(name) || i + 1 >= args.length) return { values, flags: set, rest, bad: a };
      values[name] = args[++i];
    } else rest.push(a);
  }
  return { values, flags: set, rest };
}

function positiveInt(value: string | undefined, name: string, io: Output): number | undefined | null {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    io.err(`rnn-studio: --${name} needs a whole number >= 1, got "${value}".`);
    return null;
  }
  return n;
}

function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** Runs a trainer job with progress on stderr; Ctrl-C cancels (twice kills). */
async function runJob(job: TrainerJob, io: Output): Promise<TrainerResult | number> {
  const tty = process.stderr.isTTY;
  let epochs = 0;
  let cancelling = false;
  const progress = (line: string) => tty && process.stderr.write(`\r\x1b[2K${line}`);
  const onMessage = (m: FromTrainerMessage) => {
    switch (m.type) {
      case 'backend':
        io.err(`backend: ${m.backend}${m.native ? ' (native TensorFlow)' : ''}`);
        if (m.notice) io.err(`notice: ${m.notice}`);
        return;
      case 'data':
        io.err(`data: ${m.summary}`);
        return;
      case 'notice':
        io.err(`notice: ${m.message}`);
        return;
      case 'start':
        epochs = m.epochs;
        io.err(`training: ${m.params.toLocaleString('en-US')} parameters, ${m.epochs} epochs of ${m.stepsPerEpoch} steps`);
        return;
      case 'batch': {
        const width = 24;
        const filled = Math.round((m.step / m.steps) * width);
        progress(`Epoch ${m.epoch}/${epochs} [${'='.repeat(filled)}${' '.repeat(width - filled)}] ${m.step}/${m.steps} ${formatLogs(m.logs)} · ${Math.round(m.samplesPerSecond).toLocaleString('en-US')} samples/s · ETA ${clock(m.etaSeconds)}`);
        return;
      }
      case 'epoch':
        progress('');
        io.out(`Epoch ${m.epoch}/${epochs}: ${formatLogs(m.logs)} (${(m.durationMs / 1000).toFixed(1)} s)${m.improved ? '' : ' (no improvement)'}`);
        return;
      default:
        return;
    }
  };
  const trainerPath = path.join(__dirname, 'trainer.js');
  let handle: ReturnType<typeof startTrainer>;
  try {
    handle = startTrainer(job, { trainerPath, onMessage });
  } catch (e) {
    if (!(e instanceof TrainerError)) throw e;
    io.err(`rnn-studio: ${e.message}`); // the trainer file is missing
    return 1;
  }
  // The trainer runs in its own process group, so Ctrl-C reaches this process only, once.
  const onSigint = () => {
    if (cancelling) {
      handle.kill();
      return;
    }
    cancelling = true;
    progress('');
    io.err('stopping after the current batch (Ctrl-C again stops at once and keeps nothing of this run)...');
    handle.cancel();
  };
  process.on('SIGINT', onSigint);
  try {
    return await handle.result;
  } catch (e) {
    progress('');
    if (e instanceof TrainerError) {
      io.err(`rnn-studio: ${e.message}`);
      return cancelling ? 130 : 1;
    }
    throw e;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

async function trainCommand(args: string[], io: Output): Promise<number> {
  const { values, flags, rest, bad } = options(args, ['epochs', 'batch-size', 'max-samples', 'out'], ['no-memory-check']);
  if (bad || rest.length !== 1) {
    io.err(bad ? `rnn-studio: unknown or incomplete option ${bad}` : 'rnn-studio: train takes one model file.');
    io.err(USAGE);
    return 2;
  }
  const epochs = positiveInt(values.epochs, 'epochs', io);
  const batchSize = positiveInt(values['batch-size'], 'batch-size', io);
  const maxSamples = positiveInt(values['max-samples'], 'max-samples', io);
  if (epochs === null || batchSize === null || maxSamples === null) return 2;
  const file = rest[0];
  let modelText: string;
  try {
    modelText = await readFile(file, 'utf8');
  } catch (e) {
    io.err(`rnn-studio: cannot read ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
    return 2;
  }
  // Where the run will go, checked now rather than after training (the trainer checks it too, for the extension).
  const outDir = values.out && path.resolve(values.out);
  const root = runsRoot(path.resolve(file), analyzeModel(modelText).name, outDir);
  const folderProblem = runsFolderProblem(values.out ?? (path.relative(process.cwd(), root) || root), values.out ? '--out' : 'The runs folder');
  if (folderProblem) {
    io.err(`rnn-studio: ${folderProblem}`);
    return 2;
  }
  const memoryCheck = flags.has('no-memory-check') ? false : undefined;
  const result = await runJob({ type: 'train', modelPath: path.resolve(file), modelText, outDir, overrides: { epochs, batchSize, maxSamples, memoryCheck } }, io);
  if (typeof result === 'number') return result;
  if (result.type !== 'done') return 1;
  const run = result.run;
  if (run.stoppedEarly) io.out(`Early stopping after epoch ${run.epochs}${run.bestEpoch ? `; kept the weights of epoch ${run.bestEpoch}` : ''}.`);
  if (run.cancelled) io.out(`Cancelled after ${run.epochs} finished epoch(s); saved what finished.`);
  if (run.testMetrics) io.out(`Test: ${formatLogs(run.testMetrics)}`);
  if (run.baseline) io.out(`Baseline (${run.baseline.name}): mae ${run.baseline.mae.toFixed(4)}`);
  io.out(`Throughput: ${Math.round(run.samplesPerSecond).toLocaleString('en-US')} samples/s on ${run.backend}${run.kernels ? ` with the ${run.kernels}` : ''}`);
  io.out(`Run saved to ${path.relative(process.cwd(), run.runDir) || run.runDir}`);
  return run.cancelled ? 130 : 0;
}

async function evaluateCommand(args: string[], io: Output): Promise<number> {
  if (args.length !== 1 || args[0].startsWith('--')) {
    io.err('rnn-studio: evaluate takes one run folder.');
    return 2;
  }
  const problem = runFolderProblem(args[0]);
  if (problem) {
    io.err(`rnn-studio: ${problem}`);
    return 2;
  }
  const result = await runJob({ type: 'evaluate', runDir: path.resolve(args[0]) }, io);
  if (typeof result === 'number') return result;
  if (result.type === 'evaluated') io.out(formatLogs(result.metrics));
  return 0;
}

async function predictCommand(args: string[], io: Output): Promise<number> {
  const { values, rest, bad } = options(args, ['series']);
  if (bad || rest.length < 1 || (rest.length < 2 && !values.series)) {
    io.err('rnn-studio: predict takes a run folder and texts, or --series FILE.');
    return 2;
  }
  const [runDir, ...texts] = rest;
  const problem = runFolderProblem(runDir) ?? (values.series && !existsSync(values.series) ? `--series ${values.series}: no such file.` : undefined);
  if (problem) {
    io.err(`rnn-studio: ${problem}`);
    return 2;
  }
  const result = await runJob({ type: 'predict', runDir: path.resolve(runDir), texts, seriesFile: values.series && path.resolve(values.series) }, io);
  if (typeof result === 'number') return result;
  if (result.type !== 'predicted') return 1;
  for (const p of result.predictions) {
    if (p.forecast) io.out(`forecast: ${p.forecast.map((v) => v.toFixed(2)).join(', ')}`);
    else io.out(`${p.label}\t${(Math.max(...(p.probabilities ?? [0])) * 100).toFixed(1)}%\t${p.input}`);
  }
  return 0;
}
