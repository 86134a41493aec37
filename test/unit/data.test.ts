import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import {
  DataConfig,
  PreparedData,
  PrepareOptions,
  TextPreprocessor,
  encodeTexts,
  fitTokenizer,
  interpretPrediction,
  labelEncodingForLoss,
  padSequences,
  permutation,
  prepareData,
  spamIndex,
  upperHalfStart,
  MEMORY_MARKER,
} from '../../src/data';
import { spamTexts } from '../../src/data/builtin';

const dir = mkdtempSync(path.join(os.tmpdir(), 'rnn-data-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function write(rel: string, text: string): string {
  const p = path.join(dir, rel);
  mkdirSync(path.dirname(p), { recursive: true });
  writeFileSync(p, text);
  return rel;
}

function prep(data: Partial<DataConfig>, o: Partial<PrepareOptions> = {}): Promise<PreparedData> {
  return prepareData(data as DataConfig, { modelDir: dir, inputShape: [8], labelEncoding: 'binary', validationSplit: 0, ...o });
}

function rows(m: { data: ArrayLike<number>; shape: number[] }): number[][] {
  const w = m.shape.slice(1).reduce((a, b) => a * b, 1);
  const out: number[][] = [];
  for (let i = 0; i < m.shape[0]; i++) out.push(Array.from(m.data).slice(i * w, (i + 1) * w));
  return out;
}

const reviews: [string, string][] = [
  ['A great film, truly great.', 'pos'],
  ['Terrible plot and bad acting.', 'neg'],
  ['Great acting; a great cast!', 'pos'],
  ['Bad, bad, bad.', 'neg'],
  ['I loved it. Great fun', 'pos'],
  ['Boring and bad', 'neg'],
  ['great great great', 'pos'],
  ['awful film', 'neg'],
  ['superb unseen words here', 'pos'],
  ['dreadful unseen words', 'neg'],
];

describe('text sources', () => {
  const jsonl = write('reviews.jsonl', reviews.map(([text, label]) => JSON.stringify({ text, label, id: 1 })).join('\n') + '\n');

  it('jsonl: one object per line; labels sorted when not declared; validation = the last fraction, unshuffled', async () => {
    const d = await prep({ kind: 'text', source: 'jsonl', path: jsonl, oov_token: '<OOV>' }, { validationSplit: 0.2 });
    assert.equal(d.kind, 'text');
    assert.deepEqual(d.labels, ['neg', 'pos']);
    assert.deepEqual(d.train.texts, reviews.slice(0, 8).map((r) => r[0]));
    assert.deepEqual(d.validation!.texts, reviews.slice(8).map((r) => r[0]));
    assert.equal(d.test, undefined);
    assert.deepEqual(d.train.x.shape, [8, 8]);
    assert.ok(d.train.x.data instanceof Int32Array);
    assert.deepEqual(d.train.y.shape, [8, 1]);
    assert.ok(d.train.y.data instanceof Float32Array);
    assert.deepEqual(Array.from(d.train.y.data), [1, 0, 1, 0, 1, 0, 1, 0]);
    // Fitted on the 8 training texts only: "superb", "unseen", "words", "dreadful" are OOV (id 1).
    const p = d.preprocessor as TextPreprocessor;
    assert.equal(p.tokenizer.type, 'keras');
    const vocab = (p.tokenizer as { vocabulary: (string | null)[] }).vocabulary;
    assert.equal(vocab[1], '<OOV>');
    assert.equal(vocab[2], 'great');
    assert.ok(!vocab.includes('unseen'));
    assert.deepEqual(rows(d.validation!.x)[0], [0, 0, 0, 0, 1, 1, 1, 1]);
    assert.match(d.summary, /^reviews\.jsonl: 10 texts \(8 train, 2 validation\), \d+ words/);
  });

  it('csv: header row, quoted commas and line breaks, custom columns, declared numeric labels', async () => {
    const rel = write('mail.csv', 'id,body,is_spam\n1,"Win money, now!",1\n2,"Meeting at 10\nsee you",0\n3,cheap pills,1\n4,lunch?,0\n');
    const d = await prep({ kind: 'text', source: 'csv', path: rel, text_column: 'body', label_column: 'is_spam', labels: [0, 1] });
    assert.deepEqual(d.labels, ['0', '1']);
    assert.deepEqual(d.train.texts, ['Win money, now!', 'Meeting at 10\nsee you', 'cheap pills', 'lunch?']);
    assert.deepEqual(Array.from(d.train.y.data), [1, 0, 1, 0]);
    assert.deepEqual(rows(d.train.x)[1], [0, 0, 0, 4, 5, 6, 7, 8]);
  });

  it('multi-class: sparse int32 [N] or one-hot float32 [N, C], in the declared label order', async () => {
    const rel = write('topics.jsonl', [
      { text: 'goal match', label: 'sport' },
      { text: 'vote law', label: 'politics' },
      { text: 'cpu code', label: 'tech' },
      { text: 'team win', label: 'sport' },
    ].map((o) => JSON.stringify(o)).join('\n'));
    const labels = ['tech', 'sport', 'politics'];
    const sparse = await prep({ kind: 'text', source: 'jsonl', path: rel, labels }, { labelEncoding: 'sparse' });
    assert.ok(sparse.train.y.data instanceof Int32Array);
    assert.deepEqual(sparse.train.y.shape, [4]);
    assert.deepEqual(Array.from(sparse.train.y.data), [1, 2, 0, 1]);
    const onehot = await prep({ kind: 'text', source: 'jsonl', path: rel, labels }, { labelEncoding: 'onehot' });
    assert.deepEqual(onehot.train.y.shape, [4, 3]);
    assert.deepEqual(rows(onehot.train.y), [[0, 1, 0], [0, 0, 1], [1, 0, 0], [0, 1, 0]]);
    assert.deepEqual(onehot.labels, labels);
  });

  it('labels may be numbers or strings in the file: 1, "1" and "1.0" all match a declared 1; inferred numbers sort numerically', async () => {
    const rel = write('nums.jsonl', ['{"text":"a","label":1}', '{"text":"b","label":"0"}', '{"text":"c","label":"1.0"}', '{"text":"d","label":10}'].join('\n'));
    const d = await prep({ kind: 'text', source: 'jsonl', path: rel, labels: [0, 1, 10] }, { labelEncoding: 'sparse' });
    assert.deepEqual(Array.from(d.train.y.data), [1, 0, 1, 2]);
    const rel2 = write('nums2.jsonl', ['{"text":"a","label":10}', '{"text":"b","label":9}', '{"text":"c","label":"9"}'].join('\n'));
    const inferred = await prep({ kind: 'text', source: 'jsonl', path: rel2 });
    assert.deepEqual(inferred.labels, ['9', '10']);
  });

  it('folder (aclImdb layout): train/<label>/*.txt, test/ as the test set, unsup ignored, sorted class names', async () => {
    for (let i = 0; i < 6; i++) {
      write(`aclImdb/train/pos/${i}_9.txt`, `great movie number ${i}`);
      write(`aclImdb/train/neg/${i}_2.txt`, `bad movie number ${i}`);
      write(`aclImdb/train/unsup/${i}_0.txt`, `unlabelled ${i}`);
    }
    write('aclImdb/test/pos/0_8.txt', 'great fun');
    write('aclImdb/test/neg/0_1.txt', 'bad fun');
    write('aclImdb/train/notes.md', 'not a class');
    write('aclImdb/train/pos/ignored.html', 'not a text file');
    const d = await prep({ kind: 'text', source: 'folder', path: 'aclImdb', num_words: 100 }, { validationSplit: 0.25 });
    assert.deepEqual(d.labels, ['neg', 'pos']);
    assert.equal(d.train.x.shape[0], 9);
    assert.equal(d.validation!.x.shape[0], 3);
    assert.equal(d.test!.x.shape[0], 2);
    const all = [...d.train.texts!, ...d.validation!.texts!];
    assert.equal(new Set(all).size, 12);
    assert.ok(all.every((t) => !t.startsWith('unlabelled')));
    // Each sample's label is its folder.
    for (const split of [d.train, d.validation!, d.test!]) {
      split.texts!.forEach((t, i) => assert.equal(split.y.data[i], t.startsWith('great') ? 1 : 0));
    }
    // Folders come class by class; they are shuffled (seeded), so validation is not a single class.
    assert.ok(new Set(Array.from(d.validation!.y.data)).size === 2 || new Set(Array.from(d.train.y.data)).size === 2);
    const again = await prep({ kind: 'text', source: 'folder', path: 'aclImdb', num_words: 100 }, { validationSplit: 0.25 });
    assert.deepEqual(again.train.texts, d.train.texts);
    const declared = await prep({ kind: 'text', source: 'folder', path: 'aclImdb', labels: ['pos', 'neg'] });
    assert.deepEqual(declared.labels, ['pos', 'neg']);
    assert.equal(declared.train.x.shape[0], 12);
  });

  it('folder without train/: the class folders directly, test drawn with test_split', async () => {
    for (let i = 0; i < 5; i++) {
      write(`flat/a/${i}.txt`, `alpha ${i}`);
      write(`flat/b/${i}.txt`, `beta ${i}`);
    }
    const d = await prep({ kind: 'text', source: 'folder', path: 'flat', test_split: 0.2 });
    assert.deepEqual(d.labels, ['a', 'b']);
    assert.equal(d.train.x.shape[0], 8);
    assert.equal(d.test!.x.shape[0], 2);
  });

  it('test_path: a separate test file in the same format', async () => {
    const test = write('reviews-test.jsonl', '{"text":"great","label":"pos"}\n{"text":"bad","label":"neg"}\n');
    const d = await prep({ kind: 'text', source: 'jsonl', path: jsonl, test_path: test, test_split: 0.5 });
    assert.equal(d.train.x.shape[0], 10, 'test_split is ignored with test_path');
    assert.deepEqual(d.test!.texts, ['great', 'bad']);
    assert.deepEqual(Array.from(d.test!.y.data), [1, 0]);
  });
});

describe('text splits', () => {
  const lines = Array.from({ length: 100 }, (_, i) => JSON.stringify({ text: `sample ${i} ${i % 2 ? 'odd' : 'even'}`, label: i % 2 ? 'odd' : 'even' }));
  const rel = write('hundred.jsonl', lines.join('\n'));
  const idOf = (t: string) => Number(t.split(' ')[1]);

  it('test_split holds out floor-complement of a seeded shuffle; validation = last fraction of the rest', async () => {
    const d = await prep({ kind: 'text', source: 'jsonl', path: rel, test_split: 0.2, seed: 3 }, { validationSplit: 0.1 });
    assert.equal(d.test!.x.shape[0], 20);
    assert.equal(d.train.x.shape[0], 72);
    assert.equal(d.validation!.x.shape[0], 8);
    const ids = [...d.train.texts!, ...d.validation!.texts!, ...d.test!.texts!].map(idOf);
    assert.deepEqual([...ids].sort((a, b) => a - b), Array.from({ length: 100 }, (_, i) => i), 'a partition');
    const perm = Array.from(permutation(100, 3));
    assert.deepEqual(ids, perm, 'train, validation, test = the seeded permutation in order');
  });

  it('is deterministic for a seed and changes with it', async () => {
    const a = await prep({ kind: 'text', source: 'jsonl', path: rel, test_split: 0.3, seed: 11 });
    const b = await prep({ kind: 'text', source: 'jsonl', path: rel, test_split: 0.3, seed: 11 });
    const c = await prep({ kind: 'text', source: 'jsonl', path: rel, test_split: 0.3, seed: 12 });
    assert.deepEqual(a.test!.texts, b.test!.texts);
    assert.deepEqual(Array.from(a.train.x.data), Array.from(b.train.x.data));
    assert.notDeepEqual(a.test!.texts, c.test!.texts);
  });

  it('the default seed is 1337, and options.seed applies when data.seed is absent', async () => {
    const dflt = await prep({ kind: 'text', source: 'jsonl', path: rel, test_split: 0.1 });
    assert.deepEqual(dflt.test!.texts!.map(idOf), Array.from(permutation(100, 1337)).slice(90));
    const opt = await prep({ kind: 'text', source: 'jsonl', path: rel, test_split: 0.1 }, { seed: 5 });
    assert.deepEqual(opt.test!.texts!.map(idOf), Array.from(permutation(100, 5)).slice(90));
  });

  it('without test_split the file order is kept (Keras model.fit semantics)', async () => {
    const d = await prep({ kind: 'text', source: 'jsonl', path: rel }, { validationSplit: 0.25 });
    assert.deepEqual(d.train.texts!.map(idOf), Array.from({ length: 75 }, (_, i) => i));
    assert.deepEqual(d.validation!.texts!.map(idOf), Array.from({ length: 25 }, (_, i) => 75 + i));
  });

  it('max_samples / maxSamples cap the samples (the smaller wins)', async () => {
    const d = await prep({ kind: 'text', source: 'jsonl', path: rel, max_samples: 30 }, { maxSamples: 40 });
    assert.equal(d.train.x.shape[0], 30);
    const e = await prep({ kind: 'text', source: 'jsonl', path: rel, test_split: 0.5 }, { maxSamples: 10 });
    assert.equal(e.train.x.shape[0] + e.test!.x.shape[0], 10);
  });
});

describe('padding and the preprocessor', () => {
  const rel = write('pad.jsonl', ['{"text":"one two three four five six","label":"a"}', '{"text":"one two","label":"b"}', '{"text":"seven","label":"a"}'].join('\n'));

  it('pad_sequences options: maxlen from the input shape, padding/truncating pre|post, pad_value', async () => {
    const pre = await prep({ kind: 'text', source: 'jsonl', path: rel }, { inputShape: [4] });
    assert.deepEqual(rows(pre.train.x), [[3, 4, 5, 6], [0, 0, 1, 2], [0, 0, 0, 7]]);
    const post = await prep({ kind: 'text', source: 'jsonl', path: rel, maxlen: 4, padding: 'post', truncating: 'post', pad_value: 9 }, { inputShape: [4] });
    assert.deepEqual(rows(post.train.x), [[1, 2, 3, 4], [1, 2, 9, 9], [7, 9, 9, 9]]);
    const free = await prep({ kind: 'text', source: 'jsonl', path: rel }, { inputShape: [null] });
    assert.deepEqual(free.train.x.shape, [3, 6], 'variable-length input: the longest training sequence');
    assert.equal((free.preprocessor as TextPreprocessor).maxlen, 6);
  });

  it('encodeTexts (predict) gives what training gave, also after a JSON round trip of the preprocessor', async () => {
    const d = await prep({ kind: 'text', source: 'jsonl', path: rel, oov_token: '<OOV>' }, { inputShape: [5] });
    const p = JSON.parse(JSON.stringify(d.preprocessor)) as TextPreprocessor;
    const m = encodeTexts(p, ['one two three four five six', 'SEVEN, eight!']);
    assert.deepEqual(m.shape, [2, 5]);
    assert.deepEqual(rows(m)[0], rows(d.train.x)[0]);
    assert.deepEqual(rows(m)[1], [0, 0, 0, 8, 1]);
  });

  it('interpretPrediction: binary sigmoid and softmax rows', () => {
    const bin = { labelEncoding: 'binary', labels: ['ham', 'spam'] } as TextPreprocessor;
    assert.deepEqual(interpretPrediction(bin, [0.9]), { label: 'spam', probability: 0.9, index: 1 });
    assert.deepEqual(interpretPrediction(bin, [0.25]), { label: 'ham', probability: 0.75, index: 0 });
    const multi = { labelEncoding: 'sparse', labels: ['a', 'b', 'c'] } as TextPreprocessor;
    assert.deepEqual(interpretPrediction(multi, [0.1, 0.2, 0.7]), { label: 'c', probability: 0.7, index: 2 });
  });

  it('labelEncodingForLoss', () => {
    assert.equal(labelEncodingForLoss('binary_crossentropy'), 'binary');
    assert.equal(labelEncodingForLoss('sparse_categorical_crossentropy'), 'sparse');
    assert.equal(labelEncodingForLoss('categorical_crossentropy'), 'onehot');
    assert.equal(labelEncodingForLoss('mse'), 'regression');
  });
});

describe('built-in: SpamAssassin', () => {
  const spamModel: DataConfig = { kind: 'text', source: 'builtin', dataset: 'spam_assassin', num_words: 10000, oov_token: '<OOV>', maxlen: 200, test_split: 0.2, seed: 42 };

  it('has 6,046 messages: 4,150 ham (easy-ham-1/2, hard-ham-1) and 1,896 spam (spam-1/2)', () => {
    const c = spamIndex();
    assert.equal(c.files.length, 6046);
    const spam = c.isSpam.reduce((a, b) => a + b, 0);
    assert.equal(spam, 1896);
    assert.equal(c.files.length - spam, 4150);
  });

  it('the example model: 4,352 train / 484 validation / 1,210 test, ham=0 spam=1, 10,000 ids', async (t) => {
    const t0 = performance.now();
    const d = await prepareData(spamModel, { modelDir: dir, inputShape: [200], labelEncoding: 'binary', validationSplit: 0.1 });
    t.diagnostic(`prepareData(spam_assassin), whole corpus incl. reading 6,046 JSON files: ${(performance.now() - t0).toFixed(0)} ms`);
    assert.deepEqual(d.labels, ['ham', 'spam']);
    assert.deepEqual(d.train.x.shape, [4352, 200]);
    assert.deepEqual(d.validation!.x.shape, [484, 200]);
    assert.deepEqual(d.test!.x.shape, [1210, 200]);
    const ones = (s: { y: { data: ArrayLike<number> } }) => Array.from(s.y.data).reduce((a, b) => a + b, 0);
    assert.equal(ones(d.train) + ones(d.validation!) + ones(d.test!), 1896);
    assert.ok(ones(d.validation!) > 100 && ones(d.validation!) < 200, 'validation holds both classes (the corpus is shuffled)');
    const p = d.preprocessor as TextPreprocessor;
    assert.equal(p.vocabSize, 10000);
    let max = 0;
    for (const v of d.train.x.data) if (v > max) max = v;
    assert.equal(max, 9999);
    assert.match(d.summary, /^SpamAssassin: 6,046 messages \(4,352 train, 484 validation, 1,210 test; 4,150 ham, 1,896 spam\), 10,000 words/);
    // Labels follow the group of each message's JSON.
    const c = spamIndex();
    const perm = permutation(6046, 42);
    assert.equal(d.test!.y.data[0], c.isSpam[perm[4836]]);
  });

  it('maxSamples reads only that many messages, the same ones for the same seed', async () => {
    const a = await prepareData(spamModel, { modelDir: dir, inputShape: [200], labelEncoding: 'binary', validationSplit: 0.1, maxSamples: 100 });
    assert.equal(a.train.x.shape[0] + a.validation!.x.shape[0] + a.test!.x.shape[0], 100);
    const b = await prepareData(spamModel, { modelDir: dir, inputShape: [200], labelEncoding: 'binary', validationSplit: 0.1, maxSamples: 100 });
    assert.deepEqual(a.test!.texts, b.test!.texts);
  });

  // Its speed is measured by `npm run bench` (data lines), not asserted here.
  it('tokenizes and pads the whole corpus (maxlen 200, num_words 10000)', (t) => {
    const c = spamIndex();
    const texts = spamTexts(c, Int32Array.from(c.files.keys()));
    const t0 = performance.now();
    const fit = fitTokenizer(texts, { num_words: 10000, oov_token: '<OOV>' });
    const padded = padSequences(fit.sequences, { maxlen: 200, padding: 'pre', truncating: 'pre', value: 0 });
    const ms = performance.now() - t0;
    t.diagnostic(`fit + texts_to_sequences + pad_sequences on 6,046 messages (${fit.sequences.ids.length.toLocaleString('en-US')} tokens): ${ms.toFixed(0)} ms`);
    assert.equal(padded.length, 6046 * 200);
    assert.ok(padded.every((id) => id >= 0 && id < 10000), 'every id is below num_words');
  });
});

describe('built-in: long-range memory (synthetic)', () => {
  const data: DataConfig = { kind: 'text', source: 'builtin', dataset: 'long_range_memory', k: 50, maxlen: 60, vocab_size: 10, samples: 20000, seed: 7 };
  const opts: PrepareOptions = { modelDir: dir, inputShape: [60], labelEncoding: 'binary', validationSplit: 0.2 };

  it('the example: 20,000 sequences of 60 tokens, 12,800 / 3,200 / 4,000; one marker each, noise 2..9', async () => {
    const d = await prepareData(data, opts);
    assert.deepEqual(d.train.x.shape, [12800, 60]);
    assert.deepEqual(d.validation!.x.shape, [3200, 60]);
    assert.deepEqual(d.test!.x.shape, [4000, 60]);
    for (const split of [d.train, d.validation!, d.test!]) {
      for (let i = 0; i < split.x.shape[0]; i++) {
        const row = Array.from(split.x.data.subarray(i * 60, i * 60 + 60));
        assert.equal(row.filter((v) => v === MEMORY_MARKER).length, 1, 'one marker');
        assert.ok(row.every((v) => v >= 1 && v <= 9));
      }
    }
    const p = d.preprocessor as TextPreprocessor;
    assert.deepEqual(p.tokenizer, { type: 'identity', vocab_size: 10 });
    assert.equal(p.vocabSize, 10);
  });

  /** Where the key (the token after the marker) stands, counted in steps before the last token. */
  const keyLags = (split: { x: { data: ArrayLike<number>; shape: number[] } }): number[] =>
    Array.from({ length: split.x.shape[0] }, (_, i) => {
      for (let t = 0; t < 60; t++) if (split.x.data[i * 60 + t] === MEMORY_MARKER) return 60 - 1 - (t + 1);
      throw new Error(`no marker in sequence ${i}`);
    });

  it('label = 1 exactly when the key is in the upper half; balanced; no fixed step predicts it', async () => {
    const d = await prepareData(data, opts);
    const T = 60;
    const h = upperHalfStart(10);
    assert.equal(h, 6);
    for (const split of [d.train, d.test!]) {
      const n = split.x.shape[0];
      const lags = keyLags(split);
      let pos = 0;
      const agree = new Array(T).fill(0);
      for (let i = 0; i < n; i++) {
        const y = split.y.data[i];
        pos += y;
        assert.equal(split.x.data[i * T + T - 1 - lags[i]] >= h ? 1 : 0, y, `sequence ${i}`);
        for (let t = 0; t < T; t++) if ((split.x.data[i * T + t] >= h ? 1 : 0) === y) agree[t]++;
      }
      assert.ok(Math.abs(pos / n - 0.5) < 0.03, `positives ${pos / n}`);
      // In training the key moves, so no single step gives the label away; in the test set only step T-1-k does.
      for (let t = 0; t < T; t++) if (split === d.train || t !== T - 1 - 50) assert.ok(Math.abs(agree[t] / n - 0.5) < 0.1, `step ${t} agrees ${agree[t] / n}`);
    }
  });

  it('the key stands 1..k steps back in training and validation, exactly k in the test set', async () => {
    const d = await prepareData(data, opts);
    assert.ok(keyLags(d.test!).every((lag) => lag === 50));
    for (const split of [d.train, d.validation!]) {
      const lags = keyLags(split);
      assert.equal(Math.min(...lags), 1);
      assert.equal(Math.max(...lags), 50);
      const mean = lags.reduce((a, b) => a + b, 0) / lags.length;
      assert.ok(Math.abs(mean - 25.5) < 1, `mean lag ${mean}`);
    }
  });

  it('is deterministic from the seed', async () => {
    const a = await prepareData(data, opts);
    const b = await prepareData(data, opts);
    const c = await prepareData({ ...data, seed: 8 }, opts);
    assert.deepEqual(Array.from(a.train.x.data), Array.from(b.train.x.data));
    assert.notDeepEqual(Array.from(a.train.x.data.subarray(0, 600)), Array.from(c.train.x.data.subarray(0, 600)));
  });

  it('defaults: 4000 samples, vocab 10, k 50, length from the input shape, test_split 0.2', async () => {
    const d = await prepareData({ source: 'builtin', dataset: 'long_range_memory' }, { ...opts, inputShape: [80], validationSplit: 0 });
    assert.deepEqual(d.train.x.shape, [3200, 80]);
    assert.deepEqual(d.test!.x.shape, [800, 80]);
    const m = encodeTexts(d.preprocessor as TextPreprocessor, ['3 1 4 1 5']);
    assert.deepEqual(Array.from(m.data.subarray(75)), [3, 1, 4, 1, 5]);
  });
});
