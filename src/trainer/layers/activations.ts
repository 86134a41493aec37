import type { Tensor, TF } from './types';

/**
 * Keras 3 activations (the `activation` enum of schema v1) as tfjs computations, and their names for
 * stock tfjs layers (Dense, Conv1D, Activation).
 *
 * Most Keras names have a tfjs twin with the same maths. The others are registered here as tfjs
 * activation classes (`tf.serialization.registerClass`) under names tfjs does not use, so that a
 * saved model.json reloads with the same maths:
 * - `hard_sigmoid`: Keras 3 is `relu6(x + 3) / 6`; tfjs' `hardSigmoid` is the Keras 2 `0.2 x + 0.5`.
 * - `exponential`, `leaky_relu` (Keras default negative_slope 0.2): no tfjs activation.
 * - `silu` is Keras' name for `swish`; `log_softmax` is tfjs' `logSoftmax`.
 */

export const KERAS_ACTIVATIONS = [
  'linear',
  'relu',
  'sigmoid',
  'tanh',
  'softmax',
  'softplus',
  'softsign',
  'selu',
  'elu',
  'gelu',
  'swish',
  'silu',
  'hard_sigmoid',
  'exponential',
  'leaky_relu',
  'relu6',
  'log_softmax',
  'mish',
] as const;

export type KerasActivation = (typeof KERAS_ACTIVATIONS)[number];

/** Keras name -> tfjs activation identifier (built in, or registered by `registerActivations`). */
const TFJS_NAMES: Record<KerasActivation, string> = {
  linear: 'linear',
  relu: 'relu',
  sigmoid: 'sigmoid',
  tanh: 'tanh',
  softmax: 'softmax',
  softplus: 'softplus',
  softsign: 'softsign',
  selu: 'selu',
  elu: 'elu',
  gelu: 'gelu',
  swish: 'swish',
  silu: 'swish',
  hard_sigmoid: 'kerasHardSigmoid',
  exponential: 'kerasExponential',
  leaky_relu: 'kerasLeakyRelu',
  relu6: 'relu6',
  log_softmax: 'logSoftmax',
  mish: 'mish',
};

/** Keras' default `negative_slope` of the `leaky_relu` activation. */
export const LEAKY_RELU_SLOPE = 0.2;

function isKerasActivation(name: string): name is KerasActivation {
  return (KERAS_ACTIVATIONS as readonly string[]).includes(name);
}

/** The tfjs `activation` argument for a Keras activation name; throws for names outside schema v1. */
export function tfjsActivation(name: string): string {
  if (!isKerasActivation(name)) throw new Error(`Unknown activation "${name}". Activations of schema v1: ${KERAS_ACTIVATIONS.join(', ')}.`);
  return TFJS_NAMES[name];
}

/** The function a Keras activation computes, for the recurrent cells (same maths as `tfjsActivation`). */
export function activationFunction(tf: TF, name: string): (x: Tensor) => Tensor {
  if (!isKerasActivation(name)) throw new Error(`Unknown activation "${name}". Activations of schema v1: ${KERAS_ACTIVATIONS.join(', ')}.`);
  switch (name) {
    case 'linear':
      return (x) => x;
    case 'relu':
      return (x) => tf.relu(x);
    case 'sigmoid':
      return (x) => tf.sigmoid(x);
    case 'tanh':
      return (x) => tf.tanh(x);
    case 'softmax':
      return (x) => tf.softmax(x, -1);
    case 'softplus':
      return (x) => tf.softplus(x);
    case 'softsign':
      return (x) => tf.div(x, tf.add(1, tf.abs(x)));
    case 'selu':
      return (x) => tf.selu(x);
    case 'elu':
      return (x) => tf.elu(x);
    case 'gelu':
      return (x) => tf.mul(x, tf.mul(0.5, tf.add(1, tf.erf(tf.div(x, Math.SQRT2)))));
    case 'swish':
    case 'silu':
      return (x) => tf.mul(tf.sigmoid(x), x);
    case 'hard_sigmoid':
      return (x) => tf.div(tf.relu6(tf.add(x, 3)), 6);
    case 'exponential':
      return (x) => tf.exp(x);
    case 'leaky_relu':
      return (x) => tf.leakyRelu(x, LEAKY_RELU_SLOPE);
    case 'relu6':
      return (x) => tf.relu6(x);
    case 'log_softmax':
      return (x) => tf.logSoftmax(x, -1);
    case 'mish':
      return (x) => tf.mul(x, tf.tanh(tf.softplus(x)));
  }
}

/** Registers the activation classes tfjs lacks (see the module comment). Idempotent per namespace via `registerCustomLayers`. */
export function registerActivations(tf: TF): void {
  const custom: [string, KerasActivation][] = [
    ['kerasHardSigmoid', 'hard_sigmoid'],
    ['kerasExponential', 'exponential'],
    ['kerasLeakyRelu', 'leaky_relu'],
  ];
  for (const [className, kerasName] of custom) {
    const fn = activationFunction(tf, kerasName);
    // tfjs looks activations up by class name and calls `apply(x)`; `getClassName()` is what model.json stores.
    const cls = class extends tf.serialization.Serializable {
      static className = className;
      apply(x: Tensor): Tensor {
        return tf.tidy(() => fn(x));
      }
      getConfig() {
        return {};
      }
    };
    tf.serialization.registerClass(cls);
  }
}
