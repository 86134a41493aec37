import type * as tfType from '@tensorflow/tfjs';
import type { Tf } from './backend';
import { bufferLoops, freeFloats, kernelValues, kernelZeros, tensorFloats } from './layers/fused/addon';

type NamedGradients = tfType.NamedTensorMap | { name: string; tensor: tfType.Tensor }[];

const adamClasses = new WeakMap<object, new (learningRate: number) => tfType.Optimizer>();

/**
 * Keras 3's Adam (beta_1 0.9, beta_2 0.999, epsilon 1e-7, epsilon added to √v as Keras does; tfjs'
 * own Adam adds it to the bias-corrected √v). Each weight is updated in one pass over its values
 * (the native addon's threaded loop, else JavaScript) instead of a dozen tensor ops, which matters
 * for an embedding table of hundreds of thousands of weights that Adam updates densely, as Keras
 * does. The moments live in plain arrays; the new weights become tensors without a copy.
 */
export function kerasAdam(tf: Tf, learningRate: number): tfType.Optimizer {
  let KerasAdam = adamClasses.get(tf.Optimizer);
  if (!KerasAdam) {
    KerasAdam = class extends tf.Optimizer {
      static className = 'Adam';
      private readonly beta1 = 0.9;
      private readonly beta2 = 0.999;
      private readonly epsilon = 1e-7;
      private moments = new Map<string, { m: Float32Array; v: Float32Array }>();

      constructor(private readonly learningRate: number) {
        super();
      }

      applyGradients(gradients: NamedGradients): void {
        const list = Array.isArray(gradients) ? gradients : Object.keys(gradients).map((name) => ({ name, tensor: gradients[name] }));
        const t = this.iterations + 1;
        const alpha = (this.learningRate * Math.sqrt(1 - this.beta2 ** t)) / (1 - this.beta1 ** t);
        for (const { name, tensor: gradient } of list) {
          if (!gradient) continue;
          const variable = tf.engine().registeredVariables[name];
          const w = kernelValues(tf, variable) as Float32Array;
          let slot = this.moments.get(name);
          if (!slot) this.moments.set(name, (slot = { m: kernelZeros(w.length), v: kernelZeros(w.length) }));
          const next = tensorFloats(tf, w.length);
          bufferLoops().adam(w, kernelValues(tf, gradient) as Float32Array, slot.m, slot.v, next, alpha, this.beta1, this.beta2, this.epsilon);
          tf.tidy(() => variable.assign(tf.tensor(next, variable.shape, 'float32')));
        }
        this.incrementIterations();
      }

      override dispose(): void {
        for (const { m, v } of this.moments.values()) [m, v].forEach(freeFloats);
        this.moments = new Map();
      }

      getConfig(): tfType.serialization.ConfigDict {
        return { learningRate: this.learningRate, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon };
      }
    };
    adamClasses.set(tf.Optimizer, KerasAdam);
  }
  return new KerasAdam(learningRate);
}
