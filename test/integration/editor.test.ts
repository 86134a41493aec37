/// <reference types="mocha" />
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { api, closeAll, codeOf, openExample, openModel, ours, typeOver, waitFor, workspaceUri } from './util';

/** The editor integration, asserted through the real VS Code API in a real extension host. */

const STACKED = `{
  "name": "stacked",
  "input": { "shape": [200], "dtype": "int32" },
  "layers": [
    { "type": "Embedding", "input_dim": 10000, "output_dim": 64 },
    { "type": "LSTM", "units": 64, "return_sequences": true },
    { "type": "LSTM", "units": 32 },
    { "type": "Dense", "units": 1, "activation": "sigmoid" }
  ],
  "compile": { "optimizer": "adam", "loss": "binary_crossentropy", "metrics": ["accuracy"] }
}
`;

describe('activation', () => {
  it('activates fast, without TensorFlow in the extension host', async () => {
    const rnn = await api();
    assert.ok(rnn.activationMs < 50, `activation took ${rnn.activationMs.toFixed(1)} ms`);
    const loaded = Object.keys(require.cache).filter((k) => k.includes('@tensorflow'));
    assert.deepEqual(loaded, []);
    console.log(`    activation: ${rnn.activationMs.toFixed(2)} ms`);
  });

  it('registers every command', async () => {
    const all = await vscode.commands.getCommands(true);
    for (const id of ['newModelFromTemplate', 'showSummary', 'openDesigner', 'train', 'stopTraining', 'evaluate', 'predict', 'exportKeras', 'compareCells']) {
      assert.ok(all.includes(`rnnStudio.${id}`), `rnnStudio.${id} missing`);
    }
  });

  it('treats *.rnn.json as JSON with comments', async () => {
    const editor = await openModel(STACKED);
    assert.equal(editor.document.languageId, 'jsonc');
  });
});

describe('diagnostics', () => {
  afterEach(closeAll);

  it('typing the classic stacked-LSTM mistake shows the error on return_sequences, fast', async () => {
    const editor = await openModel(STACKED);
    const uri = editor.document.uri;
    await waitFor('first analysis', () => (vscode.languages.getDiagnostics(uri), true));
    const started = Date.now();
    await typeOver(editor, '"return_sequences": true', '"return_sequences": false');
    const [d] = await waitFor('the return_sequences error', () => {
      const found = ours(uri).filter((x) => codeOf(x) === 'missing-return-sequences');
      return found.length ? found : undefined;
    });
    const elapsed = Date.now() - started;
    console.log(`    edit -> diagnostic: ${elapsed} ms`);
    assert.ok(elapsed < 1000, `took ${elapsed} ms`);
    assert.equal(d.severity, vscode.DiagnosticSeverity.Error);
    assert.equal(editor.document.getText(d.range), '"return_sequences": false');
    assert.match(d.message, /Set "return_sequences": true on "lstm"/);
    assert.equal(d.relatedInformation?.[0].location.range.start.line, 6);
    assert.ok(editor.document.isDirty, 'unsaved text is analysed');
  });

  it('the quick fix repairs it as one undoable edit, keeping the formatting', async () => {
    const editor = await openModel(STACKED.replace('"return_sequences": true', '"return_sequences": false'));
    const uri = editor.document.uri;
    const [d] = await waitFor('the error', () => (ours(uri).length ? ours(uri) : undefined));
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, d.range, vscode.CodeActionKind.QuickFix.value);
    const fix = actions.find((a) => a.title === 'Set "return_sequences": true on "lstm"');
    assert.ok(fix?.edit, `no fix among ${actions.map((a) => a.title).join(', ')}`);
    assert.equal(fix.isPreferred, true);
    const before = editor.document.getText();
    assert.ok(await vscode.workspace.applyEdit(fix.edit));
    assert.equal(editor.document.getText(), before.replace('"return_sequences": false', '"return_sequences": true'));
    await waitFor('diagnostics to clear', () => ours(uri).length === 0);
    await vscode.commands.executeCommand('undo');
    assert.equal(editor.document.getText(), before, 'one undo restores the text');
  });

  it('"Fix all return_sequences problems" repairs a whole stack in one edit', async () => {
    const text = STACKED.replace('"return_sequences": true', '"return_sequences": false').replace('{ "type": "LSTM", "units": 32 }', '{ "type": "GRU", "units": 32 },\n    { "type": "LSTM", "units": 16 }');
    const editor = await openModel(text);
    const uri = editor.document.uri;
    const [d] = await waitFor('the error', () => (ours(uri).length ? ours(uri) : undefined));
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, d.range);
    const all = actions.find((a) => a.title === 'Fix all return_sequences problems' && a.kind?.value === 'quickfix');
    assert.ok(all?.edit);
    assert.equal(all.edit.size, 1);
    await vscode.workspace.applyEdit(all.edit);
    assert.match(editor.document.getText(), /"type": "LSTM", "units": 64, "return_sequences": true \}/);
    assert.match(editor.document.getText(), /\{ "type": "GRU", "units": 32, "return_sequences": true \}/);
    await waitFor('no errors', () => ours(uri).length === 0);
  });

  it('schema problems are reported once (by the JSON language service) and still get our fix', async () => {
    const editor = await openModel(STACKED.replace('"type": "LSTM", "units": 32', '"type": "LTSM", "units": 32'));
    const uri = editor.document.uri;
    const at = editor.document.getText().indexOf('"LTSM"');
    const range = new vscode.Range(editor.document.positionAt(at), editor.document.positionAt(at + 6));
    const onType = await waitFor('the JSON service to flag the type', () => {
      const found = vscode.languages.getDiagnostics(uri).filter((x) => x.range.intersection(range));
      return found.length ? found : undefined;
    });
    assert.equal(onType.length, 1, `one diagnostic on the type, got: ${onType.map((x) => `${x.source}: ${x.message}`).join(' | ')}`);
    assert.notEqual(onType[0].source, 'RNN Studio');
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, range);
    const fix = actions.find((a) => a.title === 'Change to "LSTM"');
    assert.ok(fix?.edit);
    await vscode.workspace.applyEdit(fix.edit);
    assert.match(editor.document.getText(), /"type": "LSTM", "units": 32/);
  });

  it('a typo in a key gets "did you mean" on the key, and the rename fix', async () => {
    const editor = await openModel(STACKED.replace('"units": 32', '"unit": 32'));
    const uri = editor.document.uri;
    const d = await waitFor('unknown-key', () => ours(uri).find((x) => codeOf(x) === 'unknown-key'));
    assert.equal(editor.document.getText(d.range), '"unit"');
    assert.match(d.message, /Did you mean "units"\?/);
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, d.range);
    await vscode.workspace.applyEdit(actions.find((a) => a.title === 'Rename to "units"')!.edit!);
    await waitFor('no diagnostics', () => ours(uri).length === 0);
  });

  it('other fixes: input [T, 1], SimpleRNN to LSTM, input_dim from num_words, output layer for the loss', async () => {
    const cases: [string, string, string, RegExp][] = [
      ['{ "input": { "shape": [30] }, "layers": [ { "type": "LSTM", "units": 8 }, { "type": "Dense", "units": 1 } ] }', 'input-not-3d', 'Reshape the input to [30, 1]', /"shape": \[30,1\]/],
      ['{ "input": { "shape": [100], "dtype": "int32" }, "layers": [ { "type": "Embedding", "input_dim": 50, "output_dim": 8 }, { "type": "SimpleRNN", "units": 8 }, { "type": "Dense", "units": 1 } ] }', 'simple-rnn-long-sequence', 'Change SimpleRNN to LSTM', /"type": "LSTM"/],
      ['{ "input": { "shape": [20], "dtype": "int32" }, "layers": [ { "type": "Embedding", "input_dim": 50, "output_dim": 8 }, { "type": "LSTM", "units": 8 }, { "type": "Dense", "units": 1, "activation": "sigmoid" } ], "data": { "source": "builtin", "dataset": "spam_assassin", "num_words": 500, "maxlen": 20 } }', 'embedding-too-small', 'Set "input_dim": 500', /"input_dim": 500/],
      ['{ "input": { "shape": [20], "dtype": "int32" }, "layers": [ { "type": "Embedding", "input_dim": 50, "output_dim": 8 }, { "type": "LSTM", "units": 8 }, { "type": "Dense", "units": 3, "activation": "softmax" } ], "compile": { "loss": "binary_crossentropy" } }', 'loss-output-mismatch', 'Make "dense" one sigmoid unit', /"units": 1, "activation": "sigmoid"/],
    ];
    for (const [text, code, title, expected] of cases) {
      const editor = await openModel(text);
      const uri = editor.document.uri;
      const d = await waitFor(code, () => ours(uri).find((x) => codeOf(x) === code));
      const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, d.range);
      const fix = actions.find((a) => a.title === title);
      assert.ok(fix?.edit, `${code}: no "${title}" among ${actions.map((a) => a.title).join(', ')}`);
      await vscode.workspace.applyEdit(fix.edit);
      assert.match(editor.document.getText(), expected, code);
    }
  });

  it('diagnostics are cleared when the file closes', async () => {
    const editor = await openModel(STACKED.replace('"return_sequences": true', '"return_sequences": false'));
    const uri = editor.document.uri;
    await waitFor('the error', () => ours(uri).length > 0);
    await closeAll();
    await waitFor('diagnostics to clear when the tab closes', () => ours(uri).length === 0);
    // Reopening shows them again.
    await vscode.window.showTextDocument(uri);
    await waitFor('diagnostics after reopening', () => ours(uri).length > 0);
  });
});

describe('completion, hover, inlay hints, CodeLens', () => {
  afterEach(closeAll);

  it('offers layer snippets that fit: an LSTM after an LSTM sets return_sequences on the one before', async () => {
    const text = STACKED.replace('    { "type": "LSTM", "units": 32 },\n', '    { "type": "LSTM", "units": 32 },\n    \n');
    const editor = await openModel(text);
    const line = text.split('\n').findIndex((l) => l === '    ');
    const items = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', editor.document.uri, new vscode.Position(line, 4));
    const lstm = items.items.find((i) => i.label === 'LSTM layer');
    assert.ok(lstm, `no LSTM snippet among ${items.items.map((i) => i.label).join(', ')}`);
    assert.equal(lstm.insertText, '{ "type": "LSTM", "units": 64 },');
    assert.equal(lstm.additionalTextEdits?.length, 1);
    assert.equal(lstm.additionalTextEdits![0].newText, ', "return_sequences": true');
    const embedding = items.items.find((i) => i.label === 'Embedding layer');
    assert.ok(embedding);
    const pair = items.items.find((i) => i.label === 'Stacked LSTM pair');
    assert.equal(pair?.insertText, '{ "type": "LSTM", "units": 64, "return_sequences": true }, { "type": "LSTM", "units": 64 },');
  });

  it('hover shows shapes and the parameter formula filled in', async () => {
    const editor = await openExample('imdb-bilstm-stacked.rnn.json');
    const text = editor.document.getText();
    const at = editor.document.positionAt(text.indexOf('"type": "LSTM", "units": 32') + 2);
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', editor.document.uri, at);
    const md = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
    assert.match(md, /\(None, 200, 128\)/);
    assert.match(md, /LSTM: 4 x \(32 x \(128 \+ 32\) \+ 32\) = 20,608/);
    const rs = editor.document.positionAt(text.indexOf('"return_sequences"') + 3);
    const rsHover = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', editor.document.uri, rs);
    const rsText = rsHover.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
    assert.match(rsText, /`return_sequences`: `true` → `\(None, 200, 128\)`, the output at every timestep/);
  });

  it('inlay hints show Keras shapes and counts after each layer; the setting turns them off', async () => {
    const editor = await openExample('sentiment-lstm.rnn.json');
    const uri = editor.document.uri;
    const full = new vscode.Range(0, 0, editor.document.lineCount, 0);
    const hints = await vscode.commands.executeCommand<vscode.InlayHint[]>('vscode.executeInlayHintProvider', uri, full);
    const labels = hints.map((h) => (typeof h.label === 'string' ? h.label : h.label.map((p) => p.value).join('')));
    assert.deepEqual(labels, ['(None, 200, 64) · 640,000', '(None, 128) · 98,816', '(None, 1) · 129']);
    const config = vscode.workspace.getConfiguration('rnnStudio');
    await config.update('inlayHints.enabled', false, vscode.ConfigurationTarget.Global);
    try {
      await waitFor('hints to disappear', async () => (await vscode.commands.executeCommand<vscode.InlayHint[]>('vscode.executeInlayHintProvider', uri, full)).length === 0);
    } finally {
      await config.update('inlayHints.enabled', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it('CodeLens above the model: Train, Summary, Open Designer, Export to Keras', async () => {
    const editor = await openExample('imdb-bilstm-stacked.rnn.json');
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', editor.document.uri);
    assert.deepEqual(
      lenses.map((l) => [l.command?.title, l.command?.command]),
      [
        ['$(play) Train', 'rnnStudio.train'],
        ['Summary (727,745 params)', 'rnnStudio.showSummary'],
        ['Open Designer', 'rnnStudio.openDesigner'],
        ['Export to Keras', 'rnnStudio.exportKeras'],
      ],
    );
  });
});

describe('commands and status bar', () => {
  afterEach(closeAll);

  it('the status bar shows the active model\'s parameters and errors', async () => {
    const rnn = await api();
    await openExample('imdb-bilstm-stacked.rnn.json');
    await waitFor('status bar', () => rnn.statusBarText().includes('727,745 params · $(check) no errors'));
    await openExample('mistake-stacked-lstm.rnn.json');
    await waitFor('status bar with the error', () => rnn.statusBarText().includes('$(error) 1 error'));
  });

  it('Show Summary prints the Keras-style table', async () => {
    const editor = await openExample('imdb-bilstm-stacked.rnn.json');
    const text = await vscode.commands.executeCommand<string>('rnnStudio.showSummary', editor.document.uri);
    assert.match(text, /bidirectional \(Bidirectional\)\s+│ \(None, 200, 128\)\s+│\s+66,048/);
    assert.match(text, /Total params: 727,745 \(2\.78 MB\)/);
  });

  it('New Model from Template writes the example and opens it', async () => {
    const target = workspaceUri('scratch', `from-template-${Date.now()}.rnn.json`);
    const created = await vscode.commands.executeCommand<vscode.Uri>('rnnStudio.newModelFromTemplate', 'seattle-weather-forecast', target);
    assert.equal(created.toString(), target.toString());
    assert.equal(vscode.window.activeTextEditor?.document.uri.toString(), target.toString());
    assert.match(vscode.window.activeTextEditor!.document.getText(), /"name": "seattle-weather-forecast"/);
  });

  it('Train refuses a model with errors and says why', async () => {
    const editor = await openExample('mistake-stacked-lstm.rnn.json');
    const reason = await vscode.commands.executeCommand<string>('rnnStudio.train', editor.document.uri);
    assert.match(reason, /Training refused: the model has 1 error\. First: LSTM "lstm_1" expects a 3-D input/);
  });
});

describe('Keras interop commands', () => {
  afterEach(closeAll);

  it('Export to Keras writes a project folder (train.py, requirements, README, the built-in data) and opens its README', async () => {
    const editor = await openExample('spam-lstm.rnn.json');
    const target = workspaceUri('scratch', `spam-keras-${Date.now()}`);
    const result = await vscode.commands.executeCommand<{ uri: vscode.Uri; diagnostics: string[] }>('rnnStudio.exportKeras', editor.document.uri, target);
    assert.deepEqual(result.diagnostics, []);
    assert.equal(result.uri.toString(), target.toString());
    const read = async (...p: string[]) => Buffer.from(await vscode.workspace.fs.readFile(vscode.Uri.joinPath(target, ...p))).toString('utf8');
    const code = await read('train.py');
    for (const expected of ['keras.Sequential', 'name="bidirectional"', 'MultiWorkerMirroredStrategy', 'EarlyStopping', '--workers']) assert.ok(code.includes(expected), expected);
    assert.match(await read('requirements.txt'), /^tensorflow>=/m);
    assert.ok((await vscode.workspace.fs.stat(vscode.Uri.joinPath(target, 'data', 'spam-assassin.json.gz'))).size > 1_000_000, 'the built-in data set is in data/');
    await waitFor('the README beside', () => vscode.window.visibleTextEditors.some((e) => e.document.uri.fsPath === vscode.Uri.joinPath(target, 'README.md').fsPath));
  });

  it('Import turns a Keras model JSON into a model file', async () => {
    const fixture = vscode.Uri.file(`${process.env.RNN_STUDIO_REPO}/test/fixtures/interop/keras/imdb-bilstm-stacked.json`);
    const target = workspaceUri('scratch', `imported-${Date.now()}.rnn.json`);
    const result = await vscode.commands.executeCommand<{ uri: vscode.Uri; diagnostics: string[] }>('rnnStudio.importModel', fixture, target);
    assert.equal(result.uri.toString(), target.toString());
    const rnn = await api();
    await waitFor('the imported model to be analysed', () => rnn.statusBarText().includes('727,745 params'));
  });

  it('Import of a .keras file saved by an exported train.py brings its trained weights as a run beside the model', async () => {
    const fixture = vscode.Uri.file(`${process.env.RNN_STUDIO_REPO}/test/fixtures/interop/special/long-range-memory-trained.keras`);
    const target = workspaceUri('scratch', `imported-${Date.now()}`, 'lrm.rnn.json');
    const result = await vscode.commands.executeCommand<{ uri: vscode.Uri; diagnostics: string[]; runDir?: string }>('rnnStudio.importModel', fixture, target);
    assert.deepEqual(result.diagnostics, []);
    assert.ok(result.runDir, 'a run was written');
    assert.equal(path.dirname(path.dirname(result.runDir)), path.join(path.dirname(target.fsPath), 'runs'), 'runs/<model>/<time>/ beside the model file');
    const metrics = JSON.parse(Buffer.from(await vscode.workspace.fs.readFile(vscode.Uri.file(path.join(result.runDir, 'metrics.json')))).toString('utf8'));
    assert.equal(metrics.importedFrom, fixture.fsPath);
    for (const k of ['loss', 'accuracy']) assert.ok(Math.abs(metrics.testMetrics[k] - metrics.kerasTestMetrics[k]) < 1e-3, `${k}: ${metrics.testMetrics[k]} vs Keras ${metrics.kerasTestMetrics[k]}`);
  });
});

describe('after an error, and hostile files', () => {
  afterEach(closeAll);

  const labelsOf = (hints: vscode.InlayHint[]) => hints.map((h) => (typeof h.label === 'string' ? h.label : h.label.map((p) => p.value).join('')));

  it('inlay hints after an error say why the shape is unknown; CodeLens and status bar say the total is partial', async () => {
    const rnn = await api();
    const editor = await openExample('mistake-stacked-lstm.rnn.json');
    const uri = editor.document.uri;
    const full = new vscode.Range(0, 0, editor.document.lineCount, 0);
    const hints = await waitFor('hints', async () => {
      const found = await vscode.commands.executeCommand<vscode.InlayHint[]>('vscode.executeInlayHintProvider', uri, full);
      return found.length === 4 ? found : undefined;
    });
    assert.deepEqual(labelsOf(hints), [
      '(None, 200, 64) · 640,000',
      '(None, 64) · 33,024',
      '? · unknown: its input (None, 64) has the wrong rank',
      '? · unknown: after the problem in layer 2 "lstm_1"',
    ]);
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri);
    const summary = lenses.find((l) => l.command?.command === 'rnnStudio.showSummary')!;
    assert.equal(summary.command?.title, 'Summary (at least 673,024 (partial) params)');
    assert.match(summary.command?.tooltip ?? '', /layers 2 to 3 could not be computed/);
    await waitFor('status bar says partial', () => rnn.statusBarText().includes('at least 673,024 (partial) params · $(error) 1 error'));
    const text = await vscode.commands.executeCommand<string>('rnnStudio.showSummary', uri);
    assert.match(text, / Partial: layers 2 to 3 could not be computed/);
  });

  it('no info on a layer whose input has the wrong rank', async () => {
    const editor = await openModel(
      '{ "input": { "shape": [64], "dtype": "int32" }, "layers": [ { "type": "Embedding", "input_dim": 100, "output_dim": 8 }, { "type": "LSTM", "units": 64 }, { "type": "SimpleRNN", "units": 4 }, { "type": "Dense", "units": 1 } ] }',
    );
    const codes = await waitFor('diagnostics', () => {
      const found = ours(editor.document.uri).map(codeOf);
      return found.length ? found : undefined;
    });
    assert.deepEqual(codes, ['missing-return-sequences']);
  });

  it('a model file with a UTF-8 byte order mark reads cleanly; deep nesting and 1e999 are errors at their place', async () => {
    const rnn = await api();
    const bom = workspaceUri('scratch', `bom-${Date.now()}.rnn.json`);
    await vscode.workspace.fs.writeFile(bom, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(STACKED)]));
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(bom));
    await waitFor('the BOM model analysed', () => rnn.statusBarText().includes('$(check) no errors'));
    assert.deepEqual(ours(bom), []);

    const hostile = await openModel(STACKED.replace('"units": 32', `"units": 1e999, "x": ${'['.repeat(5000)}${']'.repeat(5000)}`));
    const found = await waitFor('hostile diagnostics', () => {
      const ds = ours(hostile.document.uri).filter((d) => ['too-deep', 'number-not-finite'].includes(codeOf(d)));
      return ds.length === 2 ? ds : undefined;
    });
    assert.equal(hostile.document.getText(found.find((d) => codeOf(d) === 'number-not-finite')!.range), '1e999');
    assert.equal(found.find((d) => codeOf(d) === 'too-deep')!.range.start.line, 6);
  });

  it('Train from the palette with the focus on another file trains the open model (here: refuses it, naming its error)', async () => {
    await openExample('mistake-stacked-lstm.rnn.json');
    await vscode.commands.executeCommand('workbench.action.keepEditor'); // a pinned tab, not a preview the next file replaces
    const other = workspaceUri('scratch', `notes-${Date.now()}.txt`);
    await vscode.workspace.fs.writeFile(other, Buffer.from('notes'));
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(other));
    assert.ok(vscode.window.activeTextEditor?.document.uri.path.endsWith('.txt'));
    const reason = await vscode.commands.executeCommand<string>('rnnStudio.train');
    assert.match(reason, /Training refused: the model has 1 error\. First: LSTM "lstm_1" expects a 3-D input/);
  });
});

describe('Export to Keras over an existing project', () => {
  afterEach(closeAll);

  it('asks before replacing: dismissing keeps the folder, Replace writes it; the result names the path', async () => {
    const editor = await openExample('sentiment-gru.rnn.json');
    const target = workspaceUri('scratch', `replace-${Date.now()}`);
    const first = await vscode.commands.executeCommand<{ uri: vscode.Uri }>('rnnStudio.exportKeras', editor.document.uri, target);
    assert.equal(first.uri.toString(), target.toString());
    const script = vscode.Uri.joinPath(target, 'train.py');
    const mine = '# my own edits\n';
    await vscode.workspace.fs.writeFile(script, Buffer.from(mine));
    await vscode.window.showTextDocument(editor.document);
    const read = async () => Buffer.from(await vscode.workspace.fs.readFile(script)).toString('utf8');

    await vscode.commands.executeCommand('notifications.clearAll');
    const dismissed = vscode.commands.executeCommand<{ cancelled?: boolean }>('rnnStudio.exportKeras', editor.document.uri, target);
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(await read(), mine, 'nothing written while the question is open');
    await vscode.commands.executeCommand('notifications.clearAll');
    assert.equal((await dismissed).cancelled, true);
    assert.equal(await read(), mine, 'dismissing keeps the folder');

    await vscode.window.showTextDocument(editor.document);
    let settled = false;
    const replaced = vscode.commands.executeCommand<{ uri: vscode.Uri }>('rnnStudio.exportKeras', editor.document.uri, target).then((r) => ((settled = true), r));
    await waitFor('the Replace answer to be taken', async () => {
      await Promise.resolve(vscode.commands.executeCommand('notification.acceptPrimaryAction')).catch(() => undefined);
      return settled;
    });
    assert.equal((await replaced).uri.toString(), target.toString());
    assert.match(await read(), /keras\.Sequential/);
    await vscode.workspace.fs.delete(target, { recursive: true });
  });
});
