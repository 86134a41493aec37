import type * as tfType from '@tensorflow/tfjs';
import { analyzeModel } from '../src/core';
import { loadBackend } from '../src/trainer/backend';
import { buildModel } from '../src/trainer/builder';
import { compileModel } from '../src/trainer/train';
import { fusedAddonStatus } from '../src/trainer/layers/fused/addon';
import { fusedCallCount, fusedKernelsMode, fusedTier } from '../src/trainer/layers/fused/index';

/**
 * One training-throughput measurement, in its own process so its peak memory is its own:
 * Embedding(10000, 64) -> CELL(128) -> Dense(1, sigmoid), T timesteps, batch 64, random tokens.
 * Usage: node out/bench/trainCell.js CELL [TIMESTEPS] [BATCHES] [bidirectional] [float]
 *
 * `bidirectional` wraps the cell; `float` feeds random float features (T, 64) instead of the
 * Embedding.
 * Two warm-up batches, then BATCHES timed `trainOnBatch` calls (each waits for its loss).
 * `RNN_STUDIO_FUSED=0` measures the step-by-step reference instead of the fused kernels (`addon` /
 * `ops`: one fused implementation); `RNN_STUDIO_BACKEND=cpu` the pure-JS backend.
 * `bench/keras/bench_keras.py` is the same in Keras, `bench/keras/compare.ts` runs both back to back.
 */

async function main(): Promise<void> {
  const [cell = 'LSTM', timesteps = '200', batches = '8', ...flags] = process.argv.slice(2);
  const wrapper = flags.includes('bidirectional') ? 'bidirectional' : '';
  const floatInput = flags.includes('float');
  const T = Number(timesteps);
  const batch = 64;
  const backend = loadBackend();
  const tf = backend.tf;
  const recurrent = { type: cell, units: 128 };
  const layer = wrapper === 'bidirectional' ? { type: 'Bidirectional', layer: recurrent } : recurrent;
  const text = floatInput
    ? JSON.stringify({ input: { shape: [T, 64] }, layers: [layer, { type: 'Dense', units: 1, activation: 'sigmoid' }] })
    : JSON.stringify({ input: { shape: [T], dtype: 'int32' }, layers: [{ type: 'Embedding', input_dim: 10000, output_dim: 64 }, layer, { type: 'Dense', units: 1, activation: 'sigmoid' }] });
  const model = buildModel(tf, analyzeModel(text), floatInput ? 'float32' : 'int32', { seed: 1 });
  compileModel(tf, model, { optimizer: 'adam', learning_rate: 0.001, loss: 'binary_crossentropy' }); // as the trainer does
  const x = floatInput ? tf.randomNormal([batch, T, 64]) : tf.randomUniform([batch, T], 1, 10000, 'int32');
  const y = tf.cast(tf.randomUniform([batch, 1], 0, 2, 'int32'), 'float32') as tfType.Tensor;
  for (let i = 0; i < 2; i++) await model.trainOnBatch(x, y); // warm-up: kernels, allocations
  const n = Number(batches);
  const calls = fusedCallCount();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await model.trainOnBatch(x, y);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const result = {
    bench: 'train',
    impl: 'rnn-studio',
    cell: wrapper === 'bidirectional' ? `Bidirectional(${cell})` : cell,
    input: floatInput ? 'float(T, 64)' : 'Embedding(10000, 64)',
    units: 128,
    timesteps: T,
    batch,
    samples_per_s: Math.round(((n * batch) / seconds) * 10) / 10,
    backend: backend.name,
    // Which implementation the recurrent layers ran: the fused kernels' native addon or tensor ops
    // (src/trainer/layers/fused/), or the step-by-step reference.
    fused: fusedKernelsMode() !== 'off' && fusedCallCount() > calls,
    implementation: fusedCallCount() > calls ? `fused-${fusedTier(tf)}${fusedTier(tf) === 'addon' ? `-${fusedAddonStatus().isa}` : ''}` : 'step-by-step',
    peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
    params: model.countParams(),
    tensors: tf.memory().numTensors,
  };
  process.stdout.write(JSON.stringify(result) + '\n');
}

void main();
