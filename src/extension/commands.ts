import * as vscode from 'vscode';
import * as path from 'node:path';
import { formatDiagnostic, formatSummary } from '../core';
import { defaultImportPath, defaultProjectDir, exportKeras, exportKerasProject, importFile, kerasModelCode } from '../interop';
import { RUN_FILES } from '../runner/runs';
import { formatLogs } from '../runner/trainerProcess';
import type { DesignerPanels } from './designerPanel';
import { isModelDocument, type ModelStore } from './modelStore';
import type { ModelTabs } from './modelTabs';
import { RESTRICTED, type TrainingController } from './training';

/** Everything a command needs; one instance per activation. */
export interface CommandContext {
  extensionUri: vscode.Uri;
  store: ModelStore;
  output: vscode.OutputChannel;
  designer: DesignerPanels;
  training: TrainingController;
  tabs: ModelTabs;
}

/** The templates offered by "New Model from Template": examples shipped with the extension. */
export const TEMPLATES = [
  { id: 'sentiment-lstm', label: 'Sentiment LSTM', detail: 'Embedding → LSTM(128) → Dense(1, sigmoid), IMDB-style reviews' },
  { id: 'imdb-bidirectional', label: 'Bidirectional LSTM', detail: 'Embedding → Bidirectional(LSTM(64)) → Dropout → Dense(1, sigmoid)' },
  { id: 'imdb-bilstm-stacked', label: 'Stacked Bidirectional + LSTM', detail: 'Bidirectional LSTM returning sequences into a second LSTM' },
  { id: 'sentiment-gru', label: 'GRU classifier', detail: 'Embedding → GRU(128) → Dense(1, sigmoid)' },
  { id: 'seattle-weather-forecast', label: 'Time series forecaster', detail: 'Two stacked LSTMs over 30 days of Seattle weather' },
  { id: 'spam-lstm', label: 'Spam filter', detail: 'Bidirectional LSTM on the SpamAssassin corpus (works offline)' },
  { id: 'long-range-memory', label: 'Long-range memory task', detail: 'Synthetic: does the cell remember a token 50 steps back?' },
] as const;

type Handler = (ctx: CommandContext) => (...args: never[]) => unknown;

/**
 * Resolve the model a command is about: an explicit URI (CodeLens, menus), the active editor, else
 * (palette, with the focus in the designer or a terminal) the model file used last among the open tabs.
 */
async function modelDocument(ctx: CommandContext, uri?: vscode.Uri): Promise<vscode.TextDocument | undefined> {
  const active = vscode.window.activeTextEditor?.document;
  const fallback = isModelDocument(active) ? undefined : ctx.tabs.current();
  const document = uri instanceof vscode.Uri ? await vscode.workspace.openTextDocument(uri) : fallback ? await vscode.workspace.openTextDocument(fallback) : active;
  if (isModelDocument(document)) return document;
  void vscode.window.showWarningMessage('RNN Studio: open a model file (*.rnn.json) first.');
  return undefined;
}

/** True when `folder` is new or empty, or the user agrees to replace what it holds (the export may hold their edits). */
async function mayReplace(folder: vscode.Uri): Promise<boolean> {
  const entries = await vscode.workspace.fs.readDirectory(folder).then(
    (e) => e,
    () => [],
  );
  if (entries.length === 0) return true;
  const choice = await vscode.window.showWarningMessage(`RNN Studio: ${folder.fsPath} already exists. Replace it with the exported project?`, 'Replace');
  return choice === 'Replace';
}

/** Training, evaluation and prediction read data and run code: refused in Restricted Mode and on broken models. */
function refuseToRun(ctx: CommandContext, document: vscode.TextDocument, action: string): string | undefined {
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showErrorMessage(`RNN Studio: ${RESTRICTED}`);
    return RESTRICTED;
  }
  const errors = ctx.store.get(document).diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) {
    const reason = `${action} refused: the model has ${errors.length} error${errors.length === 1 ? '' : 's'}. First: ${errors[0].message}`;
    void vscode.window.showErrorMessage(`RNN Studio: ${reason}`);
    return reason;
  }
  return undefined;
}

/** The run a command is about: given, the only one, or picked (newest first). */
async function pickRun(ctx: CommandContext, document: vscode.TextDocument, runId?: string): Promise<string | undefined> {
  if (runId) return runId;
  const runs = await ctx.training.listRuns(document);
  if (runs.length === 0) {
    void vscode.window.showWarningMessage('RNN Studio: this model has no runs yet. Train it first.');
    return undefined;
  }
  if (runs.length === 1) return runs[0].id;
  const pick = await vscode.window.showQuickPick(
    runs.map((r) => ({ label: r.id, description: `${r.epochs} epochs`, detail: r.testMetrics ? formatLogs(r.testMetrics) : undefined })),
    { title: 'Which run?' },
  );
  return pick?.label;
}

/** Runs a trainer job and reports its failure as a message; returns undefined then. */
async function reported<T>(work: Promise<T>): Promise<T | undefined> {
  try {
    return await work;
  } catch (e) {
    void vscode.window.showErrorMessage(`RNN Studio: ${(e as Error).message.split('\n')[0]}`);
    return undefined;
  }
}

export const COMMANDS: Record<string, Handler> = {
  'rnnStudio.newModelFromTemplate': (ctx) => async (templateId?: string, target?: vscode.Uri) => {
    const id =
      templateId ??
      (await vscode.window.showQuickPick(TEMPLATES.map((t) => ({ ...t, description: `${t.id}.rnn.json` })), { title: 'New RNN model from template', matchOnDetail: true }))?.id;
    const template = TEMPLATES.find((t) => t.id === id);
    if (!template) return undefined;
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const destination =
      target ??
      (await vscode.window.showSaveDialog({
        defaultUri: folder && vscode.Uri.joinPath(folder, `${template.id}.rnn.json`),
        filters: { 'RNN model': ['rnn.json'] },
        title: 'Save the new model as',
      }));
    if (!destination) return undefined;
    const content = await vscode.workspace.fs.readFile(vscode.Uri.joinPath(ctx.extensionUri, 'examples', `${template.id}.rnn.json`));
    await vscode.workspace.fs.writeFile(destination, content);
    await vscode.window.showTextDocument(destination);
    return destination;
  },

  'rnnStudio.showSummary': (ctx) => async (uri?: vscode.Uri) => {
    const document = await modelDocument(ctx, uri);
    if (!document) return undefined;
    const analysis = ctx.store.get(document);
    const file = vscode.workspace.asRelativePath(document.uri);
    const text = [formatSummary(analysis), ...analysis.diagnostics.map((d) => formatDiagnostic(file, d))].join('\n');
    ctx.output.appendLine(`${file}\n${text}\n`);
    ctx.output.show(true);
    return text;
  },

  'rnnStudio.openDesigner': (ctx) => async (uri?: vscode.Uri) => {
    const document = await modelDocument(ctx, uri);
    if (document) return ctx.designer.open(document);
    return undefined;
  },

  'rnnStudio.train': (ctx) => async (uri?: vscode.Uri) => {
    const document = await modelDocument(ctx, uri);
    if (!document) return undefined;
    const refusal = refuseToRun(ctx, document, 'Training');
    if (refusal) return refusal;
    if (ctx.training.isRunning) return void vscode.window.showWarningMessage('RNN Studio: a training is already running; stop it first.');
    await ctx.designer.open(document);
    return ctx.training.train(document);
  },

  'rnnStudio.stopTraining': (ctx) => () => ctx.training.stop(),

  'rnnStudio.evaluate': (ctx) => async (uri?: vscode.Uri, runId?: string) => {
    const document = await modelDocument(ctx, uri);
    if (!document) return undefined;
    const refusal = refuseToRun(ctx, document, 'Evaluation');
    if (refusal) return refusal;
    const id = await pickRun(ctx, document, runId);
    if (!id) return undefined;
    const metrics = await reported(ctx.training.evaluate(document, id));
    if (metrics) {
      ctx.output.appendLine(`Evaluate ${id}: ${formatLogs(metrics)}`);
      void vscode.window.showInformationMessage(`RNN Studio: ${id}: ${formatLogs(metrics)}`);
    }
    return metrics;
  },

  'rnnStudio.predict': (ctx) => async (uri?: vscode.Uri, text?: string, runId?: string) => {
    const document = await modelDocument(ctx, uri);
    if (!document) return undefined;
    const refusal = refuseToRun(ctx, document, 'Prediction');
    if (refusal) return refusal;
    const id = await pickRun(ctx, document, runId);
    if (!id) return undefined;
    const series = ctx.store.get(document).inputShape?.length === 3;
    let input = text;
    let seriesFile: string | undefined;
    if (series && input === undefined) {
      const files = await vscode.window.showOpenDialog({ title: 'A CSV with the latest rows of the series', filters: { CSV: ['csv'] } });
      seriesFile = files?.[0]?.fsPath;
      if (!seriesFile) return undefined;
    } else if (series) seriesFile = input;
    else input ??= await vscode.window.showInputBox({ title: 'Predict', prompt: 'A text to classify' });
    if (input === undefined && !seriesFile) return undefined;
    const predictions = await reported(ctx.training.predict(document, id, series ? [] : [input!], seriesFile));
    for (const p of predictions ?? []) {
      const line = p.forecast ? `forecast ${p.forecast.map((v) => v.toFixed(2)).join(', ')}` : `${p.label} (${(Math.max(...(p.probabilities ?? [0])) * 100).toFixed(1)}%)`;
      ctx.output.appendLine(`Predict ${id}: ${line} ← ${p.input}`);
      void vscode.window.showInformationMessage(`RNN Studio: ${line}`);
    }
    return predictions;
  },

  'rnnStudio.compareCells': (ctx) => async (uri?: vscode.Uri, bidirectional?: boolean) => {
    const document = await modelDocument(ctx, uri);
    if (!document) return undefined;
    const refusal = refuseToRun(ctx, document, 'Comparing cell types');
    if (refusal) return refusal;
    await ctx.designer.open(document);
    return reported(ctx.training.compareCells(document, bidirectional ?? false));
  },

  /** The model as `keras.Sequential([...])` code on the clipboard, to paste into a script or a notebook cell. */
  'rnnStudio.copyAsKerasCode': (ctx) => async (uri?: vscode.Uri) => {
    const document = await modelDocument(ctx, uri);
    if (!document) return undefined;
    const result = kerasModelCode(document.getText());
    if (!result.code) {
      void vscode.window.showErrorMessage(`RNN Studio: cannot write Keras code: ${result.diagnostics[0] ?? 'the model does not parse'}`);
      return undefined;
    }
    await vscode.env.clipboard.writeText(result.code);
    for (const d of result.diagnostics) ctx.output.appendLine(`copy as Keras code: ${d}`);
    void vscode.window.setStatusBarMessage('RNN Studio: Keras code of the model copied', 3000);
    return result.code;
  },

  'rnnStudio.exportKeras': (ctx) => async (uri?: vscode.Uri, target?: vscode.Uri) => {
    const document = await modelDocument(ctx, uri);
    if (!document) return undefined;
    // The newest run whose weights fit this model, so the project can continue from them. Compare
    // Cell Types writes its SimpleRNN / LSTM / GRU runs into the same runs folder: those are skipped.
    const options = { modelPath: document.uri.fsPath };
    let result: ReturnType<typeof exportKeras> | undefined;
    let runDir: string | undefined;
    const runs = await ctx.training.listRuns(document);
    for (const run of runs.slice(0, 50)) {
      const dir = ctx.training.runDir(document, run.id);
      const runModelJson = await vscode.workspace.fs.readFile(vscode.Uri.file(path.join(dir, RUN_FILES.model))).then((b) => Buffer.from(b).toString('utf8'), () => undefined);
      if (runModelJson === undefined) continue;
      const attempt = exportKeras(document.getText(), { ...options, runModelJson });
      if (!attempt.code) break; // the model itself does not export; said below
      if (!attempt.diagnostics.some((d) => d.startsWith('error run-weights'))) {
        result = attempt;
        runDir = dir;
        break;
      }
    }
    if (!result && runs.length) ctx.output.appendLine(`export: none of the ${runs.length} run(s) of ${path.basename(document.uri.fsPath)} has weights that fit it as it is now; the project starts from fresh weights.`);
    result ??= exportKeras(document.getText(), options);
    if (!result.code) {
      void vscode.window.showErrorMessage(`RNN Studio: cannot export: ${result.diagnostics[0] ?? 'the model does not parse'}`);
      return undefined;
    }
    // The export is a folder (train.py, data/, run/): ask where, FILE's name with -keras by default.
    const destination =
      target ??
      (await vscode.window.showSaveDialog({ title: 'Export to Keras: the project folder to write', defaultUri: vscode.Uri.file(defaultProjectDir(document.uri.fsPath)), saveLabel: 'Export' }));
    if (!destination) return undefined;
    if (!(await mayReplace(destination))) return { cancelled: true, diagnostics: [] };
    let project: Awaited<ReturnType<typeof exportKerasProject>>;
    try {
      // The user has agreed to replace what is there; the text is the editor's, saved or not.
      project = await exportKerasProject(document.uri.fsPath, { modelText: document.getText(), runDir, outDir: destination.fsPath, force: true });
    } catch (e) {
      void vscode.window.showErrorMessage(`RNN Studio: cannot export: ${(e as Error).message}`);
      return undefined;
    }
    const readme = vscode.Uri.file(path.join(destination.fsPath, 'README.md'));
    await vscode.window.showTextDocument(readme, { viewColumn: vscode.ViewColumn.Beside });
    for (const d of project.diagnostics) ctx.output.appendLine(`export: ${d}`);
    const weights = runDir ? ` python train.py --run evaluates the trained weights of ${path.basename(runDir)}.` : '';
    if (project.diagnostics.length) void vscode.window.showWarningMessage(`RNN Studio: exported with ${project.diagnostics.length} note(s); see the RNN Studio output.`);
    else void vscode.window.showInformationMessage(`RNN Studio: wrote ${destination.fsPath}: python train.py trains it in Keras.${weights}`);
    return { uri: destination, diagnostics: project.diagnostics };
  },

  'rnnStudio.importModel': (ctx) => async (source?: vscode.Uri, target?: vscode.Uri) => {
    const from =
      source ??
      (await vscode.window.showOpenDialog({ title: 'Import a Keras model JSON, a .keras archive or a TF.js model.json', filters: { 'Keras / TF.js models': ['json', 'keras'] } }))?.[0];
    if (!from) return undefined;
    try {
      const result = await importFile(from.fsPath);
      const destination = target ?? vscode.Uri.file(defaultImportPath(from.fsPath));
      await vscode.workspace.fs.writeFile(destination, Buffer.from(result.modelText));
      await vscode.window.showTextDocument(destination);
      for (const d of result.diagnostics) ctx.output.appendLine(`import: ${d}`);
      const notes = [...(result.notes ?? [])];
      // The archive's trained weights become a run beside the model file (a trainer job: TensorFlow saves it).
      let runDir: string | undefined;
      if (result.weights) {
        const job = { type: 'importWeights', modelPath: destination.fsPath, modelText: result.modelText, kerasFile: from.fsPath } as const;
        const title = `RNN Studio: importing the trained weights of ${path.basename(from.fsPath)}`;
        const done = await reported(Promise.resolve(vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title }, () => ctx.training.run(job))));
        if (done?.type === 'weightsImported') {
          runDir = done.runDir;
          notes.push(...done.notes);
          const test = done.testMetrics ? `; test: ${formatLogs(done.testMetrics)}` : '';
          const keras = done.kerasTestMetrics ? ` (Keras printed ${formatLogs(done.kerasTestMetrics)})` : '';
          ctx.output.appendLine(`import: the trained weights (${result.weights.entry}) are the run ${path.relative(path.dirname(destination.fsPath), runDir)}${test}${keras}.`);
        }
      }
      for (const n of notes) ctx.output.appendLine(`import: ${n}`);
      if (result.diagnostics.length) void vscode.window.showWarningMessage(`RNN Studio: imported with ${result.diagnostics.length} note(s): ${result.diagnostics[0]}`);
      else if (notes.length) void vscode.window.showInformationMessage(`RNN Studio: ${notes[0]}`);
      else if (runDir) void vscode.window.showInformationMessage(`RNN Studio: imported ${path.basename(from.fsPath)} with its trained weights, as the run ${path.basename(runDir)} (Evaluate, Predict and the memory view use it).`);
      return { uri: destination, diagnostics: result.diagnostics, runDir };
    } catch (e) {
      void vscode.window.showErrorMessage(`RNN Studio: cannot import ${path.basename(from.fsPath)}: ${(e as Error).message}`);
      return undefined;
    }
  },
};

export function registerCommands(ctx: CommandContext): vscode.Disposable {
  return vscode.Disposable.from(...Object.entries(COMMANDS).map(([id, handler]) => vscode.commands.registerCommand(id, handler(ctx))));
}
