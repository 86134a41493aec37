import { isToTrainerMessage, type FromTrainerMessage, type ToTrainerMessage } from '../protocol/trainer';
import { loadBackend } from './backend';
import { evaluateRun, predictRun } from './inference';
import { importKerasWeights } from './importWeights';
import { inspectRun } from './inspect';
import { removePartialRuns } from './runFolder';
import { train, UserError } from './train';
import { DataError } from '../data';

/**
 * The trainer process: the only place TensorFlow runs. Forked by the extension or the CLI with an
 * IPC channel; it takes one job, reports progress, sends its result and exits.
 */

let lastSend: Promise<unknown> = Promise.resolve();

function send(message: FromTrainerMessage): void {
  lastSend = new Promise((resolve) => process.send?.(message, undefined, undefined, resolve) ?? resolve(undefined));
}

let finishing = false;

/** Exit once every message has left: the parent must see the result before the exit. */
async function finish(): Promise<void> {
  finishing = true;
  await lastSend;
  process.disconnect?.();
}

/** Ends now, keeping nothing half-written: the parent went away, or asked to stop at once. */
function endNow(code: number): never {
  removePartialRuns();
  process.exit(code);
}

// The parent handles Ctrl-C (the first stops after the current batch by a cancel message); a
// terminal's SIGINT to the whole process group must not end the trainer on its own.
process.on('SIGINT', () => undefined);
// A second Ctrl-C in the CLI, or the extension's kill: stop at once.
process.on('SIGTERM', () => endNow(143));
// The parent is gone (killed, crashed): nobody waits for this run, so stop rather than train on.
process.on('disconnect', () => {
  if (!finishing) endNow(1);
});
// The IPC channel closing is the signal; the parent pid changing (adopted by init) is the fallback.
const parentPid = process.ppid;
setInterval(() => {
  if (process.ppid !== parentPid && !finishing) endNow(1);
}, 1000).unref();

let cancelled = false;
let busy = false;

async function run(job: Exclude<ToTrainerMessage, { type: 'cancel' }>): Promise<void> {
  const backend = loadBackend();
  send({ type: 'backend', backend: backend.name, native: backend.native, notice: backend.notice });
  switch (job.type) {
    case 'train':
      send({ type: 'done', run: await train(job, backend, send, () => cancelled) });
      return;
    case 'evaluate':
      send({ type: 'evaluated', runDir: job.runDir, metrics: await evaluateRun(backend, job.runDir) });
      return;
    case 'predict':
      send({ type: 'predicted', runDir: job.runDir, predictions: await predictRun(backend, job.runDir, job.texts, job.seriesFile) });
      return;
    case 'inspect':
      send({ type: 'inspected', runDir: job.runDir, result: await inspectRun(backend, job.runDir, job.text, job.sample) });
      return;
    case 'importWeights':
      send({ type: 'weightsImported', ...(await importKerasWeights(job, backend)) });
      return;
  }
}

function fail(e: unknown): void {
  if (e instanceof UserError || e instanceof DataError) send({ type: 'error', message: e.message, file: e.file, line: e.line });
  // A bug rather than the user's mistake: its message, with the stack only when asked for (RNN_STUDIO_DEBUG=1).
  else send({ type: 'error', message: `The trainer failed: ${(process.env.RNN_STUDIO_DEBUG === '1' ? (e as Error)?.stack : undefined) ?? (e instanceof Error ? `${e.name}: ${e.message}` : String(e))}` });
  process.exitCode = 1;
}

process.on('message', (message: unknown) => {
  if (!isToTrainerMessage(message)) return; // not ours: ignored
  if (message.type === 'cancel') {
    cancelled = true;
    return;
  }
  if (busy) return;
  busy = true;
  run(message).catch(fail).finally(finish);
});

process.on('uncaughtException', (e) => {
  fail(e);
  void finish();
});
