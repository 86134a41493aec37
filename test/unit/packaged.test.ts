import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { COMPACT_SEATTLE, COMPACT_SPAM, packageDir, seattleCsv, spamCompact, spamIndex, spamPackage, spamTexts } from '../../src/data/builtin';
import { DataError } from '../../src/data/errors';
import type { FromTrainerMessage } from '../../src/protocol/trainer';
import { crashMessage, moduleNotFoundMessage, startTrainer, TrainerError } from '../../src/runner/trainerProcess';
import { repoRoot } from './helpers';

/**
 * What the packages carry (issue 12): the built-in data sets in their compact form (dist/data,
 * written by `node esbuild.mjs`) hold exactly the packages' messages; the trainer bundle trains from
 * a folder without node_modules on the bundled pure-JS backend, without a notice; a trainer that
 * cannot start says which file or module is missing.
 */

const dist = path.join(repoRoot, 'dist');
const built = `run \`node esbuild.mjs\` (npm run build) first`;

function sha256(texts: string[]): string {
  const h = createHash('sha256');
  for (const t of texts) h.update(`${Buffer.byteLength(t)}:`).update(t);
  return h.digest('hex');
}

describe('built-in data in compact form (dist/data)', () => {
  it('spam-assassin.json.gz holds the package file list, labels and every message text, identical', () => {
    const file = path.join(dist, 'data', COMPACT_SPAM);
    assert.ok(existsSync(file), `${file} is missing: ${built}`);
    const compact = spamCompact(file);
    const pkg = spamPackage();
    assert.equal(compact.files.length, 6046);
    assert.deepEqual(compact.files, pkg.files);
    assert.deepEqual(compact.isSpam, pkg.isSpam);
    const all = Int32Array.from(pkg.files.keys());
    const fromPackage = spamTexts(pkg, all);
    const fromCompact = spamTexts(compact, all);
    const differ = fromPackage.flatMap((t, i) => (t === fromCompact[i] ? [] : [pkg.files[i]]));
    assert.deepEqual(differ, [], `messages that differ: ${differ.slice(0, 5).join(', ')}`);
    assert.equal(sha256(fromCompact), sha256(fromPackage));
  });

  it('seattle-weather.csv is the vega-datasets file, byte for byte', () => {
    const file = path.join(dist, 'data', COMPACT_SEATTLE);
    assert.ok(existsSync(file), `${file} is missing: ${built}`);
    const original = path.join(packageDir('vega-datasets', 'seattle_weather'), 'data', 'seattle-weather.csv');
    assert.ok(readFileSync(file).equals(readFileSync(original)));
  });

  it('without compact files beside the code (out/), the npm packages are read', () => {
    assert.equal(spamIndex().texts, undefined);
    assert.match(seattleCsv().display, /vega-datasets/);
  });

  it('neither form: a DataError that names both and says what to do', () => {
    assert.throws(
      () => packageDir('@rnn-studio/no-such-dataset', 'spam_assassin', COMPACT_SPAM),
      (e: unknown) => e instanceof DataError && /spam_assassin is missing/.test(e.message) && e.message.includes(COMPACT_SPAM) && /@rnn-studio\/no-such-dataset/.test(e.message) && /Reinstall the RNN Studio extension/.test(e.message),
    );
  });
});

describe('the trainer bundle in a folder without node_modules', () => {
  // What a package holds: the bundle, the data and the kernels, without the repository around them.
  function isolated(): string {
    assert.ok(existsSync(path.join(dist, 'trainer.js')), `dist/trainer.js is missing: ${built}`);
    const dir = path.join(mkdtempSync(path.join(tmpdir(), 'rnn-packaged-')), 'extension', 'dist');
    mkdirSync(dir, { recursive: true });
    cpSync(path.join(dist, 'trainer.js'), path.join(dir, 'trainer.js'));
    for (const sub of ['data', 'kernels', 'native']) if (existsSync(path.join(dist, sub))) cpSync(path.join(dist, sub), path.join(dir, sub), { recursive: true });
    return dir;
  }

  for (const example of ['spam-lstm', 'seattle-weather-forecast']) {
    it(`trains examples/${example} on the bundled pure-JS backend, without a notice`, async () => {
      const dir = isolated();
      const modelPath = path.join(dir, '..', `${example}.rnn.json`);
      // The example, smaller (the pure-JS backend without the kernels is slow): a unit test, not a benchmark.
      const text = readFileSync(path.join(repoRoot, 'examples', `${example}.rnn.json`), 'utf8')
        .replace(/"units": \d\d+/g, '"units": 4')
        .replace(/"output_dim": \d+/, '"output_dim": 4')
        .replace(/"shape": \[200\]/, '"shape": [40]')
        .replace(/"maxlen": 200/, '"maxlen": 40');
      writeFileSync(modelPath, text);
      const messages: FromTrainerMessage[] = [];
      const env = { NODE_PATH: '', RNN_STUDIO_BACKEND: 'auto' }; // anything but `cpu`: try tfjs-node (absent here)
      const handle = startTrainer(
        { type: 'train', modelPath, modelText: readFileSync(modelPath, 'utf8'), outDir: path.join(dir, '..', 'runs'), overrides: { epochs: 1, maxSamples: 96, batchSize: 32 } },
        { trainerPath: path.join(dir, 'trainer.js'), env, onMessage: (m) => messages.push(m) },
      );
      const done = await handle.result;
      assert.equal(done.type, 'done');
      const backend = messages.find((m) => m.type === 'backend');
      assert.deepEqual(backend, { type: 'backend', backend: 'cpu', native: false, notice: undefined });
      const data = messages.find((m) => m.type === 'data');
      assert.match(data?.type === 'data' ? data.summary : '', example === 'spam-lstm' ? /^SpamAssassin: 96 messages/ : /seattle/i);
    });
  }
});

describe('a trainer that cannot start says why', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rnn-crash-'));

  /** Runs a script the way the trainer runs and returns its exit code and real stderr. */
  function run(script: string): Promise<{ code: number | null; stderr: string }> {
    return new Promise((resolve) => {
      const child = fork(script, [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
      let stderr = '';
      child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('exit', (code) => resolve({ code, stderr }));
    });
  }

  it('a missing module: which one, who needed it, reinstall / npm install', async () => {
    const script = path.join(dir, 'trainer.js');
    writeFileSync(script, "require('@tensorflow/tfjs-not-installed');\n");
    const { code, stderr } = await run(script);
    assert.equal(code, 1);
    assert.match(stderr, /MODULE_NOT_FOUND/);
    const message = crashMessage(code, null, stderr);
    assert.equal(
      message,
      `The trainer cannot start: the module '@tensorflow/tfjs-not-installed' is missing (needed by ${script}). Reinstall the RNN Studio extension; in a development checkout run "npm install" (it builds dist/) in the RNN Studio folder.`,
    );
    assert.doesNotMatch(message, /exit code/);
  });

  it('the trainer file itself missing, as Node reports it', async () => {
    const missing = path.join(dir, 'gone', 'trainer.js');
    const { code, stderr } = await run(missing);
    assert.equal(code, 1);
    assert.equal(crashMessage(code, null, stderr).split('\n')[0], `The trainer cannot start: its file ${missing} is missing. Reinstall the RNN Studio extension; in a development checkout run "npm install" (it builds dist/) in the RNN Studio folder.`);
  });

  it('startTrainer checks the file before forking', () => {
    const missing = path.join(dir, 'nowhere', 'trainer.js');
    assert.throws(
      () => startTrainer({ type: 'evaluate', runDir: dir }, { trainerPath: missing }),
      (e: unknown) => e instanceof TrainerError && e.crashed && e.message.includes(missing) && /Reinstall the RNN Studio extension/.test(e.message),
    );
  });

  it('startTrainer rejects with the missing module, not a bare exit code', async () => {
    const script = path.join(dir, 'needs-module.js');
    writeFileSync(script, "require('vega-datasets-not-here');\n");
    const handle = startTrainer({ type: 'evaluate', runDir: dir }, { trainerPath: script });
    await assert.rejects(handle.result, (e: unknown) => e instanceof TrainerError && e.crashed && /the module 'vega-datasets-not-here' is missing/.test(e.message));
  });

  it('other crashes keep their exit code and the end of stderr', () => {
    assert.equal(moduleNotFoundMessage('Error: boom'), undefined);
    assert.equal(crashMessage(3, null, 'Error: boom\n'), 'The trainer exited unexpectedly (exit code 3).\nError: boom');
  });
});
