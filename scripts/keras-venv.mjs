// A Python with TensorFlow + Keras 3 for the Keras interop tests (and for running exported scripts).
//
//   ensureKerasVenv() -> { python, version, created, seconds } | { python: undefined, reason }
//
// Reuses `.venv-keras/` at the repository root when its Python imports TensorFlow with Keras 3;
// otherwise creates it: `python3 -m venv .venv-keras` and `pip install tensorflow-cpu==2.21.0`
// (pip's own configuration decides the index: on the offline machines a local index serves the
// wheel). When no Python, venv module, pip or wheel can be had, it returns the reason instead, and
// the tests that need it report themselves as skipped with that reason.
//
// Environment:
//   RNN_STUDIO_KERAS_PYTHON=/path/to/python   use this Python (must import tensorflow)
//   RNN_STUDIO_NO_KERAS=1                     do not look for or create one (the tests skip)
//   RNN_STUDIO_PIP_ARGS="..."                 extra pip install arguments
//
// Run it directly to set the venv up: `node scripts/keras-venv.mjs` (`npm run keras-venv`). Run so,
// it also installs PyTorch (`torch==2.13.0`) for the training bench (bench/keras/bench_torch.py),
// optionally: a failed torch install is reported and the venv still counts as set up. The tests never
// need torch, so ensureKerasVenv() alone does not install it.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const TENSORFLOW_REQUIREMENT = 'tensorflow-cpu==2.21.0';
export const TORCH_REQUIREMENT = 'torch==2.13.0';

const isWindows = process.platform === 'win32';

function venvPython(dir) {
  return path.join(dir, isWindows ? 'Scripts' : 'bin', isWindows ? 'python.exe' : 'python');
}

/** `{ tensorflow, keras }` versions when `python` imports both (Keras 3), else undefined. */
function probe(python) {
  const r = spawnSync(python, ['-c', 'import os; os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"\nimport tensorflow as tf, keras\nprint(tf.__version__, keras.__version__)'], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (r.status !== 0) return undefined;
  const [tensorflow, keras] = r.stdout.trim().split(/\s+/).slice(-2);
  if (!keras || !keras.startsWith('3.')) return undefined;
  return { tensorflow, keras };
}

function run(command, args, onLine) {
  return new Promise((resolve) => {
    let child;
    try {
      child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      resolve({ code: -1, tail: String(e) });
      return;
    }
    const tail = [];
    const take = (chunk) => {
      for (const line of chunk.toString().split(/\r?\n/)) {
        if (!line.trim()) continue;
        tail.push(line);
        if (tail.length > 12) tail.shift();
        onLine?.(line);
      }
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', (e) => resolve({ code: -1, tail: e.message }));
    child.on('close', (code) => resolve({ code, tail: tail.join('\n') }));
  });
}

function findPython3() {
  for (const candidate of isWindows ? ['py', 'python'] : ['python3', 'python']) {
    const r = spawnSync(candidate, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], { encoding: 'utf8' });
    if (r.status === 0) {
      const [major, minor] = r.stdout.trim().split('.').map(Number);
      if (major === 3 && minor >= 9) return { python: candidate, version: r.stdout.trim() };
    }
  }
  return undefined;
}

/** Waits for another process that is creating the venv (a lock folder beside it). */
async function withLock(lockDir, fn) {
  const started = Date.now();
  for (;;) {
    try {
      mkdirSync(lockDir);
      break;
    } catch {
      // A lock older than 20 minutes is left over from a killed run.
      try {
        if (Date.now() - statSync(lockDir).mtimeMs > 20 * 60_000) rmSync(lockDir, { recursive: true, force: true });
      } catch {
        // gone meanwhile
      }
      if (Date.now() - started > 20 * 60_000) throw new Error(`timed out waiting for ${lockDir}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

/**
 * Returns `{ python, tensorflow, keras, created, seconds }`, or `{ python: undefined, reason }`.
 * `log` receives progress lines (default: stderr).
 */
export async function ensureKerasVenv({ root = repoRoot, log = (s) => process.stderr.write(`${s}\n`) } = {}) {
  if (process.env.RNN_STUDIO_NO_KERAS) return { python: undefined, reason: 'RNN_STUDIO_NO_KERAS is set' };
  const given = process.env.RNN_STUDIO_KERAS_PYTHON;
  if (given) {
    const v = probe(given);
    return v ? { python: given, ...v, created: false } : { python: undefined, reason: `RNN_STUDIO_KERAS_PYTHON=${given} does not import tensorflow with Keras 3` };
  }
  const dir = path.join(root, '.venv-keras');
  const python = venvPython(dir);
  if (existsSync(python)) {
    const v = probe(python);
    if (v) return { python, ...v, created: false };
  }
  // The lock lives in the temporary folder, so a killed run leaves nothing in the repository.
  const lock = path.join(tmpdir(), `rnn-studio-keras-venv-${createHash('sha256').update(dir).digest('hex').slice(0, 12)}.lock`);
  return withLock(lock, async () => {
    if (existsSync(python)) {
      const v = probe(python); // another process may have finished it while we waited
      if (v) return { python, ...v, created: false };
    }
    const started = Date.now();
    const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0)} s`;
    if (!existsSync(python)) {
      const base = findPython3();
      if (!base) return { python: undefined, reason: 'no Python 3.9+ found (python3) to create .venv-keras with TensorFlow' };
      log(`keras-venv: creating ${dir} with ${base.python} ${base.version}`);
      const made = await run(base.python, ['-m', 'venv', dir]);
      if (made.code !== 0 || !existsSync(python)) {
        rmSync(dir, { recursive: true, force: true });
        return { python: undefined, reason: `python3 -m venv failed (is the venv module, e.g. Debian's python3-venv, installed?): ${made.tail.split('\n').pop()}` };
      }
    }
    log(`keras-venv: pip install ${TENSORFLOW_REQUIREMENT} (about 275 MB of wheels; this takes a while)`);
    // No retries: an unreachable index host would otherwise cost minutes of back-off per package.
    const extra = (process.env.RNN_STUDIO_PIP_ARGS ?? '').split(/\s+/).filter(Boolean);
    let last = 0;
    const installed = await run(python, ['-m', 'pip', 'install', '--disable-pip-version-check', '--retries', '0', ...extra, TENSORFLOW_REQUIREMENT], (line) => {
      if (/^(Collecting|Installing collected|Successfully installed)/.test(line) && Date.now() - last > 2000) {
        last = Date.now();
        log(`keras-venv: [${elapsed()}] ${line.length > 110 ? `${line.slice(0, 107)}...` : line}`);
      }
    });
    if (installed.code !== 0) {
      return { python: undefined, reason: `pip install ${TENSORFLOW_REQUIREMENT} failed in ${dir} (no network or local index with the wheel?): ${installed.tail.split('\n').slice(-2).join(' ')}` };
    }
    const v = probe(python);
    if (!v) return { python: undefined, reason: `${dir} has ${TENSORFLOW_REQUIREMENT} installed but cannot import tensorflow with Keras 3` };
    const seconds = (Date.now() - started) / 1000;
    log(`keras-venv: ready in ${seconds.toFixed(0)} s: TensorFlow ${v.tensorflow}, Keras ${v.keras}`);
    return { python, ...v, created: true, seconds };
  });
}

/**
 * PyTorch in `python` for the bench: `{ torch }` (its version) when it imports or installs, else
 * `{ reason }`. Never throws: the bench skips PyTorch and says why.
 */
export async function ensureTorch(python, { log = (s) => process.stderr.write(`${s}\n`) } = {}) {
  const version = () => {
    const r = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8', timeout: 120_000 });
    return r.status === 0 ? r.stdout.trim().split('\n').pop() : undefined;
  };
  const have = version();
  if (have) return { torch: have };
  log(`keras-venv: pip install ${TORCH_REQUIREMENT} for the training bench (optional; about 200 MB)`);
  const extra = (process.env.RNN_STUDIO_PIP_ARGS ?? '').split(/\s+/).filter(Boolean);
  const installed = await run(python, ['-m', 'pip', 'install', '--disable-pip-version-check', '--retries', '0', ...extra, TORCH_REQUIREMENT]);
  const now = installed.code === 0 ? version() : undefined;
  if (now) return { torch: now };
  return { reason: `pip install ${TORCH_REQUIREMENT} failed (the bench will skip PyTorch): ${installed.tail.split('\n').slice(-2).join(' ')}` };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const result = await ensureKerasVenv();
  if (result.python) {
    const torch = await ensureTorch(result.python);
    if (torch.reason) console.error(`keras-venv: ${torch.reason}`);
    else console.error(`keras-venv: PyTorch ${torch.torch} for the bench`);
    console.log(result.python);
  } else {
    console.error(`keras-venv: ${result.reason}`);
    process.exitCode = 1;
  }
}
