import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import * as path from 'node:path';
import type { TestContext } from 'node:test';
import { pathToFileURL } from 'node:url';
import { repoRoot } from './helpers';

/**
 * Python with TensorFlow / Keras 3 for the tests that check against the real thing: the venv that
 * scripts/keras-venv.mjs reuses or creates (.venv-keras). Without one, such tests skip with the reason.
 */

interface Venv {
  python?: string;
  reason?: string;
  tensorflow?: string;
  keras?: string;
  created?: boolean;
  seconds?: number;
}

const dynamicImport = new Function('url', 'return import(url)') as (url: string) => Promise<{ ensureKerasVenv(o?: object): Promise<Venv> }>;
let venvPromise: Promise<Venv> | undefined;

export function venv(): Promise<Venv> {
  venvPromise ??= dynamicImport(pathToFileURL(path.join(repoRoot, 'scripts', 'keras-venv.mjs')).href)
    .then((m) => m.ensureKerasVenv())
    .catch((e: Error) => ({ reason: `scripts/keras-venv.mjs failed: ${e.message}` }));
  return venvPromise;
}

export async function python(t: TestContext): Promise<string | undefined> {
  const v = await venv();
  if (!v.python) t.skip(`no Python with TensorFlow: ${v.reason}`);
  return v.python;
}

export interface ProcessResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export function run(command: string, args: string[], options: { cwd?: string; timeoutMs?: number } = {}): Promise<ProcessResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3', PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1', CUDA_VISIBLE_DEVICES: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 240_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** Ports free on 127.0.0.1 right now (the workers bind them a moment later). */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: n }, () => new Promise<ReturnType<typeof createServer>>((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => resolve(server));
  })));
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}
