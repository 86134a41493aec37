import { loadFusedAddon, useKernels, type FusedAddon } from '../src/trainer/layers/fused/addon';

/**
 * Efficiency of the kernels as a figure: the fp32 matrix-product peak this machine reaches with the
 * kernels' own register-blocked product (a 1024 x 1024 x 1024 product on all threads), and beside it
 * the GFLOP/s each recurrent kernel achieves, forward and backward, on the bench's model size
 * (batch 64, T = 200, 64 features, 128 units), for the native and the portable build.
 *
 * FLOPs counted are the products' (2 per multiply-add): forward x·W and h·U over every step,
 * 2·B·T·G·u·(d + u); backward the recurrence's dh·Uᵀ, the weight gradients and dx, twice that.
 * Element-wise gate maths is not counted, so the fraction of the peak is a lower bound.
 *
 * Usage: node out/bench/kernels.js [--json] [--builds=native,portable]
 */

const args = process.argv.slice(2);
const json = args.includes('--json');
const builds = (args.find((a) => a.startsWith('--builds='))?.slice(9) ?? 'native,portable').split(',') as ('native' | 'portable')[];
const [B, T, d, u] = [64, 200, 64, 128];
const GATES = { SimpleRNN: 1, GRU: 3, LSTM: 4 } as const;
const KIND = { SimpleRNN: 0, GRU: 1, LSTM: 2 } as const;
const SAVED = { SimpleRNN: 2, GRU: 5, LSTM: 7 } as const;

function random(addon: FusedAddon, n: number, scale: number, seed: number): Float32Array {
  const a = addon.memory.floats(n); // in the kernels' memory: the portable build then copies nothing
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = ((s / 4294967296) * 2 - 1) * scale;
  }
  return a;
}

/** Median (or with `best`, shortest) seconds of `f` over at least 5 runs and 1 s, after one warm-up run. */
function time(f: () => void, before: () => void = () => {}, best = false): number {
  before();
  f();
  const runs: number[] = [];
  const until = performance.now() + 1000;
  while (runs.length < 5 || performance.now() < until) {
    before();
    const t0 = performance.now();
    f();
    runs.push((performance.now() - t0) / 1000);
  }
  runs.sort((a, b) => a - b);
  return runs[best ? 0 : runs.length >> 1];
}

const gflops = (flops: number, seconds: number) => Math.round(flops / seconds / 1e8) / 10;

for (const build of builds) {
  useKernels(build);
  const addon = loadFusedAddon();
  const info = addon?.info();
  if (!addon || !info || (build === 'portable') !== info.isa.startsWith('wasm')) {
    console.log(json ? JSON.stringify({ bench: 'kernels', build, skipped: 'not built here' }) : `${build}: not built here, skipped`);
    continue;
  }
  const n = 1024;
  const [A, Bm, C] = [random(addon, n * n, 1, 1), random(addon, n * n, 1, 2), addon.memory.floats(n * n)];
  // The peak is what the product reaches at best: its shortest run (a busy machine only slows it).
  const peak = gflops(2 * n ** 3, time(() => addon.matmul(A, Bm, C, n, n, n), undefined, true));
  [A, Bm, C].forEach((a) => addon.memory.free(a));
  if (!json) console.log(`\n${build} kernels (${info.isa}, ${info.threads} threads): fp32 matrix-product peak ${peak} GFLOP/s (${n}x${n}x${n}); recurrent kernels at B = ${B}, T = ${T}, d = ${d}, u = ${u}:`);
  if (json) console.log(JSON.stringify({ bench: 'kernels', build, isa: info.isa, threads: info.threads, peak_gflops: peak }));
  for (const cell of ['LSTM', 'GRU', 'SimpleRNN'] as const) {
    const G = GATES[cell];
    const cfg = Int32Array.of(KIND[cell], B, T, d, u, 1, 2, 1, 0, 0, 0); // tanh, sigmoid, reset_after, last output only
    const x = random(addon, B * T * d, 1, 3);
    const W = random(addon, d * G * u, 0.1, 4);
    const U = random(addon, u * G * u, 0.1, 5);
    const b = random(addon, (cell === 'GRU' ? 2 : 1) * G * u, 0.1, 6);
    const out = addon.memory.floats(B * u);
    const saved = addon.memory.floats(SAVED[cell] * B * T * u);
    const dy = random(addon, B * u, 1, 7);
    const DZ = addon.memory.floats(B * T * G * u);
    const DIH = cell === 'GRU' ? addon.memory.floats(B * T * u) : null;
    const [dx, dW, dU, db] = [B * T * d, d * G * u, u * G * u, b.length].map((k) => addon.memory.floats(k));
    const forward = () => addon.forward(cfg, x, W, U, b, null, out, saved);
    const fwd = time(forward);
    const bwd = time(() => addon.backward(cfg, x, W, U, b, null, saved, dy, DZ, DIH, null, dx, dW, dU, db), forward);
    const flops = 2 * B * T * G * u * (d + u);
    const result = { bench: 'kernels', build, cell, batch: B, timesteps: T, forward_ms: Math.round(fwd * 1e4) / 10, backward_ms: Math.round(bwd * 1e4) / 10, forward_gflops: gflops(flops, fwd), backward_gflops: gflops(2 * flops, bwd), peak_gflops: peak };
    if (json) console.log(JSON.stringify(result));
    else {
      const pct = (g: number) => `${Math.round((g / peak) * 100)} %`;
      console.log(`  ${cell.padEnd(10)} forward ${String(result.forward_ms).padStart(6)} ms ${String(result.forward_gflops).padStart(6)} GFLOP/s (${pct(result.forward_gflops)} of peak)   backward ${String(result.backward_ms).padStart(6)} ms ${String(result.backward_gflops).padStart(6)} GFLOP/s (${pct(result.backward_gflops)})`);
    }
    [x, W, U, b, out, saved, dy, DZ, DIH, dx, dW, dU, db].forEach((a) => a && addon.memory.free(a));
  }
}
