#!/usr/bin/env node
// Builds RNN Studio's optional native addon for the fused recurrent kernels (rnn_fused.cc, N-API,
// no dependency but the C++ standard library) into node_modules/.cache/rnn-studio-fused/rnn_fused.node
// of the repository (git-ignored; the trainer looks there, see ../addon.ts).
//
//   node src/trainer/layers/fused/native/build.mjs [--gyp] [--strict] [--quiet] [--out=FILE]
//
// By default it calls the C++ compiler directly ($CXX, else c++, g++, clang++) with Node's own
// headers (<node prefix>/include/node, or $npm_config_nodedir/include/node): no download, a few
// seconds. `--gyp` uses node-gyp with binding.gyp instead (npm's bundled node-gyp). The result is
// loaded and checked once. Without a compiler the trainer still works: the fused kernels then run
// as TensorFlow ops. Exits 0 unless --strict (so it can run from an install script).

import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const strict = args.includes('--strict');
const quiet = args.includes('--quiet');
const root = path.resolve(here, '..', '..', '..', '..', '..');
const outArg = args.find((a) => a.startsWith('--out='))?.slice(6);
const target = outArg ? path.resolve(outArg) : path.join(root, 'node_modules', '.cache', 'rnn-studio-fused', 'rnn_fused.node');
const outDir = path.dirname(target);
const log = (...m) => quiet || console.log('[rnn-fused]', ...m);

function finish(ok, message) {
  if (ok) log(message);
  else console.error(`[rnn-fused] ${message}\n[rnn-fused] The trainer still works: the fused recurrent kernels run as TensorFlow ops (slower).`);
  process.exit(ok || !strict ? 0 : 1);
}

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
  const cxx = [process.env.CXX, 'c++', 'g++', 'clang++'].filter(Boolean).find(which);
  if (!cxx) return 'no C++ compiler found ($CXX, c++, g++, clang++).';
  mkdirSync(outDir, { recursive: true });
  const tmp = `${target}.tmp-${process.pid}`;
  const flags = ['-O3', '-std=gnu++17', '-ffp-contract=fast', '-fno-trapping-math', '-fno-math-errno', '-fPIC', '-shared', '-pthread', '-fvisibility=hidden', '-DNODE_GYP_MODULE_NAME=rnn_fused', `-I${inc}`];
  if (process.platform === 'darwin') flags.push('-undefined', 'dynamic_lookup');
  const t0 = Date.now();
  const r = spawnSync(cxx, [...flags, path.join(here, 'rnn_fused.cc'), '-o', tmp], { encoding: 'utf8' });
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

const error = args.includes('--gyp') ? buildGyp() : buildDirect();
if (error) finish(false, `could not build the native addon: ${error}`);

// Load it and run a tiny sequence once.
try {
  const m = { exports: {} };
  process.dlopen(m, target);
  const info = m.exports.info();
  const cfg = Int32Array.of(0, 1, 2, 1, 1, 1, 2, 0, 0, 1, 0); // SimpleRNN, B 1, T 2, d 1, u 1, tanh
  const out = new Float32Array(2);
  m.exports.forward(cfg, Float32Array.of(1, 2), Float32Array.of(0.5), Float32Array.of(0.25), Float32Array.of(0.1), null, out, null);
  const h1 = Math.tanh(0.5 + 0.1);
  const h2 = Math.tanh(1 + 0.1 + 0.25 * h1);
  if (Math.abs(out[0] - h1) > 1e-6 || Math.abs(out[1] - h2) > 1e-6) throw new Error(`wrong result ${out[0]}, ${out[1]} (expected ${h1}, ${h2})`);
  finish(true, `ok: ${target} (${info.isa}, ${info.threads} threads)`);
} catch (e) {
  rmSync(target, { force: true });
  finish(false, `the built addon does not work here: ${e.message}`);
}
