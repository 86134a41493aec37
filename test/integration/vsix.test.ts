/// <reference types="mocha" />
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { codeOf, EXTENSION_ID, openExample, ours, waitFor } from './util';

/** Smoke test of the packaged .vsix, installed into the VS Code server like a user would. */
describe('packaged extension (.vsix)', () => {
  it('is the installed copy, not the development folder', () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, 'the .vsix is installed');
    assert.ok(!ext.extensionUri.path.startsWith(process.env.RNN_STUDIO_REPO ?? '/nonexistent'), ext.extensionUri.path);
    assert.match(ext.extensionUri.path, /extensions\/rnn-studio\.rnn-studio-/);
  });

  it('activates and reports diagnostics on an example', async () => {
    const editor = await openExample('mistake-stacked-lstm.rnn.json');
    await waitFor('activation', () => vscode.extensions.getExtension(EXTENSION_ID)?.isActive);
    const d = await waitFor('the return_sequences error', () => ours(editor.document.uri).find((x) => codeOf(x) === 'missing-return-sequences'));
    assert.equal(editor.document.getText(d.range), '"type": "LSTM"');
  });
});
