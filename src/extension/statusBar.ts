import * as vscode from 'vscode';
import { formatTotalParams, partialNote } from '../core';
import { isModelDocument, type ModelStore } from './modelStore';

/** The active model's total parameters and error count; click opens the designer. */
export class ModelStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('rnnStudio.model', vscode.StatusBarAlignment.Right, 100);
  private readonly disposables: vscode.Disposable[] = [this.item];

  constructor(private readonly store: ModelStore) {
    this.item.name = 'RNN Studio Model';
    this.item.command = 'rnnStudio.openDesigner';
    this.disposables.push(
      vscode.window.onDidChangeActiveTextEditor(() => this.update()),
      store.onDidAnalyze((e) => e.document === vscode.window.activeTextEditor?.document && this.update()),
    );
  }

  get text(): string {
    return this.item.text;
  }

  update(): void {
    const document = vscode.window.activeTextEditor?.document;
    if (!isModelDocument(document)) {
      this.item.hide();
      return;
    }
    const analysis = this.store.get(document);
    const errors = analysis.diagnostics.filter((d) => d.severity === 'error').length;
    this.item.text = `$(layers) ${formatTotalParams(analysis)} params · ${errors === 0 ? '$(check) no errors' : `$(error) ${errors} error${errors === 1 ? '' : 's'}`}`;
    const note = partialNote(analysis);
    this.item.tooltip = `${analysis.name}: ${analysis.layers.length} layers, ${formatTotalParams(analysis)} parameters.${note ? ` Partial: ${note}` : ''} Click to open the designer.`;
    this.item.backgroundColor = errors ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
    this.item.show();
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
