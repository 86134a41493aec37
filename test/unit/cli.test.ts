import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { modelText, repoRoot } from './helpers';

/** The real `rnn-studio` bin, as users run it. */
function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [path.join(repoRoot, 'bin/rnn-studio.js'), ...args], { cwd: repoRoot, encoding: 'utf8', timeout: 60_000, maxBuffer: 256 * 1024 * 1024 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const scratch = mkdtempSync(path.join(tmpdir(), 'rnn-cli-'));
function file(name: string, text: string): string {
  const p = path.join(scratch, name);
  writeFileSync(p, text);
  return p;
}

describe('rnn-studio CLI', () => {
  it('summary prints a Keras-style table with totals', () => {
    const r = cli('summary', 'examples/imdb-bilstm-stacked.rnn.json');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /Model: "imdb-bilstm-stacked"/);
    assert.match(r.out, /│ bidirectional \(Bidirectional\)\s+│ \(None, 200, 128\)\s+│\s+66,048 │/);
    assert.match(r.out, / Total params: 727,745 \(2\.78 MB\)/);
    assert.match(r.out, / Non-trainable params: 0 \(0\.00 B\)/);
  });

  it('summary --json gives one object per file with the documented fields', () => {
    const files = readdirSync(path.join(repoRoot, 'examples')).filter((f) => f.endsWith('.rnn.json')).map((f) => `examples/${f}`);
    const r = cli('summary', '--json', ...files);
    const lines = r.out.trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(lines.length, files.length);
    const stacked = lines.find((l) => l.file === 'examples/imdb-bilstm-stacked.rnn.json');
    assert.deepEqual(stacked.layers[1], { index: 1, name: 'bidirectional', type: 'Bidirectional', output_shape: [null, 200, 128], trainable_params: 66048, non_trainable_params: 0 });
    assert.equal(stacked.total_params, 727745);
    const mistake = lines.find((l) => l.file.endsWith('mistake-stacked-lstm.rnn.json'));
    assert.equal(mistake.diagnostics[0].code, 'missing-return-sequences');
    assert.deepEqual(mistake.diagnostics[0].range.start, { line: 6, character: 6 });
    assert.equal(mistake.layers[2].output_shape, null);
    assert.equal(r.code, 1, 'the mistake example has an error');
  });

  it('check prints compiler-style lines and exits 1 on errors', () => {
    const r = cli('check', 'examples/mistake-stacked-lstm.rnn.json');
    assert.equal(r.code, 1);
    assert.match(r.out, /^examples\/mistake-stacked-lstm\.rnn\.json:7:7: error missing-return-sequences: /m);
  });

  it('exits 0 without errors, even with warnings', () => {
    const p = file('warn.rnn.json', modelText([{ type: 'Embedding', input_dim: 100, output_dim: 8 }, { type: 'SimpleRNN', units: 4 }, { type: 'Dense', units: 1, activation: 'sigmoid' }]));
    const r = cli('check', p);
    assert.equal(r.code, 0);
    assert.match(r.out, /info simple-rnn-long-sequence/);
  });

  it('exits 2 for an unreadable file, bad usage and unknown commands, without a stack trace', () => {
    for (const args of [['check', path.join(scratch, 'missing.rnn.json')], ['check'], ['frobnicate'], ['summary', '--bogus', 'x']]) {
      const r = cli(...args);
      assert.equal(r.code, 2, args.join(' '));
      assert.doesNotMatch(r.err, /\n\s+at /, 'no stack trace');
      assert.match(r.err, /rnn-studio: /);
    }
  });

  it('reports a broken file as diagnostics, not a crash', () => {
    const r = cli('check', file('broken.rnn.json', '{ "input": { "shape": [10, 1] }, "layers": [ { "type": "LSTM", "units": } ] '));
    assert.equal(r.code, 1);
    assert.match(r.out, /broken\.rnn\.json:1:\d+: error json-syntax: JSON syntax error: Value expected\./);
  });

  it('finishes a 10,000-layer model (no quadratic blow-up, no hang)', () => {
    const layers = [{ type: 'LSTM', units: 8, return_sequences: true }, ...Array.from({ length: 9998 }, (_, i) => (i % 2 ? { type: 'Dropout', rate: 0.1 } : { type: 'Dense', units: 8 })), { type: 'GlobalMaxPooling1D' }];
    const r = cli('summary', '--json', file('huge.rnn.json', modelText(layers, {}, { shape: [20, 4] })));
    assert.equal(r.code, 0, r.err);
    const out = JSON.parse(r.out);
    assert.equal(out.layers.length, 10000);
    assert.deepEqual(out.layers[9999].output_shape, [null, 8]);
  });

  it('summary and check read Keras models from Python files and notebooks', () => {
    const py = 'test/fixtures/python/ch18-mistake-stacked.py';
    const check = cli('check', py);
    assert.equal(check.code, 1);
    assert.match(check.out, /^test\/fixtures\/python\/ch18-mistake-stacked\.py:3:5: error missing-return-sequences: .*Set return_sequences=True on "lstm"/m);
    const compare = cli('summary', '--json', 'test/fixtures/python/ch18-compare.py');
    assert.equal(compare.code, 0);
    const models = compare.out.trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(models.map((m) => [m.variable, m.total_params]), [['model', 166273], ['model', 184897], ['model', 178881]]);
    assert.deepEqual(models[0].diagnostics[0].range, { start: { line: 13, character: 28 }, end: { line: 13, character: 47 } });
    // Each call site's model has the function body's note in --json; check prints it once.
    assert.deepEqual(models.map((m) => m.diagnostics.filter((d: { code: string }) => d.code === 'input-length-ignored').length), [1, 1, 1]);
    assert.equal(cli('check', 'test/fixtures/python/ch18-compare.py').out.match(/input-length-ignored/g)?.length, 1);
    const cells = [
      { cell_type: 'markdown', source: ['# Stacked LSTM'] },
      { cell_type: 'code', source: ['%matplotlib inline\n', 'import tensorflow as tf\n', 'UNITS = 64'] },
      { cell_type: 'code', source: ['model = tf.keras.Sequential([\n', '    tf.keras.Input((30, 1)),\n', '    tf.keras.layers.LSTM(UNITS),\n', '    tf.keras.layers.LSTM(32),\n', '])'] },
    ];
    const nb = file('stacked.ipynb', JSON.stringify({ cells, metadata: {}, nbformat: 4, nbformat_minor: 5 }));
    const nbCheck = cli('check', nb);
    assert.equal(nbCheck.code, 1);
    assert.match(nbCheck.out, /stacked\.ipynb:cell 3:3:21: error missing-return-sequences/);
    const [record] = cli('summary', '--json', nb).out.trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(record.cell, 2);
    assert.equal(record.layers[0].trainable_params, 4 * (64 * (1 + 64) + 64), 'UNITS from the earlier cell');
    assert.deepEqual(record.diagnostics.map((d: { cell: number; range: { start: { line: number } } }) => [d.cell, d.range.start.line]), [[2, 2]]);
    assert.equal(cli('check', file('bad.ipynb', '{ nope')).code, 2);
  });
});
