import type * as tfType from '@tensorflow/tfjs';
import { loadFusedAddon } from './layers/fused/addon';

export type Tf = typeof tfType;

export interface Backend {
  tf: Tf;
  /** `tensorflow` (native libtensorflow) or `cpu` (pure JavaScript). */
  name: string;
  native: boolean;
  /** Set when the native backend could not be loaded: why, and what it means. */
  notice?: string;
}

/**
 * The native TensorFlow backend (`@tensorflow/tfjs-node`) when it loads, else the pure-JS one
 * with a notice. `RNN_STUDIO_BACKEND=cpu` forces the pure-JS backend.
 */
export function loadBackend(): Backend {
  process.env.TF_CPP_MIN_LOG_LEVEL ??= '2'; // libtensorflow's start-up chatter
  // With the fused kernels' addon, TensorFlow is left only small matrix products (the Dense layers
  // after a recurrent one), where oneDNN's kernels cost ~0.5 ms a call and Eigen's 0.03 ms. Without
  // it the recurrences run as TensorFlow ops, whose large products are faster with oneDNN.
  if (loadFusedAddon()) process.env.TF_ENABLE_ONEDNN_OPTS ??= '0';
  let reason = 'RNN_STUDIO_BACKEND=cpu';
  if (process.env.RNN_STUDIO_BACKEND !== 'cpu') {
    try {
      const tf = require('@tensorflow/tfjs-node') as Tf;
      return { tf, name: tf.getBackend(), native: true };
    } catch (e) {
      reason = (e as Error).message.split('\n')[0];
    }
  }
  const tf = require('@tensorflow/tfjs') as Tf;
  // The pure-JS package greets Node users with advice on stdout; the notice below says it better.
  tf.env().set('IS_NODE', true);
  void tf.setBackend('cpu'); // registered synchronously; without it the name stays unset until the first op
  return {
    tf,
    name: tf.getBackend(),
    native: false,
    notice: `The native TensorFlow backend is not available (${reason}); training runs on the pure-JavaScript backend, which is much slower. Run \`npm run setup:native\` in the RNN Studio folder to build it.`,
  };
}
