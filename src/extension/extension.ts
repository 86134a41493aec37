import * as vscode from 'vscode';
import { registerCodeActions } from './codeActions';
import { registerCommands } from './commands';
import { DesignerPanels } from './designerPanel';
import { registerDiagnostics } from './diagnostics';
import { registerLanguageFeatures } from './languageFeatures';
import { ModelStore } from './modelStore';
import { ModelTabs } from './modelTabs';
import { registerPythonFeatures, type PythonStore } from './python';
import { ModelStatusBar } from './statusBar';
import { TrainingController } from './training';

/** What `activate` returns: read by the integration tests and open to other extensions. */
export interface RnnStudioApi {
  /** Milliseconds `activate` took. */
  activationMs: number;
  statusBarText(): string;
  designer: DesignerPanels;
  training: TrainingController;
  /** Fires after a model document was re-analysed and its diagnostics published. */
  onDidAnalyze: vscode.Event<{ document: vscode.TextDocument }>;
  /** Keras models in Python files and notebooks. */
  python: PythonStore;
  pythonStatusBarText(): string;
}

export function activate(context: vscode.ExtensionContext): RnnStudioApi {
  const started = performance.now();
  const store = new ModelStore();
  const output = vscode.window.createOutputChannel('RNN Studio');
  const training = new TrainingController(context.extensionUri, store, output);
  const designer = new DesignerPanels(context.extensionUri, store, training);
  const statusBar = new ModelStatusBar(store);
  const tabs = new ModelTabs();
  const python = registerPythonFeatures(store, output, designer);
  context.subscriptions.push(
    tabs,
    store,
    output,
    training,
    designer,
    statusBar,
    python.disposable,
    registerDiagnostics(store),
    registerCodeActions(store),
    registerLanguageFeatures(store),
    registerCommands({ extensionUri: context.extensionUri, store, output, designer, training, tabs }),
  );
  store.analyzeOpenDocuments();
  const activationMs = performance.now() - started;
  return { activationMs, statusBarText: () => statusBar.text, designer, training, onDidAnalyze: store.onDidAnalyze, python: python.store, pythonStatusBarText: python.statusBarText };
}

export function deactivate(): void {}
