import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { analyzePython, modelFileText, type PythonModelAnalysis } from '../../src/core/python/analyze';
import { analyzeModel, RETURN_SEQUENCES_CODES, type Fix } from '../../src/core';
import { fixAllNotebook, fixAllPython } from '../../src/core/python/fixAll';
import { analyzeNotebook } from '../../src/core/python/notebook';
import { kerasModelCode } from '../../src/interop';

const root = path.resolve(__dirname, '..', '..', '..');
const fixtures = path.join(root, 'test', 'fixtures', 'python');

interface KerasLayer {
  name: string;
  class_name: string;
  output_shape?: (number | null)[];
  trainable_params?: number;
  non_trainable_params?: number;
}
interface KerasModel {
  name: string;
  built: boolean;
  layers: KerasLayer[];
  total_params?: number;
  error?: string;
}
const expected = JSON.parse(readFileSync(path.join(fixtures, 'expected.json'), 'utf8')) as Record<string, { models: KerasModel[] }>;

function applyFix(text: string, fix: Fix): string {
  let out = text;
  for (const e of [...fix.edits].sort((a, b) => b.offset - a.offset)) out = out.slice(0, e.offset) + e.newText + out.slice(e.offset + e.length);
  return out;
}

const codes = (m: PythonModelAnalysis) => m.diagnostics.map((d) => d.code);
const errors = (m: PythonModelAnalysis) => m.diagnostics.filter((d) => d.severity === 'error');

describe('Python: the tutorials\' code blocks give Keras 3\'s shapes and counts', () => {
  for (const [file, { models: kerasModels }] of Object.entries(expected)) {
    it(path.basename(file), async () => {
      const text = readFileSync(path.join(root, file), 'utf8');
      const ours = await analyzePython(text);
      assert.equal(ours.length, kerasModels.length, 'one model per Sequential Keras creates');
      kerasModels.forEach((k, i) => {
        const m = ours[i];
        assert.deepEqual(
          m.layers.map((l) => l.type),
          k.layers.map((l) => l.class_name),
        );
        // Keras numbers default names per session: across the models of a file too.
        assert.equal(m.name, k.name);
        assert.deepEqual(
          m.layers.map((l) => l.name),
          k.layers.map((l) => l.name),
        );
        if (k.built) {
          assert.deepEqual(errors(m), [], `no errors on ${file} model ${i}`);
          assert.equal(m.totalParams, k.total_params);
          k.layers.forEach((kl, j) => {
            assert.deepEqual(m.layers[j].outputShape, kl.output_shape, `${kl.name} output shape`);
            assert.equal(m.layers[j].trainableParams, kl.trainable_params, `${kl.name} trainable`);
            assert.equal(m.layers[j].nonTrainableParams, kl.non_trainable_params, `${kl.name} non-trainable`);
          });
        } else if (k.error) {
          assert.ok(errors(m).length > 0, `Keras refuses model ${i} of ${file} (${k.error}); so must we`);
          const nd = /found ndim=(\d)/.exec(k.error);
          if (nd) assert.match(errors(m)[0].message, new RegExp(`found ndim=${nd[1]}`));
        }
      });
    });
  }
});

describe('Python: Convert to .rnn.json', () => {
  it('every tutorial model converts to a model file with the same shapes and counts', async () => {
    for (const file of Object.keys(expected)) {
      for (const m of await analyzePython(readFileSync(path.join(root, file), 'utf8'))) {
        const text = modelFileText(`${file}:${m.range.start.line + 1}`, m.model, m.data);
        const a = analyzeModel(text);
        assert.equal(a.totalParams, m.totalParams, file);
        assert.deepEqual(a.layers.map((l) => l.outputShape), m.layers.map((l) => l.outputShape), file);
        // A "data" section from the code lacks its source (Python values): that one problem sits on
        // "data", right above the note that says what to add.
        const dataProblems = a.diagnostics.filter((d) => d.path[0] === 'data');
        if (m.data) {
          assert.deepEqual(dataProblems.map((d) => [d.code, d.message]), [['missing-key', '"data" needs "source". Where the samples come from.']], file);
          assert.match(text.split('\n')[dataProblems[0].range.start.line + 1], /^ {4}\/\/ The samples come from `.+` in Python,$/);
        }
        assert.deepEqual(a.diagnostics.filter((d) => d.path[0] !== 'data').map((d) => d.code), m.diagnostics.map((d) => d.code).filter((c) => !['input-length-ignored', 'not-evaluated', 'no-input-shape', 'fit-missing-feature-axis', 'ragged-sequences'].includes(c)), file);
      }
    }
  });

  it('takes the Tokenizer and pad_sequences settings of the code into "data"', async () => {
    const [m] = await analyzePython(readFileSync(path.join(fixtures, 'ch18-preprocessing.py'), 'utf8'));
    assert.deepEqual(m.data, { section: { kind: 'text', num_words: 1000, oov_token: '<OOV>', maxlen: 15, padding: 'post', truncating: 'post' }, origin: 'texts' });
    const [imdb] = await analyzePython(readFileSync(path.join(fixtures, 'ch18-sentiment.py'), 'utf8'));
    assert.deepEqual(imdb.data, { section: { kind: 'text', maxlen: 200 }, origin: 'tf.keras.datasets.imdb.load_data( num_words=10000 )' });
  });

  it('TextVectorization(max_tokens, output_sequence_length) is a Tokenizer with an OOV token and post padding', async () => {
    const text = [
      'import keras',
      'from keras import layers',
      'vectorize = layers.TextVectorization(max_tokens=20000, output_sequence_length=120)',
      'vectorize.adapt(train_texts)',
      'model = keras.Sequential([keras.Input((120,), dtype="int32"), layers.Embedding(20000, 32), layers.GRU(16), layers.Dense(1, activation="sigmoid")])',
      'model.compile("rmsprop", "binary_crossentropy", metrics=["accuracy"])',
      'model.fit(vectorize(train_texts), train_labels, epochs=4, batch_size=16, validation_split=0.1)',
    ].join('\n');
    const [m] = await analyzePython(text);
    assert.deepEqual(m.data, {
      section: { kind: 'text', num_words: 20000, oov_token: '[UNK]', filters: '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n\'', maxlen: 120, padding: 'post', truncating: 'post' },
      origin: 'train_texts',
    });
    assert.deepEqual(m.model.compile, { optimizer: 'rmsprop', loss: 'binary_crossentropy', metrics: ['accuracy'] });
    const [withAdam] = await analyzePython(text.replace('model.compile("rmsprop",', 'opt = keras.optimizers.Adam(3e-4, clipnorm=1.0)\nmodel.compile(opt,'));
    assert.deepEqual(withAdam.model.compile, { loss: 'binary_crossentropy', metrics: ['accuracy'], optimizer: 'adam', learning_rate: 3e-4, clipnorm: 1 });
    assert.deepEqual(m.model.training, { epochs: 4, batch_size: 16, validation_split: 0.1 });
    const converted = analyzeModel(modelFileText('t.py:5', m.model, m.data));
    assert.deepEqual(converted.diagnostics.map((d) => d.code), ['missing-key']);
    // A pad_sequences length that disagrees with the model's input is the model file's own check.
    const [short] = await analyzePython(text.replace('output_sequence_length=120', 'output_sequence_length=100'));
    assert.ok(analyzeModel(modelFileText('t.py:5', short.model, short.data)).diagnostics.some((d) => d.code === 'input-length-mismatch'));
  });

  it('takes fit\'s epochs, batch_size, validation_split and EarlyStopping into "training"', async () => {
    const [m] = await analyzePython(readFileSync(path.join(fixtures, 'ch18-sentiment.py'), 'utf8'));
    assert.deepEqual(m.model.training, { epochs: 10, batch_size: 64, validation_split: 0.2, early_stopping: { monitor: 'val_loss', patience: 2, restore_best_weights: true } });
    assert.deepEqual(m.model.compile, { optimizer: 'adam', loss: 'binary_crossentropy', metrics: ['accuracy'] });
  });
});

describe('Python: Copy as Keras code (the other way)', () => {
  it('every example model, written as Keras code and read back, has the same shapes and counts', async () => {
    const dir = path.join(root, 'examples');
    const files = readdirSync(dir).filter((f) => f.endsWith('.rnn.json'));
    assert.ok(files.length >= 5);
    for (const f of files) {
      const text = readFileSync(path.join(dir, f), 'utf8');
      const original = analyzeModel(text);
      const { code } = kerasModelCode(text);
      const [read] = await analyzePython(code);
      assert.equal(read.variable, 'model', f);
      assert.equal(read.totalParams, original.totalParams, f);
      assert.deepEqual(read.layers.map((l) => [l.name, l.type, l.outputShape]), original.layers.map((l) => [l.name, l.type, l.outputShape]), f);
      assert.deepEqual(read.diagnostics.map((d) => d.code), original.diagnostics.map((d) => d.code), f);
    }
  });
});

describe('Python: the tutorial\'s common mistakes', () => {
  it('stacked LSTM without return_sequences: the error is on the producing LSTM, the fix makes the tutorial\'s corrected code', async () => {
    const text = readFileSync(path.join(fixtures, 'ch18-mistake-stacked.py'), 'utf8');
    const [m] = await analyzePython(text);
    const d = m.diagnostics.find((x) => x.code === 'missing-return-sequences')!;
    assert.equal(d.range.start.line, 2);
    assert.equal(text.split('\n')[2].slice(d.range.start.character, d.range.end.character), 'LSTM');
    assert.equal(d.fixes![0].title, 'Set return_sequences=True on "lstm"');
    const fixed = applyFix(text, d.fixes![0]);
    assert.match(fixed.split('\n')[2], /^ {4}LSTM\(64, return_sequences=True\), {16}# return_sequences=False \(default\)$/);
    const [after] = await analyzePython(fixed);
    assert.deepEqual(errors(after), []);
    assert.deepEqual(after.layers.map((l) => l.outputShape), [[null, null, 64], [null, null, 64], [null, 32], [null, 1]]);
  });

  it('SimpleRNN over sequences of unknown length gets the vanishing-gradient info, with LSTM and GRU fixes', async () => {
    const text = readFileSync(path.join(fixtures, 'ch18-mistake-simplernn.py'), 'utf8');
    const [m] = await analyzePython(text);
    const d = m.diagnostics.find((x) => x.code === 'simple-rnn-long-sequence')!;
    assert.equal(d.severity, 'info');
    assert.equal(applyFix(text, d.fixes![0]).split('\n')[3].trim().slice(0, 10), 'LSTM(128),');
  });

  it('a 2-D series into LSTM(input_shape=(30, 1)): a warning on the fit call (Keras 3 trains it), with reshape and expand_dims fixes', async () => {
    const text = 'import numpy as np\nimport tensorflow as tf\nfrom tensorflow.keras.layers import LSTM, Dense\n' + readFileSync(path.join(fixtures, 'ch18-mistake-reshape.py'), 'utf8');
    const [m] = await analyzePython(text);
    const d = m.diagnostics.find((x) => x.code === 'fit-missing-feature-axis')!;
    assert.equal(d.severity, 'warning');
    assert.match(d.message, /X has shape \(100, 30\) but the model reads \(None, 30, 1\)/);
    assert.equal(text.split('\n')[d.range.start.line].slice(d.range.start.character, d.range.end.character), 'X');
    const fixed = applyFix(text, d.fixes![0]);
    assert.match(fixed, /model\.fit\(X\.reshape\(100, 30, 1\), y\)/);
    assert.deepEqual((await analyzePython(fixed))[0].diagnostics, []);
    assert.match(applyFix(text, d.fixes![1]), /model\.fit\(np\.expand_dims\(X, axis=-1\), y\)/);
    // The tutorial's corrected code (X reshaped before fit) shows nothing.
    const corrected = 'import numpy as np\nimport tensorflow as tf\nfrom tensorflow.keras.layers import LSTM, Dense\n' + readFileSync(path.join(fixtures, 'ch18-mistake-reshape-fixed.py'), 'utf8');
    assert.deepEqual((await analyzePython(corrected))[0].diagnostics, []);
  });

  it('a ragged list of lists made into an array for fit: an error on the line that makes the array', async () => {
    const text = [
      'import numpy as np',
      'import tensorflow as tf',
      'model = tf.keras.Sequential([tf.keras.layers.Embedding(20, 8), tf.keras.layers.LSTM(4), tf.keras.layers.Dense(1)])',
      ...readFileSync(path.join(fixtures, 'ch18-mistake-padding.py'), 'utf8').split('\n'),
    ].join('\n');
    const [m] = await analyzePython(text);
    const d = m.diagnostics.find((x) => x.code === 'ragged-sequences')!;
    assert.equal(d.severity, 'error');
    assert.equal(text.split('\n')[d.range.start.line].slice(d.range.start.character, d.range.end.character), 'np.array(sequences)');
    assert.match(d.message, /pad_sequences/);
    // The fix is the tutorial's own repair: pad to the longest sequence, zeros after.
    assert.equal(d.fixes![0].title, 'Pad to the longest sequence (5) with pad_sequences');
    const repaired = applyFix(text, d.fixes![0]);
    assert.match(repaired, /^X = tf\.keras\.utils\.pad_sequences\(sequences, maxlen=5, padding='post'\) {2}# Creates/m);
    assert.deepEqual((await analyzePython(repaired))[0].diagnostics.filter((x) => x.severity !== 'info'), []);
    const padded = text.replace('X = np.array(sequences)', 'X = tf.keras.utils.pad_sequences(sequences, maxlen=5)');
    assert.deepEqual((await analyzePython(padded))[0].diagnostics.filter((x) => x.severity !== 'info'), []);
  });

  it('a ragged array for fit is flagged in a snippet pasted without imports, and on a model a function returns', async () => {
    const snippet = ['model = Sequential([', '    Embedding(100, 8),', '    LSTM(16),', '    Dense(1, activation="sigmoid"),', '])', 'X = np.array([[1, 2, 3], [4, 5]])', 'model.fit(X, y)'].join('\n');
    const [m] = await analyzePython(snippet);
    const d = m.diagnostics.find((x) => x.code === 'ragged-sequences');
    assert.ok(d, codes(m).join(', '));
    assert.equal(d.range.start.line, 5);
    assert.equal(snippet.split('\n')[5].slice(d.range.start.character, d.range.end.character), 'np.array([[1, 2, 3], [4, 5]])');

    const built = [
      'import numpy as np',
      'from tensorflow import keras',
      'def build_model(units):',
      '    model = keras.Sequential([keras.layers.Embedding(100, 8), keras.layers.LSTM(units), keras.layers.Dense(1)])',
      '    return model',
      'net = build_model(16)',
      'sequences = [[1, 2, 3], [4, 5, 6, 7, 8], [9, 10]]',
      'net.fit(np.array(sequences), np.array([0, 1, 0]), epochs=3)',
    ].join('\n');
    const [b] = await analyzePython(built);
    assert.deepEqual(b.diagnostics.filter((x) => x.code === 'ragged-sequences').map((x) => x.range.start.line), [7]);
    assert.deepEqual(b.model.training, { epochs: 3 });
    // A torch file with nn.Sequential is still not read (and not parsed).
    assert.deepEqual(await analyzePython('import torch.nn as nn\nm = nn.Sequential(nn.LSTM(3, 4))\n'), []);
  });

  it('Embedding(input_length=N) is named as ignored by Keras 3, and N is the length used', async () => {
    const [m] = await analyzePython(readFileSync(path.join(fixtures, 'ch18-sentiment.py'), 'utf8'));
    const d = m.diagnostics.find((x) => /input_length/.test(x.message))!;
    assert.equal(d.severity, 'info');
    assert.deepEqual(m.layers[0].outputShape, [null, 200, 64]);
  });
});

describe('Python reader', () => {
  it('a Python file without Keras is not parsed and costs under 1 ms', async () => {
    const text = 'import torch\n' + 'x = torch.nn.Sequential(torch.nn.Linear(3, 4))\n'.repeat(200);
    await analyzePython('import keras\n'); // the parser is loaded; what follows must not use it
    // The median of 21 calls: one call can be late on a loaded machine (the test runner's own work).
    const times: number[] = [];
    for (let i = 0; i < 21; i++) {
      const t0 = performance.now();
      assert.deepEqual(await analyzePython(text), []);
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    assert.ok(times[10] < 1, `median ${times[10]} ms`);
  });

  it('reads aliases, model.add, constants with arithmetic, keras.Input and positional arguments in Keras 3 order', async () => {
    const text = [
      'from tensorflow import keras',
      'from tensorflow.keras import layers as L',
      'from keras.layers import GRU as G',
      'T = 30',
      'EMB = 2 * 32',
      'model = keras.models.Sequential(name="net")',
      'model.add(keras.Input(shape=(T, 3)))',
      'model.add(L.Conv1D(EMB, 3, 1, "same"))',
      'model.add(G(EMB // 2, return_sequences=True))',
      'model.add(L.TimeDistributed(L.Dense(4, "relu")))',
      'model.compile(loss="mse", optimizer="adam")',
    ].join('\n');
    const [m] = await analyzePython(text);
    assert.equal(m.variable, 'model');
    assert.equal(m.name, 'net');
    assert.deepEqual(m.layers.map((l) => [l.type, l.outputShape]), [
      ['Conv1D', [null, 30, 64]],
      ['GRU', [null, 30, 32]],
      ['TimeDistributed', [null, 30, 4]],
    ]);
    assert.equal(m.layers[0].trainableParams, 3 * 3 * 64 + 64);
    assert.equal(m.layers[1].trainableParams, 3 * (32 * (64 + 32) + 2 * 32));
    assert.deepEqual(m.diagnostics, []);
  });

  it('names what it cannot evaluate in an info and never guesses or reports a false error', async () => {
    const text = ['import tensorflow as tf', 'n = int(open("units.txt").read())', 'model = tf.keras.Sequential([', '    tf.keras.Input((10, 2)),', '    tf.keras.layers.LSTM(n),', '    tf.keras.layers.Dense(1),', '])'].join('\n');
    const [m] = await analyzePython(text);
    assert.deepEqual(m.diagnostics.map((d) => [d.severity, d.code]), [['info', 'not-evaluated']]);
    assert.match(m.diagnostics[0].message, /`int\(open\("units.txt"\).read\(\)\)` is computed when the code runs/);
    assert.equal(m.layers.length, 0);
  });

  it('a value assigned in a loop is not a constant', async () => {
    const text = ['import keras', 'for u in [32, 64]:', '    U = u', 'm = keras.Sequential([keras.Input((5, 1)), keras.layers.LSTM(U)])'].join('\n');
    const [m] = await analyzePython(text);
    assert.deepEqual(codes(m), ['not-evaluated']);
    assert.match(m.diagnostics[0].message, /assigned inside for/);
  });

  it('a model built in a function from a layer parameter: one model per call site that passes a layer', async () => {
    const text = readFileSync(path.join(fixtures, 'ch18-compare.py'), 'utf8');
    const models = await analyzePython(text);
    assert.deepEqual(models.map((m) => m.layers[1].type), ['SimpleRNN', 'LSTM', 'GRU']);
    assert.deepEqual(models.map((m) => m.callSite!.start.line), [37, 38, 39]);
    const lines = text.split('\n');
    // The passed layer's range is at the call site, the others in the function.
    assert.match(lines[models[1].layers[1].range.start.line], /build_and_train\(LSTM\(64\)/);
    assert.match(lines[models[1].layers[0].range.start.line], /Embedding\(5000, 32/);
  });

  it('a function never called with a layer: its model is named as not evaluable', async () => {
    const text = ['import keras', 'def make(layer):', '    return keras.Sequential([keras.Input((5, 1)), layer, keras.layers.Dense(1)])'].join('\n');
    const [m] = await analyzePython(text);
    assert.equal(m.variable, null);
    assert.deepEqual(codes(m), ['not-evaluated']);
    assert.match(m.diagnostics[0].message, /`layer` is a parameter of the function/);
  });

  it('inserts a keyword argument on its own line in a multi-line call with a trailing comma', async () => {
    const text = ['import keras', 'm = keras.Sequential([', '    keras.Input((5, 1)),', '    keras.layers.LSTM(', '        8,', '        dropout=0.1,', '    ),', '    keras.layers.LSTM(4),', '])'].join('\n');
    const [m] = await analyzePython(text);
    const d = m.diagnostics.find((x) => x.code === 'missing-return-sequences')!;
    const fixed = applyFix(text, d.fixes![0]);
    assert.equal(fixed.split('\n').slice(3, 8).join('\n'), ['    keras.layers.LSTM(', '        8,', '        dropout=0.1,', '        return_sequences=True,', '    ),'].join('\n'));
  });

  it('changes an existing argument in place, keyword or positional', async () => {
    const text = ['import keras', 'm = keras.Sequential([keras.Input((5,)), keras.layers.LSTM(4), keras.layers.Dense(1, "sigmoid")])', 'm.compile(loss="mse")'].join('\n');
    const models = await analyzePython(text);
    const d = models[0].diagnostics.find((x) => x.code === 'input-not-3d')!;
    assert.match(applyFix(text, d.fixes![0]), /keras\.Input\(\(5, 1\)\)/);
    const regression = text.replace('Input((5,))', 'Input((5, 1))');
    const [m] = await analyzePython(regression);
    const loss = m.diagnostics.find((x) => x.code === 'loss-output-mismatch')!;
    assert.match(applyFix(regression, loss.fixes![0]), /Dense\(1, 'linear'\)/);
  });

  it('tolerates syntax errors and notebook magics', async () => {
    const text = ['%matplotlib inline', '!pip install keras', 'import keras', 'x = (', 'm = keras.Sequential([keras.Input((5, 1)), keras.layers.LSTM(4)])'].join('\n');
    const models = await analyzePython(text);
    assert.ok(models.length <= 1);
  });
});

describe('Python: Keras\' default names across a file', () => {
  it('layers made on their own count, a layer with name= does not, a function numbers per call', async () => {
    const text = [
      'from tensorflow.keras.layers import SimpleRNN, LSTM, GRU, Dense, Embedding',
      'import tensorflow as tf',
      'SimpleRNN(64, return_sequences=False)',
      'SimpleRNN(64, return_sequences=True)',
      'LSTM(128, name="mine")',
      'model = tf.keras.Sequential([Embedding(100, 8), SimpleRNN(4), Dense(1)])',
      'def build(cell):',
      '    return tf.keras.Sequential([Embedding(100, 8), cell, Dense(1)])',
      'a = build(LSTM(4))',
      'b = build(SimpleRNN(4))',
      'for units in (8, 16):',
      '    LSTM(units)',
      'tf.keras.backend.clear_session()',
      'c = tf.keras.Sequential([tf.keras.Input((5, 2)), LSTM(3), Dense(1)])',
    ].join('\n');
    const models = await analyzePython(text);
    // As Keras 3.15 names them when this runs in one session.
    assert.deepEqual(models.map((m) => [m.name, ...m.layers.map((l) => l.name)]), [
      ['sequential', 'embedding', 'simple_rnn_2', 'dense'],
      ['sequential_1', 'embedding_1', 'lstm', 'dense_1'],
      ['sequential_2', 'embedding_2', 'simple_rnn_3', 'dense_2'],
      ['sequential', 'lstm', 'dense'],
    ]);
  });
});

describe('Python: fix all return_sequences problems', () => {
  const cells = [
    { index: 0, text: '%matplotlib inline\nimport tensorflow as tf\nfrom tensorflow.keras.layers import LSTM, Dense\nT = 30' },
    { index: 2, text: 'model = tf.keras.Sequential([\n    LSTM(64, input_shape=(T, 1)),\n    LSTM(48),\n    LSTM(32),\n    Dense(1)\n])' },
    { index: 3, text: 'other = tf.keras.Sequential([tf.keras.Input((T, 2)), LSTM(8), LSTM(4), Dense(1)])' },
  ];

  it('in a notebook: every stack of every cell, each cell edited in place', async () => {
    const changes = await fixAllNotebook(cells, RETURN_SEQUENCES_CODES);
    assert.deepEqual(changes.map((c) => c.cell), [2, 3]);
    const fixed = cells.map((c) => {
      const change = changes.find((x) => x.cell === c.index);
      return change ? c.text.slice(0, change.offset) + change.newText + c.text.slice(change.offset + change.length) : c.text;
    });
    assert.equal(fixed[0], cells[0].text);
    assert.match(fixed[1], /LSTM\(64, input_shape=\(T, 1\), return_sequences=True\),\n {4}LSTM\(48, return_sequences=True\),\n {4}LSTM\(32\),/);
    assert.equal(fixed[2], 'other = tf.keras.Sequential([tf.keras.Input((T, 2)), LSTM(8, return_sequences=True), LSTM(4), Dense(1)])');
    const after = await analyzeNotebook(fixed.map((text, i) => ({ index: cells[i].index, text })));
    assert.deepEqual(after.flatMap((m) => m.diagnostics.filter((d) => d.severity === 'error')), []);
    assert.deepEqual(after.map((m) => m.layers.map((l) => l.name)), [['lstm', 'lstm_1', 'lstm_2', 'dense'], ['lstm_3', 'lstm_4', 'dense_1']]);
  });

  it('in a .py file: the same, as one replacement', async () => {
    const text = cells.map((c) => c.text.replace('%matplotlib inline\n', '')).join('\n');
    const change = (await fixAllPython(text, RETURN_SEQUENCES_CODES))!;
    const fixed = text.slice(0, change.offset) + change.newText + text.slice(change.offset + change.length);
    assert.deepEqual((await analyzePython(fixed)).flatMap((m) => m.diagnostics.filter((d) => d.severity === 'error')), []);
    assert.equal(await fixAllPython(fixed, RETURN_SEQUENCES_CODES), undefined);
  });
});
