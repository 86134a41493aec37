import * as vscode from 'vscode';
import { toDiagnostic } from './convert';
import { isModelDocument, type ModelStore } from './modelStore';

/**
 * Publishes the core's diagnostics for model files that are open in a tab.
 *
 * Problems with `source: 'json'` (syntax and schema) are left out: VS Code's JSON support reports
 * them from the same schema (contributed as jsonValidation), and showing both would list every
 * such problem twice. Their fixes are still offered by the code action provider.
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
  // A closed tab is a closed file to the user, though VS Code disposes the document only later.
  const syncWithTabs = () => {
    const open = new Set(
      vscode.window.tabGroups.all.flatMap((g) => g.tabs).flatMap((t) => (t.input instanceof vscode.TabInputText ? [t.input.uri.toString()] : [])),
    );
    collection.forEach((uri) => {
      if (!open.has(uri.toString())) collection.delete(uri);
    });
    for (const d of vscode.workspace.textDocuments) if (isModelDocument(d) && open.has(d.uri.toString()) && !collection.has(d.uri)) publish(d);
  };
  return vscode.Disposable.from(
    collection,
    store.onDidAnalyze((e) => publish(e.document)),
    store.onDidClose((uri) => collection.delete(uri)),
    vscode.window.tabGroups.onDidChangeTabs(syncWithTabs),
  );
}
