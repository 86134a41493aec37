import * as vscode from 'vscode';
import { fixAllEdits, RETURN_SEQUENCES_CODES } from '../core';
import { DIAGNOSTIC_SOURCE, toRange, toWorkspaceEdit } from './convert';
import { MODEL_SELECTOR, type ModelStore } from './modelStore';

export const FIX_ALL_KIND = vscode.CodeActionKind.SourceFixAll.append('rnnStudio');

/** Quick fixes from the core's fixes: each is one undoable workspace edit that keeps the formatting. */
class FixProvider implements vscode.CodeActionProvider {
  constructor(private readonly store: ModelStore) {}

  provideCodeActions(document: vscode.TextDocument, range: vscode.Range, context: vscode.CodeActionContext): vscode.CodeAction[] {
    const analysis = this.store.get(document);
    const actions: vscode.CodeAction[] = [];
    const wants = (kind: vscode.CodeActionKind) => !context.only || context.only.contains(kind);
    if (wants(vscode.CodeActionKind.QuickFix)) {
      for (const d of analysis.diagnostics) {
        const dRange = toRange(d.range);
        if (!d.fixes?.length || !dRange.intersection(range)) continue;
        // Ours by code, or the JSON language service's diagnostic at the same place for schema problems.
        const matching = context.diagnostics.filter((x) => (x.source === DIAGNOSTIC_SOURCE ? x.code === d.code : d.source === 'json') && x.range.intersection(dRange));
        for (const fix of d.fixes) {
          const action = new vscode.CodeAction(fix.title, vscode.CodeActionKind.QuickFix);
          action.edit = toWorkspaceEdit(document.uri, fix.edits);
          action.isPreferred = fix.isPreferred;
          action.diagnostics = matching;
          actions.push(action);
        }
      }
    }
    const stackProblems = analysis.diagnostics.filter((d) => RETURN_SEQUENCES_CODES.includes(d.code));
    const kinds = [vscode.CodeActionKind.QuickFix, FIX_ALL_KIND].filter(wants);
    if (stackProblems.length > 0 && kinds.length > 0) {
      const edits = fixAllEdits(document.getText(), RETURN_SEQUENCES_CODES, this.store.settings);
      if (edits.length) {
        for (const kind of kinds) {
          const action = new vscode.CodeAction('Fix all return_sequences problems', kind);
          action.edit = toWorkspaceEdit(document.uri, edits);
          actions.push(action);
        }
      }
    }
    return actions;
  }
}

export function registerCodeActions(store: ModelStore): vscode.Disposable {
  return vscode.languages.registerCodeActionsProvider(MODEL_SELECTOR, new FixProvider(store), {
    providedCodeActionKinds: [vscode.CodeActionKind.QuickFix, FIX_ALL_KIND],
  });
}
