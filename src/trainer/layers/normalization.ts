import type { ConfigDict, Kwargs, LayerVariable, Shape, Tensor, TF } from './types';

export interface KerasBatchNormalizationArgs {
  name?: string;
  axis?: number;
  momentum?: number;
  epsilon?: number;
  center?: boolean;
  scale?: boolean;
  /** See `KerasRecurrentArgs.acceptMask`. */
  acceptMask?: boolean;
  trainable?: boolean;
  inputShape?: Shape;
  batchInputShape?: Shape;
}

/** Keras' `backend.epsilon()`, used by the masked moments. */
const KERAS_EPSILON = 1e-7;

/** The axis a normalization layer works on (negative: counted from the end); never the batch axis. */
function axisIndex(layer: { name: string; axis: number }, rank: number): number {
  const axis = layer.axis < 0 ? layer.axis + rank : layer.axis;
  if (axis < 1 || axis >= rank) throw new Error(`${layer.name}: axis ${layer.axis} is out of range for an input of rank ${rank}.`);
  return axis;
}

/** That axis of the input shape and its size, which must be known to create the weights. */
function featureAxis(layer: { name: string; axis: number }, inputShape: Shape | Shape[]): { rank: number; axis: number; dim: number } {
  const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
  const axis = axisIndex(layer, shape.length);
  const dim = shape[axis];
  if (dim === null || dim === undefined) throw new Error(`${layer.name}: axis ${layer.axis} of the input must be known.`);
  return { rank: shape.length, axis, dim };
}

/**
 * Keras 3's BatchNormalization. tfjs' own one cannot train with `center` or `scale` false and ignores
 * masks; this one follows Keras: weights gamma, beta (trainable), moving_mean, moving_variance
 * (non-trainable), in that order, each (features,); in training, batch moments (masked moments when a
 * mask arrives, as Keras does after a masked Embedding) and `moving = moving * momentum + batch * (1 -
 * momentum)` with the biased variance; out = x * inv + (beta - mean * inv), inv = gamma / sqrt(var + eps).
 */
export function defineBatchNormalization(tf: TF) {
  class KerasBatchNormalization extends tf.layers.Layer {
    static className = 'KerasBatchNormalization';
    readonly axis: number;
    readonly momentum: number;
    readonly epsilon: number;
    readonly center: boolean;
    readonly scale: boolean;
    readonly acceptMask: boolean;
    gamma: LayerVariable | null = null;
    beta: LayerVariable | null = null;
    movingMean!: LayerVariable;
    movingVariance!: LayerVariable;

    constructor(args: KerasBatchNormalizationArgs = {}) {
      super(args);
      this.axis = args.axis ?? -1;
      this.momentum = args.momentum ?? 0.99;
      this.epsilon = args.epsilon ?? 1e-3;
      this.center = args.center ?? true;
      this.scale = args.scale ?? true;
      this.acceptMask = args.acceptMask ?? true;
      this.supportsMasking = true;
    }

    override build(inputShape: Shape | Shape[]): void {
      const { rank, axis, dim } = featureAxis(this, inputShape);
      this.inputSpec = [new tf.InputSpec({ ndim: rank, axes: { [axis]: dim } })];
      if (this.scale) this.gamma = this.addWeight('gamma', [dim], 'float32', tf.initializers.ones());
      if (this.center) this.beta = this.addWeight('beta', [dim], 'float32', tf.initializers.zeros());
      this.movingMean = this.addWeight('moving_mean', [dim], 'float32', tf.initializers.zeros(), undefined, false);
      this.movingVariance = this.addWeight('moving_variance', [dim], 'float32', tf.initializers.ones(), undefined, false);
      this.built = true;
    }

    private moments(x: Tensor, axes: number[], mask: Tensor | null): [Tensor, Tensor] {
      if (!mask) {
        const { mean, variance } = tf.moments(x, axes);
        return [mean, variance];
      }
      if (mask.rank !== x.rank - 1) throw new Error(`${this.name}: the mask must have one dimension less than the inputs; got mask ${JSON.stringify(mask.shape)} for inputs ${JSON.stringify(x.shape)}.`);
      const m = tf.broadcastTo(tf.expandDims(tf.cast(mask, 'bool'), -1), x.shape);
      const weights = tf.add(tf.sum(tf.cast(m, 'float32'), axes, true), KERAS_EPSILON);
      const mean = tf.div(tf.sum(tf.where(m, x, tf.zerosLike(x)), axes, true), weights);
      const diff = tf.where(m, tf.sub(x, mean), tf.zerosLike(x));
      const variance = tf.div(tf.sum(tf.square(diff), axes, true), weights);
      return [tf.reshape(mean, [-1]), tf.reshape(variance, [-1])];
    }

    override call(inputs: Tensor | Tensor[], kwargs: Kwargs): Tensor {
      return tf.tidy(() => {
        const x = Array.isArray(inputs) ? inputs[0] : inputs;
        const rank = x.rank;
        const axis = axisIndex(this, rank);
        const axes = Array.from({ length: rank }, (_, i) => i).filter((i) => i !== axis);
        let mean: Tensor;
        let variance: Tensor;
        if (kwargs?.training === true && this.trainable) {
          const rawMask = this.acceptMask ? (kwargs.mask as Tensor | Tensor[] | undefined) : undefined;
          const mask = (Array.isArray(rawMask) ? rawMask[0] : rawMask) ?? null;
          [mean, variance] = this.moments(x, axes, mask);
          const update = (v: LayerVariable, value: Tensor) =>
            tf.tidy(() => {
              v.write(tf.add(tf.mul(v.read(), this.momentum), tf.mul(value, 1 - this.momentum)));
            });
          update(this.movingMean, mean);
          update(this.movingVariance, variance);
        } else {
          mean = this.movingMean.read();
          variance = this.movingVariance.read();
        }
        const shape = Array.from({ length: rank }, (_, i) => (i === axis ? x.shape[axis] : 1));
        const b = (t: Tensor) => (axis === rank - 1 ? t : tf.reshape(t, shape));
        let inv = tf.rsqrt(tf.add(variance, this.epsilon));
        if (this.gamma) inv = tf.mul(inv, this.gamma.read());
        const shift = this.beta ? tf.sub(this.beta.read(), tf.mul(mean, inv)) : tf.neg(tf.mul(mean, inv));
        return tf.add(tf.mul(x, b(inv)), b(shift));
      });
    }

    override computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
      return inputShape;
    }

    override getConfig(): ConfigDict {
      return {
        ...super.getConfig(),
        axis: this.axis,
        momentum: this.momentum,
        epsilon: this.epsilon,
        center: this.center,
        scale: this.scale,
        acceptMask: this.acceptMask,
      };
    }
  }
  tf.serialization.registerClass(KerasBatchNormalization);
  return KerasBatchNormalization;
}

export interface KerasLayerNormalizationArgs {
  name?: string;
  axis?: number;
  epsilon?: number;
  center?: boolean;
  scale?: boolean;
  trainable?: boolean;
  inputShape?: Shape;
  batchInputShape?: Shape;
}

/**
 * Keras 3's LayerNormalization (tfjs' cannot compute gradients with `center` or `scale` false):
 * weights gamma (if scale), beta (if center), each (input_shape[axis],); moments over `axis`;
 * out = x * inv + (beta - mean * inv), inv = gamma / sqrt(var + eps). Passes a mask on, as Keras.
 */
export function defineLayerNormalization(tf: TF) {
  class KerasLayerNormalization extends tf.layers.Layer {
    static className = 'KerasLayerNormalization';
    readonly axis: number;
    readonly epsilon: number;
    readonly center: boolean;
    readonly scale: boolean;
    gamma: LayerVariable | null = null;
    beta: LayerVariable | null = null;

    constructor(args: KerasLayerNormalizationArgs = {}) {
      super(args);
      this.axis = args.axis ?? -1;
      this.epsilon = args.epsilon ?? 1e-3;
      this.center = args.center ?? true;
      this.scale = args.scale ?? true;
      this.supportsMasking = true;
    }

    override build(inputShape: Shape | Shape[]): void {
      const { dim } = featureAxis(this, inputShape);
      if (this.scale) this.gamma = this.addWeight('gamma', [dim], 'float32', tf.initializers.ones());
      if (this.center) this.beta = this.addWeight('beta', [dim], 'float32', tf.initializers.zeros());
      this.built = true;
    }

    override call(inputs: Tensor | Tensor[]): Tensor {
      return tf.tidy(() => {
        const x = Array.isArray(inputs) ? inputs[0] : inputs;
        const axis = axisIndex(this, x.rank);
        const shape = Array.from({ length: x.rank }, (_, i) => (i === axis ? x.shape[axis] : 1));
        const { mean, variance } = tf.moments(x, [axis], true);
        let inv = tf.rsqrt(tf.add(variance, this.epsilon));
        if (this.gamma) inv = tf.mul(inv, tf.reshape(this.gamma.read(), shape));
        let shift = tf.neg(tf.mul(mean, inv));
        if (this.beta) shift = tf.add(shift, tf.reshape(this.beta.read(), shape));
        return tf.add(tf.mul(x, inv), shift);
      });
    }

    override computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
      return inputShape;
    }

    override getConfig(): ConfigDict {
      return { ...super.getConfig(), axis: this.axis, epsilon: this.epsilon, center: this.center, scale: this.scale };
    }
  }
  tf.serialization.registerClass(KerasLayerNormalization);
  return KerasLayerNormalization;
}
