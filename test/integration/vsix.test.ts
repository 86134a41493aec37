/// <reference types="mocha" />
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { RunSummary } from '../../src/protocol/trainer';
import type { TrainingState } from '../../src/protocol/training';
import { api, closeAll, codeOf, EXTENSION_ID, openModel, openExample, ours, waitFor, workspaceUri } from './util';

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

  // Users install the .vsix without node_modules: the trainer, TensorFlow.js, the kernels and the
  // built-in data sets all come from the package (issue 12). Smaller than the examples, 1 epoch.
  for (const example of ['seattle-weather-forecast', 'spam-lstm']) {
    it(`trains examples/${example} from the installed copy, on its bundled backend, without a notice`, async function () {
      this.timeout(180_000);
      const rnn = await api();
      const original = Buffer.from(await vscode.workspace.fs.readFile(workspaceUri('examples', `${example}.rnn.json`))).toString('utf8');
      const text = original
        .replace(/"units": \d\d+/g, '"units": 4')
        .replace(/"output_dim": \d+/, '"output_dim": 4')
        .replace(/"shape": \[200\]/, '"shape": [40]')
        .replace(/"maxlen": 200/, '"maxlen": 40')
        .replace(/"epochs": \d+/, '"epochs": 1');
      const editor = await openModel(text, `${example}-packaged.rnn.json`);
      const states: TrainingState[] = [];
      const listener = rnn.training.onDidChangeState((e) => states.push(e.state));
      const run = await vscode.commands.executeCommand<RunSummary>('rnnStudio.train', editor.document.uri);
      listener.dispose();
      const last = states.at(-1);
      assert.ok(run && run.runDir, `a run (${last?.status}: ${last?.error ?? ''})`);
      assert.equal(last?.status, 'done');
      assert.equal(last?.backend, 'cpu');
      assert.equal(last?.notice, undefined);
      assert.match(last?.dataSummary ?? '', example === 'spam-lstm' ? /^SpamAssassin: 6,046 messages/ : /seattle/i);
      await closeAll();
    });
  }
});
