import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { DataConfig, DataError, PrepareOptions, SeriesPreprocessor, TextPreprocessor, encodeTexts, prepareData, seriesInput } from '../../src/data';

/** Every bad-data case: a DataError (never a raw error, never a result) naming the file and 1-based line. */
const dir = mkdtempSync(path.join(os.tmpdir(), 'rnn-data-errors-'));
after(() => {
  try {
    chmodSync(path.join(dir, 'locked.jsonl'), 0o644);
  } catch {
    /* not created */
  }
  rmSync(dir, { recursive: true, force: true });
});

function write(rel: string, text: string): string {
  const p = path.join(dir, rel);
  mkdirSync(path.dirname(p), { recursive: true });
  writeFileSync(p, text);
  return rel;
}

const textOpts: PrepareOptions = { modelDir: dir, inputShape: [8], labelEncoding: 'binary', validationSplit: 0 };
const seriesOpts: PrepareOptions = { modelDir: dir, inputShape: [3, 1], labelEncoding: 'regression', validationSplit: 0 };

interface Expect {
  file?: string;
  line?: number;
  message: RegExp;
}

async function rejects(data: Partial<DataConfig>, opts: Partial<PrepareOptions>, e: Expect, base = textOpts): Promise<void> {
  let err: unknown;
  try {
    await prepareData(data as DataConfig, { ...base, ...opts });
  } catch (x) {
    err = x;
  }
  assert.ok(err instanceof DataError, `expected a DataError, got ${err instanceof Error ? err.stack : String(err)}`);
  assert.equal(err.name, 'DataError');
  assert.match(err.message, e.message);
  assert.equal(err.file, e.file === undefined ? undefined : path.join(dir, e.file));
  assert.equal(err.line, e.line);
  if (e.file !== undefined) assert.ok(err.message.startsWith(e.line !== undefined ? `${e.file}, line ${e.line}: ` : `${e.file}: `), err.message);
}

const jsonl = (rel: string, lines: string[]) => ({ kind: 'text' as const, source: 'jsonl' as const, path: write(rel, lines.join('\n')) });

describe('DataError: files and formats', () => {
  it('a path that does not exist', () => rejects({ kind: 'text', source: 'jsonl', path: 'nope/train.jsonl' }, {}, { file: 'nope/train.jsonl', message: /does not exist\. Check data\.path \(paths are relative to the model file\)/ }));

  it('a folder where a file is expected', async () => {
    mkdirSync(path.join(dir, 'adir'), { recursive: true });
    await rejects({ kind: 'text', source: 'csv', path: 'adir' }, {}, { file: 'adir', message: /is a folder, not a file/ });
  });

  it('an unreadable file', { skip: process.getuid?.() === 0 ? 'root can read anything' : false }, async () => {
    write('locked.jsonl', '{"text":"a","label":"x"}');
    chmodSync(path.join(dir, 'locked.jsonl'), 0o000);
    await rejects({ kind: 'text', source: 'jsonl', path: 'locked.jsonl' }, {}, { file: 'locked.jsonl', message: /permission denied/ });
  });

  it('a path through a file', async () => {
    write('plainfile', 'x');
    await rejects({ kind: 'text', source: 'jsonl', path: 'plainfile/train.jsonl' }, {}, { file: 'plainfile/train.jsonl', message: /a part of .* is a file, not a folder\. Check data\.path/ });
    await rejects({ kind: 'text', source: 'folder', path: 'plainfile' }, {}, { file: 'plainfile', message: /is a file, not a folder\. Source "folder" needs a folder with one subfolder per class/ });
  });

  it('an empty file (JSONL and CSV)', async () => {
    await rejects(jsonl('empty.jsonl', ['', '  ']), {}, { file: 'empty.jsonl', message: /the JSONL file is empty\. Add samples/ });
    await rejects({ kind: 'text', source: 'csv', path: write('empty.csv', '') }, {}, { file: 'empty.csv', message: /is empty/ });
  });

  it('a CSV with a header and no rows', () => rejects({ kind: 'text', source: 'csv', path: write('header.csv', 'text,label\n') }, {}, { file: 'header.csv', line: 2, message: /header row \(text, label\) but no data rows/ }));

  it('invalid JSON on a JSONL line', () =>
    rejects(jsonl('bad.jsonl', ['{"text":"a","label":"x"}', '', '{"text": "b", "label": }']), {}, { file: 'bad.jsonl', line: 3, message: /invalid JSON \(.+\)\. Each line must be one JSON object/ }));

  it('a JSONL line that is not an object', () => rejects(jsonl('arr.jsonl', ['{"text":"a","label":"x"}', '["b", "y"]']), {}, { file: 'arr.jsonl', line: 2, message: /expected a JSON object .* found an array/ }));

  it('a missing text field (JSONL)', () =>
    rejects(jsonl('notext.jsonl', ['{"text":"a","label":"x"}', '{"body":"b","label":"y"}']), {}, { file: 'notext.jsonl', line: 2, message: /no "text" field \(data\.text_column\); its fields are "body", "label"\. Add the field, or set data\.text_column/ }));

  it('a missing label field (JSONL)', () => rejects(jsonl('nolabel.jsonl', ['{"text":"a","label":"x"}', '{"text":"b"}']), {}, { file: 'nolabel.jsonl', line: 2, message: /has no "label" field \(data\.label_column\)/ }));

  it('a text that is not a string', () => rejects(jsonl('numtext.jsonl', ['{"text":5,"label":"x"}']), {}, { file: 'numtext.jsonl', line: 1, message: /"text" must be a string/ }));

  it('a missing CSV column', () =>
    rejects({ kind: 'text', source: 'csv', path: write('cols.csv', 'review,sentiment\ngood,pos\n'), label_column: 'sentiment' }, {}, { file: 'cols.csv', line: 1, message: /no column "text" \(data\.text_column\)\. Its columns are: "review", "sentiment"/ }));

  it('an empty label in a CSV row', () => rejects({ kind: 'text', source: 'csv', path: write('emptylabel.csv', 'text,label\na,x\nb,\n') }, {}, { file: 'emptylabel.csv', line: 3, message: /empty label/ }));

  it('a CSV row with the wrong number of fields', () => rejects({ kind: 'text', source: 'csv', path: write('fields.csv', 'text,label\na,x\nb,y,z\n') }, {}, { file: 'fields.csv', line: 3, message: /not valid CSV .*as many fields as the header/ }));

  it('an unclosed quote', () => rejects({ kind: 'text', source: 'csv', path: write('quote.csv', 'text,label\na,x\n"b,y\n') }, {}, { file: 'quote.csv', line: 3, message: /not valid CSV .*Quote Not Closed/ }));
});

describe('DataError: labels', () => {
  it('a label outside the declared set (JSONL), naming file and line', () =>
    rejects({ ...jsonl('labels.jsonl', ['{"text":"a","label":"ham"}', '{"text":"b","label":"spam"}', '{"text":"c","label":"eggs"}']), labels: ['ham', 'spam'] }, {}, {
      file: 'labels.jsonl',
      line: 3,
      message: /label "eggs" is not one of the declared labels \("ham", "spam"\)\. Fix the label, or add it to data\.labels/,
    }));

  it('a label outside the declared set (CSV, after a quoted multi-line field: the line where the row starts)', () =>
    rejects({ kind: 'text', source: 'csv', path: write('labels.csv', 'text,label\n"two\nlines",pos\n\n"three\nmore\nlines",neg\nok,maybe\n'), labels: ['neg', 'pos'] }, {}, { file: 'labels.csv', line: 8, message: /label "maybe" is not one of/ }));

  it('a test-file label that training never saw (labels not declared)', () => {
    const test = write('t-test.jsonl', '{"text":"c","label":"z"}');
    return rejects({ ...jsonl('t-train.jsonl', ['{"text":"a","label":"x"}', '{"text":"b","label":"y"}']), test_path: test }, {}, { file: 't-test.jsonl', line: 1, message: /label "z" does not occur in the training data/ });
  });

  it('a single label in the whole file', () => rejects(jsonl('one.jsonl', ['{"text":"a","label":"x"}', '{"text":"b","label":"x"}']), {}, { file: 'one.jsonl', message: /a classifier needs at least 2 labels/ }));

  it('binary_crossentropy with 3 labels', () =>
    rejects(jsonl('three.jsonl', ['{"text":"a","label":"x"}', '{"text":"b","label":"y"}', '{"text":"c","label":"z"}']), {}, { message: /binary_crossentropy needs exactly 2 labels, but the data has 3: "x", "y", "z"\. Use sparse_categorical_crossentropy with a Dense\(3, softmax\)/ }));

  it('a regression loss on text', () => rejects(jsonl('reg.jsonl', ['{"text":"a","label":"x"}', '{"text":"b","label":"y"}']), { labelEncoding: 'regression' }, { message: /loss is a regression loss/ }));
});

describe('DataError: folders', () => {
  it('a folder without class subfolders', async () => {
    write('noclass/train/readme.txt', 'hello');
    await rejects({ kind: 'text', source: 'folder', path: 'noclass' }, {}, { file: 'noclass/train', message: /has no class subfolders\. Put the texts in one folder per label, in the aclImdb layout/ });
  });

  it('a declared label without its folder', async () => {
    write('partial/train/pos/1.txt', 'good');
    write('partial/train/neg/1.txt', 'bad');
    await rejects({ kind: 'text', source: 'folder', path: 'partial', labels: ['neg', 'pos', 'meh'] }, { labelEncoding: 'sparse' }, { file: 'partial/train', message: /declares "meh" but there is no such class folder \(found "neg", "pos"\)/ });
  });

  it('class folders without .txt files', async () => {
    mkdirSync(path.join(dir, 'notxt/train/pos'), { recursive: true });
    mkdirSync(path.join(dir, 'notxt/train/neg'), { recursive: true });
    await rejects({ kind: 'text', source: 'folder', path: 'notxt' }, {}, { file: 'notxt/train', message: /contain no \.txt files/ });
  });

  it('a folder that does not exist', () => rejects({ kind: 'text', source: 'folder', path: 'aclImdb-missing' }, {}, { file: 'aclImdb-missing', message: /does not exist/ }));
});

describe('DataError: time series', () => {
  it('a non-numeric value, naming the column and line', () =>
    rejects({ kind: 'timeseries', source: 'csv', path: write('nan.csv', 'day,v\n1,1.5\n2,2.5\n3,n/a\n4,4\n'), target: 'v', window: 3 }, {}, { file: 'nan.csv', line: 4, message: /column "v" has "n\/a", which is not a number\. Time-series columns must be numeric/ }, seriesOpts));

  it('an empty value', () => rejects({ kind: 'timeseries', source: 'csv', path: write('gap.csv', 'v\n1\n2\n""\n4\n5\n'), target: 'v', window: 3 }, {}, { file: 'gap.csv', line: 4, message: /has an empty value/ }, seriesOpts));

  it('a missing column', () => rejects({ kind: 'timeseries', source: 'csv', path: write('cols-s.csv', 'a,b\n1,2\n'), target: 'temp', window: 3 }, {}, { file: 'cols-s.csv', line: 1, message: /no column "temp" \(data\.target\)\. Its columns are: "a", "b"/ }, seriesOpts));

  it('a missing feature column', () =>
    rejects({ kind: 'timeseries', source: 'csv', path: write('cols-f.csv', 'a,b\n1,2\n'), target: 'a', columns: ['wind'], window: 3 }, {}, { file: 'cols-f.csv', line: 1, message: /no column "wind" \(data\.columns\)/ }, seriesOpts));

  it('a series shorter than window + horizon', () =>
    rejects({ kind: 'timeseries', source: 'csv', path: write('short.csv', 'v\n1\n2\n3\n'), target: 'v', window: 3 }, {}, { file: 'short.csv', message: /the series has 3 rows, shorter than window \+ horizon = 3 \+ 1 = 4/ }, seriesOpts));

  it('a test file shorter than window + horizon', () =>
    rejects(
      { kind: 'timeseries', source: 'csv', path: write('long.csv', 'v\n' + Array.from({ length: 30 }, (_, i) => i).join('\n')), test_path: write('short-test.csv', 'v\n1\n2\n'), target: 'v', window: 3 },
      {},
      { file: 'short-test.csv', message: /shorter than window \+ horizon/ },
      seriesOpts,
    ));

  it('a classification loss on a series', () => rejects({ kind: 'timeseries', source: 'csv', path: 'x.csv', target: 'v', window: 3 }, { labelEncoding: 'binary' }, { message: /regression loss \(mse, mae or huber\)/ }, seriesOpts));

  it('a window that differs from the input shape, and a feature count that differs', async () => {
    await rejects({ kind: 'timeseries', source: 'csv', path: 'x.csv', target: 'v', window: 5 }, {}, { message: /data\.window is 5 but the model input length \(input\.shape\[0\]\) is 3/ }, seriesOpts);
    await rejects({ kind: 'timeseries', source: 'csv', path: 'x.csv', target: 'v', columns: ['a', 'b'], window: 3 }, {}, { message: /The model input has 1 feature\(s\) .* lists 2 .* Set input\.shape to \[3, 2\]/ }, seriesOpts);
    await rejects({ kind: 'timeseries', source: 'csv', path: 'x.csv', target: 'v', window: 3 }, { inputShape: [3] }, { message: /model input must be 2-D/ }, seriesOpts);
  });

  it('a missing target', () => rejects({ kind: 'timeseries', source: 'csv', path: 'x.csv', window: 3 }, {}, { message: /data\.target is missing/ }, seriesOpts));

  it('seriesInput with too few rows or a bad value', () => {
    const p = { kind: 'timeseries', columns: ['v'], target: 'v', window: 3, features: [{ column: 'v', offset: 0, scale: 1 }], targetScaling: { column: 'v', offset: 0, scale: 1 } } as unknown as SeriesPreprocessor;
    assert.throws(() => seriesInput(p, [{ v: 1 }, { v: 2 }]), (e: unknown) => e instanceof DataError && /needs the last 3 rows/.test(e.message));
    assert.throws(() => seriesInput(p, [{ v: 1 }, { w: 2 }, { v: 3 }]), (e: unknown) => e instanceof DataError && /Row 2 has no "v"/.test(e.message));
  });
});

describe('DataError: settings', () => {
  it('maxlen that differs from the input length; a text model with a 2-D input', async () => {
    await rejects({ ...jsonl('ok.jsonl', ['{"text":"a","label":"x"}', '{"text":"b","label":"y"}']), maxlen: 100 }, {}, { message: /data\.maxlen is 100 but the model input length \(input\.shape\[0\]\) is 8/ });
    await rejects({ ...jsonl('ok.jsonl', ['{"text":"a","label":"x"}', '{"text":"b","label":"y"}']) }, { inputShape: [8, 1] }, { message: /model input must be 1-D/ });
  });

  it('validation_split too large for the data', () =>
    rejects(jsonl('tiny.jsonl', ['{"text":"a","label":"x"}', '{"text":"b","label":"y"}']), { validationSplit: 0.6 }, { message: /has 2 texts, which is not enough to split into a training and a validation set with validation_split 0\.6/ }));

  it('test_split too large for the data', () => rejects({ ...jsonl('tiny2.jsonl', ['{"text":"a","label":"x"}']), labels: ['x', 'y'], test_split: 0.5 }, {}, { message: /not enough to hold out a test set/ }));

  it('unknown source, builtin without dataset, file source without path', async () => {
    await rejects({ source: 'ftp' as never }, {}, { message: /Unknown data\.source "ftp"/ });
    await rejects({ source: 'builtin' }, {}, { message: /needs data\.dataset/ });
    await rejects({ source: 'builtin', dataset: 'mnist' as never }, {}, { message: /Unknown built-in data set "mnist"/ });
    await rejects({ kind: 'text', source: 'jsonl' }, {}, { message: /needs data\.path/ });
  });

  it('kind contradicting the built-in data set', () => rejects({ kind: 'timeseries', source: 'builtin', dataset: 'spam_assassin' }, {}, { message: /data\.kind is "timeseries" but the built-in data set spam_assassin is text/ }));

  it('spam_assassin with other labels', () => rejects({ source: 'builtin', dataset: 'spam_assassin', labels: ['good', 'bad'] }, { inputShape: [200] }, { message: /spam_assassin has the labels "ham" and "spam"/ }));

  it('long_range_memory: k not below the sequence length, a too small vocabulary', async () => {
    await rejects({ source: 'builtin', dataset: 'long_range_memory', k: 59 }, { inputShape: [60] }, { message: /data\.k is 59: it must be at least 1 and at most 58, the sequence length 60/ });
    await rejects({ source: 'builtin', dataset: 'long_range_memory', vocab_size: 3 }, { inputShape: [60] }, { message: /vocab_size is 3: long_range_memory needs at least 4/ });
  });

  it('encodeTexts with an identity tokenizer and a non-id token', () => {
    const p = { kind: 'text', tokenizer: { type: 'identity', vocab_size: 10 }, maxlen: 4, padding: 'pre', truncating: 'pre', pad_value: 0 } as TextPreprocessor;
    assert.throws(() => encodeTexts(p, ['1 2 x']), (e: unknown) => e instanceof DataError && /"x" is not a token id\. This model reads token ids 0\.\.9/.test(e.message));
    assert.throws(() => encodeTexts(p, ['1 12']), DataError);
  });
});

describe('DataError: hostile data files', () => {
  it('a JSONL line nested 50,000 levels deep: file, line and key, not "too large"', () =>
    rejects(jsonl('deep.jsonl', ['{"text": "fine", "label": "a"}', `{"text": "x", "label": ${'['.repeat(50_000)}${']'.repeat(50_000)}}`]), {}, { file: 'deep.jsonl', line: 2, message: /the value of "label" is nested more than 100 levels deep \(from column 123\)/ }));

  it('a CSV value beyond float64 (1e400) in a series: file, line and column', () =>
    rejects({ kind: 'timeseries', source: 'csv', path: write('inf.csv', 'day,v\n1,1.5\n2,1e400\n3,2\n4,4\n5,5\n'), target: 'v', window: 3 }, {}, { file: 'inf.csv', line: 3, message: /column "v" has "1e400", beyond the largest number there is/ }, seriesOpts));

  it('inherited names are not fields: text_column "constructor" on objects without it', () =>
    rejects({ ...jsonl('inherited.jsonl', ['{"text": "a", "label": "x"}']), text_column: 'constructor' }, {}, { file: 'inherited.jsonl', line: 1, message: /the object has no "constructor" field/ }));

  it('a label that is a 1 MB object is shortened in the message', async () => {
    const big = JSON.stringify({ k: 'y'.repeat(1024 * 1024) });
    let message = '';
    try {
      await prepareData(jsonl('bigobj.jsonl', [`{"text": "a", "label": ${big}}`]) as DataConfig, textOpts);
    } catch (e) {
      message = (e as Error).message;
    }
    assert.match(message, /^bigobj\.jsonl, line 1: the sample has a label that is not a string or a finite number: \{"k":"y+…/);
    assert.ok(message.length < 400, `${message.length} characters`);
  });
});
