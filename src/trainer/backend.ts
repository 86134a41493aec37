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
 * The native TensorFlow backend (`@tensorflow/tfjs-node`) when it is installed and loads (a
 * development checkout), else the pure-JS one bundled into the trainer: what the packaged
 * extension trains on, with the fused kernels (native addon or WebAssembly), so no notice then.
 * A notice says why when tfjs-node is installed but fails to load, or when `RNN_STUDIO_BACKEND=cpu`
 * forces the pure-JS backend.
 */
export function loadBackend(): Backend {
  process.env.TF_CPP_MIN_LOG_LEVEL ??= '2'; // libtensorflow's start-up chatter
  // With the fused kernels' addon, TensorFlow is left only small matrix products (the Dense layers
  // after a recurrent one), where oneDNN's kernels cost ~0.5 ms a call and Eigen's 0.03 ms. Without
  // it the recurrences run as TensorFlow ops, whose large products are faster with oneDNN.
  if (loadFusedAddon()) process.env.TF_ENABLE_ONEDNN_OPTS ??= '0';
  let notice: string | undefined = 'RNN_STUDIO_BACKEND=cpu is set: training runs on the pure-JavaScript backend.';
  if (process.env.RNN_STUDIO_BACKEND !== 'cpu') {
    try {
      const tf = require('@tensorflow/tfjs-node') as Tf;
      return { tf, name: tf.getBackend(), native: true };
    } catch (e) {
      notice = nativeFailure(e as NodeJS.ErrnoException);
    }
  }
  const tf = require('@tensorflow/tfjs') as Tf;
  // The pure-JS package greets Node users with advice on stdout (to install tfjs-node): not for us.
  tf.env().set('IS_NODE', true);
  void tf.setBackend('cpu'); // registered synchronously; without it the name stays unset until the first op
  return { tf, name: tf.getBackend(), native: false, ...(notice ? { notice } : {}) };
}

/** No notice when tfjs-node is simply not installed (the packages); why, when it is there but does not load. */
export function nativeFailure(e: NodeJS.ErrnoException): string | undefined {
  const first = String(e?.message ?? e).split('\n')[0];
  if (e?.code === 'MODULE_NOT_FOUND' && first.includes("'@tensorflow/tfjs-node'")) return undefined;
  return `The native TensorFlow backend is installed but does not load (${first}); training runs on the pure-JavaScript backend. \`npm run setup:native\` rebuilds it.`;
}
