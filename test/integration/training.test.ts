/// <reference types="mocha" />
import * as assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RunSummary } from '../../src/protocol/trainer';
import type { ComparisonRow, TrainingState } from '../../src/protocol/training';
import { api, closeAll, openModel, waitFor } from './util';

/** Training from the editor, in the real extension host, with the real trainer process. */

function tinyModel(name: string, epochs = 2, samples = 240): string {
  return `{
  "name": "${name}",
  "input": { "shape": [12], "dtype": "int32" },
  "layers": [
    { "type": "Embedding", "input_dim": 10, "output_dim": 4 },
    { "type": "LSTM", "units": 8 },
    { "type": "Dense", "units": 1, "activation": "sigmoid" }
  ],
  "compile": { "optimizer": "adam", "learning_rate": 0.01, "loss": "binary_crossentropy", "metrics": ["accuracy"] },
  "data": { "kind": "text", "source": "builtin", "dataset": "long_range_memory", "k": 3, "maxlen": 12, "vocab_size": 10, "samples": ${samples}, "seed": 4 },
  "training": { "epochs": ${epochs}, "batch_size": 16, "validation_split": 0.2, "seed": 2 }
}
`;
}

describe('training in the editor', () => {
  afterEach(closeAll);

  it('Train trains the editor\'s unsaved text in the trainer process and writes a run folder', async () => {
    const rnn = await api();
    const editor = await openModel(tinyModel('tiny-train'));
    // An unsaved edit counts: 3 epochs instead of 2.
    await editor.edit((b) => b.replace(editor.document.lineAt(editor.document.lineCount - 3).range, '  "training": { "epochs": 3, "batch_size": 16, "validation_split": 0.2, "seed": 2 }'));
    assert.ok(editor.document.isDirty);
    const states: TrainingState[] = [];
    const listener = rnn.training.onDidChangeState((e) => states.push(e.state));
    const run = await vscode.commands.executeCommand<RunSummary>('rnnStudio.train', editor.document.uri);
    listener.dispose();
    assert.ok(run && run.runDir, 'a run');
    assert.equal(run.epochs, 3);
    assert.deepEqual(readdirSync(run.runDir).sort(), ['history.json', 'metrics.json', 'model.json', 'model.rnn.json', 'preprocessor.json', 'weights.bin']);
    assert.equal(path.dirname(path.dirname(run.runDir)), path.join(path.dirname(editor.document.uri.fsPath), 'runs'));
    assert.ok(states.some((s) => s.status === 'running' && s.batches.length > 0), 'live snapshots while running');
    assert.equal(states.at(-1)?.status, 'done');
    assert.equal(states.at(-1)?.backend, 'cpu'); // the shipped backend (TensorFlow.js' JavaScript one, with the kernels)
    const loaded = Object.keys(require.cache).filter((k) => k.includes('@tensorflow'));
    assert.deepEqual(loaded, [], 'TensorFlow stays out of the extension host');
    const runs = await rnn.training.listRuns(editor.document);
    assert.equal(runs[0].id, path.basename(run.runDir));
    assert.equal(runs[0].history.length, 3);

    const memory = await rnn.training.inspect(editor.document, runs[0].id, '1 2 3 4 5 6 7 8 9 1 2 3');
    assert.equal(memory.kind, 'text');
    if (memory.kind === 'text') {
      assert.equal(memory.layers[0].hidden.length, 12);
      assert.equal(memory.layers[0].hidden[0].length, 8);
      assert.equal(memory.layers[0].cell?.length, 12, 'LSTM cell state');
      assert.equal(memory.perStep?.length, 12);
    }
    const metrics = await vscode.commands.executeCommand<Record<string, number>>('rnnStudio.evaluate', editor.document.uri, runs[0].id);
    assert.ok(metrics.accuracy >= 0 && metrics.accuracy <= 1);
  });

  it('Stop mid-epoch leaves a consistent run with the finished epochs', async () => {
    const rnn = await api();
    const editor = await openModel(tinyModel('tiny-cancel', 500, 2000));
    const stopped = new Promise<void>((resolve) => {
      const listener = rnn.training.onDidChangeState((e) => {
        if (e.state.epoch >= 2 && e.state.step > 2 && e.state.status === 'running') {
          listener.dispose();
          void vscode.commands.executeCommand('rnnStudio.stopTraining');
          resolve();
        }
      });
    });
    const training = vscode.commands.executeCommand<RunSummary>('rnnStudio.train', editor.document.uri);
    await stopped;
    const run = await training;
    assert.equal(run.cancelled, true);
    assert.ok(run.epochs >= 1 && run.epochs < 500);
    assert.ok(existsSync(path.join(run.runDir, 'weights.bin')));
    assert.deepEqual(readdirSync(path.dirname(run.runDir)).filter((f) => f.startsWith('.')), [], 'no partial folder');
  });

  it('a second Stop ends the trainer at once and keeps nothing of the run', async () => {
    const rnn = await api();
    const editor = await openModel(tinyModel('tiny-stop-twice', 500, 2000));
    const stopped = new Promise<void>((resolve) => {
      const listener = rnn.training.onDidChangeState((e) => {
        if (e.state.epoch >= 2 && e.state.status === 'running') {
          listener.dispose();
          void vscode.commands.executeCommand('rnnStudio.stopTraining').then(() => vscode.commands.executeCommand('rnnStudio.stopTraining'));
          resolve();
        }
      });
    });
    const training = vscode.commands.executeCommand<RunSummary | undefined>('rnnStudio.train', editor.document.uri);
    await stopped;
    assert.equal(await training, undefined, 'no run');
    const state = rnn.training.lastState.get(editor.document.uri.toString());
    assert.equal(state?.status, 'failed');
    assert.equal(state?.error, 'Stopped at once; nothing of this run was saved.');
    const root = path.join(path.dirname(editor.document.uri.fsPath), 'runs', 'tiny-stop-twice');
    assert.deepEqual(existsSync(root) ? readdirSync(root) : [], [], 'no run, no partial folder');
    assert.equal(rnn.training.isRunning, false);
  });

  it('a trainer crash is reported and the extension keeps working', async () => {
    const rnn = await api();
    const editor = await openModel(tinyModel('tiny-crash', 500, 2000));
    const started = waitFor('training to run', () => rnn.training.isRunning && rnn.training.lastState.get(editor.document.uri.toString())?.status === 'running', 20_000);
    const training = vscode.commands.executeCommand<RunSummary | undefined>('rnnStudio.train', editor.document.uri);
    await started;
    // A real crash: the trainer process (this extension host's child) killed from outside.
    const trainers = readdirSync(`/proc/${process.pid}/task`).flatMap((t) => readFileSync(`/proc/${process.pid}/task/${t}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
    const trainer = trainers.find((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('trainer.js'));
    assert.ok(trainer, 'the trainer process');
    process.kill(trainer, 'SIGKILL');
    assert.equal(await training, undefined);
    const state = rnn.training.lastState.get(editor.document.uri.toString());
    assert.equal(state?.status, 'failed');
    assert.match(state?.error ?? '', /killed \(SIGKILL\)/);
    // Still working: a new training runs to the end.
    const next = await openModel(tinyModel('tiny-after-crash', 1, 160));
    const again = await vscode.commands.executeCommand<RunSummary>('rnnStudio.train', next.document.uri);
    assert.ok(again?.runDir, 'the next training runs');
    const summary = await vscode.commands.executeCommand<string>('rnnStudio.showSummary', editor.document.uri);
    assert.match(summary, /Total params/);
  });

  it('a diverging loss is a failure naming epoch and batch, and no run is kept', async () => {
    const rnn = await api();
    const text = `{
  "name": "tiny-diverging",
  "input": { "shape": [7, 4] },
  "layers": [ { "type": "LSTM", "units": 8 }, { "type": "Dense", "units": 1 } ],
  "compile": { "optimizer": "adam", "learning_rate": 1e30, "loss": "mse" },
  "data": { "kind": "timeseries", "source": "builtin", "dataset": "seattle_weather", "columns": ["temp_max", "temp_min", "precipitation", "wind"], "target": "temp_max", "window": 7 },
  "training": { "epochs": 2, "batch_size": 16 }
}
`;
    const editor = await openModel(text);
    const run = await vscode.commands.executeCommand<RunSummary | undefined>('rnnStudio.train', editor.document.uri);
    assert.equal(run, undefined, 'not a run');
    const state = rnn.training.lastState.get(editor.document.uri.toString());
    assert.equal(state?.status, 'failed');
    assert.match(state?.error ?? '', /the loss became (NaN|Infinity) at epoch 1\/2, batch \d+\/\d+; training stopped there \(as Keras' TerminateOnNaN\) and no run was saved/);
    assert.deepEqual(await rnn.training.listRuns(editor.document), []);
  });

  it('a model too large for the memory is refused before training, with the figures', async () => {
    const rnn = await api();
    const editor = await openModel(tinyModel('tiny-huge').replace('"units": 8', '"units": 100000'));
    const run = await vscode.commands.executeCommand<RunSummary | undefined>('rnnStudio.train', editor.document.uri);
    assert.equal(run, undefined);
    const state = rnn.training.lastState.get(editor.document.uri.toString());
    assert.equal(state?.status, 'failed');
    assert.match(state?.error ?? '', /Training needs about [\d.]+ GB for one batch of 16 with adam \(weights [\d.]+ GB,.* more than the [\d.]+ [GM]B available .*"memory_check": false/);
    assert.equal(state?.epochs, 0, 'nothing trained');
  });

  it('Compare Cell Types trains SimpleRNN, LSTM and GRU on the same data and seed', async () => {
    const rnn = await api();
    const editor = await openModel(tinyModel('tiny-compare', 1, 160));
    const rows = await vscode.commands.executeCommand<ComparisonRow[]>('rnnStudio.compareCells', editor.document.uri, false);
    assert.deepEqual(rows.map((r) => [r.cell, r.status]), [['SimpleRNN', 'done'], ['LSTM', 'done'], ['GRU', 'done']]);
    assert.deepEqual(rows.map((r) => r.params), [40 + 8 * (4 + 8) + 8 + 9, 40 + 4 * (8 * (4 + 8) + 8) + 9, 40 + 3 * (8 * (4 + 8) + 16) + 9]);
    for (const r of rows) assert.ok(r.testAccuracy !== undefined && r.trainSeconds! > 0 && r.history.length === 1);
    assert.equal((await rnn.training.listRuns(editor.document)).length, 3);
  });
});
