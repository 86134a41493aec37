import * as vscode from 'vscode';
import { formatDiagnostic, formatSummary } from '../core';
import type { DesignerPanels } from './designerPanel';
import { isModelDocument, type ModelStore } from './modelStore';

/** Everything a command needs; one instance per activation. */
export interface CommandContext {
  extensionUri: vscode.Uri;
  store: ModelStore;
  output: vscode.OutputChannel;
  designer: DesignerPanels;
}

/** The templates offered by "New Model from Template": examples shipped with the extension. */
export const TEMPLATES = [
  { id: 'sentiment-lstm', label: 'Sentiment LSTM', detail: 'Embedding → LSTM(128) → Dense(1, sigmoid), IMDB-style reviews' },
  { id: 'imdb-bidirectional', label: 'Bidirectional LSTM', detail: 'Embedding → Bidirectional(LSTM(64)) → Dropout → Dense(1, sigmoid)' },
  { id: 'imdb-bilstm-stacked', label: 'Stacked Bidirectional + LSTM', detail: 'Bidirectional LSTM returning sequences into a second LSTM' },
  { id: 'sentiment-gru', label: 'GRU classifier', detail: 'Embedding → GRU(128) → Dense(1, sigmoid)' },
  { id: 'seattle-weather-forecast', label: 'Time series forecaster', detail: 'Two stacked LSTMs over 30 days of Seattle weather' },
  { id: 'spam-lstm', label: 'Spam filter', detail: 'Bidirectional LSTM on the SpamAssassin corpus (works offline)' },
  { id: 'long-range-memory', label: 'Long-range memory task', detail: 'Synthetic: does the cell remember 50 steps back?' },
] as const;

type Handler = (ctx: CommandContext) => (...args: never[]) => unknown;

/** Resolve the model a command is about: an explicit URI (CodeLens, menus) or the active editor. */
async function modelDocument(uri?: vscode.Uri): Promise<vscode.TextDocument | undefined> {
  const document = uri instanceof vscode.Uri ? await vscode.workspace.openTextDocument(uri) : vscode.window.activeTextEditor?.document;
  if (isModelDocument(document)) return document;
  void vscode.window.showWarningMessage('RNN Studio: open a model file (*.rnn.json) first.');
  return undefined;
}

/** Training, evaluation and prediction read data and run code: refused in Restricted Mode and on broken models. */
function refuseToRun(ctx: CommandContext, document: vscode.TextDocument, action: string): string | undefined {
  if (!vscode.workspace.isTrusted) {
    const reason = `${action} is disabled in Restricted Mode: it reads data files and runs the trainer. Trust this workspace to ${action.toLowerCase()}; inspecting the model works either way.`;
    void vscode.window.showErrorMessage(`RNN Studio: ${reason}`);
    return reason;
  }
  const errors = ctx.store.get(document).diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) {
    const reason = `${action} refused: the model has ${errors.length} error${errors.length === 1 ? '' : 's'}. First: ${errors[0].message}`;
    void vscode.window.showErrorMessage(`RNN Studio: ${reason}`);
    return reason;
  }
  return undefined;
}

function notYet(feature: string, arrives: string): Handler {
  return () => async () => {
    const message = `${feature} is not available in this version of RNN Studio yet; it arrives with ${arrives}.`;
    void vscode.window.showInformationMessage(`RNN Studio: ${message}`);
    return message;
  };
}

function runner(action: string, arrives: string): Handler {
  return (ctx) => async (uri?: vscode.Uri) => {
    const document = await modelDocument(uri);
    if (!document) return undefined;
    return refuseToRun(ctx, document, action) ?? (await notYet(action, arrives)(ctx)());
  };
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
    const document = await modelDocument(uri);
    if (!document) return undefined;
    const analysis = ctx.store.get(document);
    const file = vscode.workspace.asRelativePath(document.uri);
    const text = [formatSummary(analysis), ...analysis.diagnostics.map((d) => formatDiagnostic(file, d))].join('\n');
    ctx.output.appendLine(`${file}\n${text}\n`);
    ctx.output.show(true);
    return text;
  },

  'rnnStudio.openDesigner': (ctx) => async (uri?: vscode.Uri) => {
    const document = await modelDocument(uri);
    if (document) return ctx.designer.open(document);
    return undefined;
  },

  'rnnStudio.train': runner('Training', 'the training engine'),
  'rnnStudio.evaluate': runner('Evaluation', 'the training engine'),
  'rnnStudio.predict': runner('Prediction', 'the training engine'),
  'rnnStudio.compareCells': runner('Comparing cell types', 'training in the editor'),
  'rnnStudio.stopTraining': notYet('Stop Training', 'the training engine'),
  'rnnStudio.exportKeras': notYet('Export to Keras', 'Keras interop'),
};

export function registerCommands(ctx: CommandContext): vscode.Disposable {
  return vscode.Disposable.from(...Object.entries(COMMANDS).map(([id, handler]) => vscode.commands.registerCommand(id, handler(ctx))));
}
