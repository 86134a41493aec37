import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { describe, it } from 'node:test';
import { analyzeModel, SPAM_ASSASSIN_VOCABULARY } from '../../src/core';
import { prepareData, type TextPreprocessor } from '../../src/data';
import { applyFix, modelText, only, textAt } from './helpers';

/** token-id-out-of-range (src/core/tokenIds.ts): what the data section tells about token ids, against the first Embedding's input_dim. */

const layers = (inputDim: number) => [{ type: 'Embedding', input_dim: inputDim, output_dim: 4 }, { type: 'LSTM', units: 4 }, { type: 'Dense', units: 1, activation: 'sigmoid' }];
const model = (inputDim: number, data: object) =>
  modelText(layers(inputDim), { compile: { loss: 'binary_crossentropy' }, data: { kind: 'text', maxlen: 12, ...data } }, { shape: [12], dtype: 'int32' });

describe('token ids against Embedding.input_dim', () => {
  it('long_range_memory: vocab_size above input_dim, on input_dim, with a fix that sets it', () => {
    const text = model(8, { source: 'builtin', dataset: 'long_range_memory', vocab_size: 20 });
    const d = only(analyzeModel(text), 'token-id-out-of-range');
    assert.equal(d.severity, 'error');
    assert.equal(textAt(text, d), '"input_dim":8');
    assert.deepEqual(d.path, ['layers', 0, 'input_dim']);
    assert.equal(d.related?.[0].message, 'vocab_size is set here');
    const fixed = applyFix(text, d.fixes![0]);
    assert.equal(analyzeModel(fixed).diagnostics.filter((x) => x.code === 'token-id-out-of-range').length, 0);
    assert.equal(analyzeModel(fixed).layers[0].config.input_dim, 20);
    // The default vocab_size (10) fits input_dim 10, not 9.
    assert.equal(analyzeModel(model(10, { source: 'builtin', dataset: 'long_range_memory' })).diagnostics.filter((x) => x.code === 'token-id-out-of-range').length, 0);
    only(analyzeModel(model(9, { source: 'builtin', dataset: 'long_range_memory' })), 'token-id-out-of-range');
  });

  it('spam_assassin without num_words: the fix keeps the input_dim most frequent words', () => {
    const text = model(5000, { source: 'builtin', dataset: 'spam_assassin' });
    const d = only(analyzeModel(text), 'token-id-out-of-range');
    assert.match(d.message, /data\.num_words is not set, so the tokenizer keeps every word of spam_assassin: token ids up to about 158,815\. Set data\.num_words to 5000/);
    const fixed = applyFix(text, d.fixes![0]);
    const after = analyzeModel(fixed);
    assert.equal(after.diagnostics.filter((x) => x.code === 'token-id-out-of-range' || x.code === 'embedding-too-small').length, 0);
    assert.match(fixed, /"num_words": 5000/);
  });

  it('pad_value outside the table', () => {
    const d = only(analyzeModel(model(10, { source: 'builtin', dataset: 'long_range_memory', pad_value: 10 })), 'token-id-out-of-range');
    assert.match(d.message, /data\.pad_value pads with token id 10\./);
  });

  it('says nothing where the data cannot be known (own files) or the first layer is not an Embedding', () => {
    assert.equal(analyzeModel(model(5, { source: 'jsonl', path: 'x.jsonl' })).diagnostics.filter((x) => x.code === 'token-id-out-of-range').length, 0);
    const series = modelText([{ type: 'LSTM', units: 4 }, { type: 'Dense', units: 1 }], { data: { kind: 'text', source: 'builtin', dataset: 'long_range_memory', vocab_size: 50 } }, { shape: [12, 1] });
    assert.equal(analyzeModel(series).diagnostics.filter((x) => x.code === 'token-id-out-of-range').length, 0);
  });

  it('SPAM_ASSASSIN_VOCABULARY is what the tokenizer keeps of spam_assassin without num_words', async () => {
    const prepared = await prepareData({ kind: 'text', source: 'builtin', dataset: 'spam_assassin', maxlen: 10 }, { modelDir: tmpdir(), inputShape: [10], labelEncoding: 'binary', validationSplit: 0 });
    assert.equal((prepared.preprocessor as TextPreprocessor).vocabSize, SPAM_ASSASSIN_VOCABULARY);
  });
});
