import * as path from 'node:path';
import * as vscode from 'vscode';
import { formatCount, formatShape, formatSummary, RETURN_SEQUENCES_CODES, type AnalyzeOptions, type Diagnostic, type LayerInfo, type Range, type TextEdit } from '../core';
import { fixAllNotebook, fixAllPython } from '../core/python/fixAll';
import { modelFileText, PythonSession, type PythonModelAnalysis } from '../core/python/analyze';
import { analyzeNotebook, type NotebookModelAnalysis } from '../core/python/notebook';
import { mentionsKeras } from '../core/python/parser';
import { toDiagnostic, toRange } from './convert';
import { layerHint } from '../core';
import type { DesignerPanels } from './designerPanel';
import type { ModelStore } from './modelStore';

/**
 * Keras models in Python files and Jupyter notebook cells: the same diagnostics, fixes, inlay
 * hints, hovers, CodeLens and status bar as model files, from the core's Python reader. A Python
 * text that never names Keras is not parsed (the parser's WebAssembly loads on the first one that
 * does). A notebook's code cells are read together, in order, so later cells know earlier
 * constants; each cell shows its own part.
 */

export const PYTHON_SELECTOR: vscode.DocumentSelector = [{ language: 'python' }];

type AnyModel = PythonModelAnalysis | NotebookModelAnalysis;

interface LayerView {
  layer: LayerInfo;
  model: AnyModel;
  range: vscode.Range;
}

interface DiagnosticView {
  diagnostic: Diagnostic;
  vscode: vscode.Diagnostic;
  fixes: { title: string; isPreferred?: boolean; edit: vscode.WorkspaceEdit }[];
}

/** What one text document (a .py file or one notebook cell) shows. */
export interface PythonView {
  models: { model: AnyModel; index: number; range: vscode.Range }[];
  layers: LayerView[];
  diagnostics: DiagnosticView[];
}

const EMPTY: PythonView = { models: [], layers: [], diagnostics: [] };

interface Unit {
  key: string;
  /** The documents' versions the analysis was made from. */
  stamp: string;
  views: Map<string, PythonView>;
  /** The documents the unit covers (the file, or the notebook's code cells). */
  documents: vscode.TextDocument[];
}

function isPython(doc: vscode.TextDocument): boolean {
  return doc.languageId === 'python';
}

function notebookOf(doc: vscode.TextDocument): vscode.NotebookDocument | undefined {
  if (doc.uri.scheme !== 'vscode-notebook-cell') return undefined;
  return vscode.workspace.notebookDocuments.find((nb) => nb.getCells().some((c) => c.document === doc));
}

function codeCells(nb: vscode.NotebookDocument): vscode.NotebookCell[] {
  return nb.getCells().filter((c) => c.kind === vscode.NotebookCellKind.Code && isPython(c.document));
}

/** Analyses of open Python files and notebooks, per document version, announced after a debounce. */
export class PythonStore implements vscode.Disposable {
  private readonly units = new Map<string, Unit>();
  /** Per file or notebook: its syntax tree, re-parsed incrementally as it is edited. */
  private readonly sessions = new Map<string, PythonSession>();
  private readonly running = new Map<string, { stamp: string; promise: Promise<Unit> }>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly emitter = new vscode.EventEmitter<{ documents: vscode.TextDocument[] }>();
  readonly onDidAnalyze = this.emitter.event;
  private readonly disposables: vscode.Disposable[] = [this.emitter];

  constructor(private readonly settings: ModelStore) {
    this.disposables.push(
      vscode.workspace.onDidOpenTextDocument((d) => this.schedule(d, 0)),
      vscode.workspace.onDidChangeTextDocument((e) => e.contentChanges.length > 0 && this.schedule(e.document, this.settings.settings.debounceMs)),
      vscode.workspace.onDidCloseTextDocument((d) => !notebookOf(d) && this.forget(d.uri.toString())),
      vscode.workspace.onDidOpenNotebookDocument((nb) => this.scheduleNotebook(nb, 0)),
      vscode.workspace.onDidChangeNotebookDocument((e) => e.contentChanges.length > 0 && this.scheduleNotebook(e.notebook, this.settings.settings.debounceMs)),
      vscode.workspace.onDidCloseNotebookDocument((nb) => this.forget(nb.uri.toString())),
    );
  }

  /** The analysis settings (thresholds of the hints), as the model files use them. */
  get options(): AnalyzeOptions {
    return this.settings.settings;
  }

  analyzeOpenDocuments(): void {
    for (const d of vscode.workspace.textDocuments) this.schedule(d, 0);
    for (const nb of vscode.workspace.notebookDocuments) this.scheduleNotebook(nb, 0);
  }

  /** The view of a document as its text is now (analysed now if needed). */
  async view(document: vscode.TextDocument): Promise<PythonView> {
    if (!isPython(document)) return EMPTY;
    const nb = notebookOf(document);
    const unit = await this.unit(nb ?? document);
    return unit.views.get(document.uri.toString()) ?? EMPTY;
  }

  /** The last view computed, without waiting (the status bar). */
  cached(document: vscode.TextDocument): PythonView | undefined {
    for (const u of this.units.values()) {
      const v = u.views.get(document.uri.toString());
      if (v) return v;
    }
    return undefined;
  }

  private schedule(document: vscode.TextDocument, delay: number): void {
    if (!isPython(document)) return;
    const nb = notebookOf(document);
    if (nb) return this.scheduleNotebook(nb, delay);
    if (document.uri.scheme === 'vscode-notebook-cell') return;
    this.debounce(document.uri.toString(), delay, () => this.unit(document));
  }

  private scheduleNotebook(nb: vscode.NotebookDocument, delay: number): void {
    if (codeCells(nb).length === 0) return;
    this.debounce(nb.uri.toString(), delay, () => this.unit(nb));
  }

  private debounce(key: string, delay: number, run: () => Promise<Unit>): void {
    clearTimeout(this.timers.get(key));
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        run().then(
          (u) => this.emitter.fire({ documents: u.documents }),
          () => undefined,
        );
      }, delay),
    );
  }

  private unit(source: vscode.TextDocument | vscode.NotebookDocument): Promise<Unit> {
    const key = source.uri.toString();
    const documents = 'getCells' in source ? codeCells(source).map((c) => c.document) : [source];
    const stamp = documents.map((d) => `${d.uri.toString()}@${d.version}`).join('|');
    const done = this.units.get(key);
    if (done && done.stamp === stamp) return Promise.resolve(done);
    const running = this.running.get(key);
    if (running && running.stamp === stamp) return running.promise;
    const promise = ('getCells' in source ? this.analyzeNotebook(source, key, stamp) : this.analyzeFile(source, key, stamp)).then((u) => {
      this.units.set(key, u);
      if (this.running.get(key)?.promise === promise) this.running.delete(key);
      return u;
    });
    this.running.set(key, { stamp, promise });
    return promise;
  }

  private async analyzeFile(document: vscode.TextDocument, key: string, stamp: string): Promise<Unit> {
    const text = document.getText();
    const models = mentionsKeras(text) ? await this.session(key).analyze(text, this.settings.settings) : [];
    const uri = document.uri;
    const view = buildView(models, () => uri);
    return { key, stamp, views: new Map([[uri.toString(), view]]), documents: [document] };
  }

  private async analyzeNotebook(nb: vscode.NotebookDocument, key: string, stamp: string): Promise<Unit> {
    const cells = codeCells(nb);
    const texts = cells.map((c) => ({ index: c.index, text: c.document.getText() }));
    const models = texts.some((t) => mentionsKeras(t.text)) ? await analyzeNotebook(texts, this.session(key), this.settings.settings) : [];
    const views = new Map<string, PythonView>();
    for (const cell of cells) {
      const uriOf = (cellIndex: number) => nb.cellAt(cellIndex).document.uri;
      const mine = models.filter((m) => m.cell === cell.index || m.layerCells.includes(cell.index) || m.diagnostics.some((d) => d.cell === cell.index));
      views.set(cell.document.uri.toString(), buildView(mine, uriOf, cell.index));
    }
    return { key, stamp, views, documents: cells.map((c) => c.document) };
  }

  private session(key: string): PythonSession {
    return this.sessions.get(key) ?? this.sessions.set(key, new PythonSession()).get(key)!;
  }

  private forget(key: string): void {
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
    this.units.delete(key);
    this.sessions.get(key)?.dispose();
    this.sessions.delete(key);
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    for (const s of this.sessions.values()) s.dispose();
    for (const d of this.disposables) d.dispose();
  }
}

/**
 * The part of the models one document shows. For a notebook cell (`cell` given), only the ranges
 * in that cell; fixes may edit other cells (each edit names its cell).
 */
function buildView(models: AnyModel[], uriOf: (cell: number) => vscode.Uri, cell?: number): PythonView {
  const here = (c: number | undefined) => cell === undefined || c === cell;
  const uri = uriOf(cell ?? 0);
  const view: PythonView = { models: [], layers: [], diagnostics: [] };
  const seen = new Set<string>();
  models.forEach((model, index) => {
    const modelCell = 'cell' in model ? model.cell : undefined;
    if (here(modelCell)) view.models.push({ model, index, range: toRange(model.range) });
    model.layers.forEach((layer, i) => {
      const layerCell = 'layerCells' in model ? model.layerCells[i] : undefined;
      if (here(layerCell)) view.layers.push({ layer, model, range: toRange(layer.range) });
    });
    for (const d of model.diagnostics as (Diagnostic & { cell?: number })[]) {
      if (!here(d.cell)) continue;
      // A function's model read at several call sites reports the same problem once.
      const id = `${d.code}|${JSON.stringify(d.range)}|${d.message}`;
      if (seen.has(id)) continue;
      seen.add(id);
      const fixes = (d.fixes ?? []).map((f) => {
        const edit = new vscode.WorkspaceEdit();
        for (const e of f.edits as (TextEdit & { cell?: number })[]) edit.replace(e.cell !== undefined ? uriOf(e.cell) : uri, toRange(e.range), e.newText);
        return { title: f.title, isPreferred: f.isPreferred, edit };
      });
      view.diagnostics.push({ diagnostic: d, vscode: toDiagnostic(d, uri), fixes });
    }
  });
  return view;
}

// ---- providers -----------------------------------------------------------------------------------

class PythonFixes implements vscode.CodeActionProvider {
  constructor(private readonly store: PythonStore) {}

  async provideCodeActions(document: vscode.TextDocument, range: vscode.Range, context: vscode.CodeActionContext): Promise<vscode.CodeAction[]> {
    const view = await this.store.view(document);
    const wants = (kind: vscode.CodeActionKind) => !context.only || context.only.contains(kind);
    const actions: vscode.CodeAction[] = [];
    if (wants(vscode.CodeActionKind.QuickFix)) {
      for (const d of view.diagnostics) {
        if (!d.fixes.length || !d.vscode.range.intersection(range)) continue;
        const matching = context.diagnostics.filter((x) => x.code === d.diagnostic.code && x.range.isEqual(d.vscode.range));
        for (const fix of d.fixes) {
          const action = new vscode.CodeAction(fix.title, vscode.CodeActionKind.QuickFix);
          action.edit = fix.edit;
          action.isPreferred = fix.isPreferred;
          action.diagnostics = matching;
          actions.push(action);
        }
      }
    }
    const kinds = [vscode.CodeActionKind.QuickFix, FIX_ALL_PYTHON].filter(wants);
    if (kinds.length > 0 && view.diagnostics.some((d) => RETURN_SEQUENCES_CODES.includes(d.diagnostic.code))) {
      const edit = await fixAllReturnSequences(document, this.store.options);
      if (edit) {
        for (const kind of kinds) {
          const action = new vscode.CodeAction('Fix all return_sequences problems', kind);
          action.edit = edit;
          actions.push(action);
        }
      }
    }
    return actions;
  }
}

const FIX_ALL_PYTHON = vscode.CodeActionKind.SourceFixAll.append('rnnStudio');

/** Every return_sequences fix of the file, or of the notebook the cell is in, as one edit (per changed cell). */
export async function fixAllReturnSequences(document: vscode.TextDocument, options?: AnalyzeOptions): Promise<vscode.WorkspaceEdit | undefined> {
  const edit = new vscode.WorkspaceEdit();
  const replace = (doc: vscode.TextDocument, c: { offset: number; length: number; newText: string }) =>
    edit.replace(doc.uri, new vscode.Range(doc.positionAt(c.offset), doc.positionAt(c.offset + c.length)), c.newText);
  const nb = notebookOf(document);
  if (nb) {
    const cells = codeCells(nb);
    // The fixes count offsets in \n-ended text; a cell document counts them as it is stored.
    const normal = cells.map((c) => ({ index: c.index, text: c.document.getText().replace(/\r\n?/g, '\n') }));
    for (const c of await fixAllNotebook(normal, RETURN_SEQUENCES_CODES, options)) {
      const doc = nb.cellAt(c.cell).document;
      if (doc.eol !== vscode.EndOfLine.LF) return undefined;
      replace(doc, c);
    }
  } else {
    const changed = await fixAllPython(document.getText(), RETURN_SEQUENCES_CODES, options);
    if (changed) replace(document, changed);
  }
  return edit.size > 0 ? edit : undefined;
}

/** Providers whose results change with each analysis of the store. */
abstract class FollowsAnalysis {
  protected readonly changed = new vscode.EventEmitter<void>();

  constructor(
    protected readonly store: PythonStore,
    protected readonly models: ModelStore,
  ) {
    store.onDidAnalyze(() => this.changed.fire());
  }
}

class PythonHints extends FollowsAnalysis implements vscode.InlayHintsProvider {
  readonly onDidChangeInlayHints = this.changed.event;

  async provideInlayHints(document: vscode.TextDocument, range: vscode.Range): Promise<vscode.InlayHint[]> {
    if (!this.models.settings.inlayHints) return [];
    const view = await this.store.view(document);
    // A layer inside a function is one layer of several models (one per call site): one hint.
    const byPosition = new Map<string, { at: vscode.Position; labels: string[]; tips: string[] }>();
    for (const l of view.layers) {
      if (!range.contains(l.range.end) || !l.layer.outputShape) continue;
      const key = `${l.range.end.line}:${l.range.end.character}`;
      const entry = byPosition.get(key) ?? { at: l.range.end, labels: [], tips: [] };
      const label = layerHint(l.layer);
      if (!entry.labels.includes(label)) entry.labels.push(label);
      entry.tips.push(l.layer.paramFormula ?? `${l.layer.type} "${l.layer.name}"`);
      byPosition.set(key, entry);
    }
    return [...byPosition.values()].map((e) => {
      const hint = new vscode.InlayHint(e.at, e.labels.join(' | '), vscode.InlayHintKind.Type);
      hint.paddingLeft = true;
      hint.tooltip = [...new Set(e.tips)].join('\n');
      return hint;
    });
  }
}

class PythonHover implements vscode.HoverProvider {
  constructor(private readonly store: PythonStore) {}

  async provideHover(document: vscode.TextDocument, position: vscode.Position): Promise<vscode.Hover | undefined> {
    const view = await this.store.view(document);
    const layers = view.layers.filter((l) => l.range.contains(position));
    if (layers.length === 0) return undefined;
    // The innermost layer call under the cursor (a Bidirectional's wrapped layer is part of it).
    const range = layers.reduce((a, b) => (b.range.start.isAfterOrEqual(a.range.start) ? b : a)).range;
    const md = new vscode.MarkdownString();
    for (const { layer, model } of layers.filter((l) => l.range.isEqual(range))) {
      const inner = layer.inner ? ` wrapping **${layer.inner.type}** \`${layer.inner.name}\`` : '';
      const site = model.callSite ? ` (model built at line ${model.callSite.start.line + 1})` : '';
      md.appendMarkdown(`**${layer.type}** \`${layer.name}\`${inner} · layer ${layer.index} of \`${model.variable ?? 'the model'}\`${site}\n\n`);
      md.appendMarkdown(`Input \`${formatShape(layer.inputShape)}\` → output \`${formatShape(layer.outputShape)}\`\n\n`);
      const params = layer.trainableParams + layer.nonTrainableParams;
      md.appendMarkdown(layer.paramFormula ? `Parameters: \`${layer.paramFormula}\`\n\n` : `Parameters: ${formatCount(params)}\n\n`);
    }
    return new vscode.Hover(md, range);
  }
}

class PythonLenses extends FollowsAnalysis implements vscode.CodeLensProvider {
  readonly onDidChangeCodeLenses = this.changed.event;

  async provideCodeLenses(document: vscode.TextDocument): Promise<vscode.CodeLens[]> {
    if (!this.models.settings.codeLens) return [];
    const view = await this.store.view(document);
    return view.models.flatMap(({ model, index, range }) => {
      const at = new vscode.Range(range.start, range.start);
      const args = [document.uri, index];
      const errors = model.diagnostics.filter((d) => d.severity === 'error').length;
      return [
        new vscode.CodeLens(at, { title: `Summary (${formatCount(model.totalParams)} params${errors ? `, ${errors} error${errors > 1 ? 's' : ''}` : ''})`, command: 'rnnStudio.python.showSummary', arguments: args }),
        new vscode.CodeLens(at, { title: 'Open Designer', command: 'rnnStudio.python.openDesigner', arguments: args }),
        new vscode.CodeLens(at, { title: 'Convert to .rnn.json', command: 'rnnStudio.python.convert', arguments: args }),
      ];
    });
  }
}

/** The model under the cursor (or the document's first): its parameters and errors. */
class PythonStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('rnnStudio.pythonModel', vscode.StatusBarAlignment.Right, 100);
  private readonly disposables: vscode.Disposable[] = [this.item];

  constructor(private readonly store: PythonStore) {
    this.item.name = 'RNN Studio Keras Model';
    this.item.command = 'rnnStudio.python.showSummary';
    this.disposables.push(
      vscode.window.onDidChangeActiveTextEditor(() => this.update()),
      vscode.window.onDidChangeTextEditorSelection((e) => e.textEditor === vscode.window.activeTextEditor && this.update()),
      store.onDidAnalyze(() => this.update()),
    );
  }

  private visibleText = false;

  /** The text shown, or '' while hidden. */
  get text(): string {
    return this.visibleText ? this.item.text : '';
  }

  update(): void {
    const editor = vscode.window.activeTextEditor;
    const view = editor && isPython(editor.document) ? this.store.cached(editor.document) : undefined;
    const entry = view && (view.models.find((m) => m.range.contains(editor!.selection.active)) ?? view.models[0]);
    if (!entry) {
      this.item.hide();
      this.visibleText = false;
      return;
    }
    const { model } = entry;
    const errors = model.diagnostics.filter((d) => d.severity === 'error').length;
    this.item.text = `$(layers) ${model.variable ?? 'model'}: ${formatCount(model.totalParams)} params · ${errors === 0 ? '$(check) no errors' : `$(error) ${errors} error${errors === 1 ? '' : 's'}`}`;
    this.item.tooltip = `Keras model ${model.variable ?? ''}: ${model.layers.length} layers, ${formatCount(model.totalParams)} parameters. Click for its summary.`;
    this.item.backgroundColor = errors ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
    this.item.show();
    this.visibleText = true;
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

// ---- commands ------------------------------------------------------------------------------------

async function modelAt(store: PythonStore, uri?: vscode.Uri, index?: number): Promise<{ document: vscode.TextDocument; model: AnyModel } | undefined> {
  const editor = vscode.window.activeTextEditor;
  const document = uri ? await vscode.workspace.openTextDocument(uri) : editor?.document;
  if (!document || !isPython(document)) {
    void vscode.window.showInformationMessage('RNN Studio: open a Python file or notebook with a Keras Sequential model.');
    return undefined;
  }
  const view = await store.view(document);
  const entry = index !== undefined ? view.models.find((m) => m.index === index) : (view.models.find((m) => editor && m.range.contains(editor.selection.active)) ?? view.models[0]);
  if (!entry) {
    void vscode.window.showInformationMessage(`RNN Studio: no Keras Sequential model found in ${path.basename(document.uri.path)}.`);
    return undefined;
  }
  return { document, model: entry.model };
}

export function registerPythonFeatures(models: ModelStore, output: vscode.OutputChannel, designer: DesignerPanels): { store: PythonStore; statusBarText: () => string; disposable: vscode.Disposable } {
  const store = new PythonStore(models);
  const statusBar = new PythonStatusBar(store);
  const collection = vscode.languages.createDiagnosticCollection('rnn-studio-python');
  const disposable = vscode.Disposable.from(
    store,
    statusBar,
    collection,
    store.onDidAnalyze(async ({ documents }) => {
      for (const d of documents) {
        if (d.isClosed) continue;
        const view = await store.view(d);
        collection.set(
          d.uri,
          view.diagnostics.map((x) => x.vscode),
        );
      }
    }),
    vscode.workspace.onDidCloseTextDocument((d) => collection.delete(d.uri)),
    vscode.languages.registerCodeActionsProvider(PYTHON_SELECTOR, new PythonFixes(store), { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix, FIX_ALL_PYTHON] }),
    vscode.languages.registerInlayHintsProvider(PYTHON_SELECTOR, new PythonHints(store, models)),
    vscode.languages.registerHoverProvider(PYTHON_SELECTOR, new PythonHover(store)),
    vscode.languages.registerCodeLensProvider(PYTHON_SELECTOR, new PythonLenses(store, models)),
    vscode.commands.registerCommand('rnnStudio.python.showSummary', async (uri?: vscode.Uri, index?: number) => {
      const found = await modelAt(store, uri, index);
      if (!found) return undefined;
      const file = vscode.workspace.asRelativePath(found.document.uri);
      const where = (r: Range) => `${file}:${r.start.line + 1}:${r.start.character + 1}`;
      const text = [`${where(found.model.range)}: ${found.model.variable ?? '(unnamed model)'}`, formatSummary(found.model), ...found.model.diagnostics.map((d) => `${where(d.range)}: ${d.severity} ${d.code}: ${d.message}`)].join('\n');
      output.appendLine(`${text}\n`);
      output.show(true);
      return text;
    }),
    designer.usePython(store),
    vscode.commands.registerCommand('rnnStudio.python.openDesigner', async (uri?: vscode.Uri, index?: number) => {
      const found = await modelAt(store, uri, index);
      if (!found) return undefined;
      const view = await store.view(found.document);
      const entry = view.models.find((m) => m.model === found.model)!;
      return designer.openPython(found.document, entry.index, store);
    }),
    vscode.commands.registerCommand('rnnStudio.python.convert', async (uri?: vscode.Uri, index?: number) => {
      const found = await modelAt(store, uri, index);
      if (!found) return undefined;
      return convertToModelFile(found.document, found.model);
    }),
  );
  store.analyzeOpenDocuments();
  return { store, statusBarText: () => statusBar.text, disposable };
}

/** Writes the model as `<variable>.rnn.json` beside the Python file (a free name) and opens it. */
async function convertToModelFile(document: vscode.TextDocument, model: AnyModel): Promise<vscode.Uri | undefined> {
  const source = document.uri.scheme === 'vscode-notebook-cell' ? vscode.workspace.notebookDocuments.find((nb) => nb.getCells().some((c) => c.document === document))?.uri : document.uri;
  if (!source || source.scheme !== 'file') {
    void vscode.window.showWarningMessage('RNN Studio: save the file first; the model file is written beside it.');
    return undefined;
  }
  const base = (model.variable ?? 'model').replace(/[^\w-]+/g, '_') || 'model';
  const dir = vscode.Uri.joinPath(source, '..');
  let target = vscode.Uri.joinPath(dir, `${base}.rnn.json`);
  for (let i = 1; await exists(target); i++) target = vscode.Uri.joinPath(dir, `${base}-${i}.rnn.json`);
  // Keras' default name (sequential, sequential_1, ...) gives way to the variable's.
  const name = model.source.name === undefined && model.variable ? base : model.name;
  const json = modelFileText(`${vscode.workspace.asRelativePath(source)}:${model.range.start.line + 1}`, { ...model.model, name }, model.data);
  await vscode.workspace.fs.writeFile(target, Buffer.from(json, 'utf8'));
  await vscode.window.showTextDocument(target, { preview: false });
  return target;
}

async function exists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch {
    return false;
  }
}
