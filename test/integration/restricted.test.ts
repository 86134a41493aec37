/// <reference types="mocha" />
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { api, codeOf, openExample, ours, waitFor } from './util';

/** Restricted Mode (an untrusted workspace): inspect everything, train nothing. */
describe('restricted mode', () => {
  it('runs untrusted', () => {
    assert.equal(vscode.workspace.isTrusted, false);
  });

  it('still analyses models: diagnostics, hints, status bar', async () => {
    const rnn = await api();
    const editor = await openExample('mistake-stacked-lstm.rnn.json');
    const d = await waitFor('the error', () => ours(editor.document.uri).find((x) => codeOf(x) === 'missing-return-sequences'));
    assert.equal(d.severity, vscode.DiagnosticSeverity.Error);
    const hints = await vscode.commands.executeCommand<vscode.InlayHint[]>('vscode.executeInlayHintProvider', editor.document.uri, new vscode.Range(0, 0, 100, 0));
    assert.ok(hints.length >= 2);
    await waitFor('status bar', () => rnn.statusBarText().includes('1 error'));
  });

  it('refuses to train, evaluate or predict, and says why', async () => {
    const editor = await openExample('sentiment-lstm.rnn.json');
    for (const command of ['rnnStudio.train', 'rnnStudio.evaluate', 'rnnStudio.predict']) {
      const reason = await vscode.commands.executeCommand<string>(command, editor.document.uri);
      assert.match(reason ?? '', /disabled in Restricted Mode/, command);
    }
  });
});
