import * as vscode from 'vscode';
import { analyzeModel, type AnalyzeOptions, type ModelAnalysis } from '../core';

/** `*.rnn.json` files, saved or not. */
export const MODEL_SELECTOR: vscode.DocumentFilter[] = [{ pattern: '**/*.rnn.json' }];

export function isModelDocument(doc: vscode.TextDocument | undefined): doc is vscode.TextDocument {
  return !!doc && doc.uri.path.endsWith('.rnn.json');
}

export interface Settings extends Required<AnalyzeOptions> {
  debounceMs: number;
  inlayHints: boolean;
  codeLens: boolean;
}

export function readSettings(): Settings {
  const c = vscode.workspace.getConfiguration('rnnStudio');
  return {
    debounceMs: c.get('diagnostics.debounceMs', 150),
    inlayHints: c.get('inlayHints.enabled', true),
    codeLens: c.get('codeLens.enabled', true),
    simpleRnnMaxSteps: c.get('simpleRnnMaxSteps', 50),
    largeModelParams: c.get('largeModelParams', 10_000_000),
  };
}

export interface AnalysisEvent {
  document: vscode.TextDocument;
  analysis: ModelAnalysis;
}

/**
 * Analyses of open model documents, one per document version, so diagnostics, hovers, hints,
 * lenses and the designer share one computation. Edits are announced after a debounce.
 */
export class ModelStore implements vscode.Disposable {
  private readonly cache = new Map<string, { version: number; analysis: ModelAnalysis }>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly emitter = new vscode.EventEmitter<AnalysisEvent>();
  private readonly disposables: vscode.Disposable[] = [this.emitter];
  /** Fires (debounced) when a model document's analysis changes, including unsaved edits. */
  readonly onDidAnalyze = this.emitter.event;
  settings = readSettings();

  constructor() {
    this.disposables.push(
      vscode.workspace.onDidOpenTextDocument((d) => this.schedule(d, 0)),
      vscode.workspace.onDidChangeTextDocument((e) => this.schedule(e.document, this.settings.debounceMs)),
      vscode.workspace.onDidCloseTextDocument((d) => this.forget(d)),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (!e.affectsConfiguration('rnnStudio')) return;
        this.settings = readSettings();
        this.cache.clear();
        for (const d of vscode.workspace.textDocuments) this.schedule(d, 0);
      }),
    );
  }

  /** The analysis of the document's current text (computed now if needed). */
  get(document: vscode.TextDocument): ModelAnalysis {
    const key = document.uri.toString();
    const cached = this.cache.get(key);
    if (cached && cached.version === document.version) return cached.analysis;
    const analysis = analyzeModel(document.getText(), this.settings);
    this.cache.set(key, { version: document.version, analysis });
    return analysis;
  }

  /** Analyse every open model document now (at activation). */
  analyzeOpenDocuments(): void {
    for (const d of vscode.workspace.textDocuments) this.schedule(d, 0);
  }

  private schedule(document: vscode.TextDocument, delay: number): void {
    if (!isModelDocument(document)) return;
    const key = document.uri.toString();
    clearTimeout(this.timers.get(key));
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        if (document.isClosed) return;
        this.emitter.fire({ document, analysis: this.get(document) });
      }, delay),
    );
  }

  private readonly closeEmitter = new vscode.EventEmitter<vscode.Uri>();
  /** Fires when a model document closes. */
  readonly onDidClose = this.closeEmitter.event;

  private forget(document: vscode.TextDocument): void {
    const key = document.uri.toString();
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
    this.cache.delete(key);
    if (isModelDocument(document)) this.closeEmitter.fire(document.uri);
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.closeEmitter.dispose();
    for (const d of this.disposables) d.dispose();
  }
}
