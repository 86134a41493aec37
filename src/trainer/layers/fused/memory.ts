import type { Tensor, TF } from '../types';

export type Values = Float32Array | Int32Array | Uint8Array;

/**
 * Memory the kernels read and write in place: the portable build's WebAssembly memory (wasm.ts), or
 * for the native build reused Node buffers (`nodeMemory`). Its arrays also hold tensors' values on
 * TensorFlow.js' JavaScript backend (`tensorFloats`), so layer outputs, gradients and new weights
 * are neither copied in and out of WebAssembly nor allocated afresh for every batch (page faults,
 * and garbage collections driven by megabytes of short-lived buffers). See `tensorFloatsIn`.
 */
export interface KernelMemory {
  /** n floats, not zeroed. */
  floats(n: number): Float32Array;
  /** Gives back an array of `floats` that no tensor views. */
  free(a: Float32Array): void;
  /** One more / one fewer tensor views this array of `floats` (or a part of it); the last drop frees it. */
  retain(a: Values): void;
  drop(a: Values): void;
  /** Whether the array (or the array it is a view of) came from `floats`. */
  holds(a: Values): boolean;
}

const memories = new Set<KernelMemory>();

/** Every memory made so far (a process may load both builds: the tests do). */
export function registered<M extends KernelMemory>(memory: M): M {
  memories.add(memory);
  return memory;
}

/** Node buffers kept for reuse by length, up to `limit` bytes in all. */
export function nodeMemory(limit = 768 * 1024 * 1024): KernelMemory {
  const spare = new Map<number, ArrayBuffer[]>();
  let spareBytes = 0;
  const ours = new WeakSet<ArrayBufferLike>();
  const refs = new Map<ArrayBufferLike, number>();
  const free = (buffer: ArrayBufferLike) => {
    if (!ours.has(buffer) || spareBytes + buffer.byteLength > limit) return; // left to the garbage collector
    let list = spare.get(buffer.byteLength);
    if (!list) spare.set(buffer.byteLength, (list = []));
    list.push(buffer as ArrayBuffer);
    spareBytes += buffer.byteLength;
  };
  return registered({
    floats(n) {
      const reused = spare.get(n * 4)?.pop();
      if (reused) spareBytes -= reused.byteLength;
      const buffer = reused ?? Buffer.allocUnsafeSlow(n * 4).buffer;
      ours.add(buffer);
      return new Float32Array(buffer, 0, n);
    },
    free: (a) => free(a.buffer),
    retain(a) {
      if (ours.has(a.buffer)) refs.set(a.buffer, (refs.get(a.buffer) ?? 0) + 1);
    },
    drop(a) {
      const n = refs.get(a.buffer);
      if (n === undefined) return;
      if (n > 1) refs.set(a.buffer, n - 1);
      else {
        refs.delete(a.buffer);
        free(a.buffer);
      }
    },
    holds: (a) => ours.has(a.buffer),
  });
}

/** Gives an array of some kernel memory back to it. */
export function freeFloats(a: Float32Array | null): void {
  if (a) for (const m of memories) if (m.holds(a)) return m.free(a);
}

interface CpuBackend {
  data?: {
    has(id: object): boolean;
    get(id: object): { values?: unknown };
    set(id: object, value: { values?: unknown }): void;
    delete(id: object): boolean;
  };
  readSync(id: object): unknown;
}

const isValues = (v: unknown): v is Values => v instanceof Float32Array || v instanceof Int32Array || v instanceof Uint8Array;
function holder(a: Values): KernelMemory | undefined {
  for (const m of memories) if (m.holds(a)) return m; // runs on every tensor write and delete: no array
  return undefined;
}
const watched = new WeakSet<object>();

/**
 * Makes the JavaScript (cpu) backend keep kernel-memory arrays alive exactly as long as a tensor
 * views them: its data storage is where every tensor's values are set and deleted, including the
 * subarray views that tfjs' `slice` makes of another tensor's values. `dataSync()` and `data()`
 * hand out copies of such values, so that an array read from a tensor stays valid after the tensor
 * is disposed, as with any tfjs array; the kernels read them in place (`kernelValues`). False on any
 * other backend.
 */
function watch(tf: TF): boolean {
  const backend = tf.backend() as unknown as CpuBackend;
  if (watched.has(backend)) return true;
  const data = backend.data;
  if (tf.getBackend() !== 'cpu' || !data) return false;
  const valuesOf = (id: object) => (data.has(id) ? data.get(id).values : undefined);
  const set = data.set.bind(data);
  const remove = data.delete.bind(data);
  const readSync = backend.readSync.bind(backend);
  data.set = (id, value) => {
    const old = valuesOf(id);
    set(id, value);
    if (isValues(value.values)) holder(value.values)?.retain(value.values);
    if (isValues(old)) holder(old)?.drop(old);
  };
  data.delete = (id) => {
    const old = valuesOf(id);
    const removed = remove(id);
    if (isValues(old)) holder(old)?.drop(old);
    return removed;
  };
  backend.readSync = (id) => {
    const v = readSync(id);
    return isValues(v) && holder(v) ? v.slice() : v;
  };
  watched.add(backend);
  return true;
}

/**
 * Values for a new tensor, every element of which the caller overwrites (not zeroed first: a fresh
 * zeroed array of megabytes is written twice): from the kernels' memory on the JavaScript backend,
 * freed with the tensor; else a fresh Node buffer.
 */
export function tensorFloatsIn(tf: TF, memory: KernelMemory | undefined, n: number): Float32Array {
  if (memory && watch(tf)) return memory.floats(n);
  return new Float32Array(Buffer.allocUnsafeSlow(n * 4).buffer, 0, n);
}

/** A tensor's values for the kernels, valid while the tensor lives: read in place on the JavaScript backend, else `dataSync()`. */
export function kernelValues(tf: TF, t: Tensor): Values {
  const backend = tf.backend() as unknown as CpuBackend;
  if (watched.has(backend)) {
    const v = backend.data!.get(t.dataId).values;
    if (isValues(v)) return v;
  }
  return t.dataSync() as Values;
}

/** Keeps the kernel-memory arrays among `arrays` alive past their tensors, until the returned function runs. */
export function keepAlive(arrays: (Values | null)[]): () => void {
  const held = arrays.flatMap((a) => {
    const m = a && holder(a);
    return m ? [{ a: a!, m }] : [];
  });
  for (const { a, m } of held) m.retain(a);
  return () => {
    for (const { a, m } of held.splice(0)) m.drop(a);
  };
}
