import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { analyzePython, PythonSession, type PythonModelAnalysis } from '../../src/core/python/analyze';
import type { Range } from '../../src/core';
import { repoRoot } from './helpers';

/** The Python reader must never throw and never point outside the text: random and mutated Python. */

const fixtures = readdirSync(path.join(repoRoot, 'test/fixtures/python'))
  .filter((f) => f.endsWith('.py') && f !== 'generate.py')
  .map((f) => readFileSync(path.join(repoRoot, 'test/fixtures/python', f), 'utf8'));

const TOKENS = [
  'import keras', 'import tensorflow as tf', 'from tensorflow.keras.layers import LSTM, Dense, Embedding as E', 'from keras import layers as L', '\n', '\n    ', ' ', '(', ')', '[', ']', ',', '=', ':',
  'model', 'm', 'N', 'T', '64', '0', '-1', '2.5', '"relu"', "'same'", 'True', 'None', '+', '*', '//', '-', 'def f(layer, n=3):', 'return', 'for i in range(3):', 'if x:',
  'tf.keras.Sequential', 'keras.Sequential', 'Sequential', 'keras.Input', 'Input', 'LSTM', 'GRU', 'SimpleRNN', 'Dense', 'E', 'L.Conv1D', 'Bidirectional', 'TimeDistributed', 'layers.Dropout',
  'return_sequences=True', 'input_shape=(30, 1)', 'input_length=N', 'shape=(T,)', 'units=', 'model.add(', 'model.compile(loss="mse")', 'model.fit(X, y)', 'T = T * 2', 'N = N', 'X = X.reshape(-1, T, 1)', 'X = np.random.rand(100, 30)', 'np.array([[1, 2], [3]])', 'np.expand_dims(X, -1)', 'f(LSTM(4))', '%magic', '!pip install x', '#', '"""', 'lambda x: x', '*args', '**kw',
];

function inBounds(text: string, r: Range): boolean {
  const lines = text.split(/\r\n|\r|\n/);
  const ok = (p: { line: number; character: number }) => p.line >= 0 && p.line < lines.length && p.character >= 0 && p.character <= lines[p.line].length;
  return ok(r.start) && ok(r.end) && (r.start.line < r.end.line || (r.start.line === r.end.line && r.start.character <= r.end.character));
}

function checkRanges(text: string, models: PythonModelAnalysis[]): void {
  for (const m of models) {
    assert.ok(inBounds(text, m.range), `model range ${JSON.stringify(m.range)}`);
    for (const l of m.layers) assert.ok(inBounds(text, l.range), `layer range ${JSON.stringify(l.range)}`);
    for (const d of m.diagnostics) {
      assert.ok(inBounds(text, d.range), `${d.code} range ${JSON.stringify(d.range)}`);
      for (const f of d.fixes ?? []) {
        for (const e of f.edits) {
          assert.ok(e.offset >= 0 && e.offset + e.length <= text.length, `${f.title} edit out of the text`);
          assert.ok(inBounds(text, e.range));
        }
      }
    }
  }
}

const summary = (models: PythonModelAnalysis[]) => JSON.stringify(models.map((m) => [m.variable, m.range, m.totalParams, m.layers.map((l) => [l.type, l.outputShape, l.range]), m.diagnostics.map((d) => [d.code, d.range, d.fixes?.map((f) => f.edits)])]));

const randomPython = fc.array(fc.constantFrom(...TOKENS), { maxLength: 80 }).map((t) => 'import keras\n' + t.join(' '));

const mutated = fc
  .tuple(
    fc.constantFrom(...fixtures),
    fc.array(fc.tuple(fc.nat(), fc.nat({ max: 12 }), fc.oneof(fc.constantFrom(...TOKENS), fc.string({ maxLength: 4 }))), { minLength: 1, maxLength: 6 }),
  )
  .map(([text, edits]) => {
    let out = text;
    for (const [at, del, ins] of edits) {
      const i = at % (out.length + 1);
      out = out.slice(0, i) + ins + out.slice(i + del);
    }
    return out;
  });

describe('Python fuzzing', () => {
  it('random token soup never throws and every range is inside the text', async () => {
    await fc.assert(
      fc.asyncProperty(randomPython, async (text) => checkRanges(text, await analyzePython(text))),
      { numRuns: 300 },
    );
  });

  it('mutated tutorial code never throws, ranges stay inside, and the incremental session agrees with a fresh parse', async () => {
    const session = new PythonSession();
    await fc.assert(
      fc.asyncProperty(mutated, async (text) => {
        const fresh = await analyzePython(text);
        checkRanges(text, fresh);
        assert.equal(summary(await session.analyze(text)), summary(fresh));
      }),
      { numRuns: 300 },
    );
    session.dispose();
  });

  it('random characters and control bytes never throw', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 200 }), async (s) => checkRanges('keras' + s, await analyzePython('keras' + s))),
      { numRuns: 200 },
    );
  });
});
