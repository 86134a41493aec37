import { readFile } from 'node:fs/promises';
import { analyzeModel, formatDiagnostic, formatSummary, type ModelAnalysis } from '../core';

/** `rnn-studio`: the core, headless. Exit codes: 0 no errors, 1 error diagnostics, 2 unreadable file or bad usage. */

const USAGE = `Usage: rnn-studio <command> [options] FILE...

Commands:
  summary FILE...          Keras-style summary table of each model, then its diagnostics
  summary --json FILE...   one JSON object per file and line: layers, shapes, counts, diagnostics
  check FILE...            diagnostics as file:line:col: severity code: message

Exit codes: 0 no errors, 1 error diagnostics, 2 unreadable file or bad usage.`;

type Output = { out: (s: string) => void; err: (s: string) => void };

interface Command {
  describe: string;
  run(args: string[], io: Output): Promise<number>;
}

const COMMANDS: Record<string, Command> = {
  summary: { describe: 'Keras-style summary', run: (args, io) => forEachModel(args, io, printSummary) },
  check: { describe: 'diagnostics only', run: (args, io) => forEachModel(args, io, printCheck) },
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
    diagnostics: a.diagnostics.map((d) => ({ severity: d.severity, code: d.code, message: d.message, path: d.path, range: d.range })),
  };
}
