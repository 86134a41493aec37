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
