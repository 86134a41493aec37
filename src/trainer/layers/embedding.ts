import { bufferLoops, kernelValues, tensorFloats } from './fused/addon';
import type { Kwargs, Layer, LayerVariable, Tensor, TF } from './types';

/**
 * tfjs' Embedding with the lookup and its gradient as plain loops over the table's values (the
 * native addon's, else JavaScript's): tfjs-node's Gather and its gradient (UnsortedSegmentSum into
 * a dense table) cost milliseconds a batch for a 10,000-row table, and their tensors must be copied
 * out of TensorFlow for the fused recurrent kernels and the optimizer, which read JavaScript
 * buffers. The gradient is the same dense table-shaped tensor as stock tfjs' (and Keras' dense Adam
 * step over it). An id outside the table is an error naming the layer, as in Keras.
 */
export function defineEmbedding(tf: TF) {
  type LayerClass = new (args: object) => Layer;
  // tfjs does not export the class; take it from an instance (no weights are created).
  const Embedding = Object.getPrototypeOf(tf.layers.embedding({ inputDim: 1, outputDim: 1 })).constructor as LayerClass;

  class KerasEmbedding extends Embedding {
    static className = 'KerasEmbedding';

    override call(inputs: Tensor | Tensor[], _kwargs: Kwargs): Tensor {
      return tf.tidy(() => {
        let input = Array.isArray(inputs) ? inputs[0] : inputs;
        if (input.dtype !== 'int32') input = tf.cast(input, 'int32');
        const ids = input.dataSync() as Int32Array;
        const table = (this as unknown as { embeddings: LayerVariable }).embeddings.read();
        const [rows, size] = table.shape as [number, number];
        const lookup = tf.customGrad(((t: Tensor) => {
          const out = tensorFloats(tf, ids.length * size);
          const bad = ids.length ? bufferLoops().gather(kernelValues(tf, t) as Float32Array, ids, out, size) : -1;
          if (bad >= 0) throw new Error(`Embedding "${this.name}": token id ${ids[bad]} is outside the table (input_dim ${rows}: ids 0..${rows - 1}).`);
          return {
            value: tf.tensor(out, [...input.shape, size], 'float32'),
            gradFunc: (dy: Tensor) => {
              const grad = tensorFloats(tf, rows * size).fill(0);
              if (ids.length) bufferLoops().scatterAdd(kernelValues(tf, dy) as Float32Array, ids, grad, size);
              return tf.tensor(grad, [rows, size], 'float32');
            },
          };
        }) as unknown as Parameters<TF['customGrad']>[0]);
        return lookup(table) as Tensor;
      });
    }
  }

  tf.serialization.registerClass(KerasEmbedding as unknown as Parameters<TF['serialization']['registerClass']>[0]);
  return KerasEmbedding;
}
