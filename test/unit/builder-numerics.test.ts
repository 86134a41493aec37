import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-node';
import { buildModel } from '../../src/trainer/builder';
import { activationFunction, KERAS_ACTIVATIONS } from '../../src/trainer/layers/activations';
import { kerasWeightPaths, setKerasWeights, type KerasLayerWeights, type KerasWeight, type NestedNumbers } from '../../src/trainer/layers/keras-weights';
import { analyzeModel, assertClose as assertNear, readRepoFile, repoRoot } from './helpers';

/**
 * Numerical parity with Keras 3: test/fixtures/keras-numerics/*.json hold small models with seeded
 * weights, an input, and Keras' output and gradients (generate.py). The same model file goes
 * through analyzeModel + buildModel, gets Keras' weights as they are (no reordering), and must
 * compute the same outputs and gradients to 1e-5 (relative above 1), on the native backend and on
 * the pure-JS one.
 */

interface Case {
  description: string;
  model: { input: { shape: (number | null)[]; dtype?: 'float32' | 'int32' }; layers: object[] };
  input: NestedNumbers;
  output: NestedNumbers;
  layers: (KerasLayerWeights & { class_name: string; weights: (KerasWeight & { grad: NestedNumbers | null; after_training_call?: NestedNumbers })[] })[];
  training?: boolean;
  output_training?: NestedNumbers;
}

const DIR = 'test/fixtures/keras-numerics';
const cases = readdirSync(path.join(repoRoot, DIR))
  .filter((f) => f.endsWith('.json') && f !== 'activations.json' && f !== 'adam.json')
  .sort();
const TOLERANCE = 1e-5;

function flat(v: NestedNumbers): number[] {
  return Array.isArray(v) ? v.flatMap(flat) : [v];
}

function shapeOf(v: NestedNumbers): number[] {
  return Array.isArray(v) ? [v.length, ...shapeOf(v[0])] : [];
}

const assertClose = (actual: ArrayLike<number>, expected: number[], tolerance: number, what: string) => assertNear(actual, expected, tolerance, what, 'Keras');

function load(file: string): Case {
  return JSON.parse(readRepoFile(`${DIR}/${file}`)) as Case;
}

function buildCase(c: Case) {
  const analysis = analyzeModel(JSON.stringify(c.model, null, 2));
  const dtype = c.model.input.dtype ?? 'float32';
  const model = buildModel(tf, analysis, dtype);
  setKerasWeights(tf, model, c.layers);
  const x = tf.tensor(flat(c.input), shapeOf(c.input), dtype);
  return { analysis, model, x };
}

for (const backend of ['tensorflow', 'cpu'] as const) {
  describe(`builder: numerical parity with Keras 3 (${backend} backend)`, () => {
    it(`runs on the ${backend} backend`, async () => {
      assert.ok(await tf.setBackend(backend));
      assert.equal(tf.getBackend(), backend);
    });

    for (const file of cases) {
      it(file.replace(/\.json$/, ''), () => {
        const c = load(file);
        const { analysis, model, x } = buildCase(c);
        try {
          // Same weights, same names, same order: Keras' variable paths are the builder's.
          analysis.layers.forEach((info, i) => {
            assert.deepEqual(kerasWeightPaths(info), c.layers[i].weights.map((w) => w.path.replace(/^sequential\//, '')), `weights of ${info.name}`);
          });
          const y = model.predict(x) as tf.Tensor;
          assert.deepEqual(y.shape, shapeOf(c.output));
          assertClose(y.dataSync(), flat(c.output), TOLERANCE, 'output');
          y.dispose();

          // Gradients of sum(output^2) with respect to every trainable weight, through the executor fit uses.
          const outName = model.outputs[0].name;
          const trainable = c.layers.flatMap((l) => {
            const layer = model.getLayer(l.name);
            return layer.weights.map((w, i) => ({ variable: w, grad: l.weights[i].grad, path: l.weights[i].path })).filter((w) => w.grad !== null);
          });
          const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(model.execute(x, outName) as tf.Tensor)) as tf.Scalar, trainable.map((w) => w.variable.read() as tf.Variable));
          for (const w of trainable) {
            const g = grads[(w.variable.read() as tf.Variable).name];
            assert.ok(g, `no gradient for ${w.path}`);
            assertClose(g.dataSync(), flat(w.grad!), TOLERANCE, `gradient of ${w.path}`);
          }
          tf.dispose([value, ...Object.values(grads)]);
        } finally {
          model.dispose();
          x.dispose();
        }
      });
    }

    for (const file of cases.filter((f) => load(f).training)) {
      it(`${file.replace(/\.json$/, '')}: training-mode output`, () => {
        const c = load(file);
        const { model, x } = buildCase(c);
        try {
          // Layer by layer with training: true, passing masks on as tfjs' executor does.
          let t: tf.Tensor = x;
          let mask: tf.Tensor | null = null;
          for (const layer of model.layers.slice(1)) {
            const out = layer.apply(t, mask ? { training: true, mask } : { training: true }) as tf.Tensor;
            mask = layer.supportsMasking ? ((layer.computeMask(t, mask ?? undefined) as tf.Tensor | null) ?? null) : null;
            t = out;
          }
          assertClose(t.dataSync(), flat(c.output_training!), TOLERANCE, 'training-mode output');
          for (const l of c.layers) {
            const layer = model.getLayer(l.name);
            l.weights.forEach((w: Case['layers'][number]['weights'][number], i) => {
              if (w.after_training_call) assertClose(layer.weights[i].read().dataSync(), flat(w.after_training_call), TOLERANCE, `${w.path} after the training-mode call`);
            });
          }
        } finally {
          model.dispose();
          x.dispose();
        }
      });

      it(`${file.replace(/\.json$/, '')}: training mode (fit step with learning rate 0)`, async () => {
        const c = load(file);
        const { model, x } = buildCase(c);
        try {
          model.compile({ optimizer: tf.train.sgd(0), loss: 'meanSquaredError' });
          const target = tf.zeros(shapeOf(c.output));
          await model.fit(x, target, { batchSize: x.shape[0], epochs: 1, shuffle: false, verbose: 0 });
          target.dispose();
          for (const l of c.layers) {
            const layer = model.getLayer(l.name);
            l.weights.forEach((w: Case['layers'][number]['weights'][number], i) => {
              if (w.after_training_call) assertClose(layer.weights[i].read().dataSync(), flat(w.after_training_call), TOLERANCE, `${w.path} after one training step`);
            });
          }
        } finally {
          model.dispose();
          x.dispose();
        }
      });
    }

    it('every activation of schema v1 computes what Keras computes', () => {
      const data = JSON.parse(readRepoFile(`${DIR}/activations.json`)) as { x: number[][]; activations: Record<string, number[][]> };
      assert.deepEqual(Object.keys(data.activations).sort(), [...KERAS_ACTIVATIONS].sort());
      const x = tf.tensor2d(data.x);
      for (const name of KERAS_ACTIVATIONS) {
        const expected = flat(data.activations[name]);
        // As a recurrent cell computes it.
        const direct = tf.tidy(() => activationFunction(tf, name)(x));
        assertClose(direct.dataSync(), expected, TOLERANCE, `${name} (cells)`);
        if (direct !== x) direct.dispose(); // linear returns its input
        // As an Activation layer and as a Dense layer's activation, built from a model file.
        for (const layer of [{ type: 'Activation', activation: name }, { type: 'Dense', units: 10, activation: name }]) {
          const model = buildModel(tf, analyzeModel(JSON.stringify({ input: { shape: [10] }, layers: [layer] })), 'float32');
          if (layer.type === 'Dense') model.layers[1].setWeights([tf.eye(10), tf.zeros([10])]);
          const y = model.predict(x) as tf.Tensor;
          assertClose(y.dataSync(), expected, TOLERANCE, `${name} (${layer.type})`);
          y.dispose();
          model.dispose();
        }
      }
      x.dispose();
    });
  });
}
