import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { parse } from 'jsonc-parser';
import { analyzeModel, formatShape, type LayerInfo } from '../../src/core';
import { labelEncodingForLoss, prepareData, type Matrix, type PreparedData } from '../../src/data';
import { exportKerasProject, importFile, importModel } from '../../src/interop';
import type { Prediction } from '../../src/protocol/trainer';
import { startTrainer, type TrainerJob } from '../../src/runner/trainerProcess';
import { readRepoFile, repoRoot } from './helpers';
import { freePorts, python, run, venv, type ProcessResult } from './keras';

/**
 * Keras interop against the real thing: exported scripts run in Python with TensorFlow 2.21 /
 * Keras 3.15 (a venv that scripts/keras-venv.mjs reuses or creates), and RNN Studio's own trainer
 * process (dist/trainer.js) trains the runs whose weights move to Keras.
 *
 * - every example (and every model fixture Keras builds) exports to a script whose model.summary()
 *   prints RNN Studio's parameter counts, layer by layer;
 * - the script's data pipeline makes bit-identical samples, splits and preprocessors;
 * - every example with data trains one epoch in Keras; the project folder works after a move, two
 *   worker processes train together, a lonely worker gives up, SIGTERM stops one;
 * - runs trained by RNN Studio load into the Keras model, and both predict the same to 1e-4;
 * - their TF.js model.json imports back to an equivalent .rnn.json.
 *
 * Without a Python that can have TensorFlow, the tests are skipped with the reason.
 */

/** At most two heavy processes (Python with TensorFlow, the trainer) at a time: the machines have two cores. */
const queue: (() => void)[] = [];
let running = 0;
function limited<T>(fn: () => Promise<T>): Promise<T> {
  const start = (): Promise<T> => {
    running++;
    return fn().finally(() => {
      running--;
      queue.shift()?.();
    });
  };
  if (running < 2) return start();
  return new Promise<T>((resolve, reject) => queue.push(() => void start().then(resolve, reject)));
}

/** Started in before() and awaited by a test later: mark as handled so an early failure cannot crash the file. */
function early<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}

const work = mkdtempSync(path.join(tmpdir(), 'rnn-interop-'));
const timings: string[] = [];

function write(file: string, text: string): string {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

/** Exports a model file to the project folder `<work>/projects/<stem>/`; returns its train.py. */
async function exportTo(modelPath: string, options: { runDir?: string; stem?: string; missingData?: boolean } = {}): Promise<string> {
  const stem = options.stem ?? path.basename(modelPath).replace(/\.rnn\.json$/, '');
  const outDir = path.join(work, 'projects', stem);
  const result = await exportKerasProject(modelPath, { runDir: options.runDir, outDir });
  // The IMDB examples read a folder the tests make elsewhere (--data-dir): that one note is expected.
  const notes = result.diagnostics.filter((d) => !(options.missingData && /^error data-missing/.test(d)));
  assert.deepEqual(notes, [], `${stem}: export diagnostics`);
  return path.join(outDir, 'train.py');
}

interface HarnessResult {
  script: string;
  exit: number | string | null;
  error: string | null;
  stdout: string;
  stderr: string;
  model?: { name: string; layers: { name: string; class_name: string; output_shape: (number | null)[]; params: number }[]; total_params: number; trainable_params: number; non_trainable_params: number };
  json?: string;
}

/** Runs exported scripts in one Python process (test/fixtures/interop/run_scripts.py). */
async function harness(py: string, name: string, jobs: { script: string; argv: string[]; layers?: boolean }[]): Promise<HarnessResult[]> {
  const jobsFile = write(path.join(work, `${name}-jobs.json`), JSON.stringify(jobs));
  const resultsFile = path.join(work, `${name}-results.json`);
  // In the work folder: the scripts save model.keras and training-log.csv where they run.
  const r = await limited(() => run(py, [path.join(repoRoot, 'test', 'fixtures', 'interop', 'run_scripts.py'), jobsFile, resultsFile], { cwd: work, timeoutMs: 600_000 }));
  timings.push(`${name}: ${jobs.length} scripts in one Python process, ${(r.ms / 1000).toFixed(1)} s`);
  assert.equal(r.code, 0, `${name} harness failed:\n${r.stderr.slice(-3000)}`);
  return JSON.parse(readFileSync(resultsFile, 'utf8'));
}

/** Rows and totals of a Keras 3 model.summary() table (rich's box drawing; long cells wrap onto extra lines). */
function parseKerasSummary(text: string) {
  const rows: { nameType: string; shape: string; params: number }[] = [];
  let cells: string[][] | undefined;
  const flush = () => {
    if (cells) rows.push({ nameType: cells[0].join(' '), shape: cells[1].join(' '), params: Number(cells[2].join('').replace(/,/g, '')) });
    cells = undefined;
  };
  let inBody = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('┡')) inBody = true;
    else if (line.startsWith('├') && inBody) flush();
    else if (line.startsWith('└') && inBody) {
      flush();
      inBody = false;
    } else if (line.startsWith('│') && inBody) {
      const parts = line.split('│').slice(1, -1).map((s) => s.trim());
      cells ??= [[], [], []];
      parts.forEach((p, i) => p && cells![i].push(p));
    }
  }
  const count = (label: string) => Number(new RegExp(`^ ${label}: ([\\d,]+)`, 'm').exec(text)?.[1].replace(/,/g, '') ?? NaN);
  return { model: /Model: "([^"]*)"/.exec(text)?.[1], rows, total: count('Total params'), trainable: count('Trainable params'), nonTrainable: count('Non-trainable params') };
}

const squash = (s: string) => s.replace(/\s+/g, '');

/** What must survive export -> Keras -> import: names, types, shapes, counts and options. */
function layerFacts(l: LayerInfo) {
  const strip = (c: Record<string, unknown>) => Object.fromEntries(Object.entries(c).filter(([k]) => !['name', 'type', 'layer'].includes(k)));
  return {
    name: l.name,
    type: l.type,
    outputShape: l.outputShape,
    params: l.trainableParams + l.nonTrainableParams,
    config: strip(l.config),
    inner: l.inner && { name: l.inner.name, type: l.inner.type, config: strip(l.inner.config) },
  };
}

// ---- models and data of the tests ----------------------------------------------------------------

/** Every model file Keras builds: the examples (without the one with an error) and the fixtures without errors. */
function modelsToCheck(): string[] {
  const expectedKeras = JSON.parse(readRepoFile('test/fixtures/keras/expected.json')) as Record<string, { error?: string }>;
  const files = [
    ...exampleFiles(),
    ...Object.entries(expectedKeras)
      .filter(([f, e]) => !e.error && f.startsWith('test/'))
      .map(([f]) => path.join(repoRoot, f)),
    path.join(repoRoot, 'test', 'fixtures', 'schema-samples', 'valid', 'all-layer-types.rnn.json'),
  ];
  return [...new Set(files)].filter((f) => existsSync(f) && !hasErrors(f));
}

function hasErrors(file: string): boolean {
  return analyzeModel(readFileSync(file, 'utf8')).diagnostics.some((d) => d.severity === 'error');
}

/** Every example model file. */
function exampleFiles(): string[] {
  return readdirSync(path.join(repoRoot, 'examples'))
    .filter((f) => f.endsWith('.rnn.json'))
    .map((f) => path.join(repoRoot, 'examples', f));
}

/** A tiny aclImdb-style folder (train/ and test/, pos/ and neg/) for the IMDB examples. */
function makeImdbFolder(root: string): void {
  const good = ['a wonderful moving film', 'great acting and a lovely story', 'I loved every minute', 'brilliant, funny and warm'];
  const bad = ['a dull boring mess', 'terrible acting and no plot', 'I hated every minute', 'awful, slow and silly'];
  for (const split of ['train', 'test']) {
    for (const [label, texts] of [['pos', good], ['neg', bad]] as const) {
      for (let i = 0; i < (split === 'train' ? 48 : 12); i++) write(path.join(root, 'data', 'aclImdb', split, label, `${i}_${(i % 10) + 1}.txt`), `${texts[i % 4]} ${texts[(i + 1) % 4]} review ${i}`);
    }
  }
  write(path.join(root, 'data', 'aclImdb', 'train', 'unsup', '0_0.txt'), 'unlabelled');
}

function model(name: string, body: object): string {
  return write(path.join(work, 'models', `${name}.rnn.json`), JSON.stringify({ name, ...body }, null, 2));
}

/** Models RNN Studio trains and Keras then loads: every recurrent cell, masks, and each weight layout. */
function parityModels() {
  const lrm = JSON.parse(readRepoFile('examples/long-range-memory.rnn.json'));
  lrm.data.samples = 300;
  lrm.training = { epochs: 2, batch_size: 32, validation_split: 0.2, seed: 11 };
  return {
    memory: model('long-range-memory', lrm),
    spam: model('spam-tiny', {
      input: { shape: [40], dtype: 'int32' },
      layers: [
        { type: 'Embedding', input_dim: 500, output_dim: 16, mask_zero: true },
        { type: 'Bidirectional', layer: { type: 'GRU', units: 8, return_sequences: true } },
        { type: 'LSTM', units: 8 },
        { type: 'Dropout', rate: 0.2 },
        { type: 'Dense', units: 1, activation: 'sigmoid' },
      ],
      compile: { optimizer: 'adam', learning_rate: 0.01, loss: 'binary_crossentropy', metrics: ['accuracy'] },
      data: { kind: 'text', source: 'builtin', dataset: 'spam_assassin', num_words: 500, oov_token: '<OOV>', maxlen: 40, truncating: 'post', max_samples: 300, seed: 3 },
      training: { epochs: 1, batch_size: 32, validation_split: 0.1, seed: 5 },
    }),
    series: model('weather-tiny', {
      input: { shape: [12, 2] },
      layers: [
        { type: 'Conv1D', filters: 4, kernel_size: 3, padding: 'causal', activation: 'relu' },
        { type: 'BatchNormalization' },
        { type: 'Bidirectional', merge_mode: 'ave', layer: { type: 'GRU', units: 6, return_sequences: true, reset_after: false } },
        { type: 'TimeDistributed', layer: { type: 'Dense', units: 4, activation: 'tanh' } },
        { type: 'LayerNormalization' },
        { type: 'SimpleRNN', units: 5 },
        { type: 'Dense', units: 1 },
      ],
      compile: { optimizer: 'adam', learning_rate: 0.01, loss: 'mse', metrics: ['mae'] },
      data: { kind: 'timeseries', source: 'builtin', dataset: 'seattle_weather', columns: ['temp_max', 'temp_min'], target: 'temp_max', window: 12, normalization: 'minmax', max_samples: 400 },
      training: { epochs: 2, batch_size: 32, validation_split: 0.1, seed: 2, early_stopping: { monitor: 'val_loss', patience: 1, restore_best_weights: true } },
    }),
  };
}

/** Data pipelines of every kind, for the parity of the script's data with RNN Studio's. */
function dataModels(): { file: string; cap?: number }[] {
  const dir = path.join(work, 'data-models');
  const rows = Array.from({ length: 90 }, (_, i) => ({ text: `${['Great', 'awful', 'OK'][i % 3]} film, number ${i}! ${i % 7 ? 'would watch again' : 'never again'}`, label: ['pos', 'neg', 'meh'][i % 3] }));
  write(path.join(dir, 'reviews.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  write(path.join(dir, 'reviews.csv'), 'label,text\n' + rows.map((r, i) => `${i % 2},"${r.text.replace(/"/g, '""')}"`).join('\n') + '\n');
  write(path.join(dir, 'series.csv'), 'day,a,b\n' + Array.from({ length: 120 }, (_, i) => `2020-01-${i},${Math.sin(i / 5).toFixed(4)},${(i * 0.37) % 11}`).join('\n') + '\n');
  write(path.join(dir, 'series-test.csv'), 'day,a,b\n' + Array.from({ length: 40 }, (_, i) => `2021-01-${i},${Math.cos(i / 3).toFixed(4)},${(i * 1.3) % 7}`).join('\n') + '\n');
  makeImdbFolder(dir);
  const text = (name: string, data: object, shape = [12], training: object = { validation_split: 0.2 }) =>
    write(path.join(dir, `${name}.rnn.json`), JSON.stringify({ name, input: { shape, dtype: 'int32' }, layers: [{ type: 'Embedding', input_dim: 1000, output_dim: 4 }, { type: 'GRU', units: 2 }, { type: 'Dense', units: 3, activation: 'softmax' }], compile: { loss: 'sparse_categorical_crossentropy' }, data, training }));
  const binary = (name: string, data: object, shape = [12]) =>
    write(path.join(dir, `${name}.rnn.json`), JSON.stringify({ name, input: { shape, dtype: 'int32' }, layers: [{ type: 'Embedding', input_dim: 1000, output_dim: 4 }, { type: 'GRU', units: 2 }, { type: 'Dense', units: 1, activation: 'sigmoid' }], compile: { loss: 'binary_crossentropy' }, data, training: { validation_split: 0.25 } }));
  const series = (name: string, data: object) =>
    write(path.join(dir, `${name}.rnn.json`), JSON.stringify({ name, input: { shape: [8, 2] }, layers: [{ type: 'LSTM', units: 2 }, { type: 'Dense', units: 1 }], compile: { loss: 'mse' }, data, training: { validation_split: 0.1 } }));
  return [
    { file: path.join(repoRoot, 'examples', 'spam-lstm.rnn.json') },
    { file: path.join(repoRoot, 'examples', 'tokenizer-demo.rnn.json'), cap: 700 },
    { file: path.join(repoRoot, 'examples', 'seattle-weather-forecast.rnn.json') },
    { file: path.join(repoRoot, 'examples', 'long-range-memory.rnn.json') },
    { file: text('jsonl-onehot', { source: 'jsonl', path: 'reviews.jsonl', num_words: 30, oov_token: '[UNK]', padding: 'post', test_split: 0.2, seed: 9 }) },
    { file: text('jsonl-declared', { source: 'jsonl', path: 'reviews.jsonl', labels: ['neg', 'meh', 'pos'], lower: false, filters: '!,', maxlen: 12, truncating: 'post' }) },
    { file: binary('csv-numeric-labels', { source: 'csv', path: 'reviews.csv', num_words: 20, pad_value: 7 }), cap: 70 },
    { file: binary('folder-imdb', { source: 'folder', path: 'data/aclImdb', num_words: 25, oov_token: '<OOV>', seed: 4 }) },
    { file: series('csv-series-minmax', { kind: 'timeseries', source: 'csv', path: 'series.csv', columns: ['a', 'b'], target: 'b', window: 8, horizon: 3, stride: 2, normalization: 'minmax' }) },
    { file: series('csv-series-test-path', { kind: 'timeseries', source: 'csv', path: 'series.csv', test_path: 'series-test.csv', columns: ['b', 'a'], target: 'a', window: 8, normalization: 'zscore' }) },
  ];
}

async function ourData(file: string, cap?: number): Promise<PreparedData> {
  const m = parse(readFileSync(file, 'utf8'));
  const training = m.training ?? {};
  return prepareData(m.data, {
    modelDir: path.dirname(file),
    inputShape: m.input.shape,
    labelEncoding: labelEncodingForLoss(m.compile?.loss),
    validationSplit: training.validation_split ?? 0,
    maxSamples: cap,
    seed: training.seed ?? m.data?.seed ?? 1337,
  });
}

function digest(m: Matrix): { shape: number[]; sha256: string } {
  return { shape: m.shape, sha256: createHash('sha256').update(Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength)).digest('hex') };
}

// ---- RNN Studio's trainer ------------------------------------------------------------------------

const trainerPath = path.join(repoRoot, 'dist', 'trainer.js');

async function trainer<T>(job: TrainerJob): Promise<T> {
  return (await limited(() => startTrainer(job, { trainerPath }).result)) as T;
}

const trained = new Map<string, Promise<string>>();

/** Trains a model file with the real trainer process (once); resolves with the run folder. */
function trainRun(file: string): Promise<string> {
  let p = trained.get(file);
  if (!p) {
    const started = Date.now();
    p = trainer<{ type: 'done'; run: { runDir: string } }>({ type: 'train', modelPath: file, modelText: readFileSync(file, 'utf8') }).then((done) => {
      timings.push(`RNN Studio trainer: ${path.basename(file)} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      return done.run.runDir;
    });
    trained.set(file, p);
  }
  return p;
}

// ---- the Python runs ----------------------------------------------------------------------------

/** --summary-only of every model that Keras builds, in one process. */
async function startSummaries(py: string) {
  const files = modelsToCheck();
  const examples = files.filter((f) => f.includes(`${path.sep}examples${path.sep}`));
  const scripts = await Promise.all(files.map((f, i) => exportTo(f, { stem: `summary-${i}-${path.basename(f, '.rnn.json')}`, missingData: true })));
  const results = await harness(py, 'summaries', scripts.map((script) => ({ script, argv: ['--summary-only'], layers: true })));
  return { files, examples, results };
}

/** One epoch of every example with data, on at most 64 samples, in one process. */
async function startEpochs(py: string) {
  makeImdbFolder(path.join(work, 'imdb-root'));
  const examples = exampleFiles().filter((f) => !hasErrors(f) && parse(readFileSync(f, 'utf8')).data);
  const scripts = await Promise.all(examples.map((f) => exportTo(f, { stem: `epoch-${path.basename(f, '.rnn.json')}`, missingData: true })));
  const jobs = scripts.map((script, i) => {
    const folder = parse(readFileSync(examples[i], 'utf8')).data.source === 'folder';
    return { script, argv: ['--epochs', '1', '--max-samples', '64', ...(folder ? ['--data-dir', path.join(work, 'imdb-root', 'data')] : [])] };
  });
  return { examples, results: await harness(py, 'one-epoch', jobs) };
}

/** The prepared data of every kind of pipeline (--dump-data), in one process. */
async function startData(py: string) {
  const cases = dataModels();
  const scripts = await Promise.all(cases.map((c) => exportTo(c.file, { stem: `data-${path.basename(c.file, '.rnn.json')}` })));
  const dumps = cases.map((c) => path.join(work, `dump-${path.basename(c.file, '.rnn.json')}.json`));
  const results = await harness(py, 'data', scripts.map((script, i) => ({ script, argv: ['--dump-data', dumps[i], ...(cases[i].cap ? ['--max-samples', String(cases[i].cap)] : [])] })));
  return { cases, dumps, results };
}

// ---- the tests ----------------------------------------------------------------------------------

describe('Keras interop, run in TensorFlow 2.21 / Keras 3.15', () => {
  let models: ReturnType<typeof parityModels>;
  let summaries: ReturnType<typeof startSummaries> | undefined;
  let epochs: ReturnType<typeof startEpochs> | undefined;
  let dataDumps: ReturnType<typeof startData> | undefined;

  before(async () => {
    models = parityModels();
    const v = await venv();
    if (v.created) timings.push(`created .venv-keras (pip install tensorflow-cpu) in ${v.seconds?.toFixed(0)} s`);
    if (!v.python) return;
    assert.ok(existsSync(trainerPath), 'dist/trainer.js is missing: run `npm run build` (npm test does)');
    // Everything heavy starts now, two processes at a time; the tests below await their parts.
    for (const file of Object.values(models)) early(trainRun(file));
    summaries = early(startSummaries(v.python));
    epochs = early(startEpochs(v.python));
    dataDumps = early(startData(v.python));
  });

  after(() => {
    if (timings.length) process.stderr.write(`interop timings:\n  ${timings.join('\n  ')}\n`);
    if (!process.env.RNN_STUDIO_KEEP_TEST_FILES) rmSync(work, { recursive: true, force: true });
  });

  it('every example and model fixture: Keras model.summary() of the exported script prints RNN Studio\'s counts, layer by layer, and model.to_json() imports back to the same model', async (t) => {
    if (!(await python(t))) return;
    const { files, examples, results } = await summaries!;
    // Every example but those with errors (mistake-stacked-lstm: Keras refuses it, as RNN Studio says).
    assert.deepEqual(examples, exampleFiles().filter((f) => !hasErrors(f)));
    assert.ok(examples.length >= 13, `${examples.length} examples`);
    let layers = 0;
    results.forEach((r, i) => {
      const file = path.relative(repoRoot, files[i]);
      assert.equal(r.error, null, `${file}: ${r.error}`);
      assert.equal(r.exit, 0, file);
      const ours = analyzeModel(readFileSync(files[i], 'utf8'));
      // The printed summary (what a user sees), parsed.
      const printed = parseKerasSummary(r.stdout);
      assert.equal(printed.model, ours.name, `${file}: model name`);
      assert.deepEqual([printed.total, printed.trainable, printed.nonTrainable], [ours.totalParams, ours.trainableParams, ours.nonTrainableParams], `${file}: Total / Trainable / Non-trainable params`);
      assert.deepEqual(
        printed.rows.map((row) => [squash(row.nameType), squash(row.shape), row.params]),
        ours.layers.map((l) => [squash(`${l.name} (${l.type})`), squash(formatShape(l.outputShape)), l.trainableParams + l.nonTrainableParams]),
        `${file}: summary rows`,
      );
      // What Keras built, exactly.
      assert.deepEqual(
        r.model!.layers.map((l) => [l.name, l.class_name, l.output_shape, l.params]),
        ours.layers.map((l) => [l.name, l.type, l.outputShape, l.trainableParams + l.nonTrainableParams]),
        `${file}: Keras layers`,
      );
      layers += ours.layers.length;
      // Keras' own description of the model imports back to the same .rnn.json model.
      const imported = importModel(r.json!);
      assert.deepEqual(imported.diagnostics, [], `${file}: import diagnostics`);
      const back = analyzeModel(imported.modelText);
      assert.deepEqual(back.layers.map(layerFacts), ours.layers.map(layerFacts), `${file}: export -> Keras -> import`);
    });
    timings.push(`summaries: ${files.length} models (${examples.length} examples), ${layers} layers, all counts equal`);
  });

  it("the script's data pipeline makes RNN Studio's samples, splits and preprocessor, bit for bit", async (t) => {
    if (!(await python(t))) return;
    const { cases, dumps, results } = await dataDumps!;
    for (const [i, c] of cases.entries()) {
      const name = path.basename(c.file);
      assert.equal(results[i].error, null, `${name}: ${results[i].error}`);
      const theirs = JSON.parse(readFileSync(dumps[i], 'utf8'));
      const ours = await ourData(c.file, c.cap);
      assert.deepEqual(theirs.preprocessor, JSON.parse(JSON.stringify(ours.preprocessor)), `${name}: preprocessor`);
      for (const split of ['train', 'validation', 'test'] as const) {
        const o = ours[split];
        const th = theirs.splits[split];
        assert.equal(!!th, !!o && o.x.shape[0] > 0, `${name}: ${split} split present`);
        if (!o || !th) continue;
        for (const k of ['x', 'y'] as const) {
          const d = digest(o[k]);
          assert.deepEqual({ shape: th[k].shape, sha256: th[k].sha256 }, d, `${name}: ${split}.${k}`);
        }
      }
    }
  });

  it('every example with data trains one epoch in Keras (small samples)', async (t) => {
    if (!(await python(t))) return;
    const { examples, results } = await epochs!;
    results.forEach((r, i) => {
      const name = path.basename(examples[i]);
      assert.equal(r.error, null, `${name}: ${r.error}\n${r.stdout.slice(-1500)}`);
      assert.equal(r.exit, 0, name);
      // Keras' fit(verbose=2) line of the epoch: steps, time, metrics.
      assert.match(r.stdout, /^\d+\/\d+ - .*\bloss: \d/m, `${name}: trained one epoch`);
      if (parse(readFileSync(examples[i], 'utf8')).training?.validation_split > 0) assert.match(r.stdout, /^\d+\/\d+ - .* - val_loss: \d/m, `${name}: validated`);
      assert.match(r.stdout, /^test: .*\bloss \d/m, `${name}: evaluated on its test split`);
    });
    timings.push(`one epoch: ${examples.length} examples with data`);
  });

  describe('the exported project folder, copied elsewhere; several worker processes on 127.0.0.1', () => {
    let project: string | undefined;

    /** long-range-memory exported, copied to another folder, the original removed. */
    async function movedProject(): Promise<string> {
      if (project) return project;
      const first = path.dirname(await exportTo(path.join(repoRoot, 'examples', 'long-range-memory.rnn.json'), { stem: 'moved-memory' }));
      project = path.join(mkdtempSync(path.join(tmpdir(), 'rnn-moved-')), 'memory-keras');
      cpSync(first, project, { recursive: true });
      rmSync(first, { recursive: true, force: true });
      return project;
    }

    after(() => {
      if (project) rmSync(path.dirname(project), { recursive: true, force: true });
    });

    it('holds train.py, requirements.txt (met by the tested TensorFlow and Keras) and README.md, and no path of this machine', async (t) => {
      const py = await python(t);
      if (!py) return;
      const dir = await movedProject();
      for (const f of ['train.py', 'requirements.txt', 'README.md']) {
        const text = readFileSync(path.join(dir, f), 'utf8');
        for (const local of [repoRoot, work, tmpdir()]) assert.ok(!text.includes(local), `${f} mentions ${local}`);
      }
      assert.match(readFileSync(path.join(dir, 'README.md'), 'utf8'), /--workers 127\.0\.0\.1:12345,127\.0\.0\.1:12346 --worker-index 0/);
      // The venv has tensorflow-cpu (Linux only), requirements.txt names tensorflow (Linux and macOS
      // wheels): check that the versions tested here satisfy every requirement.
      const check = await run(py, [path.join(repoRoot, 'test', 'fixtures', 'interop', 'check_requirements.py'), path.join(dir, 'requirements.txt')]);
      assert.equal(check.code, 0, `requirements.txt: ${check.stdout}${check.stderr.slice(-800)}`);
      assert.match(check.stdout, /^tensorflow \S+ satisfies tensorflow/m);
    });

    it('two workers train together: the chief alone saves and logs, and ends where one worker ends', async (t) => {
      const py = await python(t);
      if (!py) return;
      const dir = await movedProject();
      const argv = ['--epochs', '1', '--max-samples', '512', '--save', 'model.keras', '--log', 'log.csv', '--timeout', '240'];
      const cwd = (name: string) => {
        const d = path.join(path.dirname(dir), name);
        mkdirSync(d, { recursive: true });
        return d;
      };
      const [a, b, solo] = await freePorts(3);
      const workers = `127.0.0.1:${a},127.0.0.1:${b}`;
      const [chief, other] = await Promise.all([0, 1].map((i) => run(py, [path.join(dir, 'train.py'), ...argv, '--workers', workers, '--worker-index', String(i)], { cwd: cwd(`worker-${i}`), timeoutMs: 400_000 })));
      timings.push(`two workers, 1 epoch on 512 samples: ${(Math.max(chief.ms, other.ms) / 1000).toFixed(1)} s`);
      assert.equal(chief.code, 0, `worker 0: ${chief.stderr.slice(-2000)}`);
      assert.equal(other.code, 0, `worker 1: ${other.stderr.slice(-2000)}`);
      assert.match(chief.stdout, /^epoch 1\/1 - loss: \d/m);
      assert.ok(existsSync(path.join(cwd('worker-0'), 'model.keras')) && existsSync(path.join(cwd('worker-0'), 'log.csv')), 'the chief saved the model and the log');
      assert.deepEqual(readdirSync(cwd('worker-1')), [], 'worker 1 writes nothing');
      // Both hold the same weights after training.
      const fingerprint = (r: ProcessResult) => /weights fingerprint (\S+)/.exec(r.stdout)?.[1];
      assert.ok(fingerprint(chief) && fingerprint(chief) === fingerprint(other), `fingerprints ${fingerprint(chief)} / ${fingerprint(other)}`);
      // One worker, same global batch and seed: the same accuracy within 0.02.
      const one = await run(py, [path.join(dir, 'train.py'), ...argv, '--workers', `127.0.0.1:${solo}`, '--worker-index', '0'], { cwd: cwd('solo'), timeoutMs: 400_000 });
      assert.equal(one.code, 0, one.stderr.slice(-2000));
      const accuracy = (r: ProcessResult) => Number(/^test: .*\baccuracy (\d\.\d+)/m.exec(r.stdout)?.[1]);
      assert.ok(Math.abs(accuracy(chief) - accuracy(one)) <= 0.02, `test accuracy: 2 workers ${accuracy(chief)}, 1 worker ${accuracy(one)}`);
      timings.push(`test accuracy: 2 workers ${accuracy(chief)}, 1 worker ${accuracy(one)}`);
    });

    it('a worker whose peer never comes gives up after --timeout with a message naming it', async (t) => {
      const py = await python(t);
      if (!py) return;
      const dir = await movedProject();
      const [a, b] = await freePorts(2);
      const r = await run(py, [path.join(dir, 'train.py'), '--workers', `127.0.0.1:${a},127.0.0.1:${b}`, '--worker-index', '0', '--timeout', '3'], { cwd: path.dirname(dir) });
      assert.equal(r.code, 3, r.stderr.slice(-1500));
      assert.match(r.stderr, new RegExp(`error: worker 0 could not reach 127\\.0\\.0\\.1:${b} within 3 s \\(--timeout\\)`));
    });

    it('SIGTERM stops a worker that waits for its peers', async (t) => {
      const py = await python(t);
      if (!py) return;
      const dir = await movedProject();
      const [a, b] = await freePorts(2);
      const child = spawn(py, [path.join(dir, 'train.py'), '--workers', `127.0.0.1:${a},127.0.0.1:${b}`, '--worker-index', '1', '--timeout', '300'], { cwd: path.dirname(dir), env: { ...process.env, PYTHONUNBUFFERED: '1', TF_CPP_MIN_LOG_LEVEL: '3' }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
      const deadline = Date.now() + 120_000;
      while (!/waiting for/.test(out) && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 100));
      assert.match(out, /worker 1: waiting for 127\.0\.0\.1:\d+/);
      const sent = Date.now();
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const signal = await exited;
      clearTimeout(timer);
      assert.equal(signal, 'SIGTERM', `stopped by ${signal} after ${Date.now() - sent} ms`);
    });
  });

  it("--run: the run's weights, with the run's sample cap, give its test metrics again; a .keras file saved by train.py imports back without false notes, with its weights", async (t) => {
    const py = await python(t);
    if (!py) return;
    // Trained with --max-samples 200 (not in the model file): the project must carry the cap.
    const done = await trainer<{ type: 'done'; run: { runDir: string } }>({ type: 'train', modelPath: models.spam, modelText: readFileSync(models.spam, 'utf8'), overrides: { maxSamples: 200 } });
    const runDir = done.run.runDir;
    const script = await exportTo(models.spam, { runDir, stem: 'run-metrics-spam' });
    assert.equal(JSON.parse(readFileSync(path.join(path.dirname(script), 'run', 'settings.json'), 'utf8')).max_samples, 200);
    const r = await limited(() => run(py, [script, '--run'], { cwd: path.dirname(script) }));
    assert.equal(r.code, 0, r.stderr.slice(-2000));
    const ours = JSON.parse(readFileSync(path.join(runDir, 'metrics.json'), 'utf8')).testMetrics as Record<string, number>;
    const theirs = Object.fromEntries([.../^test: (.*)$/m.exec(r.stdout)![1].matchAll(/(\w+) (-?\d+\.\d+)/g)].map((m) => [m[1], Number(m[2])]));
    for (const k of ['loss', 'accuracy']) assert.ok(Math.abs(theirs[k] - ours[k]) < 2e-3, `${k}: Keras ${theirs[k]}, the run ${ours[k]}`);
    timings.push(`--run test metrics: Keras ${JSON.stringify(theirs)}, RNN Studio ${JSON.stringify(ours)}`);
    // Keras saves the Bidirectional model; the .keras file imports with no note, its weights to come as a run.
    const saved = path.join(path.dirname(script), 'bi.keras');
    const trained = await limited(() => run(py, [script, '--epochs', '1', '--max-samples', '100', '--save', saved], { cwd: path.dirname(script) }));
    assert.equal(trained.code, 0, trained.stderr.slice(-2000));
    const imported = await importFile(saved);
    assert.ok(imported.modelText, imported.diagnostics.join('\n'));
    assert.deepEqual(imported.diagnostics, [], 'no false backward_layer note');
    assert.deepEqual(imported.notes ?? [], []);
    assert.deepEqual(imported.weights, { entry: 'model.weights.h5', kerasFile: saved }, 'train.py recorded the data: the weights can become a run');
  });

  describe('trained weights move from an RNN Studio run to Keras: predictions agree to 1e-4', () => {
    const tolerance = 1e-4;
    const differences: string[] = [];
    after(() => {
      if (differences.length) timings.push(`max |Keras - RNN Studio| per model: ${differences.join(', ')}`);
    });

    async function compare(t: TestContext, name: string, file: string, inputs: string[], ours: (runDir: string) => Promise<number[][]>): Promise<string | undefined> {
      const py = await python(t);
      if (!py) return undefined;
      const runDir = await trainRun(file);
      const script = await exportTo(file, { runDir, stem: `weights-${name}` });
      const saved = path.join(work, `predictions-${name}.json`);
      const [keras, expected] = await Promise.all([limited(() => run(py, [script, '--run', '--predict', ...inputs, '--save-predictions', saved])), ours(runDir)]);
      timings.push(`Keras --run --predict ${name}: ${(keras.ms / 1000).toFixed(1)} s`);
      assert.equal(keras.code, 0, `${name}: ${keras.stderr.slice(-3000)}`);
      const got = JSON.parse(readFileSync(saved, 'utf8')).outputs as number[][];
      assert.equal(got.length, expected.length);
      let max = 0;
      got.forEach((row, i) => row.forEach((v, j) => (max = Math.max(max, Math.abs(v - expected[i][j])))));
      differences.push(`${name} ${max.toExponential(1)}`);
      assert.ok(max < tolerance, `${name}: predictions differ by ${max} (Keras ${JSON.stringify(got)}, RNN Studio ${JSON.stringify(expected)})`);
      return runDir;
    }

    /** The run's model.json (TF.js) imports back to the model that was trained. */
    function assertTfjsRoundTrip(runDir: string, file: string): void {
      const imported = importModel(readFileSync(path.join(runDir, 'model.json'), 'utf8'));
      assert.deepEqual(imported.diagnostics, []);
      const back = analyzeModel(imported.modelText);
      const original = analyzeModel(readFileSync(file, 'utf8'));
      assert.deepEqual(back.layers.map(layerFacts), original.layers.map(layerFacts), `${path.basename(file)}: TF.js model.json -> .rnn.json`);
      assert.deepEqual(back.inputShape, original.inputShape);
    }

    async function ourText(runDir: string, texts: string[]): Promise<number[][]> {
      const r = await trainer<{ predictions: Prediction[] }>({ type: 'predict', runDir, texts });
      return r.predictions.map((p) => [p.probabilities![1]]);
    }

    it('Embedding -> LSTM -> Dense (long-range memory example, token ids)', async (t) => {
      const texts = ['1 2 3 4 5 6 7 8 9', '3 3 3', '9 8 7 6 5 4 3 2 1 1 2 3 4 5 6 7 8 9 1 2 3 4 5 6 7 8 9 1 2 3 4 5 6 7 8 9 1 2 3 4 5 6 7 8 9 1 2 3 4 5 6 7 8 9 1 2 3 4 5 6 7 8'];
      const runDir = await compare(t, 'memory', models.memory, texts, (r) => ourText(r, texts));
      if (runDir) assertTfjsRoundTrip(runDir, models.memory);
    });

    it('Embedding(mask_zero) -> Bidirectional(GRU) -> LSTM -> Dense on SpamAssassin texts (run tokenizer)', async (t) => {
      const texts = ['Free money!!! Click here to WIN a prize now', 'Meeting moved to 3pm, agenda attached', 'Re: your order #1234 has shipped', 'unsubscribe', ''];
      const runDir = await compare(t, 'spam', models.spam, texts, (r) => ourText(r, texts));
      if (runDir) assertTfjsRoundTrip(runDir, models.spam);
    });

    it('Conv1D(causal) -> BatchNormalization -> Bidirectional(GRU reset_after=false) -> TimeDistributed(Dense) -> LayerNormalization -> SimpleRNN on Seattle weather', async (t) => {
      const csv = readFileSync(path.join(repoRoot, 'node_modules', 'vega-datasets', 'data', 'seattle-weather.csv'), 'utf8').trim().split('\n');
      const recent = write(path.join(work, 'recent.csv'), [csv[0], ...csv.slice(-30)].join('\n') + '\n');
      const older = write(path.join(work, 'older.csv'), [csv[0], ...csv.slice(200, 215)].join('\n') + '\n');
      const inputs = [recent, older];
      const runDir = await compare(t, 'weather', models.series, inputs, async (r) => {
        const pre = JSON.parse(readFileSync(path.join(r, 'preprocessor.json'), 'utf8'));
        const rows = await Promise.all(inputs.map((seriesFile) => trainer<{ predictions: Prediction[] }>({ type: 'predict', runDir: r, seriesFile })));
        // Back from the target's units to the model's (normalised) output.
        return rows.map((p) => p.predictions[0].forecast!.map((v) => (v - pre.targetScaling.offset) / pre.targetScaling.scale));
      });
      if (runDir) assertTfjsRoundTrip(runDir, models.series);
    });
  });
});
