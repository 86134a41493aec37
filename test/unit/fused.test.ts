import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-node';
import { buildModel } from '../../src/trainer/builder';
import { fusedAddonStatus, useKernels } from '../../src/trainer/layers/fused/addon';
import { fusedCallCount, pendingFusedPasses, setFusedKernels, type FusedTier } from '../../src/trainer/layers/fused/index';
import { analyzeModel, assertClose as assertNear } from './helpers';

/**
 * The fused recurrent kernels (src/trainer/layers/fused/) against the step-by-step reference
 * (`runSequence`, itself checked against Keras in builder-numerics.test.ts): same outputs, same
 * gradients for every weight and for the input, same weights after an Adam step, to 1e-5 (relative
 * above 1), for every cell type and option combination, for both implementations (the native addon,
 * and tensor ops: TensorFlow ops by name / tf.* ops) on the native and the pure-JS backend. Then: the
 * configurations they leave to the reference really fall back, and nothing leaks (tfjs tensors,
 * TensorFlow handles, saved forward state) across training steps. The addon's tests are skipped when
 * it is not built (node src/trainer/layers/fused/native/build.mjs).
 */

const TOLERANCE = 1e-5;

type Layer = Record<string, unknown>;
type InputKind = 'float' | 'tokens';

interface Case {
  name: string;
  layers: Layer[];
  input: InputKind;
  /** Whether the fused kernels must run (false: this configuration falls back). Default true. */
  fused?: boolean;
  /** Rows of a float input (default 3). */
  batch?: number;
  /** Above TOLERANCE where gradients sum over many rows (float32 rounding grows with their number, in either order). */
  tolerance?: number;
}

const T = 7;
const FEATURES = 3;

/** Token rows: pre-padded, post-padded, fully masked, unpadded (mask_zero masks the zeros). */
const TOKENS = [
  [0, 0, 3, 5, 1, 2, 9],
  [4, 2, 7, 11, 0, 0, 0],
  [0, 0, 0, 0, 0, 0, 0],
  [1, 2, 3, 4, 5, 6, 7],
];

const emb = (maskZero: boolean): Layer => ({ type: 'Embedding', input_dim: 12, output_dim: 4, mask_zero: maskZero });
const cells: [string, Layer][] = [
  ['SimpleRNN', { type: 'SimpleRNN' }],
  ['LSTM', { type: 'LSTM' }],
  ['GRU', { type: 'GRU' }],
  ['GRU reset_after=false', { type: 'GRU', reset_after: false }],
];

const CASES: Case[] = [];
for (const [name, base] of cells) {
  const cell = (extra: Layer = {}): Layer => ({ ...base, units: 5, ...extra });
  CASES.push(
    { name: `${name}`, layers: [cell()], input: 'float' },
    { name: `${name} return_sequences`, layers: [cell({ return_sequences: true })], input: 'float' },
    { name: `${name} go_backwards`, layers: [cell({ go_backwards: true })], input: 'float' },
    { name: `${name} go_backwards return_sequences`, layers: [cell({ go_backwards: true, return_sequences: true })], input: 'float' },
    { name: `${name} use_bias=false`, layers: [cell({ use_bias: false, return_sequences: true })], input: 'float' },
    { name: `${name} mask_zero`, layers: [emb(true), cell()], input: 'tokens' },
    { name: `${name} mask_zero return_sequences`, layers: [emb(true), cell({ return_sequences: true })], input: 'tokens' },
    { name: `${name} mask_zero go_backwards return_sequences`, layers: [emb(true), cell({ go_backwards: true, return_sequences: true })], input: 'tokens' },
    { name: `${name} unmasked tokens`, layers: [emb(false), cell()], input: 'tokens' },
    { name: `${name} Bidirectional concat`, layers: [{ type: 'Bidirectional', layer: cell({ return_sequences: true }) }], input: 'float' },
    { name: `${name} Bidirectional sum`, layers: [{ type: 'Bidirectional', layer: cell(), merge_mode: 'sum' }], input: 'float' },
    { name: `${name} masked Bidirectional concat return_sequences`, layers: [emb(true), { type: 'Bidirectional', layer: cell({ return_sequences: true }) }], input: 'tokens' },
    { name: `${name} masked Bidirectional sum`, layers: [emb(true), { type: 'Bidirectional', layer: cell(), merge_mode: 'sum' }], input: 'tokens' },
    { name: `${name} stacked`, layers: [cell({ return_sequences: true }), cell({ units: 4 }), { type: 'Dense', units: 2 }], input: 'float' },
    { name: `${name} masked stacked`, layers: [emb(true), cell({ return_sequences: true }), cell({ units: 4, go_backwards: true })], input: 'tokens' },
    { name: `${name} activation relu`, layers: [cell({ activation: 'relu', return_sequences: true })], input: 'float' },
    { name: `${name} activation linear`, layers: [cell({ activation: 'linear' })], input: 'float' },
  );
  if (name !== 'SimpleRNN') {
    CASES.push(
      { name: `${name} recurrent_activation relu`, layers: [cell({ recurrent_activation: 'relu' })], input: 'float' },
      { name: `${name} recurrent_activation hard_sigmoid (falls back)`, layers: [cell({ recurrent_activation: 'hard_sigmoid' })], input: 'float', fused: false },
    );
  }
  // B·T = 1,050 and 2,100 rows: the weight gradients' products split over 2 and 4 ranges of rows.
  for (const batch of [150, 300]) CASES.push({ name: `${name} batch ${batch}`, layers: [cell({ return_sequences: true })], input: 'float', batch, tolerance: 1e-4 });
  CASES.push({ name: `${name} activation softsign (falls back)`, layers: [cell({ activation: 'softsign' })], input: 'float', fused: false });
}
CASES.push({
  name: 'larger: Bidirectional(LSTM 32) -> GRU 24, T=7, mask',
  layers: [{ type: 'Embedding', input_dim: 12, output_dim: 16, mask_zero: true }, { type: 'Bidirectional', layer: { type: 'LSTM', units: 32, return_sequences: true } }, { type: 'GRU', units: 24 }, { type: 'Dense', units: 1 }],
  input: 'tokens',
});

/** Deterministic pseudo-random numbers in [-1, 1). */
function numbers(n: number, seed: number): number[] {
  let a = seed >>> 0;
  return Array.from({ length: n }, () => {
    a = (Math.imul(a, 1664525) + 1013904223) >>> 0;
    return (a / 4294967296) * 2 - 1;
  });
}

function modelFor(c: Case): tf.Sequential {
  const input = c.input === 'tokens' ? { shape: [T], dtype: 'int32' } : { shape: [T, FEATURES] };
  const analysis = analyzeModel(JSON.stringify({ input, layers: c.layers }));
  return buildModel(tf, analysis, c.input === 'tokens' ? 'int32' : 'float32', { seed: 11 });
}

function inputFor(c: Case): tf.Tensor {
  if (c.input === 'tokens') return tf.tensor2d(TOKENS, [TOKENS.length, T], 'int32');
  const batch = c.batch ?? 3;
  return tf.tensor3d(numbers(batch * T * FEATURES, 5), [batch, T, FEATURES]);
}

/** The model's layers one after the other, passing masks as tfjs' executor does. */
function forward(model: tf.Sequential, x: tf.Tensor, training: boolean): tf.Tensor {
  let t = x;
  let mask: tf.Tensor | null = null;
  for (const layer of model.layers.slice(1)) {
    const out = layer.apply(t, mask ? { training, mask } : { training }) as tf.Tensor;
    mask = layer.supportsMasking ? ((layer.computeMask(t, mask ?? undefined) as tf.Tensor | null) ?? null) : null;
    t = out;
  }
  return t;
}

interface Result {
  output: Float32Array;
  predict: Float32Array;
  grads: Float32Array[];
  inputGrad: Float32Array | null;
  afterStep: Float32Array[];
  calls: number;
}

/** Output, gradients of sum(output * R) (weights and float input), weights after one Adam step: with one fused implementation, or the reference (false). */
async function run(c: Case, fused: FusedTier | false, training = false): Promise<Result> {
  setFusedKernels(fused);
  const before = fusedCallCount();
  const beforeTier = fused ? fusedCallCount(fused) : 0;
  const model = modelFor(c);
  const x = inputFor(c);
  try {
    const weights = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const predicted = model.predict(x) as tf.Tensor;
    const predict = predicted.dataSync() as Float32Array;
    const r = tf.tensor(numbers(predicted.size, 9), predicted.shape);
    predicted.dispose();
    const objective = (y: tf.Tensor) => tf.sum(tf.mul(y, r)) as tf.Scalar;
    const { value, grads } = tf.variableGrads(() => objective(forward(model, x, training)), weights);
    const output = tf.tidy(() => forward(model, x, training).dataSync() as Float32Array);
    const result: Result = {
      output,
      predict,
      grads: weights.map((w) => grads[w.name].dataSync() as Float32Array),
      inputGrad: null,
      afterStep: [],
      calls: 0,
    };
    tf.dispose([value, ...Object.values(grads)]);
    if (c.input === 'float') {
      const g = tf.grad((xi: tf.Tensor) => objective(forward(model, xi, training)))(x);
      result.inputGrad = g.dataSync() as Float32Array;
      g.dispose();
    }
    if (!training) {
      // One Adam step through tfjs' own training loop (trainOnBatch).
      model.compile({ optimizer: tf.train.adam(0.01), loss: 'meanSquaredError' });
      const target = tf.tensor(numbers(r.size, 13), r.shape);
      await model.trainOnBatch(x, target);
      target.dispose();
      result.afterStep = model.trainableWeights.map((w) => w.read().dataSync() as Float32Array);
    }
    r.dispose();
    result.calls = fusedCallCount() - before;
    if (fused) assert.equal(fusedCallCount(fused) - beforeTier, result.calls, `only the ${fused} implementation may run`);
    return result;
  } finally {
    model.dispose();
    x.dispose();
    setFusedKernels(true);
  }
}

const assertClose = (actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, tolerance = TOLERANCE) => assertNear(actual, expected, tolerance, what, 'the reference');

function assertSame(fused: Result, reference: Result, tolerance = TOLERANCE): void {
  assertClose(fused.output, reference.output, 'output', tolerance);
  assertClose(fused.predict, reference.predict, 'predict()', tolerance);
  assert.equal(fused.grads.length, reference.grads.length);
  fused.grads.forEach((g, i) => assertClose(g, reference.grads[i], `gradient of weight ${i}`, tolerance));
  if (reference.inputGrad) assertClose(fused.inputGrad!, reference.inputGrad, 'gradient of the input', tolerance);
  fused.afterStep.forEach((w, i) => assertClose(w, reference.afterStep[i], `weight ${i} after an Adam step`, tolerance));
}

function liveHandles(): number {
  const binding = (tf.backend() as unknown as { binding?: { getNumOfTensors(): number } }).binding;
  return binding ? binding.getNumOfTensors() : 0;
}

/** Math.random replaced by a seeded generator while `f` runs (tfjs seeds dropout from Math.random). */
async function withSeededRandom<R>(seed: number, f: () => Promise<R>): Promise<R> {
  const original = Math.random;
  let a = seed >>> 0;
  Math.random = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  try {
    return await f();
  } finally {
    Math.random = original;
  }
}

// Which builds of the kernels are here (both are built by npm install).
const builds = (['native', 'portable', 'simd128'] as const).map((build) => {
  useKernels(build);
  return { build, status: fusedAddonStatus() };
});
useKernels('auto');

for (const backend of ['tensorflow', 'cpu'] as const) {
 for (const impl of [...builds, { build: 'ops' as const, status: null }]) {
  const tier: FusedTier = impl.build === 'ops' ? 'ops' : 'addon';
  const skip = impl.status && !impl.status.loaded ? `the ${impl.build} kernels are not built (${impl.status.error ?? `node src/trainer/layers/fused/native/build.mjs${impl.build === 'native' ? '' : ' --wasm'}`})` : false;
  describe(`fused recurrent kernels (${impl.build === 'ops' ? 'tensor ops' : `${impl.build} kernels`}) = step-by-step reference (${backend} backend)`, { skip }, () => {
    it(`runs on the ${backend} backend${impl.status ? `, ${impl.status.isa}` : ''}`, async () => {
      assert.ok(await tf.setBackend(backend));
      assert.equal(tf.getBackend(), backend);
      if (impl.build !== 'ops') {
        useKernels(impl.build);
        assert.equal(fusedAddonStatus().isa, impl.status?.isa);
      }
    });

    for (const c of CASES) {
      it(c.name, async () => {
        const reference = await run(c, false);
        assert.equal(reference.calls, 0, 'the reference run must not use the fused kernels');
        const fused = await run(c, tier);
        if (c.fused === false) assert.equal(fused.calls, 0, 'this configuration must fall back to the reference');
        else assert.ok(fused.calls > 0, 'the fused kernels did not run');
        assertSame(fused, reference, c.tolerance);
      });
    }

    for (const [name, base] of cells) {
      it(`${name}: dropout in training (same masks) is fused; recurrent_dropout falls back`, async () => {
        const withDropout: Case = { name, layers: [emb(true), { ...base, units: 5, dropout: 0.4, return_sequences: true }, { ...base, units: 3, dropout: 0.3 }], input: 'tokens' };
        const reference = await withSeededRandom(3, () => run(withDropout, false, true));
        const fused = await withSeededRandom(3, () => run(withDropout, tier, true));
        assert.ok(fused.calls > 0);
        assertClose(fused.output, reference.output, 'training output');
        fused.grads.forEach((g, i) => assertClose(g, reference.grads[i], `training gradient of weight ${i}`));
        // The dropout really applied: inference differs from training.
        assert.ok(reference.output.some((v, i) => Math.abs(v - reference.predict[i]) > 1e-4));

        const recurrent: Case = { name, layers: [{ ...base, units: 5, recurrent_dropout: 0.3 }], input: 'float' };
        const refRec = await withSeededRandom(4, () => run(recurrent, false, true));
        const fusedRec = await withSeededRandom(4, () => run(recurrent, tier, true));
        assertClose(fusedRec.output, refRec.output, 'recurrent_dropout training output');
        // Training-mode calls fall back; inference (predict) is fused.
        const inferenceOnly = await run(recurrent, tier, false);
        assert.ok(inferenceOnly.calls > 0);
        assertClose(inferenceOnly.predict, refRec.predict, 'recurrent_dropout inference output');
      });
    }

    it('no leaks: tfjs tensors, TensorFlow handles and saved forward state stay flat over training steps', async () => {
      setFusedKernels(tier);
      const c: Case = {
        name: 'leak',
        layers: [emb(true), { type: 'Bidirectional', layer: { type: 'LSTM', units: 6, return_sequences: true } }, { type: 'GRU', units: 5, return_sequences: true }, { type: 'SimpleRNN', units: 4, go_backwards: true }, { type: 'Dense', units: 1 }],
        input: 'tokens',
      };
      const model = modelFor(c);
      const x = inputFor(c);
      const y = tf.ones([TOKENS.length, 1]);
      model.compile({ optimizer: tf.train.adam(0.01), loss: 'meanSquaredError' });
      const counts: [number, number][] = [];
      const before = fusedCallCount(tier);
      for (let i = 0; i < 6; i++) {
        await model.trainOnBatch(x, y);
        tf.tidy(() => {
          (model.predict(x) as tf.Tensor).dataSync();
        });
        counts.push([tf.memory().numTensors, liveHandles()]);
        assert.equal(pendingFusedPasses(), 0, 'forward state still held after the step');
      }
      assert.ok(fusedCallCount(tier) - before >= 6 * 8);
      for (const n of counts.slice(2)) assert.deepEqual(n, counts[1], `tensors / handles per step: ${JSON.stringify(counts)}`);
      tf.dispose([x, y]);
      model.dispose();
    });

    it('no leaks when no gradient flows through a fused layer (frozen recurrent layers)', async () => {
      setFusedKernels(tier);
      const c: Case = { name: 'frozen', layers: [emb(true), { type: 'LSTM', units: 6, return_sequences: true }, { type: 'GRU', units: 5 }, { type: 'Dense', units: 1 }], input: 'tokens' };
      const model = modelFor(c);
      for (const layer of model.layers.slice(1, 4)) layer.trainable = false;
      const x = inputFor(c);
      const y = tf.ones([TOKENS.length, 1]);
      model.compile({ optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError' });
      const counts: [number, number][] = [];
      for (let i = 0; i < 5; i++) {
        await model.trainOnBatch(x, y);
        counts.push([tf.memory().numTensors, liveHandles()]);
        assert.equal(pendingFusedPasses(), 0);
      }
      for (const n of counts.slice(2)) assert.deepEqual(n, counts[1], `tensors / handles per step: ${JSON.stringify(counts)}`);
      tf.dispose([x, y]);
      model.dispose();
      setFusedKernels(true);
    });
  });
 }
}
