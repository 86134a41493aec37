import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { encodeTexts, type TextPreprocessor } from '../../src/data';
import type { MemoryResult } from '../../src/protocol/training';
import type { Prediction } from '../../src/protocol/trainer';
import { startTrainer, type TrainerJob } from '../../src/runner/trainerProcess';
import { repoRoot } from './helpers';
import { python, run } from './keras';

/**
 * The round trip Keras -> RNN Studio: a `.keras` file saved by Keras 3 (TensorFlow 2.21 / Keras
 * 3.15) imports with its trained weights as a run folder (`rnn-studio import`, a real CLI process),
 * and RNN Studio's trainer then predicts what Keras' model.predict does, evaluates to the test
 * metrics Keras printed, and shows the memory view. Skipped with the reason without Python and Keras.
 */

const work = mkdtempSync(path.join(tmpdir(), 'rnn-keras-weights-'));
const cli = path.join(repoRoot, 'bin', 'rnn-studio.js');
const trainerPath = path.join(repoRoot, 'dist', 'trainer.js');

after(() => {
  if (!process.env.RNN_STUDIO_KEEP_TEST_FILES) rmSync(work, { recursive: true, force: true });
});

async function trainer<T>(job: TrainerJob): Promise<T> {
  return (await startTrainer(job, { trainerPath }).result) as T;
}

/** Texts whose words the tokenizer fits (two classes, a few repeated words). */
function textsCsv(): string {
  const words = ['red', 'green', 'blue', 'cat', 'dog', 'sun', 'rain', 'big', 'small', 'fast', 'slow', 'yes', 'no'];
  const rows = ['text,label'];
  for (let i = 0; i < 40; i++) {
    const text = Array.from({ length: 3 + (i % 9) }, (_, j) => words[(i * 7 + j * 3) % words.length]).join(' ');
    rows.push(`${text},${i % 2 ? 'pos' : 'neg'}`);
  }
  return rows.join('\n') + '\n';
}

const DATA = { kind: 'text', source: 'csv', path: 'data/texts.csv', num_words: 30, maxlen: 12, test_split: 0.25, seed: 7 };

/**
 * Keras models with known weights (deterministic, not random: sin(i) per weight), saved as .keras
 * with the record train.py writes (the data section), one process for all of them.
 */
const KERAS_MODELS: Record<string, string> = {
  lstm: 'keras.layers.Embedding(30, 8), keras.layers.LSTM(6), keras.layers.Dense(1, activation="sigmoid")',
  bigru: 'keras.layers.Embedding(30, 8, name="tokens"), keras.layers.Bidirectional(keras.layers.GRU(5)), keras.layers.Dense(1, activation="sigmoid")',
};

const SAVE = String.raw`
import json, sys, zipfile
import numpy as np
import keras

data, out = json.loads(sys.argv[1]), sys.argv[2]
for name, layers in json.loads(sys.argv[3]).items():
    model = keras.Sequential([keras.Input(shape=(12,), dtype="int32")] + eval("[" + layers + "]"), name=name)
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    model.set_weights([0.4 * np.sin(np.arange(w.size, dtype="float64") * (k + 1.3)).reshape(w.shape).astype("float32")
                       for k, w in enumerate(model.get_weights())])
    path = f"{out}/{name}/{name}.keras"
    model.save(path)
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("rnn-studio.json", json.dumps({"format": "rnn-studio-keras-training", "data": data, "seed": 7}))
`;

const PREDICT = String.raw`
import json, sys
import numpy as np
import keras

for path, ids in json.loads(sys.argv[1]).items():
    model = keras.saving.load_model(path)
    print(json.dumps({"path": path, "outputs": model.predict(np.array(ids, dtype="int32"), verbose=0).tolist()}))
`;

const fixtures = path.join(repoRoot, 'test', 'fixtures', 'interop', 'special');

describe('import of a .keras file with its trained weights (a fixture saved by train.py; no Python needed)', () => {
  it('writes the model with its data section and a run beside it that evaluates to the test metrics Keras printed', async () => {
    const dir = path.join(work, 'fixture');
    mkdirSync(dir, { recursive: true });
    const keras = path.join(dir, 'lrm.keras');
    writeFileSync(keras, readFileSync(path.join(fixtures, 'long-range-memory-trained.keras')));
    const imported = await run(process.execPath, [cli, 'import', 'lrm.keras'], { cwd: dir });
    assert.equal(imported.code, 0, imported.stderr);
    assert.match(readFileSync(path.join(dir, 'lrm.rnn.json'), 'utf8'), /"data": \{ "kind": "text", "source": "builtin", "dataset": "long_range_memory"/);
    const runDir = path.join(dir, /Wrote (runs\/long-range-memory\/\S+)\//.exec(imported.stderr)?.[1] ?? 'no run');
    const metrics = JSON.parse(readFileSync(path.join(runDir, 'metrics.json'), 'utf8'));
    assert.equal(metrics.importedFrom, keras);
    assert.equal(metrics.maxSamples, 256);
    const evaluated = await trainer<{ metrics: Record<string, number> }>({ type: 'evaluate', runDir });
    for (const k of ['loss', 'accuracy']) assert.ok(Math.abs(evaluated.metrics[k] - metrics.kerasTestMetrics[k]) <= 1e-3, `${k}: Keras ${metrics.kerasTestMetrics[k]}, the imported run ${evaluated.metrics[k]}`);

    const without = await run(process.execPath, [cli, 'import', 'lrm.keras', '--out', 'only-model.rnn.json', '--no-weights'], { cwd: dir });
    assert.equal(without.code, 0, without.stderr);
    assert.doesNotMatch(without.stderr, /runs\//, '--no-weights: no run');
    const toStdout = await run(process.execPath, [cli, 'import', 'lrm.keras', '--out', '-'], { cwd: dir });
    assert.match(toStdout.stderr, /note: the trained weights \(model\.weights\.h5 in lrm\.keras\) were not imported: a run folder goes beside the model file, and --out - writes none/);
  });
});

/** From one .keras: mismatch.keras (its LSTM with 3 units instead of 6) and noweights.keras (no model.weights.h5). */
const BREAK = String.raw`
import json, sys, zipfile

source, out = zipfile.ZipFile(sys.argv[1]), sys.argv[2]
config = json.loads(source.read("config.json"))
for layer in config["config"]["layers"]:
    if layer["class_name"] == "LSTM":
        layer["config"]["units"] = 3
for name, skip, replace in (("mismatch", None, "config.json"), ("noweights", "model.weights.h5", None)):
    with zipfile.ZipFile(f"{out}/{name}.keras", "w") as z:
        for entry in source.namelist():
            if entry != skip:
                z.writestr(entry, json.dumps(config) if entry == replace else source.read(entry))
`;

describe('import of a .keras file with its trained weights, against Keras 3', () => {
  it('Embedding -> LSTM -> Dense and Embedding -> Bidirectional(GRU) -> Dense: the imported run predicts what Keras predicts (1e-4)', async (t) => {
    const py = await python(t);
    if (!py) return;
    assert.ok(existsSync(trainerPath), 'dist/trainer.js is missing: run `npm run build`');
    for (const name of Object.keys(KERAS_MODELS)) {
      mkdirSync(path.join(work, name, 'data'), { recursive: true });
      writeFileSync(path.join(work, name, 'data', 'texts.csv'), textsCsv());
    }
    const saved = await run(py, ['-c', SAVE, JSON.stringify(DATA), work, JSON.stringify(KERAS_MODELS)]);
    assert.equal(saved.code, 0, saved.stderr.slice(-3000));

    const texts = ['red green blue', 'dog dog dog cat sun rain big small fast slow yes no no', 'never seen words', ''];
    const ids: Record<string, number[][]> = {};
    const ours: Record<string, number[]> = {};
    for (const name of Object.keys(KERAS_MODELS)) {
      const keras = path.join(work, name, `${name}.keras`);
      const imported = await run(process.execPath, [cli, 'import', keras], { cwd: path.join(work, name) });
      assert.equal(imported.code, 0, `${name}: ${imported.stderr}`);
      assert.doesNotMatch(imported.stderr, /note:|differs/, `${name}: no notes (Bidirectional included)`);
      const runDir = path.join(work, name, /Wrote (runs\/\S+)\/ with the trained weights \(model\.weights\.h5 in \w+\.keras\), imported from /.exec(imported.stderr)?.[1] ?? 'no run');
      const metrics = JSON.parse(readFileSync(path.join(runDir, 'metrics.json'), 'utf8'));
      assert.equal(metrics.importedFrom, keras, 'the run says where its weights came from');
      const model = readFileSync(path.join(work, name, `${name}.rnn.json`), 'utf8');
      assert.match(model, /"data": \{ "kind": "text", "source": "csv", "path": "data\/texts\.csv"/, 'the recorded data section');

      const predicted = await trainer<{ predictions: Prediction[] }>({ type: 'predict', runDir, texts });
      ours[keras] = predicted.predictions.map((p) => p.probabilities![1]);
      const preprocessor = JSON.parse(readFileSync(path.join(runDir, 'preprocessor.json'), 'utf8')) as TextPreprocessor;
      const x = encodeTexts(preprocessor, texts);
      ids[keras] = texts.map((_, i) => Array.from(x.data.slice(i * 12, (i + 1) * 12)));
    }

    const predicted = await run(py, ['-c', PREDICT, JSON.stringify(ids)]);
    assert.equal(predicted.code, 0, predicted.stderr.slice(-3000));
    for (const line of predicted.stdout.trim().split('\n').filter((l) => l.startsWith('{'))) {
      const { path: file, outputs } = JSON.parse(line) as { path: string; outputs: number[][] };
      const theirs = outputs.map((row) => row[0]);
      const max = Math.max(...theirs.map((v, i) => Math.abs(v - ours[file][i])));
      assert.ok(max < 1e-4, `${path.basename(file)}: Keras ${JSON.stringify(theirs)}, RNN Studio ${JSON.stringify(ours[file])}`);
      // Known weights, not a model that happens to predict 0.5 for everything.
      assert.ok(Math.max(...theirs) - Math.min(...theirs) > 1e-3, `${path.basename(file)}: the inputs give different outputs`);
    }

    // The same archive with a model whose LSTM has other units, and one without weights: said, no run, no stack trace.
    const lstm = path.join(work, 'lstm', 'lstm.keras');
    const broken = await run(py, ['-c', BREAK, lstm, path.join(work, 'lstm')]);
    assert.equal(broken.code, 0, broken.stderr.slice(-3000));
    const mismatch = await run(process.execPath, [cli, 'import', 'mismatch.keras'], { cwd: path.join(work, 'lstm') });
    assert.equal(mismatch.code, 1);
    assert.match(mismatch.stderr, /mismatch\.keras: the trained weights do not match the model's architecture: Layer "lstm": weight 0 \(lstm\/lstm_cell\/kernel\) is \(8, 24\) in the file, but the model expects \(8, 12\)\./);
    assert.doesNotMatch(mismatch.stderr, /\n\s+at /, 'no stack trace');
    const none = await run(process.execPath, [cli, 'import', 'noweights.keras'], { cwd: path.join(work, 'lstm') });
    assert.equal(none.code, 0, none.stderr);
    assert.match(none.stderr, /note: noweights\.keras has no trained weights \(no model\.weights\.h5 in the archive\): only the architecture and settings were imported\./);
  });

  it('the spam example, trained one epoch by its exported train.py: the imported run evaluates to the test metrics Keras printed (1e-3) and shows the memory view', async (t) => {
    const py = await python(t);
    if (!py) return;
    const project = path.join(work, 'spam-keras');
    const exported = await run(process.execPath, [cli, 'export', 'keras', path.join(repoRoot, 'examples', 'spam-lstm.rnn.json'), '--out', project]);
    assert.equal(exported.code, 0, exported.stderr);
    const trained = await run(py, ['train.py', '--epochs', '1', '--max-samples', '512'], { cwd: project });
    assert.equal(trained.code, 0, trained.stderr.slice(-3000));
    const keras = Object.fromEntries([.../^test: (.*)$/m.exec(trained.stdout)![1].matchAll(/(\w+) (-?\d+\.\d+)/g)].map((m) => [m[1], Number(m[2])]));

    const imported = await run(process.execPath, [cli, 'import', 'model.keras'], { cwd: project });
    assert.equal(imported.code, 0, imported.stderr);
    const runDir = path.join(project, /Wrote (runs\/spam-lstm\/\S+)\//.exec(imported.stderr)?.[1] ?? 'no run');
    const evaluated = await run(process.execPath, [cli, 'evaluate', runDir]);
    assert.equal(evaluated.code, 0, evaluated.stderr);
    const ours = Object.fromEntries([...evaluated.stdout.matchAll(/(\w+) (-?\d+\.\d+)/g)].map((m) => [m[1], Number(m[2])]));
    for (const k of ['loss', 'accuracy']) assert.ok(Math.abs(ours[k] - keras[k]) <= 1e-3, `${k}: Keras ${keras[k]}, the imported run ${ours[k]}`);
    const metrics = JSON.parse(readFileSync(path.join(runDir, 'metrics.json'), 'utf8'));
    assert.equal(metrics.maxSamples, 512, 'the sample cap train.py recorded');
    for (const k of ['loss', 'accuracy']) assert.ok(Math.abs(metrics.testMetrics[k] - metrics.kerasTestMetrics[k]) < 1e-5, `${k}: ${metrics.testMetrics[k]} vs Keras ${metrics.kerasTestMetrics[k]}`);
    assert.equal(JSON.parse(readFileSync(path.join(runDir, 'history.json'), 'utf8')).length, 1, "Keras' epoch log");

    const memory = await trainer<{ result: MemoryResult }>({ type: 'inspect', runDir, text: 'Free money, click here to win a prize' });
    assert.equal(memory.result.kind, 'text');
    if (memory.result.kind === 'text') assert.equal(memory.result.layers[0].type, 'Bidirectional(LSTM)');
  });
});
