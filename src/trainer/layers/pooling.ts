import type * as tfType from '@tensorflow/tfjs';
import type { ConfigDict, Kwargs, Shape, Tensor, TF } from './types';

export interface KerasGlobalAveragePooling1DArgs {
  name?: string;
  /** See `KerasRecurrentArgs.acceptMask`. */
  acceptMask?: boolean;
  trainable?: boolean;
  inputShape?: Shape;
  batchInputShape?: Shape;
}

/**
 * Keras 3's GlobalAveragePooling1D: the mean over time, or with a mask (after a masked Embedding) the
 * mean over the unmasked steps only, `sum(x[mask]) / count(mask)`. tfjs' own one ignores the mask.
 * The mask stops here, as in Keras.
 */
export function defineGlobalAveragePooling1D(tf: TF) {
  class KerasGlobalAveragePooling1D extends tf.layers.Layer {
    static className = 'KerasGlobalAveragePooling1D';
    readonly acceptMask: boolean;

    constructor(args: KerasGlobalAveragePooling1DArgs = {}) {
      super(args);
      this.acceptMask = args.acceptMask ?? true;
      this.supportsMasking = true;
      this.inputSpec = [new tf.InputSpec({ ndim: 3 })];
    }

    override computeOutputShape(inputShape: Shape | Shape[]): Shape {
      const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
      return [s[0], s[2]];
    }

    /** The mask stops here (tfjs' type says Tensor, but null is what it expects for "no mask"). */
    override computeMask(): Tensor {
      return null as unknown as Tensor;
    }

    override call(inputs: Tensor | Tensor[], kwargs: Kwargs): Tensor {
      return tf.tidy(() => {
        const x = Array.isArray(inputs) ? inputs[0] : inputs;
        const rawMask = this.acceptMask ? (kwargs?.mask as Tensor | Tensor[] | undefined) : undefined;
        const mask = (Array.isArray(rawMask) ? rawMask[0] : rawMask) ?? null;
        if (!mask) return tf.mean(x, 1);
        const m = tf.expandDims(tf.cast(mask, 'bool'), 2);
        const masked = tf.where(tf.broadcastTo(m, x.shape), x, tf.zerosLike(x));
        return tf.div(tf.sum(masked, 1), tf.sum(tf.cast(m, x.dtype), 1));
      });
    }

    override getConfig(): ConfigDict {
      return { ...super.getConfig(), acceptMask: this.acceptMask };
    }
  }
  tf.serialization.registerClass(KerasGlobalAveragePooling1D);
  return KerasGlobalAveragePooling1D;
}

export interface KerasAveragePooling1DArgs {
  name?: string;
  poolSize: number;
  /** Default: poolSize. */
  strides?: number;
  padding?: 'valid' | 'same';
  trainable?: boolean;
  inputShape?: Shape;
  batchInputShape?: Shape;
}

/**
 * Keras 3's AveragePooling1D. With `padding: "same"` TensorFlow averages over the real steps of each
 * window only (padding is not counted); tfjs does too when it runs, but the pure-JS backend's
 * gradient counts the padding. Here: zero padding, then window sums divided by the number of real
 * steps in each window, with "valid" pooling only (whose gradient is right on every backend).
 */
export function defineAveragePooling1D(tf: TF) {
  class KerasAveragePooling1D extends tf.layers.Layer {
    static className = 'KerasAveragePooling1D';
    readonly poolSize: number;
    readonly strides: number;
    readonly padding: 'valid' | 'same';

    constructor(args: KerasAveragePooling1DArgs) {
      super(args);
      this.poolSize = args.poolSize;
      this.strides = args.strides ?? args.poolSize;
      this.padding = args.padding ?? 'valid';
      this.inputSpec = [new tf.InputSpec({ ndim: 3 })];
    }

    private outputLength(length: number): number {
      return this.padding === 'same' ? Math.ceil(length / this.strides) : Math.floor((length - this.poolSize) / this.strides) + 1;
    }

    override computeOutputShape(inputShape: Shape | Shape[]): Shape {
      const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
      return [s[0], s[1] === null ? null : this.outputLength(s[1]), s[2]];
    }

    override call(inputs: Tensor | Tensor[]): Tensor {
      return tf.tidy(() => {
        const x = Array.isArray(inputs) ? inputs[0] : inputs;
        const [length, channels] = x.shape.slice(1) as [number, number];
        const k = this.poolSize;
        const pool = (t: Tensor, c: number) =>
          tf.reshape(tf.avgPool(tf.reshape(t, [t.shape[0], -1, 1, c]) as tfType.Tensor4D, [k, 1], [this.strides, 1], 'valid'), [t.shape[0], -1, c]);
        if (this.padding === 'valid') return pool(x, channels);
        // TensorFlow's "same": total padding so that out = ceil(L / s), the smaller half before.
        const total = Math.max((this.outputLength(length) - 1) * this.strides + k - length, 0);
        const pads: [number, number] = [Math.floor(total / 2), total - Math.floor(total / 2)];
        const sums = pool(tf.pad(x, [[0, 0], pads, [0, 0]]), channels);
        const counts = pool(tf.pad(tf.ones([1, length, 1]), [[0, 0], pads, [0, 0]]), 1);
        return tf.div(sums, counts);
      });
    }

    override getConfig(): ConfigDict {
      return { ...super.getConfig(), poolSize: this.poolSize, strides: this.strides, padding: this.padding };
    }
  }
  tf.serialization.registerClass(KerasAveragePooling1D);
  return KerasAveragePooling1D;
}
