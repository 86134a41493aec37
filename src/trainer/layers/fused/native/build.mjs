#!/usr/bin/env node
// Builds RNN Studio's kernels (kernels.cc, one C++ source, no dependency) in one of two forms:
// - native (default): a Node addon with node_addon.cc (N-API, threads) into
//   node_modules/.cache/rnn-studio-fused/rnn_fused.node of the repository;
// - portable (--wasm): WebAssembly with SIMD and shared memory with wasm_module.cc into
//   node_modules/.cache/rnn-studio-fused/rnn_kernels.wasm (SIMD128) and, beside it,
//   rnn_kernels_relaxed.wasm (relaxed SIMD: fused multiply-add, clang 16 or later), with clang and
//   wasm-ld (Debian's clang-19, lld-19).
// Both git-ignored; the trainer looks there and beside its bundle (see ../addon.ts).
//
//   node src/trainer/layers/fused/native/build.mjs [--wasm] [--gyp] [--strict] [--quiet] [--out=FILE]
//
// Native: the C++ compiler directly ($CXX, else c++, g++, clang++) with Node's own headers
// (<node prefix>/include/node, or $npm_config_nodedir/include/node): no download, a few seconds.
// `--gyp` uses node-gyp with binding.gyp instead (npm's bundled node-gyp). The result is loaded and
// checked once. Without a compiler the trainer still works: the fused kernels then run as the other
// build, or as TensorFlow ops. Exits 0 unless --strict (so it can run from an install script).

import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as v8 from 'node:v8';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const strict = args.includes('--strict');
const quiet = args.includes('--quiet');
const root = path.resolve(here, '..', '..', '..', '..', '..');
const outArg = args.find((a) => a.startsWith('--out='))?.slice(6);
const wasm = args.includes('--wasm');
const target = outArg ? path.resolve(outArg) : path.join(root, 'node_modules', '.cache', 'rnn-studio-fused', wasm ? 'rnn_kernels.wasm' : 'rnn_fused.node');
const outDir = path.dirname(target);
const log = (...m) => quiet || console.log('[rnn-fused]', ...m);

function finish(ok, message) {
  if (ok) log(message);
  else console.error(`[rnn-fused] ${message}\n[rnn-fused] The trainer still works: the recurrent layers run on the ${wasm ? 'native build' : 'portable build'} of the kernels if there is one, else as TensorFlow ops (slower).`);
  process.exit(ok || !strict ? 0 : 1);
}

// Debian installs versioned names (clang-19, wasm-ld-19); the newest first (clang 14's WebAssembly
// code is up to 1.4x slower, and it has no relaxed SIMD).
const VERSIONS = ['-19', '-18', '-17', '-16', '-15', '-14', ''];

function nodeHeaders() {
  const dirs = [process.env.npm_config_nodedir, path.resolve(path.dirname(process.execPath), '..')].filter(Boolean);
  for (const d of dirs) {
    const inc = path.join(d, 'include', 'node');
    if (existsSync(path.join(inc, 'node_api.h'))) return inc;
  }
  return null;
}

function which(cmd) {
  const r = spawnSync(cmd, ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? cmd : null;
}

function buildDirect() {
  const inc = nodeHeaders();
  if (!inc) return 'Node headers (include/node/node_api.h) not found next to this Node; try --gyp.';
  // Clang first: GCC 12 compiles the kernels' 64-byte vector code for AVX2 and SSE into code ~20x
  // slower (measured on an AMD EPYC: an LSTM pass 6-15 vs 281 samples/s); its AVX-512 code is fine.
  const cxx = [process.env.CXX, ...VERSIONS.map((v) => `clang++${v}`), 'c++', 'g++'].filter(Boolean).find(which);
  if (!cxx) return 'no C++ compiler found ($CXX, c++, g++, clang++).';
  mkdirSync(outDir, { recursive: true });
  const tmp = `${target}.tmp-${process.pid}`;
  const flags = ['-O3', '-std=gnu++17', '-ffp-contract=fast', '-fno-trapping-math', '-fno-math-errno', '-fPIC', '-shared', '-pthread', '-fvisibility=hidden', '-DNODE_GYP_MODULE_NAME=rnn_fused', `-I${inc}`];
  if (process.platform === 'darwin') flags.push('-undefined', 'dynamic_lookup');
  if (cxx.startsWith('clang')) flags.push('-Wno-pass-failed'); // vectorisation hints it declines
  const t0 = Date.now();
  const r = spawnSync(cxx, [...flags, path.join(here, 'kernels.cc'), path.join(here, 'node_addon.cc'), '-o', tmp], { encoding: 'utf8' });
  if (r.status !== 0) {
    rmSync(tmp, { force: true });
    return `${cxx} failed:\n${(r.stderr || r.stdout || String(r.error)).trim().split('\n').slice(0, 20).join('\n')}`;
  }
  renameSync(tmp, target);
  log(`built with ${cxx} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return null;
}

function buildGyp() {
  const require = createRequire(import.meta.url);
  let gyp = process.env.npm_config_node_gyp;
  if (!gyp) {
    try {
      gyp = require.resolve('node-gyp/bin/node-gyp.js');
    } catch {
      const npmDir = path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
      gyp = existsSync(npmDir) ? npmDir : null;
    }
  }
  if (!gyp) return 'node-gyp not found.';
  const extra = [];
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  if (!process.env.npm_config_nodedir && existsSync(path.join(prefix, 'include', 'node', 'node_api.h'))) extra.push(`--nodedir=${prefix}`);
  // node-gyp builds in ./build; copy the result to the target and remove the folder (keeps src/ clean).
  const r = spawnSync(process.execPath, [gyp, 'rebuild', ...extra], { cwd: here, encoding: 'utf8' });
  const built = path.join(here, 'build', 'Release', 'rnn_fused.node');
  if (r.status !== 0 || !existsSync(built)) {
    rmSync(path.join(here, 'build'), { recursive: true, force: true });
    return `node-gyp failed:\n${(r.stderr || r.stdout).trim().split('\n').slice(-20).join('\n')}`;
  }
  mkdirSync(outDir, { recursive: true });
  copyFileSync(built, target);
  rmSync(path.join(here, 'build'), { recursive: true, force: true });
  return null;
}

// The first of the names that runs.
function firstTool(names) {
  for (const n of names) if (which(n)) return n;
  return null;
}

/** The portable build next to `target` for one SIMD level: `rnn_kernels.wasm`, `rnn_kernels_relaxed.wasm`. */
const wasmFile = (relaxed) => (relaxed ? target.replace(/\.wasm$/, '_relaxed.wasm') : target);

function buildWasm(relaxed) {
  const clang = firstTool([process.env.WASM_CC, ...VERSIONS.map((v) => `clang${v}`)].filter(Boolean));
  const ld = firstTool([process.env.WASM_LD, ...VERSIONS.map((v) => `wasm-ld${v}`)].filter(Boolean));
  if (!clang || !ld) return `${clang ? '' : 'clang'}${!clang && !ld ? ' and ' : ''}${ld ? '' : 'wasm-ld'} not found (Debian/Ubuntu: apt-get install clang-19 lld-19).`;
  mkdirSync(outDir, { recursive: true });
  const out = wasmFile(relaxed);
  const tmp = `${out}.tmp-${process.pid}`;
  const cflags = ['--target=wasm32', '-O3', '-std=c++17', '-msimd128', ...(relaxed ? ['-mrelaxed-simd'] : []), '-matomics', '-mbulk-memory', '-ffreestanding', '-nostdlib', '-fno-exceptions', '-fno-rtti', '-fno-threadsafe-statics', '-ffp-contract=fast', '-fno-math-errno', '-Wno-pass-failed'];
  const t0 = Date.now();
  const objects = [];
  for (const src of ['kernels.cc', 'wasm_module.cc']) {
    const obj = `${tmp}.${src}.o`;
    const r = spawnSync(clang, [...cflags, '-c', path.join(here, src), '-o', obj], { encoding: 'utf8' });
    if (r.status !== 0) {
      for (const o of objects) rmSync(o, { force: true });
      return `${clang} failed on ${src}:\n${(r.stderr || r.stdout || String(r.error)).trim().split('\n').slice(0, 20).join('\n')}`;
    }
    objects.push(obj);
  }
  // Shared, imported memory (threads are worker_threads with their own instances); 1 MB stack.
  const r = spawnSync(ld, ['--no-entry', '--shared-memory', '--import-memory', '--max-memory=4294967296', '-z', 'stack-size=1048576', '--export=__heap_base', '-O3', ...objects, '-o', tmp], { encoding: 'utf8' });
  for (const o of objects) rmSync(o, { force: true });
  if (r.status !== 0) {
    rmSync(tmp, { force: true });
    return `${ld} failed:\n${(r.stderr || r.stdout || String(r.error)).trim().split('\n').slice(0, 20).join('\n')}`;
  }
  renameSync(tmp, out);
  log(`built ${path.basename(out)} with ${clang} and ${ld} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return null;
}

// The check below: SimpleRNN, B 1, T 2, d 1, u 1, tanh; x (1, 2), W 0.5, U 0.25, b 0.1.
const cfg = Int32Array.of(0, 1, 2, 1, 1, 1, 2, 0, 0, 1, 0);
const h1 = Math.tanh(0.5 + 0.1);
const h2 = Math.tanh(1 + 0.1 + 0.25 * h1);

function checkWasm(file) {
  const memory = new WebAssembly.Memory({ initial: 32, maximum: 65536, shared: true });
  let top = 0;
  const k = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(file)), {
    env: { memory, threads: () => 1, parallel: () => { throw new Error('no threads here'); }, release() {}, alloc: (n) => { const p = top; top += Math.ceil(n / 64) * 64; return p; } },
  }).exports;
  top = Math.ceil(k.__heap_base.value / 64) * 64;
  const put = (a) => { const p = top; new Uint8Array(memory.buffer, p, a.byteLength).set(new Uint8Array(a.buffer)); top += 64; return p; };
  const [c, x, W, U, b] = [cfg, Float32Array.of(1, 2), Float32Array.of(0.5), Float32Array.of(0.25), Float32Array.of(0.1)].map(put);
  const out = put(new Float32Array(2));
  if (k.forward(c, x, W, U, b, 0, out, 0) !== 0) throw new Error('forward failed');
  return [...new Float32Array(memory.buffer, out, 2)];
}

function checkNative() {
  const m = { exports: {} };
  process.dlopen(m, target);
  const out = new Float32Array(2);
  m.exports.forward(cfg, Float32Array.of(1, 2), Float32Array.of(0.5), Float32Array.of(0.25), Float32Array.of(0.1), null, out, null);
  const info = m.exports.info();
  return [...out, `${info.isa}, ${info.threads} threads`];
}

// Node 20's V8 has relaxed SIMD behind this flag (shipped from V8 11.4: Electron, Node 22).
if (wasm) v8.setFlagsFromString('--experimental-wasm-relaxed-simd');

const error = wasm ? buildWasm(false) : args.includes('--gyp') ? buildGyp() : buildDirect();
if (error) finish(false, `could not build the ${wasm ? 'portable (WebAssembly)' : 'native'} kernels: ${error}`);
// The relaxed-SIMD build is optional: the SIMD128 one runs everywhere.
const relaxedError = wasm ? buildWasm(true) : null;
if (relaxedError) {
  rmSync(wasmFile(true), { force: true });
  log(`no relaxed-SIMD build (the SIMD128 one is used): ${relaxedError.split('\n')[0]}`);
}

// Load each build and run a tiny sequence once.
const built = wasm ? [false, ...(relaxedError ? [] : [true])].map((relaxed) => [wasmFile(relaxed), () => [...checkWasm(wasmFile(relaxed)), relaxed ? 'wasm-relaxed-simd' : 'wasm-simd128']]) : [[target, checkNative]];
for (const [file, check] of built) {
  try {
    const [o1, o2, what] = check();
    if (Math.abs(o1 - h1) > 1e-6 || Math.abs(o2 - h2) > 1e-6) throw new Error(`wrong result ${o1}, ${o2} (expected ${h1}, ${h2})`);
    log(`ok: ${file} (${what})`);
  } catch (e) {
    rmSync(file, { force: true });
    finish(false, `the built kernels do not work here: ${e.message}`);
  }
}
finish(true, 'done');
