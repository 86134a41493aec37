import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { isFromTrainerMessage, type FromTrainerMessage, type Logs, type ToTrainerMessage } from '../protocol/trainer';

/**
 * Starts the trainer in its own process and talks to it. Used by the CLI and the extension; it
 * never loads TensorFlow itself, so a crash or an out-of-memory in training cannot take the
 * editor down, and is reported with its cause instead.
 */

export type TrainerJob = Exclude<ToTrainerMessage, { type: 'cancel' }>;
export type TrainerResult = Extract<FromTrainerMessage, { type: 'done' | 'evaluated' | 'predicted' | 'inspected' | 'weightsImported' }>;

export class TrainerError extends Error {
  constructor(
    message: string,
    readonly file?: string,
    readonly line?: number,
    /** True when the process died (crash, out of memory, killed) rather than reporting a problem. */
    readonly crashed = false,
  ) {
    super(message);
    this.name = 'TrainerError';
  }
}

export interface TrainerHandle {
  /** Ask the trainer to stop after the current batch; the run keeps what finished. */
  cancel(): void;
  /** Stop at once, keeping nothing half-written (SIGTERM; SIGKILL when that is not honoured within 2 s). */
  kill(): void;
  readonly process: ChildProcess;
  /** Resolves with the job's result; rejects with a TrainerError. */
  readonly result: Promise<TrainerResult>;
}

export interface StartOptions {
  /** The bundled trainer (`dist/trainer.js`). */
  trainerPath: string;
  onMessage?: (message: FromTrainerMessage) => void;
  env?: NodeJS.ProcessEnv;
  /** Milliseconds between a cancel and a kill if the trainer does not stop. */
  cancelGraceMs?: number;
}

export function defaultTrainerPath(distDir: string): string {
  return path.join(distDir, 'trainer.js');
}

/** A job stopped by `kill()`: said instead of a crash. */
export const STOPPED_AT_ONCE = 'Stopped at once; nothing of this run was saved.';

/** What to do when a part of the installation is missing. */
export const REINSTALL_ADVICE = 'Reinstall the RNN Studio extension; in a development checkout run "npm install" (it builds dist/) in the RNN Studio folder.';

/** The trainer bundle is not where it should be. */
export function missingTrainerMessage(trainerPath: string): string {
  return `The trainer cannot start: its file ${trainerPath} is missing. ${REINSTALL_ADVICE}`;
}

/**
 * Starts the trainer. Throws a TrainerError (crashed) at once when the trainer file is missing,
 * rather than forking a process that can only print MODULE_NOT_FOUND.
 */
export function startTrainer(job: TrainerJob, options: StartOptions): TrainerHandle {
  if (!existsSync(options.trainerPath)) throw new TrainerError(missingTrainerMessage(options.trainerPath), undefined, undefined, true);
  const child = fork(options.trainerPath, [], {
    // `advanced` keeps NaN and Infinity (a diverging loss) intact across the channel.
    serialization: 'advanced',
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    // Its own process group: a terminal's Ctrl-C reaches the CLI only, which stops the trainer by
    // message (after the current batch) or, the second time, at once (kill). The trainer ends by
    // itself when this process goes away (src/trainer/main.ts).
    detached: process.platform !== 'win32',
    // In VS Code's extension host process.execPath is Electron: run it as plain Node.
    env: { ...process.env, ...options.env, ELECTRON_RUN_AS_NODE: '1' },
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-8000);
  });
  child.stdout?.resume();
  let killTimer: NodeJS.Timeout | undefined;
  let stoppedAtOnce = false;

  const result = new Promise<TrainerResult>((resolve, reject) => {
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(killTimer);
      fn();
    };
    child.on('message', (message: unknown) => {
      if (!isFromTrainerMessage(message)) return; // malformed: dropped
      options.onMessage?.(message);
      if (message.type === 'error') {
        // An unexpected MODULE_NOT_FOUND inside the trainer (`The trainer failed: Error: Cannot find module ...`) is said in words too.
        const missing = message.message.startsWith('The trainer failed:') ? moduleNotFoundMessage(message.message) : undefined;
        settle(() => reject(new TrainerError(missing ?? message.message, message.file, message.line)));
      }
      else if (message.type === 'done' || message.type === 'evaluated' || message.type === 'predicted' || message.type === 'inspected' || message.type === 'weightsImported') settle(() => resolve(message));
    });
    child.on('error', (e) => settle(() => reject(new TrainerError(`The trainer could not start: ${e.message}`, undefined, undefined, true))));
    child.on('exit', (code, signal) => {
      clearTimeout(killTimer);
      settle(() => reject(stoppedAtOnce ? new TrainerError(STOPPED_AT_ONCE) : new TrainerError(crashMessage(code, signal, stderr), undefined, undefined, true)));
    });
  });
  child.send(job);

  return {
    process: child,
    result,
    cancel() {
      if (!child.connected) return;
      child.send({ type: 'cancel' } satisfies ToTrainerMessage);
      killTimer ??= setTimeout(() => child.kill('SIGKILL'), options.cancelGraceMs ?? 10_000);
    },
    kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      stoppedAtOnce = true;
      child.kill('SIGTERM');
      clearTimeout(killTimer);
      killTimer = setTimeout(() => child.kill('SIGKILL'), 2000);
    },
  };
}

/**
 * Node's `Cannot find module 'X'` (MODULE_NOT_FOUND) in a trainer's output, in words: which file or
 * module is missing, who needed it, and what to do. Undefined when the text has none.
 */
export function moduleNotFoundMessage(text: string): string | undefined {
  const m = /Cannot find module '([^'\n]+)'/.exec(text);
  if (!m) return undefined;
  const missing = m[1];
  // The entry file itself (`node missing.js`): an absolute path and an empty require stack.
  if (path.isAbsolute(missing) && !/Require stack:\n- /.test(text)) return missingTrainerMessage(missing);
  const by = /Require stack:\n- ([^\n]+)/.exec(text)?.[1];
  return `The trainer cannot start: the module '${missing}' is missing${by ? ` (needed by ${by})` : ''}. ${REINSTALL_ADVICE}`;
}

/** Why the process ended without a result, in words a user can act on. */
export function crashMessage(code: number | null, signal: NodeJS.Signals | null, stderr: string): string {
  const missing = moduleNotFoundMessage(stderr);
  if (missing) return missing;
  const tail = stderr.trim().split('\n').slice(-6).join('\n');
  if (/heap out of memory|Allocation failed|std::bad_alloc/i.test(stderr) || /\bOOM\b/.test(stderr)) {
    return `The trainer ran out of memory. Try a smaller batch_size, shorter sequences (maxlen) or fewer units.${tail ? `\n${tail}` : ''}`;
  }
  if (signal === 'SIGKILL') return 'The trainer was killed (SIGKILL): it was stopped, or the system ran out of memory.';
  if (signal) return `The trainer crashed (signal ${signal}).${tail ? `\n${tail}` : ''}`;
  return `The trainer exited unexpectedly (exit code ${code}).${tail ? `\n${tail}` : ''}`;
}

/** `loss 0.3102 - accuracy 0.8841`, as Keras prints epoch logs. */
export function formatLogs(logs: Logs): string {
  return Object.entries(logs)
    .map(([k, v]) => `${k} ${Math.abs(v) >= 100 ? v.toFixed(1) : v.toFixed(4)}`)
    .join(' - ');
}
