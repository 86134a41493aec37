import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzeModel, kerasExpected, readRepoFile } from './helpers';

/** Every fixture and example against what Keras 3 itself built (test/fixtures/keras/expected.json). */

const expected = kerasExpected();

describe('Keras 3 parity', () => {
  it('has fixtures for every layer type and the reference models', () => {
    assert.ok(Object.keys(expected).length >= 40, `only ${Object.keys(expected).length} fixtures`);
    assert.ok(Object.keys(expected).filter((k) => k.includes('/ref-')).length >= 11);
  });

  for (const [file, keras] of Object.entries(expected)) {
    it(file.replace(/^.*\//, ''), () => {
      const a = analyzeModel(readRepoFile(file));
      if ('error' in keras) {
        const errors = a.diagnostics.filter((d) => d.severity === 'error');
        assert.ok(errors.length > 0, `Keras refused this model (${keras.error}) but no error was reported`);
        if (keras.error_layer_index !== null) {
          const at = errors.map((d) => d.layerIndex ?? (d.path[0] === 'input' ? -1 : undefined));
          // The problem is reported on the failing layer, or on the layer / input whose setting causes it.
          assert.ok(at.some((i) => i !== undefined && i <= keras.error_layer_index!), `errors at ${JSON.stringify(at)}, Keras failed at layer ${keras.error_layer_index}`);
        }
        return;
      }
      assert.deepEqual(
        a.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message),
        [],
        'Keras builds this model, so no errors',
      );
      assert.equal(a.layers.length, keras.layers.length);
      a.layers.forEach((l, i) => {
        const k = keras.layers[i];
        assert.deepEqual(
          { name: l.name, type: l.type, shape: l.outputShape, trainable: l.trainableParams, nonTrainable: l.nonTrainableParams },
          { name: k.name, type: k.class_name, shape: k.output_shape, trainable: k.trainable_params, nonTrainable: k.non_trainable_params },
          `layer ${i}`,
        );
      });
      assert.equal(a.totalParams, keras.total_params);
      assert.equal(a.trainableParams, keras.trainable_params);
      assert.equal(a.nonTrainableParams, keras.non_trainable_params);
    });
  }
});
