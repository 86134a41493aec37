import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-node';
import { buildModel } from '../../src/trainer/builder';
import { analyzeModel, kerasExpected, readRepoFile, repoRoot } from './helpers';

/**
 * The model builder against Keras 3: parameter counts and shapes for every fixture Keras built
 * (test/fixtures/keras/expected.json) and every example, layer options, errors, saving, training.
 * Numerical parity is in builder-numerics.test.ts.
 */

const expected = kerasExpected();

function count(weights: { shape: (number | null)[] }[]): number {
  return weights.reduce((s, w) => s + w.shape.reduce((a: number, b) => a * (b ?? 0), 1), 0);
}

describe('builder: parameter parity with Keras 3', () => {
  it('covers the fixtures Keras built and refused', () => {
    assert.ok(Object.values(expected).filter((k) => !('error' in k)).length >= 80);
    assert.ok(Object.values(expected).filter((k) => 'error' in k).length >= 25);
  });
  for (const [file, keras] of Object.entries(expected)) {
    if ('error' in keras) {
      it(`${file.replace(/^.*\//, '')}: refused, as by Keras`, () => {
        const analysis = analyzeModel(readRepoFile(file));
        assert.throws(() => buildModel(tf, analysis, 'float32'), /^Error: (Layer \d+ "[^"]+" \(\w+\) cannot be built: \S|Cannot build the model: \S)/);
      });
      continue;
    }
    it(file.replace(/^.*\//, ''), () => {
      const text = readRepoFile(file);
      const analysis = analyzeModel(text);
      const dtype = (JSON.parse(text.replace(/^\s*\/\/.*$/gm, '')).input?.dtype ?? 'float32') as 'float32' | 'int32';
      const model = buildModel(tf, analysis, dtype);
      try {
        assert.equal(model.countParams(), keras.total_params);
        keras.layers.forEach((k, i) => {
          const layer = model.getLayer(k.name);
          assert.equal(layer, model.layers[i + 1]);
          assert.deepEqual(
            { name: layer.name, trainable: count(layer.trainableWeights), nonTrainable: count(layer.nonTrainableWeights), shape: layer.outputShape },
            { name: k.name, trainable: k.trainable_params, nonTrainable: k.non_trainable_params, shape: k.output_shape },
            `layer ${i}`,
          );
        });
      } finally {
        model.dispose();
      }
    });
  }
});

describe('builder: every example model', () => {
  const examples = readdirSync(path.join(repoRoot, 'examples')).filter((f) => f.endsWith('.rnn.json'));
  it('has examples', () => assert.ok(examples.length > 0));
  for (const file of examples) {
    it(file, () => {
      const text = readRepoFile(`examples/${file}`);
      const analysis = analyzeModel(text);
      if (analysis.diagnostics.some((d) => d.severity === 'error')) {
        // Deliberate mistakes (e.g. mistake-stacked-lstm): the builder refuses them, naming the layer.
        assert.throws(() => buildModel(tf, analysis, 'int32'), /Layer \d+ "[^"]+" \(\w+\)/);
        return;
      }
      const dtype = analysis.layers[0]?.type === 'Embedding' ? 'int32' : 'float32';
      const model = buildModel(tf, analysis, dtype);
      try {
        assert.equal(model.countParams(), analysis.totalParams);
        for (const l of analysis.layers) {
          const layer = model.getLayer(l.name);
          assert.equal(count(layer.trainableWeights), l.trainableParams, l.name);
          assert.equal(count(layer.nonTrainableWeights), l.nonTrainableParams, l.name);
          assert.deepEqual(layer.outputShape, l.outputShape, l.name);
        }
      } finally {
        model.dispose();
      }
    });
  }
});

function build(spec: object, dtype: 'float32' | 'int32' = 'float32') {
  return buildModel(tf, analyzeModel(JSON.stringify(spec, null, 2)), dtype);
}

describe('builder: layers, names and options', () => {
  it('names Bidirectional halves forward_<inner> / backward_<inner> and keeps the inner options', () => {
    const model = build({ input: { shape: [5, 3] }, layers: [{ type: 'Bidirectional', name: 'bi', merge_mode: 'ave', layer: { type: 'GRU', units: 4, name: 'enc', reset_after: false, return_sequences: true } }] });
    const bi = model.getLayer('bi') as unknown as { forwardLayer: tf.RNN; backwardLayer: tf.RNN; mergeMode: string };
    assert.equal(bi.forwardLayer.name, 'forward_enc');
    assert.equal(bi.backwardLayer.name, 'backward_enc');
    assert.equal(bi.mergeMode, 'ave');
    assert.equal(bi.forwardLayer.goBackwards, false);
    assert.equal(bi.backwardLayer.goBackwards, true);
    assert.equal(bi.forwardLayer.getConfig().resetAfter, false);
    assert.equal(bi.backwardLayer.getConfig().zeroOutputForMask, true);
    model.dispose();
  });

  it('maps every option from the Keras config', () => {
    const model = build({
      input: { shape: [12, 3] },
      layers: [
        { type: 'Conv1D', filters: 4, kernel_size: 3, strides: 2, padding: 'same', activation: 'relu', use_bias: false },
        { type: 'MaxPooling1D', pool_size: 2, padding: 'same' },
        { type: 'LSTM', units: 5, activation: 'softsign', recurrent_activation: 'hard_sigmoid', use_bias: false, return_sequences: true, go_backwards: true, dropout: 0.25, recurrent_dropout: 0.5 },
        { type: 'LayerNormalization', epsilon: 0.01, center: false },
        { type: 'BatchNormalization', momentum: 0.8, epsilon: 0.002, scale: false },
        { type: 'TimeDistributed', layer: { type: 'Dense', units: 2, activation: 'leaky_relu' } },
        { type: 'Flatten' },
        { type: 'RepeatVector', n: 2 },
        { type: 'SimpleRNN', units: 3, activation: 'relu', dropout: 0.1 },
        { type: 'Activation', activation: 'silu' },
      ],
    });
    const config = (name: string) => model.getLayer(name).getConfig();
    assert.deepEqual(pick(config('conv1d'), ['filters', 'kernelSize', 'strides', 'padding', 'activation', 'useBias']), { filters: 4, kernelSize: [3], strides: [2], padding: 'same', activation: 'relu', useBias: false });
    assert.deepEqual(pick(config('max_pooling1d'), ['poolSize', 'strides', 'padding']), { poolSize: [2], strides: [2], padding: 'same' });
    assert.deepEqual(pick(config('lstm'), ['units', 'activation', 'recurrentActivation', 'useBias', 'returnSequences', 'goBackwards', 'dropout', 'recurrentDropout', 'unitForgetBias']), {
      units: 5,
      activation: 'softsign',
      recurrentActivation: 'hard_sigmoid',
      useBias: false,
      returnSequences: true,
      goBackwards: true,
      dropout: 0.25,
      recurrentDropout: 0.5,
      unitForgetBias: true,
    });
    assert.deepEqual(pick(config('layer_normalization'), ['axis', 'epsilon', 'center', 'scale']), { axis: -1, epsilon: 0.01, center: false, scale: true });
    assert.deepEqual(pick(config('batch_normalization'), ['axis', 'momentum', 'epsilon', 'center', 'scale']), { axis: -1, momentum: 0.8, epsilon: 0.002, center: true, scale: false });
    assert.equal(config('time_distributed').layer && (model.getLayer('time_distributed') as unknown as { layer: tf.layers.Layer }).layer.name, 'dense');
    assert.equal((model.getLayer('time_distributed') as unknown as { layer: tf.layers.Layer }).layer.getConfig().activation, 'kerasLeakyRelu');
    assert.equal(config('repeat_vector').n, 2);
    assert.deepEqual(pick(config('simple_rnn'), ['units', 'activation', 'dropout', 'recurrentActivation']), { units: 3, activation: 'relu', dropout: 0.1, recurrentActivation: undefined });
    assert.equal(config('activation').activation, 'swish');
    model.dispose();
  });

  it('uses Keras 3 initialisers: LSTM forget bias 1 (unit_forget_bias), orthogonal recurrent kernel, glorot-uniform kernel', () => {
    const model = build({ input: { shape: [5, 6] }, layers: [{ type: 'LSTM', units: 8 }] });
    const [kernel, recurrent, bias] = model.getLayer('lstm').getWeights();
    assert.deepEqual(Array.from(bias.dataSync()), [...Array(8).fill(0), ...Array(8).fill(1), ...Array(16).fill(0)]);
    const gram = tf.matMul(recurrent, recurrent, false, true);
    assertAllClose(gram.dataSync(), tf.eye(8).dataSync(), 1e-5, 'recurrent kernel rows are orthonormal');
    const limit = Math.sqrt(6 / (6 + 32));
    assert.ok(Array.from(kernel.dataSync()).every((v) => Math.abs(v) <= limit), 'glorot uniform bound');
    tf.dispose(gram);
    model.dispose();
  });

  it('refuses models the core reports as broken, naming the layer', () => {
    const analysis = analyzeModel(readRepoFile('test/fixtures/models/err-lstm-after-lstm-without-return_sequences.rnn.json'));
    assert.throws(() => buildModel(tf, analysis, 'float32'), /^Error: Layer 1 "lstm" \(LSTM\) cannot be built: LSTM "lstm_1" expects a 3-D input .*return_sequences/);
    const typo = analyzeModel(readRepoFile('test/fixtures/models/err-unknown-key.rnn.json'));
    assert.throws(() => buildModel(tf, typo, 'float32'), /^Error: Layer 0 "lstm" \(LSTM\) cannot be built: Unknown key "return_sequence" for LSTM/);
    assert.throws(() => build({ input: { shape: [5, 3] }, layers: [{ type: 'LSTM', units: 2, name: 'my lstm' }] }), /Layer 0 "my lstm" \(LSTM\) cannot be built: TensorFlow.js accepts layer names/);
    assert.throws(() => buildModel(tf, analyzeModel('{"layers": []}'), 'float32'), /Cannot build the model/);
  });

  it('saves and reloads (tf.io) with the same outputs: every custom class is registered', async () => {
    const spec = {
      input: { shape: [6], dtype: 'int32' },
      layers: [
        { type: 'Embedding', input_dim: 20, output_dim: 4, mask_zero: true },
        { type: 'Bidirectional', layer: { type: 'GRU', units: 3, return_sequences: true } },
        { type: 'Conv1D', filters: 3, kernel_size: 2, padding: 'causal', dilation_rate: 2, activation: 'hard_sigmoid' },
        { type: 'AveragePooling1D', pool_size: 2, strides: 1, padding: 'same' },
        { type: 'BatchNormalization', center: false },
        { type: 'LayerNormalization', scale: false },
        { type: 'LSTM', units: 3, return_sequences: true, recurrent_activation: 'hard_sigmoid' },
        { type: 'SimpleRNN', units: 3, return_sequences: true, activation: 'leaky_relu' },
        { type: 'GlobalAveragePooling1D' },
        { type: 'Flatten' },
        { type: 'Dense', units: 2, activation: 'log_softmax' },
      ],
    };
    const model = build(spec, 'int32');
    const x = tf.tensor2d([[1, 2, 3, 4, 0, 0], [0, 5, 6, 7, 8, 9], [3, 3, 3, 3, 3, 3]], [3, 6], 'int32');
    let saved: Parameters<typeof tf.io.fromMemory>[0] | undefined;
    await model.save(tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    const reloaded = await tf.loadLayersModel(tf.io.fromMemory(saved!));
    const a = model.predict(x) as tf.Tensor;
    const b = reloaded.predict(x) as tf.Tensor;
    assertAllClose(b.dataSync(), a.dataSync(), 1e-6, 'reloaded model');
    assert.deepEqual(reloaded.layers.map((l) => l.getClassName()), model.layers.map((l) => l.getClassName()));
    tf.dispose([a, b, x]);
    model.dispose();
    reloaded.dispose();
  });
});

describe('builder: training', () => {
  const variants: [string, object, 'float32' | 'int32'][] = [
    ['GRU (reset_after, Keras default)', { input: { shape: [6, 3] }, layers: [{ type: 'GRU', units: 8 }, { type: 'Dense', units: 1 }] }, 'float32'],
    [
      'masked Bidirectional GRU (reset_after false) with dropout and recurrent_dropout',
      {
        input: { shape: [6], dtype: 'int32' },
        layers: [
          { type: 'Embedding', input_dim: 20, output_dim: 4, mask_zero: true },
          { type: 'Bidirectional', layer: { type: 'GRU', units: 4, reset_after: false, dropout: 0.2, recurrent_dropout: 0.2, return_sequences: true } },
          { type: 'GlobalAveragePooling1D' },
          { type: 'Dense', units: 1 },
        ],
      },
      'int32',
    ],
    [
      'causal dilated Conv1D, BatchNormalization, LayerNormalization, LSTM with dropouts, SimpleRNN',
      {
        input: { shape: [8, 2] },
        layers: [
          { type: 'Conv1D', filters: 4, kernel_size: 3, padding: 'causal', dilation_rate: 2, activation: 'relu' },
          { type: 'BatchNormalization' },
          { type: 'LayerNormalization', center: false },
          { type: 'LSTM', units: 4, dropout: 0.1, recurrent_dropout: 0.1, return_sequences: true },
          { type: 'SimpleRNN', units: 3, dropout: 0.1, recurrent_dropout: 0.1 },
          { type: 'Dense', units: 1 },
        ],
      },
      'float32',
    ],
  ];

  for (const [title, spec, dtype] of variants) {
    it(`${title}: 5 fit steps lower the loss, every weight moves, no NaN, no leaked tensors`, async () => {
      const model = buildModel(tf, analyzeModel(JSON.stringify(spec)), dtype, { seed: 42 });
      const n = 32;
      const shape = (spec as { input: { shape: number[] } }).input.shape;
      const x = dtype === 'int32' ? tf.randomUniform([n, ...shape], 0, 20, 'int32', 1) : tf.randomNormal([n, ...shape], 0, 1, 'float32', 1);
      const y = tf.randomNormal([n, 1], 0, 1, 'float32', 2);
      const evaluate = () => tf.tidy(() => (model.evaluate(x, y, { batchSize: n }) as tf.Scalar).dataSync()[0]);
      model.compile({ optimizer: tf.train.adam(0.01), loss: 'meanSquaredError' });
      const before = model.getWeights().map((w) => w.clone());
      const lossBefore = evaluate();

      const start = tf.memory().numTensors;
      const p = tf.tidy(() => {
        model.predict(x);
      });
      assert.equal(p, undefined);
      assert.equal(tf.memory().numTensors, start, 'predict inside tf.tidy leaves no tensor behind');

      const counts: number[] = [];
      const history = await model.fit(x, y, {
        epochs: 5,
        batchSize: n,
        shuffle: false,
        verbose: 0,
        callbacks: { onEpochEnd: async () => void counts.push(tf.memory().numTensors) },
      });
      const losses = history.history.loss as number[];
      assert.equal(losses.length, 5);
      assert.ok(losses.every(Number.isFinite), `finite losses: ${losses}`);
      // Measured without dropout noise: the loss on the training data after the 5 steps.
      const lossAfter = evaluate();
      assert.ok(lossAfter < lossBefore, `loss went down: ${lossBefore} -> ${lossAfter} (fit: ${losses})`);
      assert.deepEqual(counts.slice(1), counts.slice(1).map(() => counts[1]), `tensor count flat across epochs: ${counts}`);

      const after = model.getWeights();
      after.forEach((w, i) => {
        const values = w.dataSync();
        assert.ok(values.every(Number.isFinite), `weight ${i} has no NaN`);
        const moved = tf.tidy(() => tf.any(tf.notEqual(w, before[i])).dataSync()[0]);
        if (model.weights[i].trainable) assert.equal(moved, 1, `weight ${model.weights[i].name} was updated`);
      });
      tf.dispose([x, y, ...before]);
      model.dispose();
    });
  }
});

describe('builder: seeds', () => {
  it('the same seed gives the same initial weights; Bidirectional halves differ', () => {
    const spec = { input: { shape: [5], dtype: 'int32' }, layers: [{ type: 'Embedding', input_dim: 9, output_dim: 3 }, { type: 'Bidirectional', layer: { type: 'GRU', units: 2 } }, { type: 'Dense', units: 1 }] };
    const [a, b, c] = [7, 7, 8].map((seed) => buildModel(tf, analyzeModel(JSON.stringify(spec)), 'int32', { seed }));
    const values = (m: tf.Sequential) => m.getWeights().map((w) => Array.from(w.dataSync()));
    assert.deepEqual(values(a), values(b));
    assert.notDeepEqual(values(a), values(c));
    const bi = a.getLayer('bidirectional').getWeights();
    assert.notDeepEqual(Array.from(bi[0].dataSync()), Array.from(bi[3].dataSync()), 'forward and backward kernels differ');
    [a, b, c].forEach((m) => m.dispose());
  });
});

function pick(config: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((k) => [k, config[k]]));
}

function assertAllClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number, what: string): void {
  assert.equal(actual.length, expected.length, what);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= tolerance, `${what}: ${actual[i]} vs ${expected[i]} at ${i}`);
  }
}
