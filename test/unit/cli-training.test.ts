import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { repoRoot } from './helpers';

/**
 * `rnn-studio train` as users run it (the real bin, the real trainer process, real signals): what is
 * refused before training (memory, paths, token ids), a diverging loss, and how the CLI and the
 * trainer end on Ctrl-C and when the CLI is killed. Trainings are tiny (Seattle weather, LSTM(8)).
 */

const bin = path.join(repoRoot, 'bin/rnn-studio.js');

function cli(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function seattle(training: object = {}, layers: object[] = [{ type: 'LSTM', units: 8 }, { type: 'Dense', units: 1 }]): string {
  return JSON.stringify(
    {
      name: 'tiny-weather',
      input: { shape: [7, 4] },
      layers,
      compile: { optimizer: 'adam', learning_rate: 0.003, loss: 'mae', metrics: ['mae'] },
      data: { kind: 'timeseries', source: 'builtin', dataset: 'seattle_weather', columns: ['temp_max', 'temp_min', 'precipitation', 'wind'], target: 'temp_max', window: 7 },
      training: { epochs: 1, batch_size: 32, ...training },
    },
    null,
    2,
  );
}

function workspace(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'rnn-cli-train-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

/** Every entry under `runs/` (hidden ones too): complete runs only, never a partial folder. */
function runFolders(dir: string): string[] {
  const root = path.join(dir, 'runs');
  if (!existsSync(root)) return [];
  return readdirSync(root).flatMap((model) => readdirSync(path.join(root, model)).map((run) => `${model}/${run}`));
}

const noStackTrace = (text: string) => assert.doesNotMatch(text, /\n\s+at .+:\d+:\d+\)?\n/, 'no stack trace');

const started: ChildProcess[] = [];
after(() => {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/** A CLI training running in the background, in its own process group (as a terminal runs a foreground job). */
function background(args: string[], cwd: string) {
  const child = spawn(process.execPath, [bin, ...args], { cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return {
    child,
    exited,
    get out() {
      return out;
    },
    get err() {
      return err;
    },
    /** Waits until `test` holds on what was printed so far. */
    async until(what: string, test: () => boolean, ms = 60_000): Promise<void> {
      const end = Date.now() + ms;
      while (!test()) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}; stdout: ${out}\nstderr: ${err}`);
        if (child.exitCode !== null) throw new Error(`the CLI exited (${child.exitCode}) before ${what}; stdout: ${out}\nstderr: ${err}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}

/** The CLI's child processes (the trainer), from /proc. */
function childrenOf(pid: number): number[] {
  const tasks = readdirSync(`/proc/${pid}/task`);
  return tasks.flatMap((t) => readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z/.test(stat); // a zombie has ended
  } catch {
    return false;
  }
}

async function gone(pid: number, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (!alive(pid)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return !alive(pid);
}

// A training of many small batches: long enough to be interrupted, each batch a few milliseconds.
const LONG = ['--batch-size', '1', '--epochs', '200'];

describe('rnn-studio train: refused before training', () => {
  it('refuses an LSTM with 100,000 units, with the estimate, the memory available and the override', () => {
    const dir = workspace({ 'huge.rnn.json': seattle({}, [{ type: 'LSTM', units: 100_000 }, { type: 'Dense', units: 1 }]) });
    const started = Date.now();
    const r = cli(['train', 'huge.rnn.json'], dir);
    assert.equal(r.code, 1, r.err);
    // Located on the property that sizes the largest layer, and named in the message.
    const at = /huge\.rnn\.json:(\d+):(\d+): Training needs/.exec(r.err);
    assert.ok(at, r.err);
    const lines = readFileSync(path.join(dir, 'huge.rnn.json'), 'utf8').split('\n');
    assert.match(lines[Number(at[1]) - 1].slice(Number(at[2]) - 1), /^"units": 100000/);
    assert.match(r.err, /Most of it goes to layer 1 "lstm" \(LSTM, units 100,000\): [\d.]+ GB\./);
    assert.match(r.err, /huge\.rnn\.json:\d+:\d+: Training needs about [\d.]+ GB for one batch of 32 with adam \(weights 149\.0\d GB, gradients 149\.0\d GB, optimizer 298\.0\d GB, activations [\d.]+ [GM]B\), more than the [\d.]+ [GM]B available \((the machine's physical memory|the cgroup limit in \/sys\/fs\/cgroup\/.+)\)/);
    assert.match(r.err, /set "memory_check": false in the model's "training" section, or pass --no-memory-check/);
    assert.doesNotMatch(r.err, /^data:/m, 'refused before the data is read');
    assert.ok(Date.now() - started < 30_000);
    assert.deepEqual(runFolders(dir), []);
    noStackTrace(r.err);
  });

  it('on the portable kernels, refuses what a wasm32 memory (4 GiB) cannot hold', () => {
    // LSTM(1024) over 400 days, 512 windows a batch: about 10 GB for the kernels at once, within this machine's memory.
    const wide = seattle({ batch_size: 512 }, [{ type: 'LSTM', units: 1024 }, { type: 'Dense', units: 1 }]).replace('"shape": [\n      7,', '"shape": [\n      400,').replace('"window": 7', '"window": 400');
    const dir = workspace({ 'wide.rnn.json': wide });
    const r = spawnSync(process.execPath, [bin, 'train', 'wide.rnn.json'], { cwd: dir, encoding: 'utf8', timeout: 120_000, env: { ...process.env, RNN_STUDIO_KERNELS: 'portable' } });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /wide\.rnn\.json:\d+:\d+: The portable \(WebAssembly\) kernels would hold [\d.]+ GB at once for one batch of 512, more than the 4\.00 GB a WebAssembly memory can address \(wasm32\)\. Most of it goes to layer 1 "lstm" \(LSTM, units 1,024\)\..*--no-memory-check/);
    assert.doesNotMatch(r.stderr, /^data:/m);
  });

  it('shows the same estimate in summary and summary --json', () => {
    const dir = workspace({ 'huge.rnn.json': seattle({}, [{ type: 'LSTM', units: 100_000 }, { type: 'Dense', units: 1 }]) });
    const text = cli(['summary', 'huge.rnn.json'], dir);
    assert.match(text.out, /^ Training memory: about [\d.]+ GB for one batch of 32 with adam \(weights 149\.0\d GB, gradients/m);
    const json = JSON.parse(cli(['summary', '--json', 'huge.rnn.json'], dir).out);
    const m = json.training_memory;
    assert.equal(m.batch_size, 32);
    assert.equal(m.weights, json.total_params * 4);
    assert.equal(m.gradients, json.trainable_params * 4);
    assert.equal(m.optimizer_slots, 2 * json.trainable_params * 4, 'Adam keeps two slots per weight');
    assert.equal(m.total, m.weights + m.gradients + m.optimizer_slots + m.activations);
    assert.ok(m.total > 500e9);
  });

  it('trains anyway with --no-memory-check or "memory_check": false', () => {
    // batch_size 100 million: the estimate (for full batches) is far beyond the machine; 60 samples make one small batch.
    const dir = workspace({ 'big-batch.rnn.json': seattle({ batch_size: 100_000_000 }), 'unchecked.rnn.json': seattle({ batch_size: 100_000_000, memory_check: false }) });
    const refused = cli(['train', 'big-batch.rnn.json', '--max-samples', '60'], dir);
    assert.equal(refused.code, 1);
    assert.match(refused.err, /Training needs about [\d.]+ GB for one batch of 100000000/);
    const forced = cli(['train', 'big-batch.rnn.json', '--max-samples', '60', '--no-memory-check'], dir);
    assert.equal(forced.code, 0, forced.err);
    assert.match(forced.out, /Run saved to /);
    const fromFile = cli(['train', 'unchecked.rnn.json', '--max-samples', '60'], dir);
    assert.equal(fromFile.code, 0, fromFile.err);
    assert.equal(runFolders(dir).length, 2);
  });

  it('--out naming a file, or a folder under a file, is refused before training', () => {
    const dir = workspace({ 'tiny.rnn.json': seattle(), 'taken.txt': 'a file' });
    for (const [out, message] of [
      ['taken.txt', /^rnn-studio: --out taken\.txt is a file, not a folder; name a folder/m],
      ['taken.txt/runs', /^rnn-studio: --out taken\.txt\/runs cannot be created: .*taken\.txt is a file, not a folder\./m],
    ] as const) {
      const r = cli(['train', 'tiny.rnn.json', '--out', out], dir);
      assert.equal(r.code, 2, r.err);
      assert.match(r.err, message);
      assert.doesNotMatch(r.err, /^backend:/m, 'the trainer did not start');
      noStackTrace(r.err);
    }
    // The runs folder beside the model, blocked by a file named "runs".
    writeFileSync(path.join(dir, 'runs'), 'not a folder');
    const r = cli(['train', 'tiny.rnn.json'], dir);
    assert.equal(r.code, 2);
    assert.match(r.err, /The runs folder .*runs\/tiny-weather cannot be created: .*runs is a file, not a folder\./);
  });

  it('evaluate and predict check the run folder and the series file before starting the trainer', () => {
    const dir = workspace({ 'tiny.rnn.json': seattle() });
    for (const [args, message] of [
      [['evaluate', 'nowhere'], /^rnn-studio: nowhere is not a run folder of RNN Studio \(no model\.json\)\.$/m],
      [['evaluate', 'tiny.rnn.json'], /^rnn-studio: tiny\.rnn\.json is not a run folder/m],
      [['predict', 'nowhere', 'some text'], /^rnn-studio: nowhere is not a run folder/m],
    ] as const) {
      const r = cli([...args], dir);
      assert.equal(r.code, 2, r.err);
      assert.match(r.err, message);
      assert.doesNotMatch(r.err, /^backend:/m, 'the trainer did not start');
    }
    const trained = cli(['train', 'tiny.rnn.json', '--max-samples', '60'], dir);
    assert.equal(trained.code, 0, trained.err);
    const [run] = runFolders(dir);
    const r = cli(['predict', path.join('runs', run), '--series', 'missing.csv'], dir);
    assert.equal(r.code, 2);
    assert.match(r.err, /^rnn-studio: --series missing\.csv: no such file\.$/m);
  });

  it('token ids beyond Embedding.input_dim: check names the property; the trainer refuses the data before building the model', () => {
    const text = (data: object, inputDim: number) =>
      JSON.stringify({
        name: 'ids',
        input: { shape: [8], dtype: 'int32' },
        layers: [{ type: 'Embedding', input_dim: inputDim, output_dim: 4 }, { type: 'GRU', units: 4 }, { type: 'Dense', units: 1, activation: 'sigmoid' }],
        compile: { optimizer: 'adam', loss: 'binary_crossentropy' },
        data: { kind: 'text', maxlen: 8, ...data },
        training: { epochs: 1 },
      }, null, 2);
    const rows = Array.from({ length: 40 }, (_, i) => JSON.stringify({ text: `word${i} other${i} common`, label: i % 2 ? 'pos' : 'neg' })).join('\n');
    const dir = workspace({
      'spam.rnn.json': text({ source: 'builtin', dataset: 'spam_assassin' }, 1000),
      'memory.rnn.json': text({ source: 'builtin', dataset: 'long_range_memory', vocab_size: 20, k: 3 }, 10),
      'pad.rnn.json': text({ source: 'builtin', dataset: 'long_range_memory', vocab_size: 10, pad_value: 12, k: 3 }, 10),
      'own.rnn.json': text({ source: 'jsonl', path: 'rows.jsonl', labels: ['neg', 'pos'] }, 20),
      'rows.jsonl': rows,
    });
    const check = cli(['check', 'spam.rnn.json', 'memory.rnn.json', 'pad.rnn.json', 'own.rnn.json'], dir);
    assert.equal(check.code, 1);
    const lines = check.out.trim().split('\n').filter((l) => l.includes('token-id-out-of-range'));
    assert.equal(lines.length, 3, check.out);
    assert.match(lines[0], /^spam\.rnn\.json:\d+:\d+: error token-id-out-of-range: Embedding "embedding" \(layers\[0\]\.input_dim\) has input_dim 1,000, a table for token ids 0\.\.999, but data\.num_words is not set, so the tokenizer keeps every word of spam_assassin: token ids up to about 158,815\. Set data\.num_words to 1000/);
    assert.match(lines[1], /^memory\.rnn\.json:\d+:\d+: error token-id-out-of-range: .*input_dim 10, .* but data\.vocab_size 20 makes token ids up to 19\. Set "input_dim": 20\./);
    assert.match(lines[2], /^pad\.rnn\.json:\d+:\d+: error token-id-out-of-range: .* but data\.pad_value pads with token id 12\./);
    for (const file of ['spam.rnn.json', 'memory.rnn.json']) {
      const r = cli(['train', file], dir);
      assert.equal(r.code, 1);
      assert.match(r.err, /token ids 0\.\.\d+, but/);
      assert.doesNotMatch(r.err, /^data:/m, 'refused before the data is read');
    }
    // The user's own file: known once read, refused before the model is built.
    const own = cli(['train', 'own.rnn.json'], dir);
    assert.equal(own.code, 1);
    assert.match(own.err, /own\.rnn\.json: Embedding "embedding" \(layers\[0\]\.input_dim\) has input_dim 20, a table for token ids 0\.\.19, but the prepared data holds token ids up to \d+ \(data\.num_words is not set, so the tokenizer keeps every word\)\. Set data\.num_words to 20/);
    assert.doesNotMatch(own.err, /^training:/m, 'no model was built');
    noStackTrace(own.err);
    assert.deepEqual(runFolders(dir), []);
  });
});

describe('rnn-studio train: partial runs', () => {
  it('a temporary run folder left by a trainer that no longer runs is removed by the next run; one of a live trainer is left alone', () => {
    const dir = workspace({ 'tiny.rnn.json': seattle() });
    const dead = spawnSync(process.execPath, ['-e', 'process.pid']).pid!; // a pid that has ended
    const root = path.join(dir, 'runs', 'tiny-weather');
    const abandoned = path.join(root, `.2026-01-01T00-00-00-000Z.${dead}.partial`);
    const live = path.join(root, `.2026-01-01T00-00-00-001Z.${process.pid}.partial`);
    for (const p of [abandoned, live]) {
      mkdirSync(p, { recursive: true });
      writeFileSync(path.join(p, 'weights.bin'), 'half');
    }
    const r = cli(['train', 'tiny.rnn.json', '--max-samples', '60'], dir);
    assert.equal(r.code, 0, r.err);
    assert.equal(existsSync(abandoned), false, 'the abandoned one is gone');
    assert.equal(existsSync(live), true, 'a live trainer\'s is kept');
  });
});

describe('rnn-studio train: a diverging loss', () => {
  it('stops at the batch where the loss is no longer finite, names epoch and batch, saves nothing, exits 1', () => {
    const rows = ['a,b', ...Array.from({ length: 60 }, (_, i) => `${(i + 1) * 1e30},${i}`)].join('\n');
    const model = JSON.stringify({
      name: 'diverging',
      input: { shape: [3, 2] },
      layers: [{ type: 'LSTM', units: 4 }, { type: 'Dense', units: 1 }],
      compile: { optimizer: 'adam', loss: 'mse' },
      data: { kind: 'timeseries', source: 'csv', path: 'big.csv', columns: ['a', 'b'], target: 'a', window: 3, normalization: 'none' },
      training: { epochs: 2, batch_size: 8 },
    });
    const dir = workspace({ 'diverging.rnn.json': model, 'big.csv': rows });
    const r = cli(['train', 'diverging.rnn.json'], dir);
    assert.equal(r.code, 1, r.out + r.err);
    assert.match(r.err, /diverging\.rnn\.json: the loss became (NaN|Infinity) at epoch 1\/2, batch 1\/\d+; training stopped there \(as Keras' TerminateOnNaN\) and no run was saved\./);
    assert.doesNotMatch(r.out, /Run saved/);
    assert.deepEqual(runFolders(dir), []);
    noStackTrace(r.err);
  });
});

describe('rnn-studio train: signals', { skip: process.platform !== 'linux' && 'reads /proc' }, () => {
  it('a SIGKILL of the CLI ends the trainer within seconds, and no run is written', async () => {
    const dir = workspace({ 'tiny.rnn.json': seattle() });
    const run = background(['train', 'tiny.rnn.json', ...LONG], dir);
    await run.until('the first epoch', () => /^Epoch 1\/200/m.test(run.out));
    const [trainer] = childrenOf(run.child.pid!);
    assert.ok(trainer && alive(trainer), 'the trainer runs');
    run.child.kill('SIGKILL');
    assert.ok(await gone(trainer, 5000), 'the trainer ended within 5 s of its parent');
    assert.deepEqual(runFolders(dir), [], 'no run, no partial folder');
  });

  it('Ctrl-C (SIGINT to the process group) is handled once: stops after the current batch, keeps the finished epochs, exits 130', async () => {
    const dir = workspace({ 'tiny.rnn.json': seattle() });
    const run = background(['train', 'tiny.rnn.json', ...LONG], dir);
    await run.until('two epochs', () => /^Epoch 2\/200/m.test(run.out));
    const [trainer] = childrenOf(run.child.pid!);
    process.kill(-run.child.pid!, 'SIGINT');
    const { code } = await run.exited;
    assert.equal(code, 130, run.err);
    assert.equal(run.err.match(/stopping after the current batch/g)?.length, 1, run.err);
    assert.doesNotMatch(run.err, /crashed|SIGINT|exited unexpectedly/);
    const finished = Number(/^Cancelled after (\d+) finished epoch\(s\); saved what finished\.$/m.exec(run.out)?.[1]);
    assert.ok(finished >= 2, run.out);
    const runs = runFolders(dir);
    assert.equal(runs.length, 1, `one complete run: ${runs.join(', ')}`);
    assert.doesNotMatch(runs[0], /^tiny-weather\/\./, 'not a hidden partial folder');
    const history = JSON.parse(readFileSync(path.join(dir, 'runs', runs[0], 'history.json'), 'utf8'));
    assert.equal(history.length, finished);
    assert.ok(await gone(trainer, 5000));
  });

  it('a second Ctrl-C stops at once and keeps nothing of the run', async () => {
    // Slow batches (LSTM(512) over 60 days, 256 windows a batch: about 100 GFLOP, a second or more
    // here), so the first Ctrl-C is still waiting for the current batch when the second comes.
    const slow = seattle({}, [{ type: 'LSTM', units: 512 }, { type: 'Dense', units: 1 }]).replace('"shape": [\n      7,', '"shape": [\n      60,').replace('"window": 7', '"window": 60');
    const dir = workspace({ 'slow.rnn.json': slow });
    const run = background(['train', 'slow.rnn.json', '--batch-size', '256', '--epochs', '200'], dir);
    await run.until('the training start', () => /^training: /m.test(run.err));
    await new Promise((r) => setTimeout(r, 1000));
    const [trainer] = childrenOf(run.child.pid!);
    process.kill(-run.child.pid!, 'SIGINT');
    await run.until('the stop message', () => /stopping after the current batch/.test(run.err), 10_000);
    process.kill(-run.child.pid!, 'SIGINT');
    const { code } = await run.exited;
    assert.equal(code, 130, run.err);
    assert.equal(run.err.match(/stopping after the current batch/g)?.length, 1);
    assert.match(run.err, /^rnn-studio: Stopped at once; nothing of this run was saved\.$/m);
    assert.doesNotMatch(run.out, /Run saved/);
    assert.deepEqual(runFolders(dir), [], 'no run, no partial folder');
    assert.ok(await gone(trainer, 5000));
    noStackTrace(run.err);
  });
});
