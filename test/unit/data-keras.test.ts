import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { fitTokenizer, padArrays, padSequences, spamIndex, textToWordSequence, Tokenizer, validationSplitAt } from '../../src/data';
import { spamTexts } from '../../src/data/builtin';
import { DataError } from '../../src/data/errors';

/**
 * The tokenizer, pad_sequences and validation_split against what Keras itself outputs:
 * test/fixtures/data/keras-expected.json, written by test/fixtures/data/gen_keras_fixtures.py with
 * Keras 3.15 (its legacy Tokenizer is Keras 2's, unchanged).
 */
const root = path.resolve(__dirname, '../../..');
const expected = JSON.parse(readFileSync(path.join(root, 'test/fixtures/data/keras-expected.json'), 'utf8'));

interface TokCase {
  name: string;
  config: { num_words?: number; oov_token?: string; filters?: string; lower?: boolean; split?: string };
  fit: string[];
  texts: string[];
  word_sequences: string[][];
  word_index: [string, number][];
  word_counts: [string, number][];
  sequences: number[][];
}

describe('Tokenizer matches Keras (keras.preprocessing.text.Tokenizer)', () => {
  const cases = expected.tokenizer as TokCase[];
  it('has the generated cases', () => assert.ok(cases.length >= 15));
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(
        c.texts.map((t) => textToWordSequence(t, c.config)),
        c.word_sequences,
        'text_to_word_sequence',
      );
      const fit = fitTokenizer(c.fit, c.config);
      assert.deepEqual(fit.wordCounts(), c.word_counts, 'word_counts');
      assert.deepEqual(fit.wordIndex(), c.word_index, 'word_index');
      assert.deepEqual(fit.tokenizer.textsToSequences(c.texts), c.sequences, 'texts_to_sequences');
      // The fitted texts, encoded during the fit, equal a second encoding.
      assert.deepEqual(Array.from(fit.sequences.ids), Array.from(fit.tokenizer.encode(c.fit).ids));
      // Saved and restored (JSON), the tokenizer encodes the same.
      const restored = new Tokenizer(JSON.parse(JSON.stringify(fit.tokenizer.config)));
      assert.deepEqual(restored.textsToSequences(c.texts), c.sequences, 'after a JSON round trip');
    });
  }

  it('refuses an empty split like Python\'s str.split("")', () => {
    assert.throws(() => textToWordSequence('a b', { split: '' }), DataError);
  });

  it('keeps only ids below num_words in the saved vocabulary', () => {
    const fit = fitTokenizer(['a a a b b c d'], { num_words: 3, oov_token: '<OOV>' });
    assert.deepEqual(fit.tokenizer.config.vocabulary, [null, '<OOV>', 'a']);
    assert.equal(fit.tokenizer.vocabSize, 3);
    assert.equal(fit.tokenizer.config.distinct_words, 4);
  });

  it('does not let a word named __proto__ break the vocabulary', () => {
    const fit = fitTokenizer(['__proto__ constructor __proto__'], { filters: '' });
    const restored = new Tokenizer(JSON.parse(JSON.stringify(fit.tokenizer.config)));
    assert.deepEqual(restored.textsToSequences(['constructor __proto__ toString']), [[2, 1]]);
  });
});

describe('pad_sequences matches keras.utils.pad_sequences', () => {
  for (const c of expected.pad_sequences as { name: string; sequences: number[][]; kwargs: Record<string, unknown>; expected: number[][] }[]) {
    it(c.name, () => {
      const k = c.kwargs as { maxlen?: number; padding?: 'pre' | 'post'; truncating?: 'pre' | 'post'; value?: number };
      const out = padArrays(c.sequences, { maxlen: k.maxlen, padding: k.padding, truncating: k.truncating, value: k.value });
      const width = c.expected[0].length;
      assert.deepEqual(out.shape, [c.sequences.length, width]);
      assert.ok(out.data instanceof Int32Array);
      assert.deepEqual(Array.from(out.data), c.expected.flat());
    });
  }
});

describe('validation_split matches Keras (the last fraction, floor)', () => {
  for (const c of expected.validation_split as { n: number; validation_split: number; train?: number; validation?: number; error?: string }[]) {
    it(`${c.n} samples, validation_split ${c.validation_split}`, () => {
      if (c.error) assert.throws(() => validationSplitAt(c.n, c.validation_split), DataError);
      else {
        const at = validationSplitAt(c.n, c.validation_split);
        assert.equal(at, c.train);
        assert.equal(c.n - at, c.validation);
      }
    });
  }
  it('errors like Keras when a side would be empty', () => {
    assert.throws(() => validationSplitAt(1, 0.5), /not enough to split/);
    assert.equal(validationSplitAt(10, 0), 10);
  });
});

describe('the whole SpamAssassin corpus tokenises and pads exactly as in Keras', () => {
  const spam = expected.spam_assassin as {
    messages: number;
    cases: {
      num_words: number;
      oov_token: string | null;
      maxlen: number;
      fit_count: number;
      distinct_words: number;
      first_words: string[];
      words_9990_to_10010: string[];
      total_tokens: number;
      padded_sha256: string;
      padded_row_0: number[];
      padded_row_5000: number[];
    }[];
  };
  const index = spamIndex();
  const all = Int32Array.from(index.files.keys());
  const texts = spamTexts(index, all);
  it('has 6,046 messages', () => assert.equal(texts.length, spam.messages));
  for (const c of spam.cases) {
    it(`num_words ${c.num_words}, oov_token ${c.oov_token}, fitted on ${c.fit_count} messages`, () => {
      const fit = fitTokenizer(texts.slice(0, c.fit_count), { num_words: c.num_words, oov_token: c.oov_token });
      const words = fit.wordIndex().map(([w]) => w);
      assert.equal(fit.tokenizer.config.distinct_words, c.distinct_words);
      assert.deepEqual(words.slice(0, 60), c.first_words);
      assert.deepEqual(words.slice(9989, 10010), c.words_9990_to_10010);
      const seqs = fit.tokenizer.encode(texts);
      assert.equal(seqs.ids.length, c.total_tokens);
      const padded = padSequences(seqs, { maxlen: c.maxlen, padding: 'pre', truncating: 'pre', value: 0 });
      assert.deepEqual(Array.from(padded.subarray(0, c.maxlen)), c.padded_row_0);
      assert.deepEqual(Array.from(padded.subarray(5000 * c.maxlen, 5001 * c.maxlen)), c.padded_row_5000);
      const sha = createHash('sha256').update(Buffer.from(padded.buffer, padded.byteOffset, padded.byteLength)).digest('hex');
      assert.equal(sha, c.padded_sha256);
    });
  }
});
