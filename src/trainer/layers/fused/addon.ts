import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { Tensor, TF } from '../types';
import type { ActName } from './exec';
import type { SeqSpec } from './kernels';
import { freeFloats, keepAlive, kernelValues, nodeMemory, tensorFloatsIn, type KernelMemory } from './memory';
import { loadWasmKernels } from './wasm';

export { freeFloats, kernelValues };

/**
 * RNN Studio's kernels (`native/kernels.cc`): the whole sequence of a SimpleRNN, GRU or LSTM layer,
 * forward and backward, in one call each, on float32 buffers; also the Embedding lookup and its
 * gradient and the Adam step. They need no TensorFlow: the same path serves every backend. Inputs are
 * read with `kernelValues` (`dataSync()`: one copy from TensorFlow for the layer input), outputs
 * become tensors without a copy (`tf.tensor(Float32Array)` keeps the array; on the JavaScript backend
 * with the portable kernels the array lives in the kernels' memory, see `tensorFloats`).
 *
 * Two builds of the same C++ source, looked up in this order:
 * 1. native (`native/node_addon.cc`): `native/<platform>-<arch>/rnn_fused.node` beside the bundle
 *    (the platform packages ship one), else `node_modules/.cache/rnn-studio-fused/rnn_fused.node`
 *    above this module (built by `npm install` in a development checkout);
 * 2. portable (`native/wasm_module.cc`, WebAssembly SIMD with worker threads, `wasm.ts`):
 *    `kernels/rnn_kernels_relaxed.wasm` (relaxed SIMD: fused multiply-add) where the runtime has it,
 *    else `kernels/rnn_kernels.wasm` (SIMD128), beside the bundle, else in the same cache folder.
 * `RNN_STUDIO_KERNELS=portable` skips the native build, `RNN_STUDIO_KERNELS=native` the portable one,
 * `RNN_STUDIO_KERNELS=simd128` uses the SIMD128 build only;
 * `RNN_STUDIO_FUSED_ADDON=PATH` names the native file, `RNN_STUDIO_FUSED_ADDON=0` disables both (the
 * fused kernels then run as TensorFlow ops, `kernels.ts`).
 */

export interface FusedAddon {
  forward(cfg: Int32Array, x: Float32Array, W: Float32Array, U: Float32Array, b: Float32Array | null, mask: Uint8Array | null, out: Float32Array, saved: Float32Array | null): void;
  backward(
    cfg: Int32Array,
    x: Float32Array,
    W: Float32Array,
    U: Float32Array,
    b: Float32Array | null,
    mask: Uint8Array | null,
    saved: Float32Array,
    dy: Float32Array,
    DZ: Float32Array,
    DIH: Float32Array | null,
    RH: Float32Array | null,
    dx: Float32Array,
    dW: Float32Array,
    dU: Float32Array,
    db: Float32Array | null,
  ): void;
  /** `bf16`: the CPU's bf16 matrix hardware (native build only: "avx512bf16", "amx", both joined by "+", or ""). */
  info(): { isa: string; threads: number; bf16?: string };
  gather(table: Float32Array, ids: Int32Array, out: Float32Array, rowSize: number): number;
  scatterAdd(dy: Float32Array, ids: Int32Array, grad: Float32Array, rowSize: number): void;
  adam(w: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, out: Float32Array, alpha: number, beta1: number, beta2: number, epsilon: number): void;
  /** C (M x N) = A (M x K) · B (K x N) with the kernels' own product on all threads: the bench's peak. */
  matmul(A: Float32Array, B: Float32Array, C: Float32Array, M: number, N: number, K: number): void;
  /** Arrays the kernels use in place (the portable build copies any other array in and out). */
  memory: KernelMemory;
}

const NATIVE = 'rnn_fused.node';
const PORTABLE = { relaxed: 'rnn_kernels_relaxed.wasm', simd128: 'rnn_kernels.wasm' };
let cached: FusedAddon | null | undefined;
let loadError: string | null = null;

/** The development build folder, `node_modules/.cache/rnn-studio-fused`, from this module upwards. */
function devBuilds(file: string): string[] {
  const out: string[] = [];
  let dir = __dirname;
  for (let i = 0; i < 8; i++) {
    out.push(path.join(dir, 'node_modules', '.cache', 'rnn-studio-fused', file));
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return out;
}

function loadNative(): FusedAddon | null {
  const env = process.env.RNN_STUDIO_FUSED_ADDON;
  const files = env ? [path.resolve(env)] : [path.join(__dirname, 'native', `${process.platform}-${process.arch}`, NATIVE), ...devBuilds(NATIVE)];
  for (const file of files) {
    if (!existsSync(file)) continue;
    try {
      const m = { exports: {} as FusedAddon };
      process.dlopen(m, file);
      // An addon built from older sources lacks the newer entry points: rebuild rather than half-use it.
      if (['forward', 'backward', 'gather', 'scatterAdd', 'adam'].every((f) => typeof (m.exports as unknown as Record<string, unknown>)[f] === 'function')) return Object.assign(m.exports, { memory: nodeMemory() });
      loadError = `${file}: built from older sources; run npm install to rebuild it`;
    } catch (e) {
      loadError = `${file}: ${(e as Error).message}`;
    }
  }
  return null;
}

function loadPortable(level: keyof typeof PORTABLE): FusedAddon | null {
  const name = PORTABLE[level];
  for (const file of [path.join(__dirname, 'kernels', name), ...devBuilds(name)]) {
    if (!existsSync(file)) continue;
    try {
      return loadWasmKernels(file, level === 'relaxed' ? 'wasm-relaxed-simd' : 'wasm-simd128');
    } catch (e) {
      loadError = `${file}: ${(e as Error).message}`;
    }
  }
  return null;
}

let want = process.env.RNN_STUDIO_KERNELS;
type Build = 'native' | 'portable' | 'simd128';
const builds: Partial<Record<Build, FusedAddon | null>> = {};

/** One build, loaded once: `portable` is the relaxed-SIMD build where it runs, else the SIMD128 one. */
function build(name: Build): FusedAddon | null {
  if (!(name in builds)) builds[name] = name === 'native' ? loadNative() : name === 'simd128' ? loadPortable('simd128') : (loadPortable('relaxed') ?? build('simd128'));
  return builds[name] ?? null;
}

/** Chooses the build (as `RNN_STUDIO_KERNELS` does: `native`, `portable`, `simd128`, or native then portable); for tests and benchmarks. */
export function useKernels(build: Build | 'auto'): void {
  want = build === 'auto' ? undefined : build;
  cached = undefined;
}

/** The kernels, native or portable, or null when neither is built (or loads here); loaded once. */
export function loadFusedAddon(): FusedAddon | null {
  if (cached !== undefined) return cached;
  cached = process.env.RNN_STUDIO_FUSED_ADDON === '0' ? null : want === 'simd128' ? build('simd128') : ((want !== 'portable' ? build('native') : null) ?? (want !== 'native' ? build('portable') : null));
  return cached;
}

/** The kernels in words, for run summaries: `native kernels (avx2, 2 threads)`, `portable kernels (wasm-relaxed-simd, 2 threads)`. */
export function kernelsDescription(): string {
  const s = fusedAddonStatus();
  if (!s.loaded) return 'no kernels (TensorFlow ops)';
  return `${s.isa?.startsWith('wasm') ? 'portable' : 'native'} kernels (${s.isa}, ${s.threads} thread${s.threads === 1 ? '' : 's'})`;
}

/** Which kernels are in use (for diagnostics), or why none. */
export function fusedAddonStatus(): { loaded: boolean; isa?: string; threads?: number; bf16?: string; error?: string } {
  const a = loadFusedAddon();
  if (a) return { loaded: true, ...a.info() };
  return { loaded: false, ...(loadError ? { error: loadError } : {}) };
}

const ACT_CODES: Record<ActName, number> = { linear: 0, tanh: 1, sigmoid: 2, relu: 3 };
const KIND_CODES = { SimpleRNN: 0, GRU: 1, LSTM: 2 } as const;

/** Saved-state sections of B·T·u floats per cell (see native/kernels.h). */
function sections(spec: SeqSpec): number {
  return spec.kind === 'SimpleRNN' ? 2 : spec.kind === 'LSTM' ? 7 : spec.resetAfter ? 5 : 4;
}

// Scratch buffers (saved state, gate gradients), from the kernels' memory and given back to it.
const take = (n: number) => loadFusedAddon()?.memory.floats(n) ?? new Float32Array(n);
const give = freeFloats;

// The layer input's values: Bidirectional runs both directions on the same input tensor, so keep
// the last one read (tensors are immutable; variables are not cached).
let lastInput: { tensor: Tensor; values: Float32Array } | null = null;

function inputValues(tf: TF, x: Tensor): Float32Array {
  if (lastInput && lastInput.tensor === x && !x.isDisposed) return lastInput.values;
  const values = kernelValues(tf, x) as Float32Array;
  lastInput = x instanceof tf.Variable ? null : { tensor: x, values };
  return values;
}

export interface AddonRun {
  output: Tensor;
  /** Gradients [dx, dkernel, drecurrent_kernel, (dbias)] from the output gradient; call at most once. */
  backward(dy: Tensor): Tensor[];
  /** Returns the saved state to the pool when no backward pass will come. */
  release(): void;
}

/**
 * Runs the layer with the addon. `x` (B, T, d) float32; `mask` (B, T) bool or null; `kernel`,
 * `recurrentKernel`, `bias` in Keras' layouts. With `recording`, keeps what the backward pass needs.
 */
export function addonSequence(tf: TF, addon: FusedAddon, spec: SeqSpec, x: Tensor, kernel: Tensor, recurrentKernel: Tensor, bias: Tensor | null, mask: Tensor | null, recording: boolean): AddonRun {
  const [B, T, d] = x.shape as [number, number, number];
  const u = spec.units;
  const cfg = Int32Array.of(
    KIND_CODES[spec.kind],
    B,
    T,
    d,
    u,
    ACT_CODES[spec.activation],
    ACT_CODES[spec.recurrentActivation],
    spec.resetAfter ? 1 : 0,
    spec.goBackwards ? 1 : 0,
    spec.returnSequences ? 1 : 0,
    spec.zeroOutputForMask ? 1 : 0,
  );
  const xs = inputValues(tf, x);
  const W = kernelValues(tf, kernel) as Float32Array;
  const U = kernelValues(tf, recurrentKernel) as Float32Array;
  const b = bias ? (kernelValues(tf, bias) as Float32Array) : null;
  const m = mask ? (kernelValues(tf, mask) as Uint8Array) : null;
  const outShape = spec.returnSequences ? [B, T, u] : [B, u];
  const out = tensorFloats(tf, outShape.reduce((p, q) => p * q, 1)); // every step's output is written
  let saved: Float32Array | null = recording ? take(sections(spec) * B * T * u) : null;
  addon.forward(cfg, xs, W, U, b, m, out, saved);
  const output = tf.tensor(out, outShape, 'float32');
  // The backward pass reads these again, maybe after their tensors are gone (an input made inside the layer).
  const letGo = recording ? keepAlive([xs, W, U, b, m]) : () => {};
  return {
    output,
    release() {
      give(saved);
      saved = null;
      letGo();
    },
    backward(dy: Tensor): Tensor[] {
      if (!saved) throw new Error('fused recurrent kernel (addon): the backward pass ran twice or after its forward state was freed.');
      const G = spec.kind === 'SimpleRNN' ? 1 : spec.kind === 'GRU' ? 3 : 4;
      const dys = kernelValues(tf, dy) as Float32Array;
      const DZ = take(B * T * G * u);
      const DIH = spec.kind === 'GRU' && spec.resetAfter ? take(B * T * u) : null;
      const RH = spec.kind === 'GRU' && !spec.resetAfter ? take(B * T * u) : null;
      // All written whole by the kernels.
      const dx = tensorFloats(tf, B * T * d);
      const dW = tensorFloats(tf, W.length);
      const dU = tensorFloats(tf, U.length);
      const db = b ? tensorFloats(tf, b.length) : null;
      try {
        addon.backward(cfg, xs, W, U, b, m, saved, dys, DZ, DIH, RH, dx, dW, dU, db);
      } finally {
        give(saved);
        saved = null;
        letGo();
        give(DZ);
        give(DIH);
        give(RH);
      }
      const grads = [tf.tensor(dx, [B, T, d], 'float32'), tf.tensor(dW, kernel.shape, 'float32'), tf.tensor(dU, recurrentKernel.shape, 'float32')];
      if (db && bias) grads.push(tf.tensor(db, bias.shape, 'float32'));
      return grads;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Embedding lookups and the Adam step on float32 buffers: the addon's threaded loops, or the same
// loops in JavaScript without it (rows summed in the same order, so the same sums).

type BufferLoops = Pick<FusedAddon, 'gather' | 'scatterAdd' | 'adam'>;

export const jsBufferLoops: BufferLoops = {
  /** out[i] = table row ids[i]; returns the position of the first id outside the table, or -1. */
  gather(table, ids, out, rowSize) {
    const rows = table.length / rowSize;
    for (let i = 0; i < ids.length; i++) if (!(ids[i] >= 0 && ids[i] < rows)) return i;
    for (let i = 0; i < ids.length; i++) out.set(table.subarray(ids[i] * rowSize, ids[i] * rowSize + rowSize), i * rowSize);
    return -1;
  },
  /** grad row ids[i] += dy row i, for every i in order (grad starts zeroed). */
  scatterAdd(dy, ids, grad, rowSize) {
    const rows = grad.length / rowSize;
    for (let i = 0; i < ids.length; i++) if (!(ids[i] >= 0 && ids[i] < rows)) throw new Error('scatterAdd: an id outside the table');
    for (let i = 0; i < ids.length; i++) {
      const r = ids[i] * rowSize;
      const o = i * rowSize;
      for (let j = 0; j < rowSize; j++) grad[r + j] += dy[o + j];
    }
  },
  /**
   * Keras 3's Adam step: m += (g - m)(1 - beta1); v += (g² - v)(1 - beta2);
   * out = w - m·alpha / (√v + epsilon), where alpha = lr·√(1 - beta2^t) / (1 - beta1^t). m and v in place.
   */
  adam(w, g, m, v, out, alpha, beta1, beta2, epsilon) {
    const c1 = Math.fround(1 - beta1);
    const c2 = Math.fround(1 - beta2);
    for (let i = 0; i < w.length; i++) {
      const gi = g[i];
      m[i] += (gi - m[i]) * c1;
      v[i] += (gi * gi - v[i]) * c2;
      out[i] = w[i] - (m[i] * alpha) / (Math.sqrt(v[i]) + epsilon);
    }
  },
};

/** Values for a new tensor, every element of which the caller overwrites (see `tensorFloatsIn`). */
export const tensorFloats = (tf: TF, n: number) => tensorFloatsIn(tf, loadFusedAddon()?.memory, n);

/** Arrays the kernels use in place across calls (optimizer slots), zeroed; freed with `freeFloats`. */
export const kernelZeros = (n: number) => (loadFusedAddon()?.memory.floats(n) ?? new Float32Array(n)).fill(0);

/** The addon's loops when it is loaded, else JavaScript's. */
export function bufferLoops(): BufferLoops {
  return loadFusedAddon() ?? jsBufferLoops;
}
