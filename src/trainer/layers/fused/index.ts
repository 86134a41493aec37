import type { KerasCellApi, RecurrentKind, SequenceOptions } from '../rnn';
import type { LayerVariable, Tensor, TF } from '../types';
import { addonSequence, loadFusedAddon } from './addon';
import { FUSED_ACTIVATIONS, nativeBackend, nativeExec, TfjsExec, type ActName, type Exec } from './exec';
import { runSequenceFused, type SeqSpec } from './kernels';

/**
 * Fused recurrent kernels: `fusedSequence` runs a SimpleRNN / LSTM / GRU layer over a whole sequence
 * as one tfjs op with a hand-written gradient (`tf.customGrad`), computing what `runSequence` (the
 * step-by-step reference in rnn.ts) computes. Two implementations, in order of preference:
 * 1. the native addon (`addon.ts`, `native/`): the whole sequence in one call each way, any backend;
 * 2. tensor ops (`kernels.ts` over `exec.ts`): TensorFlow ops by name on the native backend, tf.* ops
 *    on the others.
 * It returns null when it does not handle a configuration, and the layer then uses `runSequence`:
 * - recurrent_dropout in training (Keras draws a dropout mask per gate then);
 * - activations other than tanh, sigmoid, relu and linear;
 * - an empty batch or sequence, or a mask of another shape than (batch, time).
 *
 * `RNN_STUDIO_FUSED` (or `setFusedKernels`): `auto` (default: addon, else ops), `addon` (addon only),
 * `ops` (tensor ops only), `off` / `0` (always the step-by-step reference).
 */

export type FusedMode = 'auto' | 'addon' | 'ops' | 'off';
export type FusedTier = 'addon' | 'ops';

let mode: FusedMode = readMode();

function readMode(): FusedMode {
  const v = (typeof process !== 'undefined' ? process.env.RNN_STUDIO_FUSED : undefined)?.toLowerCase();
  if (v === '0' || v === 'off' || v === 'false') return 'off';
  if (v === 'addon' || v === 'ops') return v;
  return 'auto';
}

/** Sets the mode (`true`: auto, `false`: off). Returns the previous one. */
export function setFusedKernels(on: boolean | FusedMode): FusedMode {
  const previous = mode;
  mode = on === true ? 'auto' : on === false ? 'off' : on;
  return previous;
}

export function fusedKernelsMode(): FusedMode {
  return mode;
}

const calls: Record<FusedTier, number> = { addon: 0, ops: 0 };

/** How many layer calls the fused kernels have run (all, or one implementation); for tests and measurements. */
export function fusedCallCount(tier?: FusedTier): number {
  return tier ? calls[tier] : calls.addon + calls.ops;
}

/** The implementation `fusedSequence` would use now (before the per-call checks), or null. */
export function fusedTier(tf: TF): FusedTier | null {
  if (mode === 'off') return null;
  if (mode !== 'ops' && loadFusedAddon()) return 'addon';
  if (mode === 'addon') return null;
  return executor(tf) ? 'ops' : null;
}

/** The parts of RNN Studio's Keras cells (rnn.ts, lstm.ts, gru.ts, simple-rnn.ts) read here. */
interface FusableCell extends KerasCellApi {
  activationName: string;
  recurrentActivationName: string;
  resetAfter?: boolean;
  kernel: LayerVariable;
  recurrentKernel: LayerVariable;
  bias: LayerVariable | null;
}

const KINDS: Record<number, RecurrentKind> = { 1: 'SimpleRNN', 3: 'GRU', 4: 'LSTM' };

/** The kernel specification for this cell and call, or null when the fused kernels do not handle it. */
export function fusedSpec(cell: KerasCellApi, options: SequenceOptions): SeqSpec | null {
  const c = cell as FusableCell;
  const kind = KINDS[c.gates];
  if (!kind || !c.kernel || !c.recurrentKernel) return null;
  if (options.training && cell.usesRecurrentDropout()) return null;
  if (options.training && cell.usesDropout() && cell.dropoutMaskCount() !== 1) return null;
  const activation = c.activationName;
  const recurrentActivation = kind === 'SimpleRNN' ? 'sigmoid' : c.recurrentActivationName;
  if (!FUSED_ACTIVATIONS.includes(activation) || !FUSED_ACTIVATIONS.includes(recurrentActivation)) return null;
  return {
    kind,
    units: c.units,
    activation: activation as ActName,
    recurrentActivation: recurrentActivation as ActName,
    resetAfter: c.resetAfter ?? true,
    goBackwards: options.goBackwards,
    returnSequences: options.returnSequences,
    zeroOutputForMask: options.zeroOutputForMask ?? false,
  };
}

// ---------------------------------------------------------------------------------------------
// What a forward pass keeps for its backward pass is freed by the backward pass. When no backward
// pass comes for it (the gradient does not flow through this layer, e.g. only later layers are
// trained), the tfjs engine still disposes the tensors the op saved at the end of the gradient
// computation: a small "sentinel" tensor saved with the op tells when that happened, and the next
// fused call frees what the forward pass kept.

interface Pending {
  backend: { refCount(dataId: object): number };
  dataId: object;
  release(): void;
}

const pending = new Set<Pending>();

function sweep(): void {
  for (const p of pending) {
    if (p.backend.refCount(p.dataId) > 0) continue;
    pending.delete(p);
    p.release();
  }
}

/** Forward passes whose saved state is still held (waiting for their backward pass). For tests. */
export function pendingFusedPasses(): number {
  sweep();
  return pending.size;
}

function isTapeOn(tf: TF): boolean {
  const engine = tf.engine() as unknown as { isTapeOn?: () => boolean };
  return typeof engine.isTapeOn === 'function' ? engine.isTapeOn() : true;
}

const tfjsExecs = new WeakMap<object, TfjsExec>();

function executor(tf: TF): Exec<unknown> | null {
  const native = nativeBackend(tf);
  if (native) return nativeExec(native) as Exec<unknown>;
  let ex = tfjsExecs.get(tf.engine());
  if (!ex) {
    ex = new TfjsExec(tf);
    tfjsExecs.set(tf.engine(), ex);
  }
  return ex as Exec<unknown>;
}

/** Keras' inverted dropout mask (as `dropoutMask` in rnn.ts, so both paths draw the same numbers). */
function dropoutMask(tf: TF, shape: number[], rate: number): Tensor {
  if (rate >= 1) return tf.zeros(shape);
  return tf.dropout(tf.ones(shape), rate);
}

/**
 * The layer's output for `x` (batch, time, features) with the fused kernels, or null when they do
 * not handle this configuration (see the module comment). Same semantics as `runSequence`.
 */
export function fusedSequence(tf: TF, cell: KerasCellApi, x: Tensor, options: SequenceOptions): Tensor | null {
  const tier = fusedTier(tf);
  if (!tier) return null;
  const spec = fusedSpec(cell, options);
  if (!spec || x.rank !== 3 || x.dtype !== 'float32') return null;
  const [batch, time, inputDim] = x.shape as [number, number, number];
  if (!(batch > 0 && time > 0 && inputDim > 0)) return null;
  if (options.mask && (options.mask.rank !== 2 || options.mask.shape[0] !== batch || options.mask.shape[1] !== time)) return null;
  sweep();
  calls[tier]++;
  const c = cell as FusableCell;
  return tf.tidy(() => {
    let input = x;
    if (options.training && cell.usesDropout()) input = tf.mul(x, tf.expandDims(dropoutMask(tf, [batch, inputDim], cell.dropout), 1));
    const weights = [c.kernel.read(), c.recurrentKernel.read(), ...(c.bias ? [c.bias.read()] : [])];
    const recording = isTapeOn(tf);
    let start: (args: Tensor[], recording: boolean) => { output: Tensor; backward(dy: Tensor): Tensor[]; release(): void };
    if (tier === 'addon') {
      const addon = loadFusedAddon()!;
      const mask = options.mask ? tf.cast(options.mask, 'bool') : null;
      start = (args, rec) => addonSequence(tf, addon, spec, args[0], args[1], args[2], args[3] ?? null, mask, rec);
    } else {
      const ex = executor(tf)!;
      const mask = options.mask ? tf.reshape(tf.transpose(tf.cast(options.mask, 'bool')), [time, batch, 1]) : null;
      start = (args, rec) => {
        const run = runSequenceFused(
          ex,
          spec,
          {
            x: ex.input(args[0]),
            kernel: ex.input(args[1]),
            recurrentKernel: ex.input(args[2]),
            bias: args.length > 3 ? ex.input(args[3]) : null,
            mask: mask ? ex.input(mask) : null,
          },
          rec,
        );
        return {
          output: ex.output(run.output),
          backward: (dy: Tensor) => run.backward(ex.input(dy)).map((g) => ex.output(g)),
          release: () => run.release(),
        };
      };
    }

    if (!recording) return start([input, ...weights], false).output;

    const op = tf.customGrad(((...args: unknown[]) => {
      const save = args.pop() as (tensors: Tensor[]) => void;
      const run = start(args as Tensor[], true);
      let released = false;
      const entry: Pending = {
        backend: tf.backend() as unknown as Pending['backend'],
        dataId: {},
        release: () => {
          if (released) return;
          released = true;
          run.release();
        },
      };
      try {
        const sentinel = tf.zeros([]);
        entry.dataId = sentinel.dataId;
        save([sentinel]);
        pending.add(entry);
        return {
          value: run.output,
          gradFunc: (dy: Tensor) => {
            pending.delete(entry);
            if (released) throw new Error('fused recurrent kernel: the backward pass ran twice or after its forward state was freed.');
            released = true;
            return run.backward(dy);
          },
        };
      } catch (e) {
        pending.delete(entry);
        entry.release();
        throw e;
      }
    }) as unknown as Parameters<TF['customGrad']>[0]);
    return op(input, ...weights);
  });
}
