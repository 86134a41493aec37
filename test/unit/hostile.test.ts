import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { analyzeModel, formatSummary, formatTotalParams, layerHint } from '../../src/core';
import { MAX_NESTING } from '../../src/core/json';
import { importModel } from '../../src/interop/importModel';
import { modelText, only, repoRoot, textAt } from './helpers';

/** Hostile model files: each class of the robustness issue, with the place and the words users see. */

const layerLine = (extra: string) => `{\n  "input": { "shape": [10, 1] },\n  "layers": [\n    { "type": "Dense", "units": 4${extra} }\n  ]\n}\n`;

describe('nesting deeper than the limit', () => {
  for (const [name, open, close] of [
    ['arrays', '[', ']'],
    ['objects', '{"a": ', '}'],
  ] as const) {
    it(`${name}, 100,000 levels deep in a layer: one too-deep error at the level that exceeds, no stack overflow`, () => {
      const depth = 100_000;
      const text = layerLine(`,\n      "x": ${open.repeat(depth)}1${close.repeat(depth)}`);
      const a = analyzeModel(text);
      const d = only(a, 'too-deep');
      assert.equal(d.severity, 'error');
      assert.equal(d.range.start.line, 4, 'on the line of "x"');
      // "x" sits at level 3 (model, layers, layer): the opener of level 101 is the 98th of the value.
      assert.equal(d.range.start.character, text.split('\n')[4].indexOf(open[0]) + (MAX_NESTING - 3) * open.length);
      assert.deepEqual(d.path.slice(0, 3), ['layers', 0, 'x']);
      assert.match(d.message, /^"x\.[a0.]+…?" of Dense \(layer 0\) is nested more than 100 levels deep here/);
      assert.equal(d.layerIndex, 0);
      only(a, 'unknown-key');
      assert.deepEqual(a.layers[0].outputShape, [null, 10, 4], 'the layer itself is still computed');
    });
  }

  it('5,000 unclosed brackets: one too-deep error and one syntax error, not one per bracket', () => {
    const a = analyzeModel('['.repeat(5000));
    assert.deepEqual(a.diagnostics.map((d) => d.code).sort(), ['json-syntax', 'too-deep']);
  });

  it('a model nested exactly to the limit reads normally', () => {
    const depth = MAX_NESTING - 3; // root object, layers array and the layer object
    const a = analyzeModel(layerLine(`, "x": ${'['.repeat(depth)}${']'.repeat(depth)}`));
    assert.deepEqual(
      a.diagnostics.map((d) => d.code),
      ['unknown-key'],
    );
  });

  it('deep nesting in input.shape is reported there, once, and the shape is unknown', () => {
    const text = `{ "input": { "shape": ${'['.repeat(500)}${']'.repeat(500)} }, "layers": [ { "type": "Dense", "units": 1 } ] }`;
    const a = analyzeModel(text);
    const d = only(a, 'too-deep');
    assert.deepEqual(d.path.slice(0, 2), ['input', 'shape']);
    assert.equal(a.layers[0].outputShape, null);
  });
});

describe('import of a deeply nested Keras JSON', () => {
  it('refuses it with the line, without a stack overflow', () => {
    const r = importModel(`{\n"class_name": "Sequential",\n"config": ${'{"a": '.repeat(60_000)}1${'}'.repeat(60_000)}}`);
    assert.equal(r.modelText, '');
    assert.deepEqual(r.diagnostics, ['The input is nested more than 100 levels deep at line 3 (in "config"); a Keras model JSON needs far fewer.']);
  });
});

describe('many keys: linear, and a bounded list of problems', () => {
  it('20,000 unknown keys in one layer: the first 100 marked one by one, then one problem for the rest', () => {
    const keys = Array.from({ length: 20_000 }, (_, i) => `"key_${i}": ${i}`).join(', ');
    const a = analyzeModel(layerLine(`, ${keys}, "untis": 3`));
    const unknown = a.diagnostics.filter((d) => d.code === 'unknown-key');
    assert.equal(unknown.length, 101);
    assert.match(unknown[100].message, /^19,901 more unknown keys for Dense from here on \(only the first 100 are marked one by one\)\./);
    assert.match(unknown[0].message, /^Unknown key "key_0" for Dense\./);
  });

  it('a 300,000-item array is read without spreading it onto the stack', () => {
    const a = analyzeModel(layerLine(`, "x": [${new Array(300_000).fill(0).join(',')}]`));
    assert.deepEqual(
      a.diagnostics.map((d) => d.code),
      ['unknown-key'],
    );
  });

  it('"did you mean" still works beside many other keys', () => {
    const keys = Array.from({ length: 50 }, (_, i) => `"k${i}": 1`).join(', ');
    const a = analyzeModel(layerLine(`, ${keys}, "activaton": "relu"`));
    const typo = a.diagnostics.find((d) => d.message.includes('"activaton"'))!;
    assert.match(typo.message, /Did you mean "activation"\?/);
  });
});

describe('inherited names are unknown keys', () => {
  for (const key of ['constructor', 'toString', 'valueOf', 'hasOwnProperty', '__proto__']) {
    it(`"${key}" in a layer is an unknown-key error, so the model does not check clean`, () => {
      const text = layerLine(`, "${key}": 1`);
      const d = only(analyzeModel(text), 'unknown-key');
      assert.equal(d.severity, 'error');
      assert.equal(textAt(text, d), `"${key}"`);
      assert.deepEqual(d.path, ['layers', 0, key]);
    });
  }

  it('"constructor" as a layer type, a top-level key and a compile key', () => {
    const text = modelText([{ type: 'constructor' }], { constructor: 1, compile: { toString: 'x', loss: 'mse' } }, { shape: [10, 1] });
    const codes = analyzeModel(text).diagnostics.map((d) => d.code);
    assert.ok(codes.includes('unknown-layer-type'), codes.join());
    assert.equal(codes.filter((c) => c === 'unknown-key').length, 2, codes.join());
  });
});

describe('numbers must be finite and fit', () => {
  it('1e999 is number-not-finite on the literal, with no second schema error and no ∞ anywhere', () => {
    const text = layerLine('').replace('"units": 4', '"units": 1e999');
    const a = analyzeModel(text);
    const d = only(a, 'number-not-finite');
    assert.equal(textAt(text, d), '1e999');
    assert.match(d.message, /^"units" of Dense \(layer 0\) is 1e999, beyond the largest number there is/);
    assert.equal(a.diagnostics.length, 1, a.diagnostics.map((x) => x.code).join());
    assert.ok(Number.isFinite(a.totalParams));
    assert.doesNotMatch(formatSummary(a), /∞|Infinity/);
  });

  it('1e308 units: out-of-range at the value, never "∞ parameters"', () => {
    const text = layerLine('').replace('"units": 4', '"units": 1e308');
    const a = analyzeModel(text);
    const d = only(a, 'out-of-range');
    assert.equal(textAt(text, d), '1e308');
    assert.match(d.message, /must be at most 2,147,483,647 \(TensorFlow sizes are 32-bit\); got 1e\+308\./);
    assert.ok(a.diagnostics.every((x) => !/∞|Infinity/.test(x.message)));
    assert.equal(a.layers[0].outputShape, null);
  });

  it('an input dimension of 1e308 or -1e999', () => {
    for (const [literal, code] of [
      ['1e308', 'out-of-range'],
      ['-1e999', 'number-not-finite'],
    ]) {
      const text = `{ "input": { "shape": [${literal}, 1] }, "layers": [ { "type": "LSTM", "units": 4 } ] }`;
      const a = analyzeModel(text);
      const d = a.diagnostics.find((x) => x.code === code);
      assert.ok(d, `${literal}: ${a.diagnostics.map((x) => x.code).join()}`);
      assert.equal(textAt(text, d), literal);
      assert.equal(a.inputShape, null);
    }
  });
});

describe('text details', () => {
  it('a UTF-8 byte order mark before the model is white space, and positions stay right', () => {
    const text = '\ufeff' + modelText([{ type: 'LSTM', units: 8 }, { type: 'LSTM', units: 4 }], {}, { shape: [10, 1] });
    const a = analyzeModel(text);
    assert.deepEqual(
      a.diagnostics.map((d) => d.code),
      ['missing-return-sequences'],
    );
    assert.equal(a.totalParams, 4 * (8 * (1 + 8) + 8));
  });

  it('a duplicated key: the last value counts, the warning sits on it and quotes it', () => {
    const text = layerLine(',\n      "units": 64').replace('"units": 4', '"units": 32');
    const a = analyzeModel(text);
    const d = only(a, 'duplicate-key');
    assert.equal(d.severity, 'warning');
    assert.equal(d.range.start.line, 4, 'on the second "units"');
    assert.match(d.message, /^"units" of Dense \(layer 0\) is written 2 times; this last one counts \(64\).*earlier one \(line 4\) is ignored/);
    assert.equal(a.layers[0].outputShape?.at(-1), 64);
  });

  it('5,000 different keys each written twice: the first 100 marked, then one problem for the rest', () => {
    const keys = Array.from({ length: 5000 }, (_, i) => `"k${i}": 1, "k${i}": 2`).join(', ');
    const dups = analyzeModel(layerLine(`, ${keys}`)).diagnostics.filter((d) => d.code === 'duplicate-key');
    assert.equal(dups.length, 101);
    assert.match(dups[100].message, /^4,900 more keys written twice in Dense \(layer 0\) \(only the first 100 are marked one by one\)\.$/);
  });

  it('a schema error on a duplicated key quotes the value that counts, at its place', () => {
    const text = layerLine(',\n      "units": -3');
    const a = analyzeModel(text);
    const d = only(a, 'out-of-range');
    assert.equal(d.range.start.line, 4);
    assert.match(d.message, /got -3\./);
    assert.equal(analyzeModel(layerLine(',\n      "units": 5').replace('"units": 4', '"units": -3')).diagnostics.filter((x) => x.code === 'out-of-range').length, 0, 'the ignored -3 is not an error');
  });

  it('a 20 MB value is shortened in every message', () => {
    const huge = 'x'.repeat(20 * 1024 * 1024);
    for (const text of [
      layerLine('').replace('"Dense"', `"${huge}"`),
      layerLine(`, "${huge}": 1`),
      layerLine('').replace('"units": 4', `"units": "${huge}"`),
    ]) {
      const a = analyzeModel(text);
      assert.ok(a.diagnostics.length > 0);
      for (const d of a.diagnostics) assert.ok(d.message.length < 600, `${d.code}: ${d.message.length} characters`);
      assert.ok(a.diagnostics.some((d) => /… \(20,971,520 characters\)|x…/.test(d.message)));
    }
  });
});

describe('after an error the numbers tell the truth', () => {
  const broken = modelText([{ type: 'Embedding', input_dim: 100, output_dim: 8 }, { type: 'LSTM', units: 16 }, { type: 'SimpleRNN', units: 4 }, { type: 'Dense', units: 1 }], {}, { shape: [64], dtype: 'int32' });

  it('layers after the error say why their shape is unknown; the totals say they are partial', () => {
    const a = analyzeModel(broken);
    assert.deepEqual(a.uncountedLayers, [2, 3]);
    assert.equal(layerHint(a.layers[1]), '(None, 16) · 1,600');
    assert.equal(layerHint(a.layers[2]), '? · unknown: its input (None, 16) has the wrong rank');
    assert.equal(layerHint(a.layers[3]), '? · unknown: after the problem in layer 2 "simple_rnn"');
    assert.equal(formatTotalParams(a), 'at least 2,400 (partial)');
    assert.match(formatSummary(a), /│ simple_rnn \(SimpleRNN\) │ \?\s+│\s+\? │/);
    assert.match(formatSummary(a), / Partial: layers 2 to 3 could not be computed \(layer 2 "simple_rnn": its input \(None, 16\) has the wrong rank; the others follow it\), so the totals leave them out\./);
  });

  it('no info computed on the wrong input shape: SimpleRNN after a rank error gets no "reads 16 timesteps"', () => {
    const codes = analyzeModel(broken.replace('"units":16', '"units":64')).diagnostics.map((d) => d.code);
    assert.deepEqual(codes, ['missing-return-sequences']);
  });

  it('the info still shows where the input is right', () => {
    const fine = modelText([{ type: 'Embedding', input_dim: 100, output_dim: 8 }, { type: 'SimpleRNN', units: 4 }, { type: 'Dense', units: 1 }], {}, { shape: [64], dtype: 'int32' });
    only(analyzeModel(fine), 'simple-rnn-long-sequence');
    assert.deepEqual(analyzeModel(fine).uncountedLayers, []);
    assert.equal(formatTotalParams(analyzeModel(fine)), '857');
  });

  it('a missing input shape: every layer says so', () => {
    const a = analyzeModel('{ "layers": [ { "type": "Dense", "units": 2 } ] }');
    assert.equal(layerHint(a.layers[0]), '? · unknown: the model has no input shape (input.shape)');
  });
});

describe('the CLI on hostile files (real processes)', () => {
  const scratch = mkdtempSync(path.join(tmpdir(), 'rnn-hostile-'));
  const bin = path.join(repoRoot, 'bin/rnn-studio.js');
  const file = (name: string, text: string) => {
    const p = path.join(scratch, name);
    writeFileSync(p, text);
    return p;
  };

  it('deep nesting, 1e999 and a BOM: compiler-style lines naming file, line and property, no stack trace', () => {
    const deep = file('deep.rnn.json', layerLine(`,\n      "x": ${'['.repeat(50_000)}${']'.repeat(50_000)}`));
    const inf = file('inf.rnn.json', layerLine('').replace('"units": 4', '"units": 1e999'));
    const bom = file('bom.rnn.json', '\ufeff' + layerLine(''));
    const r = spawnSync(process.execPath, [bin, 'check', deep, inf, bom], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 1);
    assert.equal(r.stderr, '');
    assert.match(r.stdout, new RegExp(`^${deep.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:5:\\d+: error too-deep: "x\\.`, 'm'));
    assert.match(r.stdout, /deep\.rnn\.json:5:109: error too-deep/);
    assert.match(r.stdout, /inf\.rnn\.json:4:33: error number-not-finite: "units" of Dense \(layer 0\) is 1e999/);
    assert.doesNotMatch(r.stdout, /bom\.rnn\.json/);
    assert.doesNotMatch(r.stdout + r.stderr, /RangeError|    at /);
  });

  it('summary of a big model into a reader that closes early (| head -c 1) ends quietly', async () => {
    const layers = Array.from({ length: 20_000 }, () => ({ type: 'Dense', units: 4 }));
    const big = file('big.rnn.json', modelText(layers, {}, { shape: [10, 1] }));
    const child = spawn(process.execPath, [bin, 'summary', big], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    child.stdout.destroy(); // what `head -c 1` does after its byte
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    assert.equal(stderr, '');
    assert.equal(code, 0);
  });
});
