#!/usr/bin/env node
// RNN Studio: make `@tensorflow/tfjs-node` (the native TensorFlow backend) usable.
//
// Run as the project's `postinstall` (cwd = project root) or by hand:
//   node scripts/setup-native-tf.mjs [PROJECT_ROOT] [--force] [--skip-prebuilt] [--skip-wheel]
//                                    [--no-cache] [--verbose] [--bench]
//
// Steps (each one timed; see scripts/README-native.md):
//   1. probe:    does require('@tensorflow/tfjs-node') already load with backend 'tensorflow'
//                (and run a matMul and a one-batch LSTM fit)?  -> done.
//   2. prebuilt: run the package's own scripts/install.js (downloads libtensorflow and the
//                prebuilt addon; works on machines with internet). It is killed after 60 s
//                without progress and after 10 min in total; offline it fails in ~0.1 s.
//   3. wheel:    build the addon against the TensorFlow C library inside the
//                `tensorflow-cpu==2.21.0` wheel from pip (extracted once into
//                node_modules/.cache/rnn-studio-tf/, reused on re-installs).
//   4. fallback: print a visible notice; training uses the pure-JS backend (@tensorflow/tfjs).
// Always writes node_modules/.cache/rnn-studio-tf/status.json and ALWAYS exits 0, so
// `npm install` never fails because of this script.
//
// Environment:
//   RNN_STUDIO_SKIP_NATIVE_TF=1        do nothing but write status.json (backend 'cpu').
//   RNN_STUDIO_TF_IDLE_TIMEOUT=60      step 2: seconds without output/download progress.
//   RNN_STUDIO_TF_PREBUILT_TIMEOUT=600 step 2: hard cap in seconds.
//   RNN_STUDIO_TF_PIP_TIMEOUT=1200     step 3: hard cap for `pip download`, in seconds.
//   RNN_STUDIO_TF_KEEP_WHEEL=1         keep the downloaded .whl in the cache after extraction.
//   RNN_STUDIO_TF_VERBOSE=1            stream the output of every sub-command.
//   RNN_STUDIO_TF_CACHE=DIR            keep the extracted TensorFlow and built addon in DIR instead of
//                                      node_modules/.cache/rnn-studio-tf (survives `npm ci`; copies
//                                      instead of hard links if DIR is on another filesystem).

import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';

const TFJS_NODE = '@tensorflow/tfjs-node';
const TF_WHEEL_PKG = 'tensorflow-cpu';
const TF_WHEEL_VERSION = '2.21.0';
const WHEEL_MEMBERS_LIBS = ['tensorflow/libtensorflow_cc.so.2', 'tensorflow/libtensorflow_framework.so.2'];
const WHEEL_INCLUDE_PREFIX = 'tensorflow/include/';
const STATUS_SCHEMA = 1;

// ---------------------------------------------------------------- arguments / env
const argv = process.argv.slice(2);
const flags = new Set(argv.filter((a) => a.startsWith('--')));
const positional = argv.filter((a) => !a.startsWith('--'));
const env = process.env;
const VERBOSE = flags.has('--verbose') || env.RNN_STUDIO_TF_VERBOSE === '1';
const FORCE = flags.has('--force');
const SKIP_PREBUILT = flags.has('--skip-prebuilt');
const SKIP_WHEEL = flags.has('--skip-wheel');
const NO_CACHE = flags.has('--no-cache'); // ignore the cached extraction and addon
const BENCH = flags.has('--bench');
const secs = (name, dflt) => {
  const v = Number(env[name]);
  return Number.isFinite(v) && v > 0 ? v * 1000 : dflt * 1000;
};
const IDLE_MS = secs('RNN_STUDIO_TF_IDLE_TIMEOUT', 60);
const PREBUILT_MAX_MS = secs('RNN_STUDIO_TF_PREBUILT_TIMEOUT', 600);
const PIP_MAX_MS = secs('RNN_STUDIO_TF_PIP_TIMEOUT', 1200);

// ---------------------------------------------------------------- logging / timing
const TAG = '[rnn-studio:native-tf]';
const log = (...a) => console.log(TAG, ...a);
const warn = (...a) => console.error(TAG, ...a);
const timings = [];
const t0All = Date.now();
async function timed(name, fn) {
  const t = Date.now();
  try {
    return await fn();
  } finally {
    const ms = Date.now() - t;
    timings.push({ step: name, ms });
    log(`  ${name}: ${fmtMs(ms)}`);
  }
}
const fmtMs = (ms) => (ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`);
const tail = (s, n = 25) => String(s || '').trimEnd().split('\n').slice(-n).map((l) => '    | ' + l).join('\n');
const oneLine = (s) => String(s || '').replace(/\n {4}\| ?/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 400);

// ---------------------------------------------------------------- project root
function findRoot() {
  let dir = path.resolve(positional[0] || process.cwd());
  // Under npm lifecycles cwd is already the project root (INIT_CWD may be a sub-folder).
  for (let d = dir; ; d = path.dirname(d)) {
    if (fs.existsSync(path.join(d, 'package.json'))) return d;
    if (path.dirname(d) === d) return dir;
  }
}
const ROOT = findRoot();
const CACHE_DIR = path.join(ROOT, 'node_modules', '.cache', 'rnn-studio-tf');
const STATUS_FILE = path.join(CACHE_DIR, 'status.json'); // fixed place: the trainer reads it
// The heavy cache (extracted TensorFlow, built addon) may live elsewhere, e.g. to survive `npm ci`.
const HEAVY_DIR = env.RNN_STUDIO_TF_CACHE ? path.resolve(env.RNN_STUDIO_TF_CACHE) : CACHE_DIR;

// ---------------------------------------------------------------- child processes
const running = new Set();
process.on('exit', () => {
  for (const c of running) killTree(c);
});
function killTree(child) {
  try {
    process.kill(-child.pid, 'SIGKILL'); // own process group (detached) -> kills grandchildren too
  } catch {
    try { child.kill('SIGKILL'); } catch { /* gone */ }
  }
}
function dirBytes(dir) {
  let total = 0;
  const stack = [dir];
  while (stack.length) {
    const d = stack.pop();
    let ents;
    try { ents = fs.readdirSync(d, { withFileTypes: true }); } catch { continue; }
    for (const e of ents) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) stack.push(p);
      else { try { total += fs.lstatSync(p).size; } catch { /* racing */ } }
    }
  }
  return total;
}
/**
 * Runs a command without a shell. Never rejects. Kills the whole process group when
 * `maxMs` elapses, or when `idleMs` passes with no output and no growth of `watchDir`.
 */
function run(cmd, args, { cwd = ROOT, extraEnv = {}, maxMs = 600_000, idleMs = 0, watchDir = null, label = cmd } = {}) {
  return new Promise((resolve) => {
    const t = Date.now();
    let out = '';
    let child;
    try {
      child = spawn(cmd, args, {
        cwd,
        env: { ...env, ...extraEnv },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: process.platform !== 'win32',
        windowsHide: true,
      });
    } catch (e) {
      resolve({ code: null, signal: null, out: String(e), ms: 0, timedOut: null, spawnError: e });
      return;
    }
    running.add(child);
    let lastActivity = Date.now();
    let lastBytes = watchDir ? dirBytes(watchDir) : 0;
    let timedOut = null;
    let atLineStart = true;
    const onData = (b) => {
      const s = b.toString();
      out += s;
      if (out.length > 2_000_000) out = out.slice(-1_000_000);
      lastActivity = Date.now();
      if (VERBOSE) process.stderr.write(s.replace(/\n(?=.)/g, `\n    ${label}| `).replace(/^/, atLineStart ? `    ${label}| ` : ''));
      atLineStart = s.endsWith('\n');
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const timer = setInterval(() => {
      const now = Date.now();
      if (watchDir) {
        const b = dirBytes(watchDir);
        if (b !== lastBytes) { lastBytes = b; lastActivity = now; }
      }
      if (now - t > maxMs) timedOut = `hard cap of ${fmtMs(maxMs)} reached`;
      else if (idleMs && now - lastActivity > idleMs) timedOut = `no progress for ${fmtMs(idleMs)}`;
      if (timedOut) { clearInterval(timer); killTree(child); }
    }, 1000);
    timer.unref();
    let spawnError = null;
    child.on('error', (e) => { spawnError = e; out += String(e); });
    child.on('close', (code, signal) => {
      clearInterval(timer);
      running.delete(child);
      resolve({ code, signal, out, ms: Date.now() - t, timedOut, spawnError });
    });
  });
}
const describeFailure = (r) =>
  r.spawnError ? `could not start: ${r.spawnError.message}`
    : r.timedOut ? `killed: ${r.timedOut}`
      : `exit code ${r.code}${r.signal ? ` (signal ${r.signal})` : ''}`;

// ---------------------------------------------------------------- verification (child process)
// A crash (segfault, missing .so, abort inside libtensorflow) only kills the child.
const VERIFY_SRC = String.raw`
const { createRequire } = require('module');
const path = require('path');
const req = createRequire(path.join(process.env.RNN_TF_ROOT, 'package.json'));
const mode = process.env.RNN_TF_MODE;
const out = { mode };
(async () => {
  try {
    let t = Date.now();
    const tf = req(mode === 'native' ? '@tensorflow/tfjs-node' : '@tensorflow/tfjs');
    if (mode !== 'native') await tf.setBackend('cpu');
    await tf.ready();
    out.loadMs = Date.now() - t;
    out.backend = tf.getBackend();
    out.tfjsVersion = tf.version['tfjs-core'];
    out.tfjsNodeVersion = tf.version['tfjs-node'] || null;
    try { out.tfVersion = tf.backend().binding.TF_Version; } catch (e) { out.tfVersion = null; }
    const c = Array.from(tf.matMul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[5, 6], [7, 8]])).dataSync());
    if (c.join() !== '19,22,43,50') throw new Error('matMul gave ' + c.join());
    out.matMul = 'ok';
    t = Date.now();
    const model = tf.sequential();
    model.add(tf.layers.lstm({ units: 4, inputShape: [5, 3] }));
    model.add(tf.layers.dense({ units: 1 }));
    model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
    const h = await model.fit(tf.randomNormal([8, 5, 3]), tf.randomNormal([8, 1]), { epochs: 1, batchSize: 8, verbose: 0 });
    const loss = h.history.loss[0];
    if (!Number.isFinite(loss)) throw new Error('LSTM fit loss is ' + loss);
    out.lstmLoss = loss;
    out.lstmFitMs = Date.now() - t;
    if (process.env.RNN_TF_BENCH === '1') {
      const n = mode === 'native' ? 50 : 5;
      const a = tf.randomNormal([512, 512]), b = tf.randomNormal([512, 512]);
      tf.matMul(a, b).dataSync(); // warm-up
      const t1 = process.hrtime.bigint();
      for (let i = 0; i < n; i++) { const p = tf.matMul(a, b); p.dataSync(); p.dispose(); } // each product read back
      const ms = Number(process.hrtime.bigint() - t1) / 1e6;
      out.bench = { op: 'matMul 512x512 (each read back)', count: n, ms: Math.round(ms * 10) / 10,
        gflops: Math.round((n * 2 * 512 ** 3) / (ms * 1e6) * 10) / 10 };
    }
    out.ok = true;
  } catch (e) {
    out.ok = false;
    out.error = String((e && e.stack) || e).split('\n').slice(0, 6).join('\n');
  }
  process.stdout.write('\n@@RESULT ' + JSON.stringify(out) + '\n');
  process.exit(0);
})();
`;
async function verify(mode, { bench = false } = {}) {
  const r = await run(process.execPath, ['-e', VERIFY_SRC], {
    label: 'verify',
    maxMs: 180_000,
    extraEnv: { RNN_TF_ROOT: ROOT, RNN_TF_MODE: mode, RNN_TF_BENCH: bench ? '1' : '0', TF_CPP_MIN_LOG_LEVEL: '2' },
  });
  const m = r.out.match(/^@@RESULT (.*)$/m);
  if (!m) return { ok: false, error: `verification process died (${describeFailure(r)}):\n${tail(r.out, 12)}` };
  const res = JSON.parse(m[1]);
  if (res.ok && mode === 'native' && res.backend !== 'tensorflow') {
    return { ...res, ok: false, error: `backend is '${res.backend}', not 'tensorflow'` };
  }
  return res;
}

// ---------------------------------------------------------------- status file
function writeStatus(s) {
  try {
    fs.mkdirSync(CACHE_DIR, { recursive: true });
    const tmp = `${STATUS_FILE}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(s, null, 2) + '\n');
    fs.renameSync(tmp, STATUS_FILE);
    log(`status written to ${path.relative(ROOT, STATUS_FILE)}`);
  } catch (e) {
    warn(`could not write ${STATUS_FILE}: ${e.message}`);
  }
}
function statusFrom(res, method, extra = {}) {
  return {
    schema: STATUS_SCHEMA,
    backend: res && res.ok ? res.backend : 'cpu',
    method,
    // false when not even the pure-JS backend loads (e.g. @tensorflow/tfjs missing)
    usable: !!(res && res.ok),
    tfVersion: res && res.ok ? res.tfVersion ?? null : null,
    error: extra.error ?? null,
    tfjsVersion: res?.tfjsVersion ?? null,
    tfjsNodeVersion: res?.tfjsNodeVersion ?? tfjsNodeVersion ?? null,
    bench: res?.bench ?? null,
    attempts,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    date: new Date().toISOString(),
    timingsMs: Object.fromEntries(timings.map((t) => [t.step, t.ms])),
  };
}

// ---------------------------------------------------------------- helpers: files
function linkOrCopyFile(src, dst) {
  try { fs.linkSync(src, dst); return 'link'; } catch { fs.copyFileSync(src, dst); return 'copy'; }
}
function linkTree(src, dst) {
  // Hard-link a whole tree (zero extra disk on the same filesystem); copy when linking fails.
  let how = 'link';
  const stack = [[src, dst]];
  while (stack.length) {
    const [s, d] = stack.pop();
    fs.mkdirSync(d, { recursive: true });
    for (const e of fs.readdirSync(s, { withFileTypes: true })) {
      const sp = path.join(s, e.name), dp = path.join(d, e.name);
      if (e.isDirectory()) stack.push([sp, dp]);
      else if (e.isSymbolicLink()) fs.symlinkSync(fs.readlinkSync(sp), dp);
      else if (linkOrCopyFile(sp, dp) === 'copy') how = 'copy';
    }
  }
  return how;
}
const rmrf = (p) => fs.rmSync(p, { recursive: true, force: true });
const which = (cmd) => {
  const r = spawnSync(process.platform === 'win32' ? 'where' : 'sh', process.platform === 'win32' ? [cmd] : ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim().split('\n')[0] : null;
};

// ---------------------------------------------------------------- locating things
let tfjsNodeDir = null;
let tfjsNodeVersion = null;
function locateTfjsNode() {
  const req = createRequire(path.join(ROOT, 'package.json'));
  const pj = req.resolve(`${TFJS_NODE}/package.json`);
  tfjsNodeDir = path.dirname(pj);
  tfjsNodeVersion = JSON.parse(fs.readFileSync(pj, 'utf8')).version;
}
/** Where tfjs-node will look for its addon (node-pre-gyp's own rule), e.g. lib/napi-v8. */
function addonTarget() {
  let bindingPath;
  try {
    const req = createRequire(path.join(tfjsNodeDir, 'package.json'));
    bindingPath = req('@mapbox/node-pre-gyp').find(path.join(tfjsNodeDir, 'package.json'));
  } catch {
    bindingPath = path.join(tfjsNodeDir, 'lib', 'napi-v8', 'tfjs_binding.node');
  }
  const modulePath = path.relative(tfjsNodeDir, path.dirname(bindingPath));
  const napi = (modulePath.match(/napi-v(\d+)/) || [, '8'])[1];
  return { bindingPath, modulePath, napi };
}
function findNodeGyp() {
  const cands = [];
  if (env.npm_config_node_gyp) cands.push(env.npm_config_node_gyp); // set by npm in lifecycle scripts
  if (env.npm_execpath) cands.push(path.join(path.dirname(env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  const prefix = path.dirname(path.dirname(process.execPath));
  cands.push(path.join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  cands.push(path.join(path.dirname(process.execPath), 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  for (const c of cands) if (c && fs.existsSync(c)) return { cmd: process.execPath, pre: [c], desc: c };
  const npx = which('npx');
  if (npx) return { cmd: npx, pre: ['--yes', 'node-gyp'], desc: 'npx --yes node-gyp' };
  return null;
}
/** Local Node headers (distro / nvm / official tarball layouts) so node-gyp needs no download. */
function nodeDirArgs() {
  if (env.npm_config_nodedir) return [];
  const prefix = path.dirname(path.dirname(process.execPath));
  return fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h')) &&
    fs.existsSync(path.join(prefix, 'include', 'node', 'common.gypi'))
    ? [`--nodedir=${prefix}`] : [];
}
function findPython() {
  for (const c of ['python3', 'python']) {
    const r = spawnSync(c, ['-c', 'import sys, zipfile; print(sys.version_info[0])'], { encoding: 'utf8' });
    if (r.status === 0 && r.stdout.trim() === '3') return c;
  }
  return null;
}

// ---------------------------------------------------------------- step 2: the package's own install
const attempts = [];
async function stepPrebuilt() {
  const pj = path.join(tfjsNodeDir, 'package.json');
  const pjOrig = fs.readFileSync(pj); // install.js rewrites package.json while it runs
  const binDirs = [path.join(tfjsNodeDir, 'node_modules', '.bin'), path.join(ROOT, 'node_modules', '.bin')];
  const gyp = findNodeGyp();
  let r;
  try {
    r = await run(process.execPath, [path.join('scripts', 'install.js')], {
      cwd: tfjsNodeDir,
      label: 'install.js',
      idleMs: IDLE_MS,
      maxMs: PREBUILT_MAX_MS,
      watchDir: path.join(tfjsNodeDir, 'deps'),
      extraEnv: {
        PATH: [...binDirs, env.PATH].join(path.delimiter),
        // if node-pre-gyp falls back to a source build: npm's node-gyp and local Node headers
        ...(gyp && gyp.pre.length === 1 && !env.npm_config_node_gyp ? { npm_config_node_gyp: gyp.pre[0] } : {}),
        ...(nodeDirArgs().length ? { npm_config_nodedir: nodeDirArgs()[0].slice('--nodedir='.length) } : {}),
      },
    });
  } finally {
    if (!fs.readFileSync(pj).equals(pjOrig)) fs.writeFileSync(pj, pjOrig);
  }
  if (r.code !== 0 || r.timedOut || r.spawnError) {
    const why = `scripts/install.js failed after ${fmtMs(r.ms)} (${describeFailure(r)}): ` +
      oneLine((r.out.match(/Error: [^\n]+/) || [r.out.split('\n').filter(Boolean).pop()])[0]);
    warn(why);
    if (!VERBOSE) console.error(tail(r.out, 4));
    return { ok: false, error: why };
  }
  return { ok: true };
}

// ---------------------------------------------------------------- step 3: local wheel
const TF_DIR = path.join(HEAVY_DIR, `tf-${TF_WHEEL_VERSION}`);
const TF_DONE = path.join(TF_DIR, '.complete');
const WHEEL_DIR = path.join(HEAVY_DIR, 'wheel');

async function pipDownload() {
  const have = () => (fs.existsSync(WHEEL_DIR) ? fs.readdirSync(WHEEL_DIR) : [])
    .filter((f) => f.startsWith(`${TF_WHEEL_PKG.replace('-', '_')}-${TF_WHEEL_VERSION}-`) && f.endsWith('.whl'));
  fs.mkdirSync(WHEEL_DIR, { recursive: true });
  const py = findPython();
  const cands = [...(py ? [[py, ['-m', 'pip']]] : []), ['pip3', []], ['pip', []]];
  const pip = cands.find(([c, pre]) => spawnSync(c, [...pre, '--version'], { stdio: 'ignore' }).status === 0);
  if (!pip) throw new Error('pip is not available (tried python3 -m pip, pip3, pip)');
  // --retries 0: an unreachable primary index (pypi.org offline) otherwise costs ~8 s of back-off.
  const base = ['download', '--no-deps', '--only-binary=:all:', '--retries', '0', '--progress-bar', 'off',
    '--disable-pip-version-check', `${TF_WHEEL_PKG}==${TF_WHEEL_VERSION}`, '-d', WHEEL_DIR];
  // The C library inside the wheel does not depend on the Python version, so if the local
  // interpreter does not match the wheel's tag, ask for the cp311 manylinux build explicitly.
  const variants = [[], ['--python-version', '3.11', '--implementation', 'cp', '--abi', 'cp311', '--platform', 'manylinux_2_27_x86_64']];
  const [cmd, pre] = pip;
  let lastErr = '';
  for (const v of variants) {
    const r = await run(cmd, [...pre, ...base, ...v], { label: 'pip', maxMs: PIP_MAX_MS });
    const whl = have();
    if (r.code === 0 && whl.length) {
      const src = (r.out.match(/^(?:Processing|Saved|  File was already downloaded) (.*)$/m) || [])[1];
      log(`  wheel: ${whl[0]}${src ? ` (from ${src.trim()})` : ''}`);
      return path.join(WHEEL_DIR, whl[0]);
    }
    lastErr = `${[cmd, ...pre].join(' ')} download ${TF_WHEEL_PKG}==${TF_WHEEL_VERSION} failed (${describeFailure(r)}):\n` +
      tail(r.out.split('\n').filter((l) => !/^WARNING: Retrying/.test(l)).join('\n'), 4);
    if (!/No matching distribution|Could not find a version/.test(r.out)) break; // other failures: no point in variant 2
  }
  throw new Error(lastErr);
}

const EXTRACT_PY = String.raw`
import sys, zipfile, os
whl, dest, libs, prefix = sys.argv[1], sys.argv[2], sys.argv[3].split(','), sys.argv[4]
z = zipfile.ZipFile(whl)
names = set(z.namelist())
missing = [m for m in libs if m not in names]
if missing: sys.exit('wheel lacks ' + ', '.join(missing))
members = [n for n in z.namelist() if n.startswith(prefix) and not n.endswith('/')] + libs
z.extractall(dest, members)
print(len(members))
`;
async function extractWheel(whl) {
  const tmp = `${TF_DIR}.tmp-${process.pid}`;
  rmrf(tmp);
  fs.mkdirSync(tmp, { recursive: true });
  const py = findPython();
  let r = py ? await run(py, ['-c', EXTRACT_PY, whl, tmp, WHEEL_MEMBERS_LIBS.join(','), WHEEL_INCLUDE_PREFIX], { label: 'extract', maxMs: 600_000 }) : null;
  if (!r || r.code !== 0) {
    const unzip = which('unzip');
    if (!unzip) { rmrf(tmp); throw new Error(`extraction failed: ${r ? tail(r.out, 6) : 'no python3 and no unzip'}`); }
    r = await run(unzip, ['-q', '-o', whl, ...WHEEL_MEMBERS_LIBS, `${WHEEL_INCLUDE_PREFIX}*`, '-d', tmp], { label: 'unzip', maxMs: 600_000 });
    if (r.code !== 0) { rmrf(tmp); throw new Error(`unzip failed (${describeFailure(r)}):\n${tail(r.out, 6)}`); }
  }
  // cache layout: lib/<two .so.2>, include/<headers>
  fs.mkdirSync(path.join(tmp, 'lib'));
  for (const m of WHEEL_MEMBERS_LIBS) fs.renameSync(path.join(tmp, m), path.join(tmp, 'lib', path.basename(m)));
  fs.renameSync(path.join(tmp, WHEEL_INCLUDE_PREFIX), path.join(tmp, 'include'));
  rmrf(path.join(tmp, 'tensorflow'));
  if (!fs.existsSync(path.join(tmp, 'include', 'tensorflow', 'c', 'c_api.h'))) { rmrf(tmp); throw new Error('wheel has no tensorflow/include/tensorflow/c/c_api.h'); }
  fs.writeFileSync(path.join(tmp, '.complete'), JSON.stringify({ wheel: path.basename(whl), date: new Date().toISOString() }) + '\n');
  rmrf(TF_DIR);
  fs.renameSync(tmp, TF_DIR);
}

function layoutDeps() {
  const deps = path.join(tfjsNodeDir, 'deps');
  rmrf(deps);
  const lib = path.join(deps, 'lib');
  fs.mkdirSync(lib, { recursive: true });
  let how = 'link';
  for (const f of ['libtensorflow_cc.so.2', 'libtensorflow_framework.so.2']) {
    if (linkOrCopyFile(path.join(TF_DIR, 'lib', f), path.join(lib, f)) === 'copy') how = 'copy';
  }
  fs.symlinkSync('libtensorflow_cc.so.2', path.join(lib, 'libtensorflow.so'));
  fs.symlinkSync('libtensorflow_cc.so.2', path.join(lib, 'libtensorflow.so.2'));
  fs.symlinkSync('libtensorflow_framework.so.2', path.join(lib, 'libtensorflow_framework.so'));
  if (linkTree(path.join(TF_DIR, 'include'), path.join(deps, 'include')) === 'copy') how = 'copy';
  fs.writeFileSync(path.join(deps, 'rnn-studio-source.json'),
    JSON.stringify({ method: 'local-wheel', wheel: `${TF_WHEEL_PKG}==${TF_WHEEL_VERSION}`, cache: path.relative(tfjsNodeDir, TF_DIR) }, null, 2) + '\n');
  return how;
}

async function buildAddon(target) {
  const gyp = findNodeGyp();
  if (!gyp) throw new Error('node-gyp not found (neither bundled with npm nor via npx)');
  log(`  node-gyp: ${gyp.desc}${nodeDirArgs().length ? ` (${nodeDirArgs()[0]})` : ''}`);
  rmrf(path.join(tfjsNodeDir, 'build'));
  const args = [...gyp.pre, 'rebuild', '--module_name=tfjs_binding', `--module_path=${target.modulePath}`,
    `--napi_build_version=${target.napi}`, '--jobs=max', ...nodeDirArgs()];
  const r = await run(gyp.cmd, args, { cwd: tfjsNodeDir, label: 'node-gyp', maxMs: 900_000 });
  const built = path.join(tfjsNodeDir, 'build', 'Release', 'tfjs_binding.node');
  if (r.code !== 0 || !fs.existsSync(built)) throw new Error(`node-gyp rebuild failed (${describeFailure(r)}):\n${tail(r.out, 15)}`);
  fs.mkdirSync(path.dirname(target.bindingPath), { recursive: true });
  fs.copyFileSync(built, target.bindingPath);
  rmrf(path.join(tfjsNodeDir, 'build', 'Release', 'obj.target')); // object files: not needed at run time
}

async function stepWheel() {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`the local-wheel build supports linux-x64 only (this is ${process.platform}-${process.arch})`);
  }
  if (NO_CACHE) rmrf(TF_DIR);
  if (fs.existsSync(TF_DONE)) {
    log(`  reusing extracted TensorFlow ${TF_WHEEL_VERSION} in ${TF_DIR}`);
  } else {
    const whl = await timed('wheel: pip download', pipDownload);
    await timed('wheel: extract', () => extractWheel(whl));
    if (env.RNN_STUDIO_TF_KEEP_WHEEL !== '1') rmrf(WHEEL_DIR); // the extracted tree is what is reused
  }
  const how = await timed('wheel: lay out deps/', () => layoutDeps());
  log(`  deps/lib and deps/include ${how === 'link' ? 'hard-linked from' : 'copied from'} the cache`);

  const target = addonTarget();
  const addonCache = path.join(HEAVY_DIR, 'addon', `tfjs-node-${tfjsNodeVersion}_tf-${TF_WHEEL_VERSION}_napi-${target.napi}_${process.platform}-${process.arch}`, 'tfjs_binding.node');
  if (!NO_CACHE && fs.existsSync(addonCache)) {
    fs.mkdirSync(path.dirname(target.bindingPath), { recursive: true });
    fs.copyFileSync(addonCache, target.bindingPath);
    const res = await timed('wheel: verify cached addon', () => verify('native', { bench: BENCH }));
    if (res.ok) { log('  reused the cached addon build'); return res; }
    warn(`  cached addon did not verify (${oneLine(res.error)}); rebuilding`);
  }
  await timed('wheel: node-gyp rebuild', () => buildAddon(target));
  const res = await timed('wheel: verify', () => verify('native', { bench: BENCH }));
  if (!res.ok) throw new Error(`the built addon does not work: ${res.error}`);
  try {
    fs.mkdirSync(path.dirname(addonCache), { recursive: true });
    fs.copyFileSync(target.bindingPath, addonCache);
  } catch { /* cache is optional */ }
  return res;
}

// ---------------------------------------------------------------- fallback notice
function notice(errors) {
  const lines = [
    'RNN Studio: the native TensorFlow backend (@tensorflow/tfjs-node) is NOT available.',
    '',
    ...errors.flatMap((e) => oneLine(e).match(/.{1,96}(\s|$)|.{96}/g).map((l, i) => (i ? '    ' : '  - ') + l.trim())),
    '',
    'Training will still work, on the slower pure-JavaScript backend (@tensorflow/tfjs, "cpu").',
    'To retry:  npm run setup:native          (or: node scripts/setup-native-tf.mjs --verbose)',
    'Details:   scripts/README-native.md, node_modules/.cache/rnn-studio-tf/status.json',
  ];
  const w = Math.min(110, Math.max(...lines.map((l) => l.length)) + 4);
  const bar = '!'.repeat(w);
  console.error(['', bar, ...lines.map((l) => `!! ${l}`), bar, ''].join('\n'));
}

function printTimings() {
  log(`timings: ${timings.map((t) => `${t.step} ${fmtMs(t.ms)}`).join(', ')}; total ${fmtMs(Date.now() - t0All)}`);
}

// ---------------------------------------------------------------- main
async function main() {
  log(`project root: ${ROOT}`);
  if (env.RNN_STUDIO_SKIP_NATIVE_TF === '1') {
    log('RNN_STUDIO_SKIP_NATIVE_TF=1: skipping; training will use the pure-JS backend.');
    writeStatus(statusFrom(await verify('cpu'), 'none', { error: 'skipped by RNN_STUDIO_SKIP_NATIVE_TF=1' }));
    return;
  }
  try {
    locateTfjsNode();
  } catch {
    const error = `${TFJS_NODE} is not installed under ${ROOT}`;
    notice([error]);
    writeStatus(statusFrom(await verify('cpu'), 'none', { error }));
    return;
  }
  log(`${TFJS_NODE}@${tfjsNodeVersion} at ${path.relative(ROOT, tfjsNodeDir)}`);
  const errors = [];

  // 1. already working?
  if (!FORCE) {
    const res = await timed('probe', () => verify('native', { bench: BENCH }));
    if (res.ok) {
      let method = 'prebuilt';
      try { method = JSON.parse(fs.readFileSync(path.join(tfjsNodeDir, 'deps', 'rnn-studio-source.json'), 'utf8')).method; } catch { /* package's own install */ }
      log(`native backend OK: backend '${res.backend}', TensorFlow ${res.tfVersion} (${method}); nothing to do.`);
      attempts.push({ step: 'probe', ok: true });
      writeStatus(statusFrom(res, method));
      printTimings();
      return;
    }
    log(`  not usable yet: ${oneLine(res.error)}`);
    attempts.push({ step: 'probe', ok: false, error: oneLine(res.error) });
  }

  // 2. the package's normal path (internet)
  if (!SKIP_PREBUILT) {
    log('trying the package\'s own install (scripts/install.js: download libtensorflow + prebuilt addon)...');
    const r = await timed('prebuilt: install.js', stepPrebuilt);
    if (r.ok) {
      const res = await timed('prebuilt: verify', () => verify('native', { bench: BENCH }));
      if (res.ok) {
        log(`native backend OK via the package's own install: TensorFlow ${res.tfVersion}`);
        attempts.push({ step: 'prebuilt', ok: true });
        writeStatus(statusFrom(res, 'prebuilt'));
        printTimings();
        return;
      }
      r.error = `install.js succeeded but the backend does not work: ${res.error}`;
    }
    errors.push(`download path: ${r.error}`);
    attempts.push({ step: 'prebuilt', ok: false, error: oneLine(r.error) });
  }

  // 3. local wheel
  if (!SKIP_WHEEL) {
    log(`building the addon against the TensorFlow C library of the ${TF_WHEEL_PKG}==${TF_WHEEL_VERSION} wheel...`);
    try {
      const res = await stepWheel();
      log(`native backend OK: backend '${res.backend}', TensorFlow ${res.tfVersion} (local-wheel)` +
        (res.bench ? `; ${res.bench.count}x ${res.bench.op}: ${res.bench.ms} ms (${res.bench.gflops} GFLOP/s)` : ''));
      attempts.push({ step: 'local-wheel', ok: true });
      writeStatus(statusFrom(res, 'local-wheel'));
      printTimings();
      return;
    } catch (e) {
      const msg = String(e && e.message || e);
      warn(`local-wheel build failed: ${msg}`);
      errors.push(`local wheel path: ${msg}`);
      attempts.push({ step: 'local-wheel', ok: false, error: oneLine(msg) });
    }
  }

  // 4. fallback
  if (!errors.length) errors.push('all methods were skipped by flags');
  notice(errors);
  const cpu = await timed('verify pure-JS backend', () => verify('cpu'));
  writeStatus(statusFrom(cpu, 'none', { error: errors.map(oneLine).join(' | ') }));
  printTimings();
}

main()
  .catch((e) => {
    warn(`unexpected error: ${e && e.stack || e}`);
    notice([`unexpected error in setup-native-tf: ${e && e.message || e}`]);
    writeStatus({ schema: STATUS_SCHEMA, backend: 'cpu', method: 'none', tfVersion: null, error: String(e && e.message || e), attempts, date: new Date().toISOString() });
  })
  .finally(() => process.exit(0));
