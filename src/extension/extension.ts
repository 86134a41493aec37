import * as vscode from 'vscode';
import { registerCodeActions } from './codeActions';
import { registerCommands } from './commands';
import { DesignerPanels } from './designerPanel';
import { registerDiagnostics } from './diagnostics';
import { registerLanguageFeatures } from './languageFeatures';
import { ModelStore } from './modelStore';
import { ModelStatusBar } from './statusBar';

/** What `activate` returns: read by the integration tests and open to other extensions. */
export interface RnnStudioApi {
  /** Milliseconds `activate` took. */
  activationMs: number;
  statusBarText(): string;
  designer: DesignerPanels;
}

export function activate(context: vscode.ExtensionContext): RnnStudioApi {
  const started = performance.now();
  const store = new ModelStore();
  const output = vscode.window.createOutputChannel('RNN Studio');
  const designer = new DesignerPanels(context.extensionUri, store);
  const statusBar = new ModelStatusBar(store);
  context.subscriptions.push(
    store,
    output,
    designer,
    statusBar,
    registerDiagnostics(store),
    registerCodeActions(store),
    registerLanguageFeatures(store),
    registerCommands({ extensionUri: context.extensionUri, store, output, designer }),
  );
  store.analyzeOpenDocuments();
  const activationMs = performance.now() - started;
  return { activationMs, statusBarText: () => statusBar.text, designer };
}

export function deactivate(): void {}
