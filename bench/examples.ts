import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { withCellType } from '../src/core';
import type { CellType } from '../src/protocol/designer';
import type { Logs, RunSummary } from '../src/protocol/trainer';
import { startTrainer } from '../src/runner/trainerProcess';

/**
 * `npm run bench` (part 4): the README's training results, reproduced. Trains the examples with
 * their own settings in the trainer process (as `rnn-studio train` does), into a temporary folder,
 * and checks each against its target: the spam classifier's test accuracy, the Seattle forecaster's
 * MAE against the naive "tomorrow = today" forecast, and the long-range memory task (k = 50) with
 * each cell type. Each as shipped (TensorFlow.js' JavaScript backend) with the native kernels (the
 * linux-x64 package) and the portable ones (the universal package), and on the native TensorFlow
 * backend where the development checkout has it (tfjs-node), so the three costs sit side by side.
 * `--json`: one JSON line per run. `--quick`: skipped.
 */

const json = process.argv.includes('--json');
const root = path.resolve(__dirname, '../..');
const trainerPath = path.join(root, 'dist', 'trainer.js');

interface Target {
  example: string;
  cell?: CellType;
  /** The figure and whether it meets the target. */
  judge(metrics: Logs, baseline: number | undefined): { figure: string; met: boolean; value: number };
}

const accuracy = (at: number, atLeast: boolean) => (m: Logs) => ({
  value: m.accuracy,
  figure: `test accuracy ${(m.accuracy * 100).toFixed(1)} %`,
  met: atLeast ? m.accuracy >= at : Math.abs(m.accuracy - 0.5) <= at,
});

const targets: Target[] = [
  { example: 'spam-lstm', judge: accuracy(0.95, true) },
  {
    example: 'seattle-weather-forecast',
    judge: (m, naive) => ({ value: m.mae_original_units, figure: `test MAE ${m.mae_original_units.toFixed(2)} °C, naive ${naive?.toFixed(2)} °C`, met: naive !== undefined && m.mae_original_units < naive }),
  },
  { example: 'long-range-memory', cell: 'LSTM', judge: accuracy(0.95, true) },
  { example: 'long-range-memory', cell: 'GRU', judge: accuracy(0.95, true) },
  // "Near chance": within 5 points of 50 %.
  { example: 'long-range-memory', cell: 'SimpleRNN', judge: accuracy(0.05, false) },
];

function hasTfjsNode(): boolean {
  try {
    require.resolve('@tensorflow/tfjs-node');
    return true;
  } catch {
    return false;
  }
}

const setups: { name: string; env: NodeJS.ProcessEnv }[] = [
  { name: 'native kernels', env: { RNN_STUDIO_BACKEND: 'cpu', RNN_STUDIO_KERNELS: 'native' } },
  { name: 'portable kernels', env: { RNN_STUDIO_BACKEND: 'cpu', RNN_STUDIO_KERNELS: 'portable' } },
  ...(hasTfjsNode() ? [{ name: 'tfjs-node', env: { RNN_STUDIO_BACKEND: 'tensorflow', RNN_STUDIO_KERNELS: 'native' } }] : []),
];

async function main(): Promise<void> {
  if (process.argv.includes('--quick')) return;
  if (!json) console.log('\nExamples trained as `rnn-studio train` does (targets from the README)');
  const out = mkdtempSync(path.join(tmpdir(), 'rnn-bench-examples-'));
  let failed = false;
  try {
    for (const t of targets) for (const setup of setups) {
      const modelPath = path.join(root, 'examples', `${t.example}.rnn.json`);
      const original = readFileSync(modelPath, 'utf8');
      const modelText = t.cell ? withCellType(original, t.cell) : original;
      const name = `${t.cell ? `${t.example} (${t.cell})` : t.example}, ${setup.name}`;
      let run: RunSummary;
      try {
        const done = await startTrainer({ type: 'train', modelPath, modelText, outDir: out }, { trainerPath, env: setup.env }).result;
        if (done.type !== 'done' || !done.run.testMetrics) throw new Error(`no test metrics (${done.type})`);
        run = done.run;
      } catch (e) {
        failed = true;
        const message = (e as Error).message;
        console.log(json ? JSON.stringify({ bench: 'example', example: name, error: message }) : `  ${name.padEnd(50)} failed: ${message}`);
        continue;
      }
      const { figure, met, value } = t.judge(run.testMetrics!, run.baseline?.mae);
      failed ||= !met;
      const seconds = Math.round(run.durationMs / 100) / 10;
      if (json) console.log(JSON.stringify({ bench: 'example', example: name, setup: setup.name, kernels: run.kernels, backend: run.backend, value, baseline: run.baseline?.mae, met, seconds, samples_per_s: run.samplesPerSecond }));
      else console.log(`  ${name.padEnd(50)} ${figure.padEnd(44)} ${met ? 'meets the target' : 'MISSES the target'}  (${seconds} s)`);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
  process.exitCode = failed ? 1 : 0;
}

void main();
