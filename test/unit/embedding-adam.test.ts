import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-node';
import { buildModel } from '../../src/trainer/builder';
import { fusedAddonStatus, jsBufferLoops, loadFusedAddon, useKernels, type FusedAddon } from '../../src/trainer/layers/fused/addon';
import { kerasAdam } from '../../src/trainer/optimizers';
import { analyzeModel, assertClose, readRepoFile } from './helpers';

/**
 * The trainer's Embedding lookup and Adam step (plain loops over the values: the native addon's,
 * else JavaScript's). Their numerics against Keras are also covered by builder-numerics (the
 * Embedding's output and gradient) and here (Adam, test/fixtures/keras-numerics/adam.json).
 */

interface AdamCase {
  learning_rate: number;
  initial: number[][];
  gradients: number[][][];
  after_each_step: number[][][];
}

function random(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1);
}

const backends = ['tensorflow', 'cpu'];
after(() => tf.setBackend('tensorflow'));

for (const backend of backends) {
  describe(`Adam and Embedding (${backend} backend)`, () => {
    it(`Adam equals Keras 3's over four steps, including epsilon's place while the moments are tiny`, async () => {
      assert.ok(await tf.setBackend(backend));
      const keras = JSON.parse(readRepoFile('test/fixtures/keras-numerics/adam.json')) as AdamCase;
      const variable = tf.variable(tf.tensor(keras.initial));
      const optimizer = kerasAdam(tf, keras.learning_rate);
      const before = tf.memory().numTensors;
      keras.gradients.forEach((g, step) => {
        const gradient = tf.tensor(g);
        optimizer.applyGradients({ [variable.name]: gradient });
        gradient.dispose();
        assertClose(variable.dataSync(), keras.after_each_step[step].flat(), 1e-6, `step ${step + 1}`);
      });
      assert.equal(tf.memory().numTensors, before, 'no tensor leaks');
      assert.equal(optimizer.iterations, 4);
      // tfjs' own Adam puts epsilon elsewhere and ends elsewhere on the tiny gradients of row 0.
      const stock = tf.variable(tf.tensor(keras.initial));
      const tfjsAdam = tf.train.adam(keras.learning_rate, 0.9, 0.999, 1e-7);
      for (const g of keras.gradients) tf.tidy(() => tfjsAdam.applyGradients([{ name: stock.name, tensor: tf.tensor(g) }]));
      const worst = Math.max(...Array.from(stock.dataSync(), (v, i) => Math.abs(v - keras.after_each_step[3].flat()[i])));
      assert.ok(worst > 1e-5, `tfjs' Adam differs from Keras' by ${worst}`);
      optimizer.dispose();
      tfjsAdam.dispose();
      tf.dispose([variable, stock]);
    });

    it('Embedding: an id outside the table is an error that names the layer; float ids are truncated as Keras casts them', async () => {
      assert.ok(await tf.setBackend(backend));
      const model = buildModel(tf, analyzeModel(JSON.stringify({ input: { shape: [3] }, layers: [{ type: 'Embedding', name: 'words', input_dim: 5, output_dim: 2 }] })), 'float32', { seed: 1 });
      assert.throws(() => model.predict(tf.tensor([[1, 2, 5]])), /Embedding "words": token id 5 is outside the table \(input_dim 5: ids 0\.\.4\)/);
      const table = model.getLayer('words').getWeights()[0].arraySync() as number[][];
      const out = (model.predict(tf.tensor([[1.7, 0, 4.2]])) as tf.Tensor).arraySync() as number[][][];
      assert.deepEqual(out[0], [table[1], table[0], table[4]]);
      assert.deepEqual((model.apply(tf.zeros([0, 3])) as tf.Tensor).shape, [0, 3, 2], 'an empty batch');
    });
  });
}

for (const build of ['native', 'portable', 'simd128'] as const) {
  useKernels(build);
  const kernels = loadFusedAddon();
  useKernels('auto');
  describe(`the ${build} kernels' buffer loops equal the JavaScript ones`, { skip: kernels ? false : `the ${build} kernels are not built (${fusedAddonStatus().error ?? 'npm install'})` }, () => {
    const addon = kernels as FusedAddon;
    const rows = 300;
    const size = 24;
    const table = random(rows * size, 1);
    // Repeated ids (each row summed in order) and the first and last rows.
    const ids = Int32Array.from({ length: 5000 }, (_, i) => (i * 7919) % rows);

    it('gather, and the position of the first id outside the table', () => {
      const a = new Float32Array(ids.length * size);
      const b = new Float32Array(ids.length * size);
      assert.equal(addon.gather(table, ids, a, size), -1);
      assert.equal(jsBufferLoops.gather(table, ids, b, size), -1);
      assert.deepEqual(a, b);
      const bad = Int32Array.of(0, 3, rows, -1);
      assert.equal(addon.gather(table, bad, new Float32Array(4 * size), size), 2);
      assert.equal(jsBufferLoops.gather(table, bad, new Float32Array(4 * size), size), 2);
    });

    it('scatter-add: the same sums, bit for bit', () => {
      const dy = random(ids.length * size, 2);
      const a = new Float32Array(rows * size);
      const b = new Float32Array(rows * size);
      addon.scatterAdd(dy, ids, a, size);
      jsBufferLoops.scatterAdd(dy, ids, b, size);
      assert.deepEqual(a, b);
      assert.throws(() => addon.scatterAdd(dy.subarray(0, size), Int32Array.of(rows), a, size), /outside the table/);
    });

    it('Adam step: the same weights and moments (float32 rounding apart)', () => {
      const n = 100_000; // above the size the addon splits across threads
      const w = random(n, 3);
      const g = random(n, 4).map((x) => x * 1e-3);
      const [m1, v1, m2, v2] = [0, 1, 2, 3].map(() => new Float32Array(n));
      const [o1, o2] = [new Float32Array(n), new Float32Array(n)];
      for (let step = 1; step <= 3; step++) {
        const alpha = (0.01 * Math.sqrt(1 - 0.999 ** step)) / (1 - 0.9 ** step);
        addon.adam(w, g, m1, v1, o1, alpha, 0.9, 0.999, 1e-7);
        jsBufferLoops.adam(w, g, m2, v2, o2, alpha, 0.9, 0.999, 1e-7);
      }
      assertClose(o1, o2, 1e-6, 'weights');
      assertClose(m1, m2, 1e-6, 'first moments');
      assertClose(v1, v2, 1e-6, 'second moments');
    });

    it("the bench's matrix product equals a plain one (sizes off the blocking, K over two blocks)", () => {
      for (const [M, N, K] of [[70, 45, 300], [1, 1, 1], [130, 64, 256]]) {
        const A = random(M * K, 5);
        const Bm = random(K * N, 6);
        const C = new Float32Array(M * N);
        addon.matmul(A, Bm, C, M, N, K);
        const expected = new Float32Array(M * N);
        for (let i = 0; i < M; i++)
          for (let j = 0; j < N; j++) {
            let sum = 0;
            for (let k = 0; k < K; k++) sum += A[i * K + k] * Bm[k * N + j];
            expected[i * N + j] = sum;
          }
        assertClose(C, expected, 1e-5, `C (${M} x ${N} x ${K})`);
      }
    });
  });
}
