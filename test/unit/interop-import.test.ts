import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { exportCommand, importCommand } from '../../src/cli/interop';
import { analyzeModel, type LayerInfo, type ModelAnalysis } from '../../src/core';
import { exportKeras, importModel, readImportSource, readZipEntry } from '../../src/interop';
import { readRepoFile, repoRoot } from './helpers';

/**
 * Import of Keras models (model.to_json() of Keras 3.15, a .keras archive, a tf.keras 2 JSON) into
 * .rnn.json files, against what Keras itself reported for the same models
 * (test/fixtures/interop/generate.py), and the parts of the export that need no Python.
 */

const fixtures = path.join(repoRoot, 'test', 'fixtures', 'interop');

interface KerasModel {
  source: string | null;
  /** The model file Keras built it from, as it was then. */
  model_file?: object;
  name: string;
  layers: { name: string; class_name: string; output_shape: (number | null)[]; params: number }[];
  total_params: number;
  trainable_params: number;
  non_trainable_params: number;
}

const expected = JSON.parse(readFileSync(path.join(fixtures, 'keras-expected.json'), 'utf8')) as Record<string, KerasModel>;

function errors(a: ModelAnalysis): string[] {
  return a.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code}: ${d.message}`);
}

/** What must survive an import: per layer its name, type, shape, counts and config (Keras defaults filled). */
function layerFacts(l: LayerInfo) {
  return {
    name: l.name,
    type: l.type,
    outputShape: l.outputShape,
    params: l.trainableParams + l.nonTrainableParams,
    trainable: l.trainableParams,
    config: withoutName(l.config),
    inner: l.inner && { name: l.inner.name, type: l.inner.type, config: withoutName(l.inner.config) },
  };
}

function withoutName(config: Record<string, unknown>): Record<string, unknown> {
  const { name: _name, type: _type, layer: _layer, ...rest } = config;
  return rest;
}

function assertMatchesKeras(a: ModelAnalysis, k: KerasModel, what: string): void {
  assert.deepEqual(errors(a), [], `${what}: the imported model has errors`);
  assert.deepEqual(
    a.layers.map((l) => ({ name: l.name, type: l.type, shape: l.outputShape, params: l.trainableParams + l.nonTrainableParams })),
    // Functional models list their InputLayer and the mask op of Embedding(mask_zero) as layers too.
    k.layers.filter((l) => !['InputLayer', 'NotEqual'].includes(l.class_name)).map((l) => ({ name: l.name, type: l.class_name, shape: l.output_shape, params: l.params })),
    `${what}: layers differ from Keras'`,
  );
  assert.deepEqual([a.totalParams, a.trainableParams, a.nonTrainableParams], [k.total_params, k.trainable_params, k.non_trainable_params], `${what}: counts`);
}

describe('import: Keras model JSON -> .rnn.json', () => {
  const files = readdirSync(path.join(fixtures, 'keras')).filter((f) => f.endsWith('.json'));

  it(`imports model.to_json() of ${files.length} Keras 3 models to files Keras and RNN Studio agree on, without diagnostics`, () => {
    assert.ok(files.length >= 30, `fixtures: ${files.length}`);
    for (const f of files) {
      const stem = f.replace(/\.json$/, '');
      const k = expected[stem];
      const result = importModel(readFileSync(path.join(fixtures, 'keras', f), 'utf8'));
      assert.deepEqual(result.diagnostics, [], `${stem}: diagnostics`);
      const a = analyzeModel(result.modelText);
      assertMatchesKeras(a, k, stem);
      // The file it was built from: same names, types, shapes, counts and (default-filled) options.
      const original = analyzeModel(JSON.stringify(k.model_file));
      assert.deepEqual(a.layers.map(layerFacts), original.layers.map(layerFacts), `${stem}: differs from ${k.source}`);
      assert.deepEqual(a.inputShape, original.inputShape, `${stem}: input`);
      assert.equal(a.name, original.name);
    }
  });

  it('writes files like the examples: one layer per line, default names and options left out', () => {
    const result = importModel(readFileSync(path.join(fixtures, 'keras', 'spam-lstm.json'), 'utf8'));
    const lines = result.modelText.split('\n');
    assert.ok(lines.includes('    { "type": "Embedding", "input_dim": 10000, "output_dim": 64 },'), result.modelText);
    assert.ok(lines.includes('    { "type": "Bidirectional", "layer": { "type": "LSTM", "units": 64 } },'), result.modelText);
    const merged = importModel(readFileSync(path.join(fixtures, 'keras', 'all-layer-types.json'), 'utf8')).modelText;
    assert.match(merged, /\{ "type": "Bidirectional", "merge_mode": "sum", "layer": \{ "type": "GRU", "units": 32, "return_sequences": true, "reset_after": false \} \}/);
    assert.ok(lines.includes('  "input": { "shape": [200], "dtype": "int32" },'), result.modelText);
    // Names that differ from Keras' defaults are kept.
    const named = importModel(readFileSync(path.join(fixtures, 'keras', 'all-layer-types.json'), 'utf8'));
    assert.match(named.modelText, /\{ "type": "Embedding", "name": "tokens", "input_dim": 1000, "output_dim": 32 \}/);
  });

  it("reads a .keras archive's config.json, with its compile settings", async () => {
    const file = path.join(fixtures, 'special', 'long-range-memory.keras');
    const source = await readImportSource(file);
    assert.equal(source.kind, 'keras-archive-config');
    assert.ok(readZipEntry(readFileSync(file), 'metadata.json'), 'the zip reader lists the other entries too');
    const result = importModel(source.text, source.kind);
    assert.deepEqual(result.diagnostics, []);
    const model = JSON.parse(result.modelText);
    const original = expected['special/long-range-memory.keras'].model_file as { compile: object };
    assert.deepEqual(model.compile, original.compile);
    assert.match(result.modelText, /Imported from a \.keras archive's config\.json/);
    assertMatchesKeras(analyzeModel(result.modelText), expected['special/long-range-memory.keras'], '.keras');
  });

  it('imports a functional model whose layers form one chain (the mask op of mask_zero is implied)', () => {
    const result = importModel(readFileSync(path.join(fixtures, 'special', 'functional-chain.json'), 'utf8'));
    assert.deepEqual(result.diagnostics, []);
    const a = analyzeModel(result.modelText);
    assertMatchesKeras(a, expected['special/functional-chain.json'], 'functional chain');
    assert.equal(a.layers[0].config.mask_zero, true);
    assert.equal(a.name, 'functional_chain');
  });

  it('refuses a functional model with branches, naming the layer', () => {
    const result = importModel(readFileSync(path.join(fixtures, 'special', 'functional-branch.json'), 'utf8'));
    assert.equal(result.modelText, '');
    assert.equal(result.diagnostics.length, 1);
    assert.match(result.diagnostics[0], /"concatenate" \(Concatenate\) takes 2 inputs \(lstm, gru\).*single chain/);
  });

  it('names every layer and option outside schema v1, and keeps unsupported layers for the editor to flag', () => {
    const result = importModel(readFileSync(path.join(fixtures, 'special', 'unsupported.json'), 'utf8'));
    const text = result.diagnostics.join('\n');
    assert.match(text, /Layer 1 "gaussian_noise" \(GaussianNoise\) is not a layer type of schema v1/);
    assert.match(text, /Layer 3 "leaky_re_lu" \(LeakyReLU\) is not a layer type of schema v1/);
    assert.match(text, /Layer 2 "lstm" \(LSTM\): option outside schema v1, not kept: kernel_initializer=HeNormal/);
    assert.match(text, /Layer 5 "dense" \(Dense\): option outside schema v1, not kept: kernel_regularizer=L2\(l2=0\.01\)/);
    assert.equal(result.diagnostics.length, 4, text);
    const a = analyzeModel(result.modelText);
    assert.deepEqual(
      a.diagnostics.filter((d) => d.code === 'unknown-layer-type').map((d) => d.layerIndex),
      [1, 3],
    );
    assert.match(result.modelText, /\{ "type": "LeakyReLU", "name": "leaky_re_lu", "negative_slope": 0\.3 \}/);
    // Exported again, the unsupported layer is still there (as Keras' class) and said to be outside the schema.
    const exported = exportKeras(result.modelText, { modelPath: '/tmp/unsupported.rnn.json' });
    assert.match(exported.code, /keras\.layers\.LeakyReLU\(negative_slope=0\.3, name="leaky_re_lu"\)/);
    assert.ok(exported.diagnostics.some((d) => /outside-schema at layers\[3\]: layer type "LeakyReLU"/.test(d)), exported.diagnostics.join('\n'));
  });

  it('imports tf.keras 2 JSON (batch_input_shape, Keras 2 keys)', () => {
    const result = importModel(readFileSync(path.join(fixtures, 'special', 'keras2-sequential.json'), 'utf8'));
    assert.deepEqual(result.diagnostics, []);
    const a = analyzeModel(result.modelText);
    assert.deepEqual(errors(a), []);
    assert.deepEqual(a.inputShape, [null, 100]);
    // 5000*32 + 2*3*(16*(32+16) + 2*16) + 4*(8*(32+8) + 8) + 8 + 1, computed by hand (GRU reset_after=True).
    assert.equal(a.totalParams, 160000 + 4800 + 1312 + 9);
    assert.deepEqual(a.layers.map((l) => l.name), ['embedding', 'bidirectional', 'lstm', 'dropout', 'dense']);
  });

  it('reads TF.js models with stock tfjs class names (GRU computes reset_after=false there)', () => {
    const topology = {
      format: 'layers-model',
      modelTopology: {
        class_name: 'Sequential',
        keras_version: 'tfjs-layers 4.22.0',
        config: {
          name: 'converted',
          layers: [
            { class_name: 'GRU', config: { name: 'gru', units: 4, batch_input_shape: [null, 7, 3], dtype: 'float32', activation: 'tanh', recurrent_activation: 'hardSigmoid', return_sequences: false } },
            { class_name: 'Dense', config: { name: 'dense', units: 2, activation: 'softmax', use_bias: true } },
          ],
        },
      },
      weightsManifest: [],
    };
    const result = importModel(JSON.stringify(topology));
    const a = analyzeModel(result.modelText);
    assert.deepEqual(errors(a), []);
    assert.equal(a.layers[0].config.reset_after, false);
    assert.equal(a.layers[0].trainableParams, 3 * (4 * (3 + 4) + 4));
    assert.ok(result.diagnostics.some((d) => /hard_sigmoid is Keras 2's 0\.2 x \+ 0\.5/.test(d)), result.diagnostics.join('\n'));
  });

  it('says what it cannot read', () => {
    assert.match(importModel('not json').diagnostics[0], /not JSON/);
    assert.match(importModel('{"class_name": "Mystery", "config": {}}').diagnostics[0], /"Mystery" model; RNN Studio imports Sequential models/);
    assert.match(importModel('{"a": 1}').diagnostics[0], /no "class_name"/);
    const nan = importModel('{"class_name": "Sequential", "config": {"layers": [{"class_name": "InputLayer", "config": {"batch_shape": [null, 4, 1]}}, {"class_name": "Dense", "config": {"units": 1, "name": "dense", "bias_constraint": NaN}}]}}');
    assert.ok(nan.diagnostics.some((d) => /NaN or Infinity/.test(d)));
    assert.ok(nan.modelText.includes('"type": "Dense"'));
  });
});

describe('CLI: rnn-studio import / export keras (no Python needed)', () => {
  const io = () => {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, io: { out: (s: string) => out.push(s), err: (s: string) => err.push(s) } };
  };

  it('import: 0 and a file for a clean model, 1 with diagnostics, 2 for an unreadable file or bad usage', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rnn-import-'));
    const a = io();
    const out = path.join(dir, 'lrm.rnn.json');
    assert.equal(await importCommand([path.join(fixtures, 'special', 'long-range-memory.keras'), '--out', out], a.io), 0, a.err.join('\n'));
    assert.deepEqual(errors(analyzeModel(readFileSync(out, 'utf8'))), []);
    const again = io();
    assert.equal(await importCommand([path.join(fixtures, 'special', 'long-range-memory.keras'), '--out', out], again.io), 2, 'no overwrite without --force');
    assert.match(again.err.join('\n'), /exists; pass --force/);
    const b = io();
    assert.equal(await importCommand([path.join(fixtures, 'special', 'unsupported.json'), '--out', path.join(dir, 'u.rnn.json')], b.io), 1);
    assert.ok(existsSync(path.join(dir, 'u.rnn.json')));
    assert.match(b.err.join('\n'), /gaussian_noise/);
    const c = io();
    assert.equal(await importCommand([path.join(fixtures, 'special', 'functional-branch.json'), '--out', path.join(dir, 'b.rnn.json')], c.io), 1);
    assert.equal(existsSync(path.join(dir, 'b.rnn.json')), false);
    const d = io();
    assert.equal(await importCommand([path.join(dir, 'missing.json')], d.io), 2);
    assert.match(d.err.join('\n'), /no such file/);
    const e = io();
    assert.equal(await importCommand([], e.io), 2);
    const f = io();
    assert.equal(await importCommand([path.join(fixtures, 'keras', 'spam-lstm.json'), '--out', '-'], f.io), 0);
    assert.match(f.out.join('\n'), /"name": "spam-lstm"/);
  });

  it('export keras: writes a project folder; 1 with diagnostics; 2 for bad usage, a missing file or a folder in the way', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rnn-export-'));
    const a = io();
    const out = path.join(dir, 'spam-keras');
    assert.equal(await exportCommand(['keras', path.join(repoRoot, 'examples', 'spam-lstm.rnn.json'), '--out', out], a.io), 0, a.err.join('\n'));
    assert.deepEqual(readdirSync(out).sort(), ['README.md', 'data', 'requirements.txt', 'train.py']);
    const code = readFileSync(path.join(out, 'train.py'), 'utf8');
    assert.match(code, /python train\.py --workers HOST:PORT,HOST:PORT --worker-index I/);
    assert.match(code, /^DATA_DIR = os\.path\.join\(HERE, "data"\)/m);
    for (const f of ['train.py', 'README.md']) assert.ok(!readFileSync(path.join(out, f), 'utf8').includes(repoRoot), `${f} names no path of this machine`);
    assert.ok(statSync(path.join(out, 'data', 'spam-assassin.json.gz')).size > 1_000_000, 'the built-in data set');
    assert.match(readFileSync(path.join(out, 'requirements.txt'), 'utf8'), /^tensorflow>=2\.16,<3$/m);
    const again = io();
    assert.equal(await exportCommand(['keras', path.join(repoRoot, 'examples', 'spam-lstm.rnn.json'), '--out', out], again.io), 2, 'no writing into a full folder without --force');
    assert.match(again.err.join('\n'), /exists and is not empty; pass --force/);
    const b = io();
    assert.equal(await exportCommand(['keras', path.join(repoRoot, 'examples', 'mistake-stacked-lstm.rnn.json'), '--out', path.join(dir, 'm')], b.io), 1);
    assert.match(b.err.join('\n'), /missing-return-sequences/);
    // A data file the model names but that does not exist: said, and the project is still written.
    const c = io();
    assert.equal(await exportCommand(['keras', path.join(repoRoot, 'examples', 'imdb-lstm.rnn.json'), '--out', path.join(dir, 'imdb')], c.io), 1);
    assert.match(c.err.join('\n'), /error data-missing at data\.path: .* does not exist; train\.py expects it at data\/aclImdb/);
    assert.ok(existsSync(path.join(dir, 'imdb', 'train.py')));
    assert.equal((await exportCommand(['tensorflow', 'x.rnn.json'], io().io)), 2);
    assert.equal((await exportCommand(['keras', path.join(dir, 'none.rnn.json')], io().io)), 2);
    assert.equal((await exportCommand(['keras', path.join(repoRoot, 'examples', 'spam-lstm.rnn.json'), '--strategy', 'mirrored'], io().io)), 2, '--strategy is gone');
    assert.equal((await exportCommand(['keras', path.join(repoRoot, 'examples', 'spam-lstm.rnn.json'), '--out', '-'], io().io)), 2, 'a folder, not standard output');
    const runDir = path.join(dir, 'not-a-run');
    const d = io();
    assert.equal((await exportCommand(['keras', path.join(repoRoot, 'examples', 'spam-lstm.rnn.json'), '--run', runDir, '--out', path.join(dir, 'r')], d.io)), 2);
    assert.match(d.err.join('\n'), /not-a-run is not a run folder of RNN Studio/);
    rmSync(dir, { recursive: true, force: true }); // the projects hold a copy of the 8 MB data set
  });

  it('import of a .keras archive: exit 0, and a note that its trained weights stay behind', async () => {
    const a = io();
    const out = path.join(mkdtempSync(path.join(tmpdir(), 'rnn-import-')), 'lrm.rnn.json');
    assert.equal(await importCommand([path.join(fixtures, 'special', 'long-range-memory.keras'), '--out', out], a.io), 0);
    assert.match(a.err.join('\n'), /note: The trained weights \(model\.weights\.h5 in long-range-memory\.keras\) were not imported/);
  });
});

describe('import: Bidirectional as Keras saves it', () => {
  it('initializers with their own shared_object_id in the forward and backward copies are no difference', () => {
    const model = JSON.parse(readFileSync(path.join(fixtures, 'keras', 'imdb-bidirectional.json'), 'utf8'));
    let id = 140_000;
    const number = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(number);
      else if (node && typeof node === 'object') {
        const o = node as Record<string, unknown>;
        if (typeof o.class_name === 'string' && /Initializer|Orthogonal|GlorotUniform|Zeros|Ones/.test(String(o.class_name))) o.shared_object_id = id++;
        Object.values(o).forEach(number);
      }
    };
    number(model);
    assert.ok(id > 140_002, 'the fixture has initializers');
    const result = importModel(JSON.stringify(model), 'keras-archive-config');
    assert.deepEqual(result.diagnostics, []);
  });
});

describe('export: what the script cannot express is a diagnostic', () => {
  it('keeps every option of the file and names unknown keys, unknown layer types and errors', () => {
    const text = JSON.stringify({
      input: { shape: [10, 2] },
      layers: [{ type: 'GRU', units: 4, return_sequences: true, unrol: true }, { type: 'GaussianNoise', stddev: 0.2 }, { type: 'Dense', units: 1 }],
      shiny: 1,
    });
    const r = exportKeras(text, { modelPath: '/tmp/x.rnn.json' });
    const code = r.code.replace(/\s+/g, '');
    assert.ok(code.includes('keras.layers.GRU(units=4,return_sequences=True,unrol=True,reset_after=True,name="gru",)'), r.code);
    assert.ok(code.includes('keras.layers.GaussianNoise(stddev=0.2,name="layer_1")'), r.code);
    const all = r.diagnostics.join('\n');
    assert.match(all, /unknown-key at layers\[0\]\.unrol/);
    assert.match(all, /unknown-key at shiny/);
    assert.match(all, /unknown-layer-type at layers\[1\]\.type/);
    assert.match(all, /outside-schema at layers\[1\]: layer type "GaussianNoise"/);
  });

  it('checks that a run folder has weights for exactly this model', () => {
    const model = readRepoFile('examples/long-range-memory.rnn.json');
    const manifest = (specs: [string, number[]][]) => JSON.stringify({ weightsManifest: [{ paths: ['weights.bin'], weights: specs.map(([name, shape]) => ({ name, shape, dtype: 'float32' })) }] });
    const good = manifest([
      ['embedding/embeddings', [10, 8]],
      ['lstm/kernel', [8, 128]],
      ['lstm/recurrent_kernel', [32, 128]],
      ['lstm/bias', [128]],
      ['dense/kernel', [32, 1]],
      ['dense/bias', [1]],
    ]);
    assert.deepEqual(exportKeras(model, { modelPath: '/m.rnn.json', runModelJson: good }).diagnostics, []);
    const bad = manifest([
      ['embedding/embeddings', [10, 8]],
      ['gru/kernel', [8, 96]],
      ['dense/kernel', [32, 1]],
      ['dense/bias', [1]],
    ]);
    const d = exportKeras(model, { modelPath: '/m.rnn.json', runModelJson: bad }).diagnostics.join('\n');
    assert.match(d, /the run's weights do not fit this model .*LSTM "lstm" has 5,248 weights, the run 0; the run has layers this model does not: "gru"\./);
  });

  it('a file that is not a model gives no script and says why', () => {
    const r = exportKeras('{ nope', { modelPath: '/x.rnn.json' });
    assert.equal(r.code, '');
    assert.ok(r.diagnostics.length > 0);
  });

  it('writes the model, compile settings and callbacks of the file', () => {
    const r = exportKeras(readRepoFile('examples/imdb-bilstm-stacked.rnn.json'), { modelPath: path.join(repoRoot, 'examples', 'imdb-bilstm-stacked.rnn.json') });
    assert.deepEqual(r.diagnostics, []);
    assert.match(r.code, /keras\.layers\.Bidirectional\(\s*keras\.layers\.LSTM\(units=64, return_sequences=True, name="lstm"\),\s*merge_mode="concat",\s*name="bidirectional",?\s*\)/);
    assert.match(r.code, /keras\.layers\.LSTM\(units=32, name="lstm_1"\)/);
    assert.match(r.code, /optimizer=keras\.optimizers\.Adam\(learning_rate=0\.001\)/);
    assert.match(r.code, /keras\.callbacks\.EarlyStopping\(monitor="val_loss", patience=2, restore_best_weights=True\)/);
    assert.match(r.code, /load_text_files\(DATA, LABEL_ENCODING, SEED, cap, validation_split\)/);
  });
});
