import * as path from 'node:path';
import * as vscode from 'vscode';
import { analyzeModel, withCellType } from '../core';
import type { CellType } from '../protocol/designer';
import type { FromTrainerMessage, Logs, Prediction, RunSummary } from '../protocol/trainer';
import type { BatchPoint, ComparisonRow, MemoryResult, RunInfo, TrainingState } from '../protocol/training';
import { deleteRun, listRuns, runsRoot } from '../runner/runs';
import { formatLogs, startTrainer, STOPPED_AT_ONCE, TrainerError, type TrainerHandle, type TrainerJob, type TrainerResult } from '../runner/trainerProcess';
import type { ModelStore } from './modelStore';

/**
 * Training from the editor: one trainer process at a time per window, fed the editor's text
 * (saved or not). Progress goes to a notification with Cancel, a status bar item, the output
 * channel and (through events) the designer panel.
 */

export interface TrainingEvent {
  uri: string;
  state: TrainingState;
}

const MAX_BATCH_POINTS = 400;

export const RESTRICTED = 'Training, evaluation and prediction are disabled in Restricted Mode: they read data files and run the trainer. Trust this workspace to use them; inspecting the model works either way.';

export class TrainingController implements vscode.Disposable {
  private active: { uri: string; handle: TrainerHandle; state: TrainingState } | undefined;
  private comparing = false;
  private lastSent = 0;
  private pending: NodeJS.Timeout | undefined;
  private readonly statusItem = vscode.window.createStatusBarItem('rnnStudio.training', vscode.StatusBarAlignment.Left, 10);
  private readonly stateEmitter = new vscode.EventEmitter<TrainingEvent>();
  private readonly runsEmitter = new vscode.EventEmitter<string>();
  private readonly comparisonEmitter = new vscode.EventEmitter<{ uri: string; rows: ComparisonRow[]; running: boolean }>();
  /** Training snapshots, at most about five a second. */
  readonly onDidChangeState = this.stateEmitter.event;
  /** The runs of a model changed (a run finished or was deleted). */
  readonly onDidChangeRuns = this.runsEmitter.event;
  readonly onDidChangeComparison = this.comparisonEmitter.event;
  /** The last snapshot per model, so a panel opened later shows it too. */
  readonly lastState = new Map<string, TrainingState>();

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly store: ModelStore,
    private readonly output: vscode.OutputChannel,
  ) {
    this.statusItem.name = 'RNN Studio Training';
    this.statusItem.command = 'rnnStudio.stopTraining';
  }

  get isRunning(): boolean {
    return !!this.active;
  }

  private get trainerPath(): string {
    return vscode.Uri.joinPath(this.extensionUri, 'dist', 'trainer.js').fsPath;
  }

  /** Runs one trainer job (evaluate, predict, inspect) to completion; errors become TrainerErrors. */
  run(job: TrainerJob): Promise<TrainerResult> {
    this.refuseIfRestricted();
    // A trainer that cannot start or crashed (a missing file or module, out of memory): the output
    // channel keeps the whole message (the notification shows its first line).
    const logged = (e: unknown): Promise<never> => {
      if (e instanceof TrainerError && e.crashed) this.output.appendLine(`✖ ${e.message}`);
      return Promise.reject(e);
    };
    try {
      return startTrainer(job, { trainerPath: this.trainerPath }).result.catch(logged);
    } catch (e) {
      return logged(e);
    }
  }

  /** The trainer reads data files and runs code: never in Restricted Mode, whoever asks. */
  private refuseIfRestricted(): void {
    if (!vscode.workspace.isTrusted) throw new Error(RESTRICTED);
  }

  /** Trains `text` (the editor's current text) of the model at `document`; resolves with the run, or undefined when it failed (reported). */
  async train(document: vscode.TextDocument, options: { text?: string; label?: string; notify?: boolean } = {}): Promise<RunSummary | undefined> {
    this.refuseIfRestricted();
    if (this.active) throw new Error('A training is already running in this window; stop it first.');
    const uri = document.uri.toString();
    const text = options.text ?? document.getText();
    const name = path.basename(document.uri.fsPath);
    const label = options.label ?? name;
    const state: TrainingState = { status: 'starting', label, epochs: 0, stepsPerEpoch: 0, epoch: 0, step: 0, batches: [], history: [], stoppedEarly: false, samplesPerSecond: 0 };
    let handle: TrainerHandle;
    try {
      handle = startTrainer({ type: 'train', modelPath: document.uri.fsPath, modelText: text }, { trainerPath: this.trainerPath, onMessage: (m) => this.onMessage(label, m) });
    } catch (e) {
      // The trainer file is missing (a broken installation): say which file and what to do, as any failure.
      const message = e instanceof Error ? e.message : String(e);
      Object.assign(state, { status: 'failed', error: message });
      const snapshot = structuredClone(state);
      this.lastState.set(uri, snapshot);
      this.stateEmitter.fire({ uri, state: snapshot });
      this.output.appendLine(`\n▶ Training ${label}\n✖ ${message}`);
      if (options.notify !== false) void vscode.window.showErrorMessage(`RNN Studio: training ${label} failed: ${message.split('\n')[0]}`);
      return undefined;
    }
    this.active = { uri, handle, state };
    this.publish(true);
    this.output.appendLine(`\n▶ Training ${label}`);
    this.statusItem.text = `$(sync~spin) Training ${label}`;
    this.statusItem.tooltip = 'Click to stop training';
    this.statusItem.show();

    const work = handle.result.then(
      (result) => {
        const run = (result as Extract<TrainerResult, { type: 'done' }>).run;
        Object.assign(state, {
          status: run.cancelled ? 'cancelled' : 'done',
          bestEpoch: run.bestEpoch,
          stoppedEarly: run.stoppedEarly,
          testMetrics: run.testMetrics,
          baseline: run.baseline,
          samplesPerSecond: run.samplesPerSecond,
          runId: path.basename(run.runDir),
          etaSeconds: 0,
        } satisfies Partial<TrainingState>);
        const test = run.testMetrics ? ` Test: ${formatLogs(run.testMetrics)}.` : '';
        this.output.appendLine(`${run.cancelled ? '■ Cancelled' : '✔ Done'} after ${run.epochs} epoch(s)${run.bestEpoch ? `, kept epoch ${run.bestEpoch}` : ''}.${test} Run: ${run.runDir}`);
        this.output.appendLine(`${Math.round(run.samplesPerSecond).toLocaleString('en-US')} samples/s on the ${run.backend} backend${run.kernels ? ` with the ${run.kernels}` : ''}.`);
        return run;
      },
      (e: unknown) => {
        const message = e instanceof TrainerError ? e.message : String(e);
        Object.assign(state, { status: 'failed', error: message });
        this.output.appendLine(`✖ ${message}`);
        // Stopped at once by a second Stop: what the user asked for, said plainly rather than as an error.
        if (message === STOPPED_AT_ONCE) void vscode.window.showInformationMessage(`RNN Studio: training ${label}: ${message}`);
        else if (options.notify !== false) void vscode.window.showErrorMessage(`RNN Studio: training ${label} failed: ${message.split('\n')[0]}`);
        return undefined;
      },
    );
    void vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Training ${label}`, cancellable: true }, (progress, token) => {
      token.onCancellationRequested(() => this.stop());
      let reported = 0;
      const listener = this.onDidChangeState((e) => {
        if (e.uri !== uri || e.state.epochs === 0) return;
        const done = ((e.state.epoch - 1 + e.state.step / Math.max(1, e.state.stepsPerEpoch)) / e.state.epochs) * 100;
        progress.report({ increment: Math.max(0, done - reported), message: `epoch ${e.state.epoch}/${e.state.epochs} · step ${e.state.step}/${e.state.stepsPerEpoch}${e.state.etaSeconds ? ` · ${Math.round(e.state.etaSeconds)} s left` : ''}` });
        reported = Math.max(reported, done);
      });
      return work.finally(() => listener.dispose());
    });
    const run = await work;
    this.publish(true); // the final snapshot
    this.active = undefined;
    this.statusItem.hide();
    this.runsEmitter.fire(uri);
    return run;
  }

  /** Stop after the current batch (what finished is kept); a second stop ends the trainer at once, keeping nothing of the run. */
  stop(): boolean {
    if (!this.active) return false;
    if (this.active.state.status === 'cancelled') this.active.handle.kill();
    else {
      this.active.state.status = 'cancelled';
      this.active.handle.cancel();
      this.statusItem.text = '$(sync~spin) Stopping...';
    }
    return true;
  }

  /** Ends the trainer process at once (the run is lost; SIGKILL when it does not respond within 2 s). */
  kill(): void {
    this.active?.handle.kill();
  }

  private onMessage(label: string, m: FromTrainerMessage): void {
    const state = this.active?.state;
    if (!state) return;
    switch (m.type) {
      case 'backend':
        state.backend = m.backend;
        state.notice = m.notice;
        this.output.appendLine(`backend: ${m.backend}${m.native ? ' (native TensorFlow)' : ''}`);
        if (m.notice) {
          this.output.appendLine(`notice: ${m.notice}`);
          void vscode.window.showWarningMessage(`RNN Studio: ${m.notice}`);
        }
        break;
      case 'notice':
        // Beside the backend's notice in the panel; a notification too, once per run.
        state.notice = [state.notice, m.message].filter(Boolean).join(' · ');
        this.output.appendLine(`notice: ${m.message}`);
        void vscode.window.showInformationMessage(`RNN Studio: ${m.message}`);
        break;
      case 'data':
        state.dataSummary = m.summary;
        this.output.appendLine(`data: ${m.summary}`);
        break;
      case 'start':
        if (state.status === 'starting') state.status = 'running';
        state.epochs = m.epochs;
        state.stepsPerEpoch = m.stepsPerEpoch;
        this.output.appendLine(`${m.params.toLocaleString('en-US')} parameters, ${m.epochs} epochs of ${m.stepsPerEpoch} steps`);
        break;
      case 'batch':
        state.epoch = m.epoch;
        state.step = m.step;
        state.samplesPerSecond = m.samplesPerSecond;
        state.etaSeconds = m.etaSeconds;
        addPoint(state.batches, { x: m.epoch - 1 + m.step / m.steps, logs: m.logs });
        this.statusItem.text = `$(sync~spin) ${label}: epoch ${m.epoch}/${state.epochs} · ${Math.round((m.step / m.steps) * 100)}%`;
        break;
      case 'epoch':
        state.history.push(m.logs);
        this.output.appendLine(`Epoch ${m.epoch}/${state.epochs}: ${formatLogs(m.logs)} (${(m.durationMs / 1000).toFixed(1)} s)${m.improved ? '' : ' (no improvement)'}`);
        break;
      default:
        return;
    }
    this.publish(m.type !== 'batch');
  }

  /** Sends the snapshot now, or within 200 ms (batches arrive much faster than panels need them). */
  private publish(now: boolean): void {
    const active = this.active;
    if (!active) return;
    const send = () => {
      this.pending = undefined;
      this.lastSent = Date.now();
      const snapshot = structuredClone(active.state);
      this.lastState.set(active.uri, snapshot);
      this.stateEmitter.fire({ uri: active.uri, state: snapshot });
    };
    if (now || Date.now() - this.lastSent > 200) {
      clearTimeout(this.pending);
      send();
    } else this.pending ??= setTimeout(send, 200 - (Date.now() - this.lastSent));
  }

  private root(document: vscode.TextDocument): string {
    return runsRoot(document.uri.fsPath, this.store.get(document).name);
  }

  listRuns(document: vscode.TextDocument): Promise<RunInfo[]> {
    return listRuns(this.root(document));
  }

  runDir(document: vscode.TextDocument, runId: string): string {
    return path.join(this.root(document), runId);
  }

  async deleteRun(document: vscode.TextDocument, runId: string): Promise<void> {
    await deleteRun(this.root(document), runId);
    this.runsEmitter.fire(document.uri.toString());
  }

  async inspect(document: vscode.TextDocument, runId: string, text?: string, sample?: number): Promise<MemoryResult> {
    const result = await this.run({ type: 'inspect', runDir: this.runDir(document, runId), text, sample });
    if (result.type !== 'inspected') throw new Error('unexpected answer from the trainer');
    return result.result;
  }

  async predict(document: vscode.TextDocument, runId: string, texts: string[], seriesFile?: string): Promise<Prediction[]> {
    const result = await this.run({ type: 'predict', runDir: this.runDir(document, runId), texts, seriesFile });
    if (result.type !== 'predicted') throw new Error('unexpected answer from the trainer');
    return result.predictions;
  }

  async evaluate(document: vscode.TextDocument, runId: string): Promise<Logs> {
    const result = await this.run({ type: 'evaluate', runDir: this.runDir(document, runId) });
    if (result.type !== 'evaluated') throw new Error('unexpected answer from the trainer');
    return result.metrics;
  }

  /** The same architecture, data and seed with SimpleRNN, LSTM and GRU (and Bidirectional variants), one after another. */
  async compareCells(document: vscode.TextDocument, bidirectional: boolean): Promise<ComparisonRow[]> {
    if (this.active || this.comparing) throw new Error('A training is already running in this window; stop it first.');
    this.comparing = true;
    const uri = document.uri.toString();
    const text = document.getText();
    const variants: { cell: CellType; bidirectional: boolean }[] = (['SimpleRNN', 'LSTM', 'GRU'] as const).flatMap((cell) => [
      { cell, bidirectional: false },
      ...(bidirectional ? [{ cell, bidirectional: true }] : []),
    ]);
    const rows: ComparisonRow[] = variants.map((v) => ({ ...v, status: 'waiting', params: this.store.get(document).totalParams, history: [] }));
    const publish = (running: boolean) => this.comparisonEmitter.fire({ uri, rows: structuredClone(rows), running });
    try {
      for (const [i, v] of variants.entries()) {
        const variantText = withCellType(text, v.cell, v.bidirectional);
        const row = rows[i];
        row.status = 'running';
        row.params = analyzeModel(variantText).totalParams;
        publish(true);
        const started = Date.now();
        const run = await this.train(document, { text: variantText, label: `compare: ${v.bidirectional ? `Bidirectional(${v.cell})` : v.cell}`, notify: false });
        if (!run) {
          row.status = 'failed';
          row.error = this.lastState.get(uri)?.error ?? 'training failed';
          if (this.lastState.get(uri)?.status === 'cancelled') break;
          continue;
        }
        row.status = 'done';
        row.trainSeconds = (Date.now() - started) / 1000;
        row.history = run.history;
        row.runId = path.basename(run.runDir);
        const last = run.history[run.history.length - 1] ?? {};
        row.valAccuracy = last.val_accuracy;
        row.testAccuracy = run.testMetrics?.accuracy;
        row.testMae = run.testMetrics?.mae_original_units ?? run.testMetrics?.mae;
        publish(true);
        if (run.cancelled) break;
      }
    } finally {
      this.comparing = false;
      publish(false);
    }
    return rows;
  }

  dispose(): void {
    this.active?.handle.kill();
    clearTimeout(this.pending);
    this.statusItem.dispose();
    this.stateEmitter.dispose();
    this.runsEmitter.dispose();
    this.comparisonEmitter.dispose();
  }
}

function addPoint(points: BatchPoint[], point: BatchPoint): void {
  points.push(point);
  // Thin by half when full: the curve keeps its shape, the message stays small.
  if (points.length > MAX_BATCH_POINTS) {
    const kept = points.filter((_, i) => i % 2 === 1 || i === points.length - 1);
    points.splice(0, points.length, ...kept);
  }
}
