import { readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as v8 from 'node:v8';
import { Worker } from 'node:worker_threads';
import type { FusedAddon } from './addon';
import { registered } from './memory';

/**
 * The portable kernels: the same C++ as the native addon (native/kernels.cc) built as WebAssembly
 * with SIMD (native/wasm_module.cc, `build.mjs --wasm`), for platforms without a prebuilt addon.
 * Implements the addon's interface on JavaScript typed arrays.
 *
 * Memory: one shared WebAssembly.Memory. A small allocator here hands out its blocks; arrays that
 * live in it (`floats`, and views into them) are used in place, any other array is copied in and out
 * around a call. Tensors' values can live there too: `retain` / `drop` count the tensors viewing a
 * block (a tensor, and any slice tfjs makes of it as a subarray), and the last drop frees it.
 * Threads: worker_threads, each with its own instance of the module over the same memory and its own
 * stack. In a `parallel` job from the kernels the calling thread and the workers that are up take
 * tasks from one shared counter until none is left; the caller then waits (Atomics.wait) until each
 * of those workers has left the job, so the next job starts with no one still in this one.
 */

const PAGE = 65536;
const ALIGN = 64;
const STACK = 1 << 20;
// Control words (Int32) shared with the workers.
const GEN = 0; // job number, bumped to start a job
const TASK = 1; // function-table index of the task
const CTX = 2; // its context pointer
const N = 3; // task count
const PARTICIPANTS = 4; // bit k: worker k takes part in this job
const FAILED = 5; // a worker's task threw
const READY = 6; // bit k: worker k is up
const NEXT = 7; // the next task to take
const DONE = 8; // DONE + k: the last job worker k finished
const MAX_WORKERS = 16;
// Workers, and the main thread waiting for them, spin this long (ms) before they sleep: the passes
// of one kernel call follow each other within microseconds, and a sleeping thread takes tens of
// microseconds to wake (more on a busy machine).
const SPIN_MS = 0.05;

interface Exports {
  forward(cfg: number, x: number, W: number, U: number, b: number, mask: number, out: number, saved: number): number;
  backward(cfg: number, x: number, W: number, U: number, b: number, mask: number, saved: number, dy: number, DZ: number, DIH: number, RH: number, dx: number, dW: number, dU: number, db: number): number;
  gather(table: number, rows: number, ids: number, n: number, D: number, out: number): number;
  scatter_add(grad: number, rows: number, ids: number, n: number, D: number, dy: number): void;
  adam(w: number, g: number, m: number, v: number, out: number, n: number, alpha: number, beta1: number, beta2: number, epsilon: number): void;
  matmul(M: number, N: number, K: number, A: number, B: number, C: number): number;
  run_task(task: number, ctx: number, i: number): void;
  set_stack(top: number): void;
  __heap_base: WebAssembly.Global;
}

// The workers' code: instantiate, take the own stack, then run this worker's share of each job.
const WORKER = `
const { workerData } = require('node:worker_threads');
const { module, memory, control, id, stackTop } = workerData;
const c = new Int32Array(control);
const none = () => { throw new Error('not available in a worker'); };
const k = new WebAssembly.Instance(module, { env: { memory, alloc: none, release: none, parallel: none, threads: () => 1 } }).exports;
k.set_stack(stackTop);
let seen = Atomics.load(c, ${GEN});
Atomics.or(c, ${READY}, 1 << id);
for (;;) {
  // Spin ${SPIN_MS * 1000} µs before sleeping (see SPIN_MS).
  for (const until = performance.now() + ${SPIN_MS}; Atomics.load(c, ${GEN}) === seen && performance.now() < until; );
  Atomics.wait(c, ${GEN}, seen);
  seen = Atomics.load(c, ${GEN});
  if (!(Atomics.load(c, ${PARTICIPANTS}) & (1 << id))) continue;
  const task = Atomics.load(c, ${TASK}), ctx = Atomics.load(c, ${CTX}), n = Atomics.load(c, ${N});
  try {
    for (let i; (i = Atomics.add(c, ${NEXT}, 1)) < n; ) k.run_task(task, ctx, i);
  } catch {
    Atomics.store(c, ${FAILED}, 1);
  }
  Atomics.store(c, ${DONE} + id, seen);
  Atomics.notify(c, ${DONE} + id);
}
`;

/** First-fit allocator over [base, memory size), blocks aligned to 64 bytes; grows the memory. */
class Heap {
  private readonly free: { at: number; size: number }[] = [];
  private readonly sizes = new Map<number, number>();
  private readonly starts: number[] = []; // allocated blocks, ascending

  constructor(
    private readonly memory: WebAssembly.Memory,
    base: number,
  ) {
    const start = Math.ceil(base / ALIGN) * ALIGN;
    if (memory.buffer.byteLength > start) this.free.push({ at: start, size: memory.buffer.byteLength - start });
  }

  /** A block of at least `bytes`, or 0 when the memory cannot grow that far (wasm32: 4 GiB). */
  alloc(bytes: number): number {
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    let i = this.free.findIndex((b) => b.size >= size);
    if (i < 0 && !this.grow(size)) return 0;
    if (i < 0) i = this.free.findIndex((b) => b.size >= size);
    const block = this.free[i];
    const at = block.at;
    if (block.size === size) this.free.splice(i, 1);
    else {
      block.at += size;
      block.size -= size;
    }
    this.sizes.set(at, size);
    this.starts.splice(this.after(at), 0, at);
    return at;
  }

  release(at: number): void {
    const size = this.sizes.get(at);
    if (size === undefined) return;
    this.sizes.delete(at);
    this.starts.splice(this.after(at) - 1, 1);
    this.insert(at, size);
  }

  /** The start of the allocated block holding address `p`, or -1. */
  blockOf(p: number): number {
    const i = this.after(p) - 1;
    const at = i >= 0 ? this.starts[i] : -1;
    return at >= 0 && p < at + this.sizes.get(at)! ? at : -1;
  }

  /** How many allocated blocks start at or below `p` (binary search). */
  private after(p: number): number {
    let lo = 0;
    let hi = this.starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.starts[mid] <= p) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private insert(at: number, size: number): void {
    let i = 0;
    while (i < this.free.length && this.free[i].at < at) i++;
    this.free.splice(i, 0, { at, size });
    // Merge with the neighbours.
    if (i + 1 < this.free.length && at + size === this.free[i + 1].at) {
      this.free[i].size += this.free[i + 1].size;
      this.free.splice(i + 1, 1);
    }
    if (i > 0 && this.free[i - 1].at + this.free[i - 1].size === at) {
      this.free[i - 1].size += this.free[i].size;
      this.free.splice(i, 1);
    }
  }

  private grow(size: number): boolean {
    const old = this.memory.buffer.byteLength;
    // At least half again the current size, so that growing stays rare.
    const pages = Math.ceil(Math.max(size, old / 2) / PAGE);
    const maxPages = 65536 - old / PAGE;
    const want = Math.min(pages, maxPages);
    if (want * PAGE < size) return false;
    try {
      this.memory.grow(want);
    } catch {
      return false;
    }
    this.insert(old, want * PAGE);
    return true;
  }
}

type Typed = Float32Array | Int32Array | Uint8Array;

const OUT_OF_MEMORY = 'The portable kernels ran out of memory (WebAssembly can address 4 GiB). Try a smaller batch_size, shorter sequences or fewer units.';

/**
 * Compiles a module, with the optimising compiler from the start: V8 otherwise runs a quick
 * baseline build (Liftoff) until the kernels are hot, measured here as the first ~30 batches of a
 * SimpleRNN at 20 % lower throughput. Relaxed SIMD ships in V8 11.4 and later (Electron, so VS Code;
 * Node 22); Node 20's V8 has the same feature behind a flag, set here when a module needs it. The
 * flags are the trainer process's own.
 */
function compile(bytes: Buffer): WebAssembly.Module {
  v8.setFlagsFromString('--no-liftoff');
  try {
    return new WebAssembly.Module(bytes);
  } catch (e) {
    if (!/relaxed-simd/.test((e as Error).message)) throw e;
    v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
    return new WebAssembly.Module(bytes);
  }
}

/** The kernels as WebAssembly (`isa` names the build); throws when the module cannot be loaded (caller falls back). */
export function loadWasmKernels(file: string, isa: string): FusedAddon {
  const module = compile(readFileSync(file));
  const memory = new WebAssembly.Memory({ initial: 32, maximum: 65536, shared: true });
  const control = new Int32Array(new SharedArrayBuffer(4 * (DONE + MAX_WORKERS)));
  const requested = Number(process.env.RNN_STUDIO_FUSED_THREADS) || (os.availableParallelism?.() ?? os.cpus().length);
  const threads = Math.max(1, Math.min(requested, 8, MAX_WORKERS + 1));
  let heap: Heap | null = null;
  const k = new WebAssembly.Instance(module, {
    env: {
      memory,
      alloc: (bytes: number) => heap!.alloc(bytes),
      release: (at: number) => heap!.release(at),
      threads: () => threads,
      parallel,
    },
  }).exports as unknown as Exports;
  heap = new Heap(memory, k.__heap_base.value as number);

  function parallel(n: number, task: number, ctx: number): void {
    const ready = Atomics.load(control, READY);
    const ids: number[] = [];
    for (let j = 0; j < MAX_WORKERS; j++) if (ready & (1 << j)) ids.push(j);
    Atomics.store(control, TASK, task);
    Atomics.store(control, CTX, ctx);
    Atomics.store(control, N, n);
    Atomics.store(control, NEXT, 0);
    Atomics.store(control, PARTICIPANTS, ready);
    const gen = Atomics.add(control, GEN, 1) + 1;
    Atomics.notify(control, GEN);
    try {
      for (let i; (i = Atomics.add(control, NEXT, 1)) < n; ) k.run_task(task, ctx, i);
    } finally {
      for (const id of ids) {
        for (const until = performance.now() + SPIN_MS; Atomics.load(control, DONE + id) !== gen && performance.now() < until; );
        let done: number;
        while ((done = Atomics.load(control, DONE + id)) !== gen) Atomics.wait(control, DONE + id, done);
      }
    }
    if (Atomics.exchange(control, FAILED, 0)) throw new Error('the portable kernels failed in a worker thread');
  }

  for (let id = 0; id < threads - 1; id++) {
    const stack = heap.alloc(STACK);
    const worker = new Worker(WORKER, { eval: true, workerData: { module, memory, control: control.buffer, id, stackTop: stack + STACK } });
    worker.unref(); // a trainer that is done exits; its workers go with it
    worker.on('error', () => Atomics.and(control, READY, ~(1 << id)));
  }

  // The memory's buffers (a new one after each growth; views of the old ones stay valid).
  const buffers = new WeakSet<ArrayBufferLike>();
  const inMemory = (a: Typed) => buffers.has(a.buffer);
  // For each block that tensors' values live in: how many tensors view it.
  const tensorRefs = new Map<number, number>();

  /**
   * Runs `call` with the arrays' addresses. Arrays not in the memory are copied in (modes `i`,
   * `io`) and back out (`o`, `io`) around the call.
   */
  function withArrays<R>(arrays: (Typed | null)[], modes: string, call: (at: number[]) => R): R {
    const mode = modes.split(' ');
    const temps: number[] = [];
    const at = arrays.map((a, i) => {
      if (!a) return 0;
      if (inMemory(a)) return a.byteOffset;
      const p = heap!.alloc(Math.max(a.byteLength, 1));
      if (!p) throw new Error(OUT_OF_MEMORY);
      temps.push(p);
      if (mode[i] !== 'o') new Uint8Array(memory.buffer, p, a.byteLength).set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
      return p;
    });
    try {
      const result = call(at);
      arrays.forEach((a, i) => {
        if (a && mode[i] !== 'i' && !inMemory(a)) new Uint8Array(a.buffer, a.byteOffset, a.byteLength).set(new Uint8Array(memory.buffer, at[i], a.byteLength));
      });
      return result;
    } finally {
      for (const p of temps) heap!.release(p);
    }
  }

  function check(status: number, fn: string): void {
    if (status === 1) throw new Error(`${fn}: bad config`);
    if (status === 2) throw new Error(`${fn}: out of memory`);
  }

  return {
    info: () => ({ isa, threads }),
    memory: registered({
      floats(n: number): Float32Array {
        const at = heap!.alloc(Math.max(4 * n, 4));
        if (!at) throw new Error(OUT_OF_MEMORY);
        const buffer = memory.buffer;
        buffers.add(buffer);
        return new Float32Array(buffer, at, n);
      },
      free(a: Float32Array): void {
        if (inMemory(a)) heap!.release(a.byteOffset);
      },
      holds: inMemory,
      retain(a: Typed): void {
        const at = inMemory(a) ? heap!.blockOf(a.byteOffset) : -1;
        if (at >= 0) tensorRefs.set(at, (tensorRefs.get(at) ?? 0) + 1);
      },
      drop(a: Typed): void {
        const at = inMemory(a) ? heap!.blockOf(a.byteOffset) : -1;
        const refs = tensorRefs.get(at);
        if (refs === undefined) return;
        if (refs > 1) tensorRefs.set(at, refs - 1);
        else {
          tensorRefs.delete(at);
          heap!.release(at);
        }
      },
    }),
    forward(cfg, x, W, U, b, mask, out, saved) {
      check(withArrays([cfg, x, W, U, b, mask, out, saved], 'i i i i i i o o', (p) => k.forward(p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7])), 'forward');
    },
    backward(cfg, x, W, U, b, mask, saved, dy, DZ, DIH, RH, dx, dW, dU, db) {
      const arrays = [cfg, x, W, U, b, mask, saved, dy, DZ, DIH, RH, dx, dW, dU, db];
      check(withArrays(arrays, 'i i i i i i i i o o o o o o o', (p) => k.backward(p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11], p[12], p[13], p[14])), 'backward');
    },
    gather(table, ids, out, rowSize) {
      return withArrays([table, ids, out], 'i i o', (p) => k.gather(p[0], table.length / rowSize, p[1], ids.length, rowSize, p[2]));
    },
    scatterAdd(dy, ids, grad, rowSize) {
      const rows = grad.length / rowSize;
      for (let i = 0; i < ids.length; i++) if (!(ids[i] >= 0 && ids[i] < rows)) throw new Error('scatterAdd: an id outside the table');
      withArrays([dy, ids, grad], 'i i io', (p) => k.scatter_add(p[2], rows, p[1], ids.length, rowSize, p[0]));
    },
    adam(w, g, m, v, out, alpha, beta1, beta2, epsilon) {
      withArrays([w, g, m, v, out], 'i i io io o', (p) => k.adam(p[0], p[1], p[2], p[3], p[4], w.length, alpha, beta1, beta2, epsilon));
    },
    matmul(A, B, C, M, N, K) {
      check(withArrays([A, B, C], 'i i o', (p) => k.matmul(M, N, K, p[0], p[1], p[2])), 'matmul');
    },
  };
}
