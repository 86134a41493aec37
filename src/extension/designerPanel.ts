import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { applyLayerEdit, formatSummary, type ModelAnalysis } from '../core';
import { isFromDesignerMessage, type FromDesignerMessage, type ToDesignerMessage } from '../protocol/designer';
import { toRange, toWorkspaceEdit } from './convert';
import { isModelDocument, type ModelStore } from './modelStore';
import type { TrainingController } from './training';
import type { PythonStore } from './python';
import type { PythonModelAnalysis } from '../core/python/analyze';

export const DESIGNER_VIEW_TYPE = 'rnnStudio.designer';

/** What the webview panel persists so it survives a window reload. */
interface PanelState {
  uri?: string;
}

/** The designer panel: one per window, following the active model editor. */
export class DesignerPanels implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private document: vscode.TextDocument | undefined;
  /** Last analysis without JSON syntax errors, shown greyed while the text is broken. */
  private lastGood: ModelAnalysis | undefined;
  private readonly postEmitter = new vscode.EventEmitter<ToDesignerMessage>();
  /** Every message posted to the webview (benchmarks and tests watch it). */
  readonly onDidPost = this.postEmitter.event;
  private readonly disposables: vscode.Disposable[] = [];
  /**
   * A Keras model in a Python file or notebook cell, shown read-only: the picture, the shapes and
   * the fixes (which edit the Python); the layer editing of model files is not offered here.
   */
  private python: { store: PythonStore; document: vscode.TextDocument; index: number } | undefined;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly store: ModelStore,
    private readonly training: TrainingController,
  ) {
    this.disposables.push(
      training.onDidChangeState((e) => e.uri === this.document?.uri.toString() && this.post({ type: 'training', state: e.state })),
      training.onDidChangeRuns((uri) => uri === this.document?.uri.toString() && void this.sendRuns()),
      training.onDidChangeComparison((e) => e.uri === this.document?.uri.toString() && this.post({ type: 'comparison', rows: e.rows, running: e.running })),
      vscode.workspace.onDidGrantWorkspaceTrust(() => void this.sendRuns()),
      vscode.window.registerWebviewPanelSerializer(DESIGNER_VIEW_TYPE, {
        deserializeWebviewPanel: async (panel, state: PanelState | undefined) => {
          const uri = state?.uri ? vscode.Uri.parse(state.uri) : undefined;
          const document = uri ? await vscode.workspace.openTextDocument(uri).then(undefined, () => undefined) : visibleModel();
          this.attach(panel, document);
        },
      }),
      store.onDidAnalyze((e) => e.document === this.document && this.sendModel()),
      vscode.window.onDidChangeActiveTextEditor((editor) => {
        if (this.panel && isModelDocument(editor?.document) && editor.document !== this.document) this.follow(editor.document);
      }),
      // After a reload the editors may come back after the panel: follow the first model shown.
      vscode.window.onDidChangeVisibleTextEditors(() => {
        const model = visibleModel();
        if (this.panel && !this.document && model) this.follow(model);
      }),
      vscode.window.onDidChangeTextEditorSelection((e) => {
        if (e.textEditor.document === this.document) this.highlight(e.selections[0].active);
      }),
      store.onDidClose((uri) => {
        if (uri.toString() === this.document?.uri.toString()) this.post({ type: 'detached', reason: `${vscode.workspace.asRelativePath(uri)} was closed.` });
      }),
    );
  }

  get isOpen(): boolean {
    return !!this.panel;
  }

  open(document: vscode.TextDocument): vscode.WebviewPanel {
    if (this.panel) {
      this.panel.reveal(vscode.ViewColumn.Beside, true);
      this.follow(document);
      return this.panel;
    }
    const panel = vscode.window.createWebviewPanel(DESIGNER_VIEW_TYPE, 'RNN Designer', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, webviewOptions(this.extensionUri));
    this.attach(panel, document);
    return panel;
  }

  private attach(panel: vscode.WebviewPanel, document: vscode.TextDocument | undefined): void {
    this.panel = panel;
    panel.webview.options = webviewOptions(this.extensionUri);
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'icon.png');
    panel.webview.html = html(panel.webview, this.extensionUri);
    panel.webview.onDidReceiveMessage((m: unknown) => this.receive(m), undefined, this.disposables);
    panel.onDidDispose(() => {
      this.panel = undefined;
      this.document = undefined;
      this.python = undefined;
      this.lastGood = undefined;
    });
    if (document) this.follow(document);
  }

  /** Python models: read-only in the designer (called once the Python features exist). */
  usePython(store: PythonStore): vscode.Disposable {
    return vscode.Disposable.from(
      store.onDidAnalyze((e) => this.python && e.documents.includes(this.python.document) && this.sendPythonModel()),
      vscode.window.onDidChangeTextEditorSelection((e) => {
        const py = this.python;
        if (!py || e.textEditor.document !== py.document) return;
        const at = e.selections[0].active;
        const view = store.cached(py.document);
        const entry = view?.models.find((m) => m.range.contains(at));
        if (entry && entry.index !== py.index) {
          py.index = entry.index;
          this.sendPythonModel();
        }
        const layer = view?.layers.find((l) => l.model === view.models.find((m) => m.index === py.index)?.model && l.range.contains(at));
        this.post({ type: 'highlight', layerIndex: layer ? layer.layer.index : null });
      }),
    );
  }

  /** Shows the Python model `index` of `document` (the CodeLens' Open Designer). */
  openPython(document: vscode.TextDocument, index: number, store: PythonStore): vscode.WebviewPanel {
    const panel = this.panel ?? vscode.window.createWebviewPanel(DESIGNER_VIEW_TYPE, 'RNN Designer', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, webviewOptions(this.extensionUri));
    if (!this.panel) this.attach(panel, undefined);
    else panel.reveal(vscode.ViewColumn.Beside, true);
    this.document = undefined;
    this.python = { store, document, index };
    this.sendPythonModel();
    this.post({ type: 'runs', runs: [], canTrain: false, reason: 'A Keras model in Python code is shown read-only: Convert to .rnn.json to edit and train it in RNN Studio.' });
    return panel;
  }

  private pythonModel(): (PythonModelAnalysis & { cell?: number }) | undefined {
    const py = this.python;
    const view = py && py.store.cached(py.document);
    return view?.models.find((m) => m.index === py!.index)?.model as PythonModelAnalysis | undefined;
  }

  private sendPythonModel(): void {
    const py = this.python;
    const model = this.pythonModel();
    if (!py || !model || !this.panel) return;
    const { source: _source, model: _description, ...analysis } = model;
    const where = `${vscode.workspace.asRelativePath(py.document.uri)}${model.variable ? ` · ${model.variable}` : ''} (read-only)`;
    this.panel.title = `RNN Designer: ${model.variable ?? 'Keras model'} (read-only)`;
    this.post({ type: 'model', uri: py.document.uri.toString(), fileName: where, version: py.document.version, analysis, stale: false, summaryText: formatSummary(model) });
  }

  /** Designer messages for a Python model: reveal and fixes work; editing and training do not. */
  private async handlePython(message: FromDesignerMessage): Promise<void> {
    const py = this.python!;
    const model = this.pythonModel();
    switch (message.type) {
      case 'ready':
        this.sendPythonModel();
        return;
      case 'reveal': {
        const layer = model?.layers[message.layerIndex];
        if (!layer) return;
        const editor = await vscode.window.showTextDocument(py.document, { viewColumn: this.editorColumn(py.document), preserveFocus: false });
        const range = toRange(layer.range);
        editor.selection = new vscode.Selection(range.start, range.end);
        editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
        return;
      }
      case 'applyFix': {
        if (py.document.version !== message.version) return this.sendPythonModel();
        const view = await py.store.view(py.document);
        const d = model?.diagnostics[message.diagnosticIndex];
        const fix = view.diagnostics.find((x) => x.diagnostic.code === d?.code && JSON.stringify(x.diagnostic.range) === JSON.stringify(d?.range))?.fixes[message.fixIndex];
        if (fix) await vscode.workspace.applyEdit(fix.edit);
        return;
      }
      case 'copySummary':
        if (model) await vscode.env.clipboard.writeText(formatSummary(model));
        return;
      default:
        void vscode.window.showInformationMessage('RNN Studio: a Keras model in Python code is read-only in the designer. Edit the Python, apply a fix, or Convert to .rnn.json to edit and train it here.');
    }
  }

  private follow(document: vscode.TextDocument): void {
    this.python = undefined;
    this.document = document;
    this.lastGood = undefined;
    if (this.panel) this.panel.title = `RNN Designer: ${document.uri.path.split('/').pop()}`;
    this.sendModel();
    void this.sendRuns();
    const last = this.training.lastState.get(document.uri.toString());
    if (last) this.post({ type: 'training', state: last });
  }

  private async sendRuns(): Promise<void> {
    const document = this.document;
    if (!document || !this.panel) return;
    const runs = await this.training.listRuns(document);
    const canTrain = vscode.workspace.isTrusted;
    this.post({ type: 'runs', runs, canTrain, reason: canTrain ? undefined : 'Training is disabled in Restricted Mode: trust this workspace to train.' });
  }

  private sendModel(): void {
    const document = this.document;
    if (!document || !this.panel) return;
    const analysis = this.store.get(document);
    const syntax = analysis.diagnostics.find((d) => d.code === 'json-syntax' || d.code === 'not-a-model');
    if (!syntax) this.lastGood = analysis;
    const shown = syntax && this.lastGood ? this.lastGood : analysis;
    this.post({
      type: 'model',
      uri: document.uri.toString(),
      fileName: vscode.workspace.asRelativePath(document.uri),
      version: document.version,
      analysis: shown,
      stale: !!syntax && shown !== analysis,
      parseError: syntax && `Line ${syntax.range.start.line + 1}: ${syntax.message}`,
      summaryText: formatSummary(shown),
    });
  }

  private highlight(position: vscode.Position): void {
    const analysis = this.document && this.store.get(this.document);
    const layer = analysis?.layers.find((l) => toRange(l.range).contains(position));
    this.post({ type: 'highlight', layerIndex: layer ? layer.index : null });
  }

  private post(message: ToDesignerMessage): void {
    if (!this.panel) return;
    this.postEmitter.fire(message);
    void this.panel.webview.postMessage(message);
  }

  /** Messages from the webview are untrusted input: validated, then handled. */
  private async receive(message: unknown): Promise<void> {
    if (!isFromDesignerMessage(message)) return;
    await this.handle(message);
  }

  private async handle(message: FromDesignerMessage): Promise<void> {
    if (this.python) return this.handlePython(message);
    const document = this.document;
    switch (message.type) {
      case 'ready':
        if (document) this.follow(document);
        return;
      case 'reveal': {
        const layer = document && this.store.get(document).layers[message.layerIndex];
        if (!document || !layer) return;
        const editor = await vscode.window.showTextDocument(document, { viewColumn: this.editorColumn(document), preserveFocus: false });
        const range = toRange(layer.range);
        editor.selection = new vscode.Selection(range.start, range.end);
        editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
        return;
      }
      case 'applyFix': {
        if (!document || document.version !== message.version) return this.sendModel();
        const fix = this.store.get(document).diagnostics[message.diagnosticIndex]?.fixes?.[message.fixIndex];
        if (fix) await vscode.workspace.applyEdit(toWorkspaceEdit(document.uri, fix.edits));
        return;
      }
      case 'edit': {
        if (!document || document.version !== message.version) return this.sendModel();
        const edits = applyLayerEdit(document.getText(), message.edit, this.store.settings);
        if (edits.length) await vscode.workspace.applyEdit(toWorkspaceEdit(document.uri, edits));
        return;
      }
      case 'copySummary':
        if (document) await vscode.env.clipboard.writeText(formatSummary(this.store.get(document)));
        return;
      case 'train':
        if (document) await vscode.commands.executeCommand('rnnStudio.train', document.uri);
        return;
      case 'stop':
        this.training.stop();
        return;
      case 'deleteRun':
        if (document) await this.training.deleteRun(document, message.runId).catch((e: Error) => vscode.window.showErrorMessage(`RNN Studio: ${e.message}`));
        return;
      case 'inspect': {
        if (!document) return;
        const answer = await this.training.inspect(document, message.runId, message.text, message.sample).then(
          (result) => ({ result }),
          (e: Error) => ({ error: e.message }),
        );
        this.post({ type: 'memory', runId: message.runId, ...answer });
        return;
      }
      case 'predict': {
        if (!document) return;
        // Series models take the path of a CSV with the latest rows instead of a text.
        const series = this.store.get(document).inputShape?.length === 3;
        const answer = await this.training.predict(document, message.runId, series ? [] : [message.text], series ? path.resolve(path.dirname(document.uri.fsPath), message.text) : undefined).then(
          (predictions) => ({ predictions }),
          (e: Error) => ({ error: e.message }),
        );
        this.post({ type: 'prediction', runId: message.runId, ...answer });
        return;
      }
      case 'compareCells':
        if (document) await vscode.commands.executeCommand('rnnStudio.compareCells', document.uri, message.bidirectional);
        return;
      default: {
        const unreachable: never = message;
        return unreachable;
      }
    }
  }

  private editorColumn(document: vscode.TextDocument): vscode.ViewColumn | undefined {
    return vscode.window.visibleTextEditors.find((e) => e.document === document)?.viewColumn ?? vscode.ViewColumn.One;
  }

  dispose(): void {
    this.postEmitter.dispose();
    this.panel?.dispose();
    for (const d of this.disposables) d.dispose();
  }
}

/** The model file in the active editor, else the first visible one. */
function visibleModel(): vscode.TextDocument | undefined {
  const active = vscode.window.activeTextEditor?.document;
  if (isModelDocument(active)) return active;
  return vscode.window.visibleTextEditors.map((e) => e.document).find(isModelDocument);
}

function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions & vscode.WebviewPanelOptions {
  return {
    enableScripts: true,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webview')],
  };
}

function html(webview: vscode.Webview, extensionUri: vscode.Uri): string {
  const asset = (name: string) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview', name));
  const nonce = randomBytes(16).toString('hex');
  const csp = [`default-src 'none'`, `img-src ${webview.cspSource} data:`, `font-src ${webview.cspSource}`, `style-src ${webview.cspSource} 'nonce-${nonce}'`, `script-src 'nonce-${nonce}'`].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${asset('designer.css')}" nonce="${nonce}">
<title>RNN Designer</title>
</head>
<body>
<div id="app" data-nonce="${nonce}"></div>
<script type="module" nonce="${nonce}" src="${asset('designer.js')}"></script>
</body>
</html>`;
}
