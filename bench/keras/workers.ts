import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { exportKerasProject } from '../../src/interop';
import { freePorts } from '../../test/unit/keras';

/**
 * `node out/bench/keras/workers.js [--quick] [--json] [--epochs=N] [--max-samples=N] [--python=PATH]`:
 * the issue's "done when", timed. Exports examples/spam-lstm.rnn.json to a project folder, copies
 * it elsewhere, trains it in one process (model.fit), on one worker and on two workers on 127.0.0.1
 * (same global batch and seed), and prints wall time and test accuracy of each; then imports the
 * chief's model.keras back with `rnn-studio import` (its weights as a run, evaluated). Keras from `--python`, else $RNN_STUDIO_KERAS_PYTHON, else .venv-keras.
 */

const root = path.resolve(__dirname, '..', '..', '..');
const args = process.argv.slice(2);
const option = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const quick = args.includes('--quick');
const epochs = option('epochs') ?? (quick ? '1' : '2');
const maxSamples = option('max-samples') ?? (quick ? '1000' : '3000');
const python = option('python') ?? process.env.RNN_STUDIO_KERAS_PYTHON ?? path.join(root, '.venv-keras', 'bin', 'python');

interface Result {
  name: string;
  seconds: number;
  accuracy?: number;
  code: number | null;
}

function run(name: string, argv: string[], cwd: string): Promise<Result & { stdout: string; stderr: string }> {
  mkdirSync(cwd, { recursive: true });
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(python, argv, { cwd, env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3', CUDA_VISIBLE_DEVICES: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => {
      const accuracy = Number(/^test: .*\baccuracy (\d\.\d+)/m.exec(stdout)?.[1]);
      resolve({ name, seconds: (Date.now() - started) / 1000, accuracy: Number.isFinite(accuracy) ? accuracy : undefined, code, stdout, stderr });
    });
  });
}

async function main(): Promise<void> {
  if (!existsSync(python)) {
    console.log(`workers bench: skipped, no Python with Keras at ${python} (npm run keras-venv)`);
    return;
  }
  const work = mkdtempSync(path.join(tmpdir(), 'rnn-workers-bench-'));
  try {
    const exported = path.join(work, 'exported');
    const result = await exportKerasProject(path.join(root, 'examples', 'spam-lstm.rnn.json'), { outDir: exported });
    if (result.diagnostics.length) throw new Error(result.diagnostics.join('\n'));
    const project = path.join(work, 'elsewhere', 'spam-keras');
    cpSync(exported, project, { recursive: true });
    rmSync(exported, { recursive: true, force: true });
    const train = path.join(project, 'train.py');
    const common = [train, '--epochs', epochs, '--max-samples', maxSamples, '--timeout', '600'];
    const results: (Result & { stderr?: string })[] = [];
    results.push(await run('one process (model.fit)', common, path.join(work, 'fit')));
    const [solo, a, b] = await freePorts(3);
    results.push(await run('one worker', [...common, '--workers', `127.0.0.1:${solo}`, '--worker-index', '0'], path.join(work, 'solo')));
    const workers = `127.0.0.1:${a},127.0.0.1:${b}`;
    const [chief, other] = await Promise.all([0, 1].map((i) => run(`two workers (worker ${i})`, [...common, '--workers', workers, '--worker-index', String(i)], path.join(work, `worker-${i}`))));
    results.push(chief, { ...other, accuracy: undefined });
    // The chief's model back into RNN Studio as a user would: `rnn-studio import`, which writes the model file and a run with the trained weights, evaluated.
    const saved = path.join(work, 'worker-0', 'model.keras');
    const imported = existsSync(saved) ? spawnSync(process.execPath, [path.join(root, 'bin', 'rnn-studio.js'), 'import', saved], { cwd: work, encoding: 'utf8' }) : undefined;
    const importedLine = imported && ((imported.stderr.split('\n').find((l) => l.startsWith('Wrote ') && l.includes('trained weights')) ?? imported.stderr.trim()) || `exit ${imported.status}`);
    const failed = results.filter((r) => r.code !== 0);
    if (args.includes('--json')) {
      console.log(JSON.stringify({ bench: 'keras-workers', epochs: Number(epochs), maxSamples: Number(maxSamples), results: results.map(({ name, seconds, accuracy, code }) => ({ name, seconds, accuracy, code })), importBack: { code: imported?.status ?? null, message: importedLine ?? 'not saved' } }));
    } else {
      console.log(`Keras project of spam-lstm, ${epochs} epoch(s) on ${maxSamples} samples (wall time, test accuracy):`);
      for (const r of results) console.log(`  ${r.name.padEnd(26)} ${r.seconds.toFixed(1).padStart(7)} s  ${r.accuracy?.toFixed(4) ?? ''}${r.code === 0 ? '' : `  FAILED (exit ${r.code})`}`);
      const one = results[1].accuracy;
      const two = chief.accuracy;
      if (one !== undefined && two !== undefined) console.log(`  |2 workers - 1 worker| test accuracy: ${Math.abs(two - one).toFixed(4)} (tolerance 0.02)`);
      console.log(`  chief's model.keras imported back (rnn-studio import, exit ${imported?.status ?? '-'}): ${importedLine ?? 'not saved'}`);
    }
    for (const r of failed) console.error(`${r.name}: exit ${r.code}\n${r.stderr?.slice(-1500) ?? ''}`);
    if (failed.length || (imported && imported.status !== 0)) process.exitCode = 1;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

void main();
