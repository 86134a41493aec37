/// <reference types="mocha" />
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { api, closeAll, codeOf, ours, waitFor, workspaceUri } from './util';

/** Keras models in a .py file and in a notebook, through the real VS Code API in a real extension host. */

// The tutorial's first "common mistake", as pasted, with the imports of its chapter.
const STACKED_MISTAKE = `import tensorflow as tf
from tensorflow.keras.layers import Embedding, LSTM, Dense

model = tf.keras.Sequential([
    Embedding(10000, 64),
    LSTM(64),                # return_sequences=False (default)
    LSTM(32),                # Error! Expects 3D input
    Dense(1, activation='sigmoid')
])
`;

let counter = 0;
async function writeScratch(name: string, text: string): Promise<vscode.Uri> {
  const uri = workspaceUri('scratch', `${counter++}-${name}`);
  await vscode.workspace.fs.writeFile(uri, Buffer.from(text));
  return uri;
}

async function hints(uri: vscode.Uri, document: vscode.TextDocument): Promise<vscode.InlayHint[]> {
  const range = new vscode.Range(0, 0, document.lineCount, 0);
  return vscode.commands.executeCommand<vscode.InlayHint[]>('vscode.executeInlayHintProvider', uri, range);
}

const label = (h: vscode.InlayHint) => (typeof h.label === 'string' ? h.label : h.label.map((p) => p.value).join(''));

describe('Keras code in a Python file', () => {
  afterEach(closeAll);

  it('shows the stacked-LSTM error on the producing layer, and its quick fix adds return_sequences=True in place', async () => {
    await api();
    const uri = await writeScratch('stacked.py', STACKED_MISTAKE);
    const editor = await vscode.window.showTextDocument(uri);
    assert.equal(editor.document.languageId, 'python');
    const [d] = await waitFor('the return_sequences error', () => {
      const found = ours(uri).filter((x) => codeOf(x) === 'missing-return-sequences');
      return found.length ? found : undefined;
    }, 20_000);
    assert.equal(d.severity, vscode.DiagnosticSeverity.Error);
    assert.equal(d.range.start.line, 5);
    assert.equal(editor.document.getText(d.range), 'LSTM');
    assert.match(d.message, /Set return_sequences=True on "lstm"/);

    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, d.range, vscode.CodeActionKind.QuickFix.value);
    const fix = actions.find((a) => a.title === 'Set return_sequences=True on "lstm"');
    assert.ok(fix?.edit, `no fix among ${actions.map((a) => a.title).join(', ')}`);
    assert.ok(actions.some((a) => a.title === 'Fix all return_sequences problems'));
    assert.ok(await vscode.workspace.applyEdit(fix.edit));
    assert.equal(editor.document.lineAt(5).text, '    LSTM(64, return_sequences=True),                # return_sequences=False (default)');
    await waitFor('the error to clear', () => ours(uri).every((x) => x.severity !== vscode.DiagnosticSeverity.Error) || undefined, 20_000);
    const shown = await hints(uri, editor.document);
    assert.deepEqual(
      shown.map(label),
      ['(None, None, 64) · 640,000', '(None, None, 64) · 33,024', '(None, 32) · 12,416', '(None, 1) · 33'],
    );
    assert.equal(shown[1].position.line, 5);
  });

  it('fix-all repairs a whole stack, hover gives the formula, CodeLens converts to a .rnn.json with the same model', async () => {
    const rnn = await api();
    const text = STACKED_MISTAKE.replace('    LSTM(32),', '    LSTM(48),\n    LSTM(32),') + "padded = tf.keras.utils.pad_sequences(sequences, maxlen=200, padding='post')\nmodel.fit(padded, labels, epochs=3)\n";
    const uri = await writeScratch('stack3.py', text);
    const editor = await vscode.window.showTextDocument(uri);
    const [d] = await waitFor('the error', () => (ours(uri).length ? ours(uri) : undefined), 20_000);
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, d.range, vscode.CodeActionKind.SourceFixAll.value);
    const all = actions.find((a) => a.title === 'Fix all return_sequences problems');
    assert.ok(all?.edit);
    assert.ok(await vscode.workspace.applyEdit(all.edit));
    assert.match(editor.document.getText(), /LSTM\(64, return_sequences=True\),[^\n]*\n {4}LSTM\(48, return_sequences=True\),\n {4}LSTM\(32\),/);
    await waitFor('no errors', () => ours(uri).every((x) => x.severity !== vscode.DiagnosticSeverity.Error) || undefined, 20_000);

    const at = new vscode.Position(5, 6);
    const [hover] = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, at);
    const md = hover.contents.map((c) => (typeof c === 'string' ? c : 'value' in c ? c.value : '')).join('\n');
    assert.match(md, /LSTM: 4 x \(64 x \(64 \+ 64\) \+ 64\) = 33,024/);

    editor.selection = new vscode.Selection(at, at);
    // 640,000 + 4 x (64 x (64 + 64) + 64) + 4 x (48 x (64 + 48) + 48) + 4 x (32 x (48 + 32) + 32) + 33
    await waitFor(`the status bar (it shows "${rnn.pythonStatusBarText()}")`, () => rnn.pythonStatusBarText() === '$(layers) model: 705,121 params · $(check) no errors' || undefined);

    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri);
    const titles = lenses.map((l) => l.command?.title ?? '');
    assert.ok(titles.some((t) => /^Summary \(\d[\d,]* params\)$/.test(t)), titles.join(', '));
    // The designer shows the model under the CodeLens, read-only.
    const open = lenses.find((l) => l.command?.title === 'Open Designer')!;
    const posted = new Promise<{ fileName: string; analysis: { totalParams: number; layers: unknown[] } }>((resolve) => {
      const sub = rnn.designer.onDidPost((m) => {
        if (m.type === 'model') {
          sub.dispose();
          resolve(m);
        }
      });
    });
    await vscode.commands.executeCommand(open.command!.command, ...(open.command!.arguments ?? []));
    const shown = await posted;
    assert.match(shown.fileName, /stack3\.py · model \(read-only\)$/);
    assert.equal(shown.analysis.totalParams, 705_121);
    assert.equal(shown.analysis.layers.length, 5);

    const convert = lenses.find((l) => l.command?.title === 'Convert to .rnn.json')!;
    const target = await vscode.commands.executeCommand<vscode.Uri>(convert.command!.command, ...(convert.command!.arguments ?? []));
    assert.match(target.path, /\/scratch\/model(-\d+)?\.rnn\.json$/);
    const convertedText = Buffer.from(await vscode.workspace.fs.readFile(target)).toString('utf8');
    assert.match(convertedText, /^\/\/ Converted by RNN Studio from the Keras model at scratch\/\d+-stack3\.py:4\./);
    const converted = JSON.parse(convertedText.replace(/^\s*\/\/.*\n/gm, ''));
    assert.deepEqual(converted.layers.map((l: { type: string }) => l.type), ['Embedding', 'LSTM', 'LSTM', 'LSTM', 'Dense']);
    // pad_sequences' settings go to "data", fit's to "training"; the note names where the samples come from.
    assert.deepEqual(converted.data, { kind: 'text', maxlen: 200, padding: 'post' });
    assert.deepEqual(converted.training, { epochs: 3 });
    assert.match(convertedText, /\n {4}\/\/ The samples come from `sequences` in Python,\n/);
    const summary = await vscode.commands.executeCommand<string>('rnnStudio.showSummary', target);
    const pySummary = await vscode.commands.executeCommand<string>('rnnStudio.python.showSummary', uri, 0);
    const total = (s: string) => /Total params: ([\d,]+)/.exec(s)?.[1];
    assert.equal(total(summary), total(pySummary));
    // And back: the model file as Keras code, on the clipboard.
    const code = await vscode.commands.executeCommand<string>('rnnStudio.copyAsKerasCode', target);
    assert.match(code, /^import keras\n\nmodel = keras\.Sequential\(\n {4}\[\n {8}keras\.Input\(shape=\(None,\), dtype="int32"\),/);
    assert.equal(await vscode.env.clipboard.readText(), code);
  });

  it('a Python file without Keras shows nothing', async () => {
    const rnn = await api();
    const uri = await writeScratch('plain.py', 'import torch\nmodel = torch.nn.Sequential(torch.nn.LSTM(3, 4))\n');
    const editor = await vscode.window.showTextDocument(uri);
    const view = await rnn.python.view(editor.document);
    assert.deepEqual(view.models, []);
    assert.deepEqual(await hints(uri, editor.document), []);
    assert.deepEqual(ours(uri), []);
  });
});

describe('Keras code in a notebook', () => {
  afterEach(closeAll);

  it('every code cell gets diagnostics, quick fixes and hints; constants of earlier cells are known', async function () {
    // The first notebook of a session starts VS Code's notebook machinery: slow on a loaded machine.
    this.timeout(120_000);
    await api();
    const cells = [
      { cell_type: 'markdown', metadata: {}, source: ['# Stacked LSTM forecaster'] },
      { cell_type: 'code', metadata: {}, execution_count: null, outputs: [], source: ['%matplotlib inline\n', 'import tensorflow as tf\n', 'from tensorflow.keras.layers import LSTM, Dense\n', 'SEQ_LENGTH = 30'] },
      { cell_type: 'code', metadata: {}, execution_count: null, outputs: [], source: ['model = tf.keras.Sequential([\n', '    LSTM(64, input_shape=(SEQ_LENGTH, 1)),\n', '    LSTM(32),\n', '    Dense(1)\n', '])'] },
    ];
    const uri = await writeScratch('forecast.ipynb', JSON.stringify({ cells, metadata: { language_info: { name: 'python' } }, nbformat: 4, nbformat_minor: 5 }));
    const notebook = await vscode.workspace.openNotebookDocument(uri);
    await vscode.window.showNotebookDocument(notebook);
    const cell = notebook.cellAt(2).document;
    assert.equal(cell.languageId, 'python');
    const [d] = await waitFor('the error in cell 3', () => {
      const found = ours(cell.uri).filter((x) => codeOf(x) === 'missing-return-sequences');
      return found.length ? found : undefined;
    }, 20_000);
    assert.equal(cell.getText(d.range), 'LSTM');
    assert.equal(d.range.start.line, 1);
    const shown = await hints(cell.uri, cell);
    assert.deepEqual(shown.map(label), ['(None, 64) · 16,896']);

    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', cell.uri, d.range, vscode.CodeActionKind.QuickFix.value);
    const fix = actions.find((a) => a.title === 'Set return_sequences=True on "lstm"');
    assert.ok(fix?.edit, `no fix among ${actions.map((a) => a.title).join(', ')}`);
    assert.ok(await vscode.workspace.applyEdit(fix.edit));
    assert.equal(cell.lineAt(1).text, '    LSTM(64, input_shape=(SEQ_LENGTH, 1), return_sequences=True),');
    await waitFor('the error to clear', () => ours(cell.uri).length === 0 || undefined, 20_000);
    const after = await waitFor('three hints', async () => {
      const h = await hints(cell.uri, cell);
      return h.length === 3 ? h : undefined;
    });
    assert.deepEqual(after.map(label), ['(None, 30, 64) · 16,896', '(None, 32) · 12,416', '(None, 1) · 33']);
  });

  it('fix-all repairs every stack of the notebook, each cell in place', async function () {
    this.timeout(120_000);
    await api();
    const code = (source: string) => ({ cell_type: 'code', metadata: {}, execution_count: null, outputs: [], source: [source] });
    const cells = [
      code('import tensorflow as tf\nfrom tensorflow.keras.layers import LSTM, Dense\nT = 30'),
      code('model = tf.keras.Sequential([\n    LSTM(64, input_shape=(T, 1)),\n    LSTM(48),\n    LSTM(32),\n    Dense(1)\n])'),
      code('other = tf.keras.Sequential([tf.keras.Input((T, 2)), LSTM(8), LSTM(4), Dense(1)])'),
    ];
    const uri = await writeScratch('stacks.ipynb', JSON.stringify({ cells, metadata: { language_info: { name: 'python' } }, nbformat: 4, nbformat_minor: 5 }));
    const notebook = await vscode.workspace.openNotebookDocument(uri);
    await vscode.window.showNotebookDocument(notebook);
    const cell = notebook.cellAt(1).document;
    const [d] = await waitFor('the error in cell 2', () => {
      const found = ours(cell.uri).filter((x) => codeOf(x) === 'missing-return-sequences');
      return found.length ? found : undefined;
    }, 60_000);
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', cell.uri, d.range, vscode.CodeActionKind.SourceFixAll.value);
    const all = actions.find((a) => a.title === 'Fix all return_sequences problems');
    assert.ok(all?.edit, `no fix-all among ${actions.map((a) => a.title).join(', ')}`);
    assert.ok(await vscode.workspace.applyEdit(all.edit));
    assert.match(cell.getText(), /LSTM\(64, input_shape=\(T, 1\), return_sequences=True\),\n {4}LSTM\(48, return_sequences=True\),\n {4}LSTM\(32\),/);
    assert.equal(notebook.cellAt(2).document.getText(), 'other = tf.keras.Sequential([tf.keras.Input((T, 2)), LSTM(8, return_sequences=True), LSTM(4), Dense(1)])');
    assert.equal(notebook.cellAt(0).document.getText(), 'import tensorflow as tf\nfrom tensorflow.keras.layers import LSTM, Dense\nT = 30');
    await waitFor('no errors in any cell', () => [1, 2].every((i) => ours(notebook.cellAt(i).document.uri).every((x) => x.severity !== vscode.DiagnosticSeverity.Error)) || undefined, 20_000);
    const shown = await waitFor('hints in cell 3', async () => {
      const h = await hints(notebook.cellAt(2).document.uri, notebook.cellAt(2).document);
      return h.length === 3 ? h : undefined;
    });
    assert.deepEqual(shown.map(label), ['(None, 30, 8) · 352', '(None, 4) · 208', '(None, 1) · 5']);
  });
});
