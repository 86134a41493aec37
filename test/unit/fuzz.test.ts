import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { analyzeModel, readRepoFile, repoRoot } from './helpers';
import * as path from 'node:path';

/** The parser and engine must never throw, whatever the text: random JSON, random text, and mutated examples. */

const examples = readdirSync(path.join(repoRoot, 'examples'))
  .filter((f) => f.endsWith('.rnn.json'))
  .map((f) => readRepoFile(`examples/${f}`));

const layerTypes = ['Embedding', 'SimpleRNN', 'LSTM', 'GRU', 'Bidirectional', 'TimeDistributed', 'Dense', 'Dropout', 'Conv1D', 'MaxPooling1D', 'GlobalMaxPooling1D', 'Flatten', 'RepeatVector', 'Reshape', 'BatchNormalization', 'LTSM'];
const smallValue = fc.oneof(fc.integer({ min: -3, max: 300 }), fc.constant(null), fc.boolean(), fc.constantFrom('concat', 'same', 'valid', 'causal', 'relu', 'x'), fc.array(fc.integer({ min: -2, max: 40 }), { maxLength: 3 }), fc.double());
const layer: fc.Arbitrary<Record<string, unknown>> = fc.letrec((tie) => ({
  layer: fc.record(
    {
      type: fc.constantFrom(...layerTypes),
      units: smallValue,
      return_sequences: fc.oneof(fc.boolean(), smallValue),
      input_dim: smallValue,
      output_dim: smallValue,
      kernel_size: smallValue,
      filters: smallValue,
      pool_size: smallValue,
      strides: smallValue,
      padding: smallValue,
      target_shape: smallValue,
      n: smallValue,
      rate: smallValue,
      merge_mode: smallValue,
      layer: fc.oneof({ depthSize: 'small' }, smallValue, tie('layer')),
    },
    { requiredKeys: ['type'] },
  ),
})).layer as fc.Arbitrary<Record<string, unknown>>;

const model = fc.record({
  input: fc.record({ shape: fc.oneof(fc.array(fc.oneof(fc.integer({ min: -1, max: 60 }), fc.constant(null)), { maxLength: 4 }), smallValue) }),
  layers: fc.array(layer, { maxLength: 8 }),
  compile: fc.record({ loss: fc.constantFrom('binary_crossentropy', 'mse', 'sparse_categorical_crossentropy', 'bogus') }),
  data: fc.record({ num_words: smallValue, maxlen: smallValue, window: smallValue, labels: fc.array(fc.string(), { maxLength: 4 }), kind: fc.constantFrom('text', 'timeseries') }),
});

function mustNotThrow(text: string): void {
  const a = analyzeModel(text);
  assert.ok(Array.isArray(a.diagnostics));
  for (const d of a.diagnostics) {
    assert.ok(d.range.start.line >= 0 && d.range.end.line >= d.range.start.line, `bad range for ${d.code}`);
    for (const f of d.fixes ?? []) for (const e of f.edits) assert.ok(e.offset >= 0 && e.offset + e.length <= text.length, `bad edit in ${d.code}`);
  }
  for (const l of a.layers) assert.ok(Number.isFinite(l.trainableParams) && l.trainableParams >= 0);
}

describe('fuzzing the parser and the engine', () => {
  it('random model-like objects', () => {
    fc.assert(fc.property(model, (m) => mustNotThrow(JSON.stringify(m, null, 2))), { numRuns: 1500, seed: 20261121 });
  });

  it('arbitrary JSON values', () => {
    fc.assert(fc.property(fc.jsonValue(), (v) => mustNotThrow(JSON.stringify(v) ?? '')), { numRuns: 1000, seed: 7 });
  });

  it('arbitrary text', () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), (s) => mustNotThrow(s)), { numRuns: 1000, seed: 11 });
  });

  it('mutated examples (deleted, duplicated and replaced characters)', () => {
    const mutation = fc.record({
      example: fc.integer({ min: 0, max: examples.length - 1 }),
      at: fc.nat(),
      length: fc.integer({ min: 0, max: 12 }),
      insert: fc.constantFrom('', '{', '}', '[', ']', ',', '"', ':', 'null', '-1', '0', 'true', '"LSTM"', '\n', '/*', '"units": 0,'),
    });
    fc.assert(
      fc.property(mutation, ({ example, at, length, insert }) => {
        const text = examples[example];
        const i = at % (text.length + 1);
        mustNotThrow(text.slice(0, i) + insert + text.slice(i + length));
      }),
      { numRuns: 3000, seed: 42 },
    );
  });
});
