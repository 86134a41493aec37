import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-node';
import { buildModel } from '../../src/trainer/builder';
import { analyzeModel, readRepoFile } from './helpers';

interface KerasLayer {
  name: string;
  class_name: string;
  output_shape: (number | null)[];
  trainable_params: number;
  non_trainable_params: number;
}
type KerasModel = { layers: KerasLayer[]; total_params: number; trainable_params: number; non_trainable_params: number } | { error: string; error_layer_index: number | null };

const expected = JSON.parse(readRepoFile('test/fixtures/keras/expected.json')) as Record<string, KerasModel>;

function count(weights: { shape: (number | null)[] }[]): number {
  return weights.reduce((s, w) => s + w.shape.reduce((a: number, b) => a * (b ?? 0), 1), 0);
}

describe('builder: parameter parity with Keras 3', () => {
  for (const [file, keras] of Object.entries(expected)) {
    if ('error' in keras) continue;
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
