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
 * TensorFlow.js' pure-JavaScript backend, bundled into the trainer, with RNN Studio's kernels
 * (native addon or WebAssembly) for the recurrent layers, the Embedding and Adam: what the packages
 * train on, and the default everywhere (measured: faster than the native TensorFlow backend with the
 * same kernels, see the README). `RNN_STUDIO_BACKEND=tensorflow` asks for the native TensorFlow
 * backend (`@tensorflow/tfjs-node`, development checkouts that have it); a notice says why when it
 * does not load.
 */
export function loadBackend(): Backend {
  let notice: string | undefined;
  if (process.env.RNN_STUDIO_BACKEND === 'tensorflow') {
    process.env.TF_CPP_MIN_LOG_LEVEL ??= '2'; // libtensorflow's start-up chatter
    // With the kernels, TensorFlow is left only small matrix products (the Dense layers after a
    // recurrent one), where oneDNN's kernels cost ~0.5 ms a call and Eigen's 0.03 ms.
    if (loadFusedAddon()) process.env.TF_ENABLE_ONEDNN_OPTS ??= '0';
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

/** Why the native TensorFlow backend was asked for but does not load. */
export function nativeFailure(e: NodeJS.ErrnoException): string {
  const first = String(e?.message ?? e).split('\n')[0];
  if (e?.code === 'MODULE_NOT_FOUND' && first.includes("'@tensorflow/tfjs-node'")) return 'RNN_STUDIO_BACKEND=tensorflow, but @tensorflow/tfjs-node is not installed: training runs on the JavaScript backend.';
  return `The native TensorFlow backend does not load (${first}); training runs on the JavaScript backend. \`npm run setup:native\` rebuilds it.`;
}
