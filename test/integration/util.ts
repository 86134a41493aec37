import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { RnnStudioApi } from '../../src/extension/extension';

export const EXTENSION_ID = 'rnn-studio.rnn-studio';

export async function api(): Promise<RnnStudioApi> {
  const ext = vscode.extensions.getExtension<RnnStudioApi>(EXTENSION_ID);
  assert.ok(ext, `${EXTENSION_ID} is not loaded`);
  return ext.activate();
}

export function workspaceUri(...segments: string[]): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the tests need a workspace folder');
  return vscode.Uri.joinPath(folder.uri, ...segments);
}

let counter = 0;
/** A fresh model file in the workspace with `text`, opened in an editor. */
export async function openModel(text: string, name = `model-${Date.now()}-${counter++}.rnn.json`): Promise<vscode.TextEditor> {
  const uri = workspaceUri('scratch', name);
  await vscode.workspace.fs.writeFile(uri, Buffer.from(text));
  const document = await vscode.workspace.openTextDocument(uri);
  return vscode.window.showTextDocument(document);
}

export async function openExample(name: string): Promise<vscode.TextEditor> {
  const text = Buffer.from(await vscode.workspace.fs.readFile(workspaceUri('examples', name))).toString('utf8');
  return openModel(text, name.replace('.rnn.json', `-${counter++}.rnn.json`));
}

/** Polls `probe` until it returns a truthy value (or the timeout passes, which fails the test with `what`). */
export async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export function ours(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'RNN Studio');
}

export function codeOf(d: vscode.Diagnostic): string {
  return typeof d.code === 'object' ? String(d.code.value) : String(d.code);
}

/** Replace the first occurrence of `find` in the editor's document as the user would type it (unsaved). */
export async function typeOver(editor: vscode.TextEditor, find: string, replacement: string): Promise<void> {
  const text = editor.document.getText();
  const at = text.indexOf(find);
  assert.ok(at >= 0, `"${find}" not in the document`);
  const range = new vscode.Range(editor.document.positionAt(at), editor.document.positionAt(at + find.length));
  assert.ok(await editor.edit((b) => b.replace(range, replacement)));
}

export async function closeAll(): Promise<void> {
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
}
