import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import type { FromTrainerMessage } from '../../src/protocol/trainer';
import { startTrainer, TrainerError, type TrainerJob } from '../../src/runner/trainerProcess';
import { repoRoot } from './helpers';

/** The real trainer process (dist/trainer.js), with tiny models and data. */

const trainerPath = path.join(repoRoot, 'dist', 'trainer.js');

function tinyModel(extra: { data?: object; training?: object; layers?: object[] } = {}): string {
  return JSON.stringify(
    {
      name: 'tiny-memory',
      input: { shape: [12], dtype: 'int32' },
      layers: extra.layers ?? [
        { type: 'Embedding', input_dim: 10, output_dim: 4 },
        { type: 'GRU', units: 8 },
        { type: 'Dense', units: 1, activation: 'sigmoid' },
      ],
      compile: { optimizer: 'adam', learning_rate: 0.01, loss: 'binary_crossentropy', metrics: ['accuracy'] },
      data: { kind: 'text', source: 'builtin', dataset: 'long_range_memory', k: 3, maxlen: 12, vocab_size: 10, samples: 400, seed: 5, ...extra.data },
      training: { epochs: 3, batch_size: 16, validation_split: 0.2, seed: 9, ...extra.training },
    },
    null,
    2,
  );
}

function workspace(text: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'rnn-trainer-'));
  const file = path.join(dir, 'tiny.rnn.json');
  writeFileSync(file, text);
  return file;
}

async function start(job: TrainerJob, options: { onMessage?: (m: FromTrainerMessage) => void; env?: NodeJS.ProcessEnv } = {}) {
  const messages: FromTrainerMessage[] = [];
  const handle = startTrainer(job, { trainerPath, env: options.env, onMessage: (m) => (messages.push(m), options.onMessage?.(m)) });
  return { handle, messages, result: handle.result };
}

describe('trainer process', () => {
  it('trains, writes a complete run folder, and evaluate/predict reload it', async () => {
    const modelPath = workspace(tinyModel());
    const { messages, result } = await start({ type: 'train', modelPath, modelText: readFileSync(modelPath, 'utf8') });
    const done = await result;
    assert.equal(done.type, 'done');
    if (done.type !== 'done') return;
    const backend = messages.find((m) => m.type === 'backend');
    assert.deepEqual(backend && { backend: backend.backend, native: backend.native, notice: backend.notice }, { backend: 'cpu', native: false, notice: undefined });
    assert.match(done.run.kernels ?? '', /^native kernels/);
    const epochs = messages.filter((m) => m.type === 'epoch');
    assert.equal(epochs.length, 3);
    assert.ok(messages.some((m) => m.type === 'batch'));
    // No tensor leaks: the live tensor count is the same after every epoch.
    const counts = epochs.map((m) => (m.type === 'epoch' ? m.tensors : -1));
    assert.equal(new Set(counts).size, 1, `tensors per epoch: ${counts.join(', ')}`);
    const run = done.run;
    assert.equal(path.dirname(path.dirname(run.runDir)), path.join(path.dirname(modelPath), 'runs'));
    assert.deepEqual(readdirSync(run.runDir).sort(), ['history.json', 'metrics.json', 'model.json', 'model.rnn.json', 'preprocessor.json', 'weights.bin']);
    assert.equal(readFileSync(path.join(run.runDir, 'model.rnn.json'), 'utf8'), readFileSync(modelPath, 'utf8'));
    const history = JSON.parse(readFileSync(path.join(run.runDir, 'history.json'), 'utf8'));
    assert.deepEqual(Object.keys(history[0]).sort(), ['accuracy', 'loss', 'val_accuracy', 'val_loss']);
    assert.ok(run.testMetrics && run.testMetrics.accuracy >= 0 && run.testMetrics.accuracy <= 1);
    assert.equal(readdirSync(path.dirname(run.runDir)).filter((f) => f.includes('partial')).length, 0);

    const evaluated = await (await start({ type: 'evaluate', runDir: run.runDir })).result;
    assert.equal(evaluated.type, 'evaluated');
    if (evaluated.type === 'evaluated') assert.ok(Math.abs(evaluated.metrics.accuracy - run.testMetrics!.accuracy) < 1e-6, 'evaluate reproduces the test metrics');
  });

  it('learns: an LSTM remembers the marked token 6 steps back (test accuracy >= 95%)', async () => {
    const modelPath = workspace(
      tinyModel({
        layers: [
          { type: 'Embedding', input_dim: 10, output_dim: 8 },
          { type: 'LSTM', units: 16 },
          { type: 'Dense', units: 1, activation: 'sigmoid' },
        ],
        data: { k: 6, samples: 3000, seed: 3 },
        training: { epochs: 8, batch_size: 64, seed: 1 },
      }),
    );
    const done = await (await start({ type: 'train', modelPath, modelText: readFileSync(modelPath, 'utf8') })).result;
    assert.equal(done.type, 'done');
    if (done.type === 'done') assert.ok(done.run.testMetrics!.accuracy >= 0.95, `test accuracy ${done.run.testMetrics!.accuracy}`);
  });

  it('predicts a label and probabilities for texts with a saved tokenizer', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rnn-predict-'));
    const rows = Array.from({ length: 80 }, (_, i) => JSON.stringify(i % 2 ? { text: `great fun loved it ${i}`, label: 'pos' } : { text: `awful boring hated it ${i}`, label: 'neg' }));
    writeFileSync(path.join(dir, 'reviews.jsonl'), rows.join('\n') + '\n');
    const modelPath = path.join(dir, 'reviews.rnn.json');
    writeFileSync(
      modelPath,
      tinyModel({ data: { kind: 'text', source: 'jsonl', path: 'reviews.jsonl', labels: ['neg', 'pos'], num_words: 50, maxlen: 12, dataset: undefined }, training: { epochs: 8 } }).replace('"input_dim": 10', '"input_dim": 50'),
    );
    const done = await (await start({ type: 'train', modelPath, modelText: readFileSync(modelPath, 'utf8') })).result;
    assert.equal(done.type, 'done');
    if (done.type !== 'done') return;
    const predicted = await (await start({ type: 'predict', runDir: done.run.runDir, texts: ['loved it great fun', 'boring awful hated it'] })).result;
    assert.equal(predicted.type, 'predicted');
    if (predicted.type !== 'predicted') return;
    assert.deepEqual(predicted.predictions.map((p) => p.label), ['pos', 'neg']);
    for (const p of predicted.predictions) assert.ok(Math.abs(p.probabilities!.reduce((a, b) => a + b, 0) - 1) < 1e-6);
  });

  it('cancel mid-epoch stops within a second and leaves a consistent run', async () => {
    const modelPath = workspace(tinyModel({ training: { epochs: 200, batch_size: 8 } }));
    let cancelledAt = 0;
    const { handle, result } = await start(
      { type: 'train', modelPath, modelText: readFileSync(modelPath, 'utf8') },
      {
        onMessage: (m) => {
          if (m.type === 'batch' && m.epoch === 2 && !cancelledAt) {
            cancelledAt = Date.now();
            handle.cancel();
          }
        },
      },
    );
    const done = await result;
    const stoppedAfter = Date.now() - cancelledAt;
    assert.ok(stoppedAfter < 1000 + 2000, `stopped ${stoppedAfter} ms after cancel (saving included)`);
    assert.equal(done.type, 'done');
    if (done.type !== 'done') return;
    assert.equal(done.run.cancelled, true);
    assert.equal(done.run.epochs, 1, 'only finished epochs count');
    assert.ok(existsSync(path.join(done.run.runDir, 'weights.bin')));
    assert.equal(readdirSync(path.dirname(done.run.runDir)).filter((f) => f.startsWith('.')).length, 0, 'no partial run left');
  });

  it('a crashed trainer is reported with its cause and leaves no partial run', async () => {
    const modelPath = workspace(tinyModel({ training: { epochs: 200 } }));
    const { handle, result } = await start(
      { type: 'train', modelPath, modelText: readFileSync(modelPath, 'utf8') },
      { onMessage: (m) => m.type === 'batch' && handle.process.kill('SIGKILL') },
    );
    await assert.rejects(result, (e: unknown) => e instanceof TrainerError && e.crashed && /killed \(SIGKILL\)/.test(e.message));
    assert.equal(existsSync(path.join(path.dirname(modelPath), 'runs')), false);
  });

  it('bad data is reported with the file and line, and nothing is written', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rnn-bad-'));
    writeFileSync(path.join(dir, 'reviews.jsonl'), '{"text": "fine", "label": "pos"}\n{"text": "bad", "label": "meh"}\n');
    const modelPath = path.join(dir, 'bad.rnn.json');
    writeFileSync(modelPath, tinyModel({ data: { kind: 'text', source: 'jsonl', path: 'reviews.jsonl', labels: ['neg', 'pos'], num_words: 10, dataset: undefined } }));
    const { result } = await start({ type: 'train', modelPath, modelText: readFileSync(modelPath, 'utf8') });
    await assert.rejects(result, (e: unknown) => e instanceof TrainerError && !e.crashed && e.line === 2 && /reviews\.jsonl/.test(e.message) && /meh/.test(e.message));
    assert.equal(existsSync(path.join(dir, 'runs')), false);
  });

  it('a model with errors is refused with the first error and its position', async () => {
    const text = tinyModel({ layers: [{ type: 'Embedding', input_dim: 10, output_dim: 4 }, { type: 'LSTM', units: 4 }, { type: 'LSTM', units: 4 }, { type: 'Dense', units: 1, activation: 'sigmoid' }] });
    const modelPath = workspace(text);
    const { result } = await start({ type: 'train', modelPath, modelText: text });
    await assert.rejects(result, /the model has 1 error; first: LSTM "lstm_1" expects a 3-D input/);
  });

  it('trains on the native TensorFlow backend when asked (RNN_STUDIO_BACKEND=tensorflow), and on the portable kernels', async () => {
    const modelPath = workspace(tinyModel({ training: { epochs: 1 }, data: { samples: 64 } }));
    const { messages, result } = await start({ type: 'train', modelPath, modelText: readFileSync(modelPath, 'utf8') }, { env: { RNN_STUDIO_BACKEND: 'tensorflow', RNN_STUDIO_KERNELS: 'portable' } });
    const done = await result;
    assert.equal(done.type, 'done');
    const backend = messages.find((m) => m.type === 'backend');
    assert.ok(backend && backend.type === 'backend' && backend.backend === 'tensorflow' && backend.native && !backend.notice);
    if (done.type === 'done') {
      assert.equal(done.run.backend, 'tensorflow');
      assert.match(done.run.kernels ?? '', /^portable kernels \(wasm-relaxed-simd/);
    }
  });

  it('ignores malformed messages from its parent', async () => {
    const modelPath = workspace(tinyModel({ training: { epochs: 1 }, data: { samples: 64 } }));
    const { handle, result } = await start({ type: 'train', modelPath, modelText: readFileSync(modelPath, 'utf8') });
    handle.process.send({ type: 'train', modelPath: 42 });
    handle.process.send('nonsense');
    assert.equal((await result).type, 'done');
  });
});
