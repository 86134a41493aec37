import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzeModel, applyFix, modelText, only, textAt } from './helpers';

const embedding = { type: 'Embedding', input_dim: 10000, output_dim: 64 };
const sigmoid = { type: 'Dense', units: 1, activation: 'sigmoid' };
const binary = { compile: { optimizer: 'adam', loss: 'binary_crossentropy', metrics: ['accuracy'] } };

describe('missing-return-sequences (the classic stacked-LSTM mistake)', () => {
  it('points at return_sequences of the producing LSTM and the fix sets it to true', () => {
    const text = modelText([embedding, { type: 'LSTM', units: 64, return_sequences: false }, { type: 'LSTM', units: 32 }, sigmoid], binary);
    const a = analyzeModel(text);
    const d = only(a, 'missing-return-sequences');
    assert.equal(d.severity, 'error');
    assert.deepEqual(d.path, ['layers', 1, 'return_sequences']);
    assert.equal(textAt(text, d), '"return_sequences":false');
    assert.match(d.message, /"lstm" returns only its last output because return_sequences is false/);
    assert.match(d.message, /LSTM "lstm_1" expects a 3-D input/);
    assert.match(d.message, /expected ndim=3, found ndim=2\. Full shape received: \(None, 64\)/);
    assert.equal(d.layerIndex, 1);
    assert.deepEqual(d.related?.[0].path, ['layers', 2, 'type']);
    const fixed = applyFix(text, d.fixes![0]);
    assert.match(fixed, /\{"type":"LSTM","units":64,"return_sequences":true\}/);
    const after = analyzeModel(fixed);
    assert.equal(after.diagnostics.filter((x) => x.severity === 'error').length, 0);
    assert.deepEqual(after.layers[2].outputShape, [null, 32]);
    assert.equal(after.totalParams, 640000 + 33024 + 12416 + 33);
  });

  it('points at the layer type when return_sequences is absent, and inserts the key', () => {
    const text = modelText([embedding, { type: 'LSTM', units: 64 }, { type: 'LSTM', units: 32 }, sigmoid]);
    const d = only(analyzeModel(text), 'missing-return-sequences');
    assert.deepEqual(d.path, ['layers', 1, 'type']);
    assert.equal(textAt(text, d), '"type":"LSTM"');
    assert.match(applyFix(text, d.fixes![0]), /\{"type":"LSTM","units":64, "return_sequences": true\}/);
  });

  it('looks through Dropout to the recurrent layer that dropped the time axis', () => {
    const text = modelText([embedding, { type: 'GRU', units: 64 }, { type: 'Dropout', rate: 0.2 }, { type: 'SimpleRNN', units: 8 }, sigmoid]);
    const d = only(analyzeModel(text), 'missing-return-sequences');
    assert.equal(d.layerIndex, 1);
    assert.match(d.message, /SimpleRNN "simple_rnn" expects/);
  });

  it('sets return_sequences inside Bidirectional', () => {
    const text = modelText([embedding, { type: 'Bidirectional', layer: { type: 'LSTM', units: 64 } }, { type: 'LSTM', units: 32 }, sigmoid]);
    const d = only(analyzeModel(text), 'missing-return-sequences');
    assert.deepEqual(d.path, ['layers', 1, 'layer', 'type']);
    const after = analyzeModel(applyFix(text, d.fixes![0]));
    assert.deepEqual(after.layers[1].outputShape, [null, 200, 128]);
    assert.equal(after.diagnostics.filter((x) => x.severity === 'error').length, 0);
  });

  it('reports each broken link of a three-LSTM stack', () => {
    const text = modelText([{ type: 'LSTM', units: 64 }, { type: 'LSTM', units: 32 }, { type: 'LSTM', units: 16 }, { type: 'Dense', units: 1 }], {}, { shape: [10, 1] });
    const a = analyzeModel(text);
    // The first break stops the shape flow, as in Keras; fixing it reveals the next.
    const first = only(a, 'missing-return-sequences');
    const second = only(analyzeModel(applyFix(text, first.fixes![0])), 'missing-return-sequences');
    assert.equal(second.layerIndex, 1);
  });
});

describe('input-not-3d', () => {
  it('offers [30, 1] for a 2-D series input', () => {
    const text = modelText([{ type: 'LSTM', units: 32 }, { type: 'Dense', units: 1 }], {}, { shape: [30] });
    const d = only(analyzeModel(text), 'input-not-3d');
    assert.deepEqual(d.path, ['input', 'shape']);
    assert.equal(textAt(text, d), '"shape":[30]');
    assert.match(d.message, /"shape": \[30, 1\]/);
    const fixed = applyFix(text, d.fixes![0]);
    assert.match(fixed, /"shape":\[30,1\]/);
    assert.deepEqual(analyzeModel(fixed).layers[1].outputShape, [null, 1]);
  });
});

describe('return-sequences-at-output', () => {
  it('warns when the last RNN keeps the time axis to the output, and the fix sets it false', () => {
    const text = modelText([embedding, { type: 'LSTM', units: 64, return_sequences: true }, sigmoid], binary);
    const a = analyzeModel(text);
    const d = only(a, 'return-sequences-at-output');
    assert.equal(d.severity, 'warning');
    assert.equal(textAt(text, d), '"return_sequences":true');
    assert.match(d.message, /\(None, 200, 1\)/);
    const after = analyzeModel(applyFix(text, d.fixes![0]));
    assert.deepEqual(after.layers.at(-1)!.outputShape, [null, 1]);
    assert.equal(after.diagnostics.length, 0);
  });

  it('stays quiet for sequence labelling with TimeDistributed and after global pooling', () => {
    const tagger = modelText([embedding, { type: 'LSTM', units: 64, return_sequences: true }, { type: 'TimeDistributed', layer: { type: 'Dense', units: 5, activation: 'softmax' } }]);
    assert.equal(analyzeModel(tagger).diagnostics.length, 0);
    const pooled = modelText([embedding, { type: 'LSTM', units: 64, return_sequences: true }, { type: 'GlobalMaxPooling1D' }, sigmoid]);
    assert.equal(analyzeModel(pooled).diagnostics.length, 0);
  });
});

describe('unknown types and keys', () => {
  it('suggests the layer type for a typo and fixes it', () => {
    const text = modelText([embedding, { type: 'LTSM', units: 64 }, sigmoid]);
    const d = only(analyzeModel(text), 'unknown-layer-type');
    assert.equal(textAt(text, d), '"LTSM"');
    assert.match(d.message, /Did you mean "LSTM"\?/);
    assert.equal(d.source, 'json');
    assert.equal(analyzeModel(applyFix(text, d.fixes![0])).diagnostics.length, 0);
  });

  it('matches the type case-insensitively', () => {
    const d = only(analyzeModel(modelText([embedding, { type: 'lstm', units: 4 }, sigmoid])), 'unknown-layer-type');
    assert.match(d.message, /Did you mean "LSTM"/);
  });

  it('reports an unknown layer key on the key with "did you mean" and a rename fix', () => {
    const text = modelText([embedding, { type: 'LSTM', units: 64, return_sequence: true }, { type: 'LSTM', units: 8 }, sigmoid]);
    const a = analyzeModel(text);
    const d = only(a, 'unknown-key');
    assert.equal(d.severity, 'error');
    assert.equal(textAt(text, d), '"return_sequence"');
    assert.match(d.message, /Did you mean "return_sequences"\?/);
    assert.equal(d.source, 'model');
    const after = analyzeModel(applyFix(text, d.fixes![0]));
    assert.equal(after.diagnostics.length, 0);
  });

  it('warns about unknown keys in other sections', () => {
    const text = modelText([embedding, sigmoid], { compile: { optimiser: 'adam', loss: 'binary_crossentropy' } });
    const d = only(analyzeModel(text), 'unknown-key');
    assert.equal(d.severity, 'warning');
    assert.match(d.message, /Did you mean "optimizer"/);
  });

  it('suggests enum values', () => {
    const text = modelText([embedding, { type: 'LSTM', units: 8, activation: 'Tanh' }, sigmoid]);
    const d = only(analyzeModel(text), 'invalid-value');
    assert.match(d.message, /Did you mean "tanh"/);
    assert.equal(textAt(text, d), '"Tanh"');
  });
});

describe('schema values', () => {
  it('reports missing units on the layer type', () => {
    const text = modelText([embedding, { type: 'LSTM' }, sigmoid]);
    const d = only(analyzeModel(text), 'missing-key');
    assert.equal(textAt(text, d), '"type":"LSTM"');
    assert.match(d.message, /needs "units"/);
  });

  it('rejects units <= 0, non-integers, and rates outside [0, 1)', () => {
    const text = modelText([embedding, { type: 'LSTM', units: 0 }, { type: 'Dropout', rate: 1.5 }, { type: 'Dense', units: 2.5 }]);
    const a = analyzeModel(text);
    const codes = a.diagnostics.map((d) => `${d.code}@${d.path.join('.')}`);
    assert.ok(codes.includes('out-of-range@layers.1.units'), codes.join());
    assert.ok(codes.includes('out-of-range@layers.2.rate'), codes.join());
    assert.ok(codes.includes('invalid-type@layers.3.units'), codes.join());
    // Shapes after an invalid layer are unknown, not guessed.
    assert.equal(a.layers[1].outputShape, null);
    assert.equal(a.layers[3].outputShape, null);
  });

  it('reports a kernel larger than the sequence on kernel_size', () => {
    const text = modelText([{ type: 'Conv1D', filters: 8, kernel_size: 12 }, { type: 'GlobalMaxPooling1D' }], {}, { shape: [10, 3] });
    const d = only(analyzeModel(text), 'kernel-too-large');
    assert.equal(textAt(text, d), '"kernel_size":12');
    const fixed = analyzeModel(applyFix(text, d.fixes![0]));
    assert.deepEqual(fixed.layers[0].outputShape, [null, 10, 8]);
  });

  it('refuses go_backwards inside Bidirectional, as Keras does', () => {
    const text = modelText([{ type: 'Bidirectional', layer: { type: 'LSTM', units: 4, go_backwards: true } }], {}, { shape: [10, 3] });
    const d = only(analyzeModel(text), 'bidirectional-go-backwards');
    assert.equal(textAt(text, d), '"go_backwards":true');
    assert.deepEqual(analyzeModel(applyFix(text, d.fixes![0])).layers[0].outputShape, [null, 8]);
  });
});

describe('cross-checks with data and compile', () => {
  it('embedding input_dim smaller than num_words', () => {
    const text = modelText([{ type: 'Embedding', input_dim: 5000, output_dim: 32 }, { type: 'LSTM', units: 8 }, sigmoid], { data: { kind: 'text', source: 'builtin', dataset: 'spam_assassin', num_words: 10000, maxlen: 200 } });
    const d = only(analyzeModel(text), 'embedding-too-small');
    assert.equal(textAt(text, d), '"input_dim":5000');
    assert.match(applyFix(text, d.fixes![0]), /"input_dim":10000/);
  });

  it('input length differs from maxlen', () => {
    const text = modelText([embedding, { type: 'LSTM', units: 8 }, sigmoid], { data: { kind: 'text', source: 'builtin', dataset: 'spam_assassin', num_words: 10000, maxlen: 150 } });
    const d = only(analyzeModel(text), 'input-length-mismatch');
    assert.equal(textAt(text, d), '200');
    assert.equal(analyzeModel(applyFix(text, d.fixes![0])).diagnostics.length, 0);
  });

  it('input length differs from the series window', () => {
    const text = modelText([{ type: 'LSTM', units: 8 }, { type: 'Dense', units: 1 }], { data: { kind: 'timeseries', source: 'csv', path: 'series.csv', target: 'temp_max', window: 30, columns: ['temp_max'] } }, { shape: [20, 1] });
    only(analyzeModel(text), 'input-length-mismatch');
  });

  it('binary_crossentropy needs one sigmoid unit', () => {
    const text = modelText([embedding, { type: 'LSTM', units: 8 }, { type: 'Dense', units: 2, activation: 'softmax' }], binary);
    const d = only(analyzeModel(text), 'loss-output-mismatch');
    assert.equal(d.severity, 'error');
    assert.equal(textAt(text, d), '"units":2');
    const fixed = applyFix(text, d.fixes![0]);
    assert.match(fixed, /\{"type":"Dense","units":1,"activation":"sigmoid"\}/);
    assert.equal(analyzeModel(fixed).diagnostics.length, 0);
  });

  it('binary_crossentropy after a linear unit is a warning with a sigmoid fix that inserts the key', () => {
    const text = modelText([embedding, { type: 'LSTM', units: 8 }, { type: 'Dense', units: 1 }], binary);
    const d = only(analyzeModel(text), 'loss-output-mismatch');
    assert.equal(d.severity, 'warning');
    assert.match(applyFix(text, d.fixes![0]), /\{"type":"Dense","units":1, "activation": "sigmoid"\}/);
  });

  it('sparse categorical needs softmax over the declared classes', () => {
    const text = modelText([embedding, { type: 'LSTM', units: 8 }, { type: 'Dense', units: 3, activation: 'softmax' }], {
      compile: { loss: 'sparse_categorical_crossentropy' },
      data: { kind: 'text', source: 'jsonl', path: 'reviews.jsonl', labels: ['neg', 'neu', 'pos', 'mixed'] },
    });
    const d = only(analyzeModel(text), 'loss-output-mismatch');
    assert.match(d.message, /4 classes/);
    assert.match(applyFix(text, d.fixes![0]), /"units":4/);
  });

  it('a regression loss after a sigmoid is a warning', () => {
    const text = modelText([{ type: 'LSTM', units: 8 }, { type: 'Dense', units: 1, activation: 'sigmoid' }], { compile: { loss: 'mse' } }, { shape: [30, 1] });
    const d = only(analyzeModel(text), 'loss-output-mismatch');
    assert.match(applyFix(text, d.fixes![0]), /"activation":"linear"/);
  });
});

describe('information', () => {
  it('SimpleRNN over long sequences suggests LSTM or GRU', () => {
    const text = modelText([embedding, { type: 'SimpleRNN', units: 64 }, sigmoid]);
    const d = only(analyzeModel(text), 'simple-rnn-long-sequence');
    assert.equal(d.severity, 'info');
    assert.deepEqual(d.fixes!.map((f) => f.title), ['Change SimpleRNN to LSTM', 'Change SimpleRNN to GRU']);
    assert.equal(analyzeModel(applyFix(text, d.fixes![1])).layers[1].type, 'GRU');
    assert.equal(analyzeModel(text, { simpleRnnMaxSteps: 500 }).diagnostics.length, 0);
  });

  it('SimpleRNN over sequences of unknown length gets the same advice; a short fixed length does not', () => {
    const text = modelText([embedding, { type: 'SimpleRNN', units: 64 }, sigmoid], {}, { shape: [null], dtype: 'int32' });
    const d = only(analyzeModel(text), 'simple-rnn-long-sequence');
    assert.match(d.message, /reads sequences whose length the model does not fix/);
    const short = modelText([embedding, { type: 'SimpleRNN', units: 64 }, sigmoid], {}, { shape: [20], dtype: 'int32' });
    assert.equal(analyzeModel(short).diagnostics.length, 0);
  });

  it('a very large model gets its size', () => {
    const text = modelText([{ type: 'Embedding', input_dim: 1000000, output_dim: 64 }, { type: 'LSTM', units: 8 }, sigmoid]);
    const d = only(analyzeModel(text), 'large-model');
    assert.match(d.message, /64,002,\d{3} parameters \(244\.\d\d MB/);
  });
});

describe('broken files never throw', () => {
  it('JSON syntax errors become positioned diagnostics', () => {
    const text = '{\n  "input": { "shape": [200] },\n  "layers": [\n    { "type": "LSTM" "units": 4 }\n  ]\n}';
    const a = analyzeModel(text);
    const d = a.diagnostics.find((x) => x.code === 'json-syntax')!;
    assert.equal(d.range.start.line, 3);
    assert.match(d.message, /Comma expected/);
  });

  for (const text of ['', '[]', '42', 'null', '{', '{"layers": 3}', '{"input": {"shape": "x"}, "layers": [1, null, []]}']) {
    it(`handles ${JSON.stringify(text)}`, () => {
      const a = analyzeModel(text);
      assert.ok(a.diagnostics.some((d) => d.severity === 'error'));
    });
  }

  it('duplicate layer names are errors', () => {
    const d = only(analyzeModel(modelText([{ ...embedding, name: 'x' }, { type: 'LSTM', units: 4, name: 'x' }])), 'duplicate-layer-name');
    assert.equal(d.layerIndex, 1);
  });
});

describe('model variants', () => {
  it('withCellType swaps every recurrent cell, drops keys the new cell lacks, and can wrap in Bidirectional', async () => {
    const { withCellType, withAllSequences } = await import('../../src/core');
    const text = modelText([embedding, { type: 'GRU', units: 16, reset_after: false, return_sequences: true }, { type: 'LSTM', units: 8, recurrent_activation: 'sigmoid' }, sigmoid], binary);
    const simple = withCellType(text, 'SimpleRNN');
    assert.match(simple, /\{"type":"SimpleRNN","units":16,"return_sequences":true\}/);
    assert.match(simple, /\{"type":"SimpleRNN","units":8\}/);
    assert.equal(analyzeModel(simple).diagnostics.filter((d) => d.severity === 'error').length, 0);
    const bi = analyzeModel(withCellType(text, 'LSTM', true));
    assert.deepEqual(bi.layers.map((l) => l.type), ['Embedding', 'Bidirectional', 'Bidirectional', 'Dense']);
    assert.deepEqual(bi.layers[2].outputShape, [null, 16]);
    const sequences = analyzeModel(withAllSequences(text));
    assert.deepEqual(sequences.layers[2].outputShape, [null, 200, 8]);
  });
});
