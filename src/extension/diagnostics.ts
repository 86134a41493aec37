import * as vscode from 'vscode';
import { toDiagnostic } from './convert';
import type { ModelStore } from './modelStore';

/**
 * Publishes the core's diagnostics. Problems with `source: 'json'` (syntax and schema) are left
 * out: VS Code's JSON support reports them from the same schema (contributed as jsonValidation),
 * and showing both would list every such problem twice. Their fixes are still offered.
 */
export function registerDiagnostics(store: ModelStore): vscode.Disposable {
  const collection = vscode.languages.createDiagnosticCollection('rnn-studio');
  const publish = (document: vscode.TextDocument) => {
    const analysis = store.get(document);
    collection.set(
      document.uri,
      analysis.diagnostics.filter((d) => d.source === 'model').map((d) => toDiagnostic(d, document.uri)),
    );
  };
  return vscode.Disposable.from(
    collection,
    store.onDidAnalyze((e) => publish(e.document)),
    store.onDidClose((uri) => collection.delete(uri)),
  );
}
