import { writeFileSync } from 'node:fs';
import * as vscode from 'vscode';
import type { RnnStudioApi } from '../../src/extension/extension';

/**
 * Editor responsiveness, measured inside a real VS Code extension host (run by bench/editor/run.mjs):
 * activation, an edit to its diagnostics, and an edit to the designer's update, for every example
 * and a generated 500-layer model. Writes the harness' results file with a `bench` array.
 */

interface Figure {
  bench: string;
  model: string;
  layers?: number;
  ms: number;
}

function largeModel(n: number): string {
  const layers = ['{ "type": "Embedding", "input_dim": 10000, "output_dim": 64 }'];
  for (let i = 1; i < n - 2; i++) layers.push(i % 2 ? '{ "type": "LSTM", "units": 32, "return_sequences": true }' : '{ "type": "Dropout", "rate": 0.1 }');
  layers.push('{ "type": "GlobalAveragePooling1D" }', '{ "type": "Dense", "units": 1, "activation": "sigmoid" }');
  return `{\n  "name": "large",\n  "input": { "shape": [200], "dtype": "int32" },\n  "layers": [\n    ${layers.join(',\n    ')}\n  ]\n}\n`;
}

async function timeEdit(editor: vscode.TextEditor, until: () => Promise<void>): Promise<number> {
  const document = editor.document;
  // Toggle the first "units" value: a real edit that changes shapes and counts.
  const text = document.getText();
  const at = text.indexOf('"units": ') + '"units": '.length;
  const end = text.slice(at).search(/[,\s}]/) + at;
  const value = Number(text.slice(at, end));
  const range = new vscode.Range(document.positionAt(at), document.positionAt(end));
  const done = until();
  const t0 = performance.now();
  await editor.edit((b) => b.replace(range, String(value === 64 ? 65 : 64)));
  await done;
  return performance.now() - t0;
}

/** Diagnostics are published in the listener that runs just before this one. */
function nextDiagnostics(api: RnnStudioApi, uri: vscode.Uri): Promise<void> {
  return new Promise((resolve) => {
    const listener = api.onDidAnalyze((e) => {
      if (e.document.uri.toString() === uri.toString()) {
        listener.dispose();
        resolve();
      }
    });
  });
}

function nextDesignerUpdate(api: RnnStudioApi): Promise<void> {
  return new Promise((resolve) => {
    const listener = api.designer.onDidPost((m) => {
      if (m.type === 'model') {
        listener.dispose();
        resolve();
      }
    });
  });
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return Math.round(s[Math.floor(s.length / 2)] * 10) / 10;
}

export async function run(): Promise<void> {
  const figures: Figure[] = [];
  const ext = vscode.extensions.getExtension<RnnStudioApi>('rnn-studio.rnn-studio')!;
  const api = await ext.activate();
  figures.push({ bench: 'activation', model: '-', ms: Math.round(api.activationMs * 100) / 100 });
  const folder = vscode.workspace.workspaceFolders![0].uri;
  const examples = (await vscode.workspace.fs.readDirectory(vscode.Uri.joinPath(folder, 'examples'))).map(([n]) => n).filter((n) => n.endsWith('.rnn.json')).sort();
  const models: { name: string; uri: vscode.Uri }[] = examples.map((name) => ({ name: `examples/${name}`, uri: vscode.Uri.joinPath(folder, 'examples', name) }));
  const large = vscode.Uri.joinPath(folder, 'large-500.rnn.json');
  await vscode.workspace.fs.writeFile(large, Buffer.from(largeModel(500)));
  models.push({ name: 'generated 500 layers', uri: large });
  for (const model of models) {
    const editor = await vscode.window.showTextDocument(model.uri);
    await new Promise((r) => setTimeout(r, 300));
    if (!editor.document.getText().includes('"units": ')) continue;
    const diagnostics: number[] = [];
    const designer: number[] = [];
    for (let i = 0; i < 5; i++) diagnostics.push(await timeEdit(editor, () => nextDiagnostics(api, model.uri)));
    await vscode.commands.executeCommand('rnnStudio.openDesigner', model.uri);
    await new Promise((r) => setTimeout(r, 300));
    for (let i = 0; i < 5; i++) designer.push(await timeEdit(editor, () => nextDesignerUpdate(api)));
    const layers = (editor.document.getText().match(/"type":/g) ?? []).length;
    figures.push({ bench: 'edit-to-diagnostics', model: model.name, layers, ms: median(diagnostics) });
    figures.push({ bench: 'edit-to-designer', model: model.name, layers, ms: median(designer) });
    await vscode.commands.executeCommand('workbench.action.files.revert');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  }
  const debounce = vscode.workspace.getConfiguration('rnnStudio').get<number>('diagnostics.debounceMs', 150);
  const file = process.env.RNN_STUDIO_TEST_RESULTS!;
  writeFileSync(file, JSON.stringify({ passed: 1, failed: 0, tests: [], bench: figures, debounceMs: debounce }));
}
