/** Text classification data: sources, labels, splits, tokenizer and padding. */
import type { Dirent } from 'fs';
import * as fs from 'fs';
import type { DataConfig } from './config';
import { own, quote, quoteValue } from '../core/json';
import { DEFAULTS } from './config';
import { DataError, FileRef, dataError, fmtInt, fsError } from './errors';
import { childRef, columnIndex, fileRef, isDir, listDir, readCsv, readJsonl } from './files';
import { LabelSet, checkEncoding, describeLabels, encodeLabels, labelKey } from './labels';
import { Sequences, longest, padSequences } from './sequences';
import { planIndices, validationSplitAt } from './split';
import { Tokenizer, fitTokenizer } from './tokenizer';
import type { LabelEncoding, PreparedData, PrepareOptions, Split, TextPreprocessor } from './types';

/** Texts with their raw labels and where each came from (for error messages). */
export interface RawCorpus {
  texts: string[];
  /** Label keys (see labelKey). */
  labels: string[];
  files: FileRef[];
  /** Per sample: index into `files`, and the 1-based line (0: the whole file). */
  fileOf: Int32Array;
  lineOf: Int32Array;
}

/** A corpus whose labels are class indices. */
export interface TextCorpus {
  texts: string[];
  classes: Int32Array;
}

function labelOf(raw: unknown, file: FileRef, line: number, column: string): string {
  const key = labelKey(raw);
  if (key === null || key === '') {
    const what = raw === undefined ? `has no "${column}" field` : key === '' ? `has an empty label in "${column}"` : `has a label that is not a string or a finite number: ${quoteValue(raw)}`;
    throw dataError(file, line, `the sample ${what} (data.label_column). Give every sample a label, or set data.label_column to the field that holds it.`);
  }
  return key;
}

export function readJsonlCorpus(file: FileRef, textColumn: string, labelColumn: string): RawCorpus {
  const { objects, lines } = readJsonl(file);
  const texts: string[] = new Array(objects.length);
  const labels: string[] = new Array(objects.length);
  objects.forEach((o, i) => {
    const t = own(o, textColumn);
    if (typeof t !== 'string') {
      const names = Object.keys(o);
      const fields = names.slice(0, 20).map((k) => quote(k)).join(', ') + (names.length > 20 ? ` and ${names.length - 20} more` : '') || 'none';
      throw dataError(
        file,
        lines[i],
        t === undefined
          ? `the object has no "${textColumn}" field (data.text_column); its fields are ${fields}. Add the field, or set data.text_column to the field that holds the text.`
          : `"${textColumn}" must be a string, found ${quoteValue(t)}.`,
      );
    }
    texts[i] = t;
    labels[i] = labelOf(own(o, labelColumn), file, lines[i], labelColumn);
  });
  return { texts, labels, files: [file], fileOf: new Int32Array(objects.length), lineOf: lines };
}

export function readCsvCorpus(file: FileRef, textColumn: string, labelColumn: string): RawCorpus {
  const table = readCsv(file);
  const ti = columnIndex(file, table.header, textColumn, 'text_column');
  const li = columnIndex(file, table.header, labelColumn, 'label_column');
  const n = table.rows.length;
  const texts: string[] = new Array(n);
  const labels: string[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const row = table.rows[i];
    texts[i] = row[ti];
    labels[i] = labelOf(row[li], file, table.lines[i], labelColumn);
  }
  return { texts, labels, files: [file], fileOf: new Int32Array(n), lineOf: table.lines };
}

/**
 * A folder per class (what Keras' text_dataset_from_directory reads): `root/<label>/*.txt`.
 * With declared labels only those folders are read (as Keras with class_names); otherwise every
 * subfolder but `unsup` (aclImdb's unlabelled reviews), sorted.
 */
export function readClassFolders(root: FileRef, declared: string[] | undefined, trainClasses?: string[]): RawCorpus {
  const entries = listDir(root, 'data folder');
  const subdirs = entries.filter((e) => e.isDirectory() || (e.isSymbolicLink() && isDir(childRef(root, e.name).abs))).map((e) => e.name);
  let classes: string[];
  if (trainClasses) {
    // A test folder: the training classes it has (a class may have no test texts).
    classes = trainClasses.filter((c) => subdirs.includes(c));
  } else if (declared) {
    const missing = declared.filter((l) => !subdirs.includes(l));
    if (missing.length > 0) {
      throw dataError(
        root,
        undefined,
        `data.labels declares ${describeLabels(missing)} but there is no such class folder (found ${subdirs.length ? describeLabels(subdirs) : 'no subfolders'}). Each label needs a folder of .txt files named after it, e.g. ${root.display}/${missing[0]}/0001.txt.`,
      );
    }
    classes = declared;
  } else {
    classes = subdirs.filter((d) => d !== 'unsup');
  }
  if (classes.length === 0) {
    throw dataError(root, undefined, `the folder has no class subfolders. Put the texts in one folder per label, in the aclImdb layout: ${root.display}/pos/*.txt, ${root.display}/neg/*.txt.`);
  }
  const texts: string[] = [];
  const labels: string[] = [];
  const files: FileRef[] = [];
  for (const cls of classes) {
    const dir = childRef(root, cls);
    const names = listDir(dir, 'class folder')
      .filter((e: Dirent) => !e.isDirectory() && e.name.toLowerCase().endsWith('.txt'))
      .map((e) => e.name);
    for (const name of names) {
      const f = childRef(dir, name);
      try {
        texts.push(fs.readFileSync(f.abs, 'utf8'));
      } catch (e) {
        throw fsError(f, e, 'text file');
      }
      labels.push(cls);
      files.push(f);
    }
  }
  if (texts.length === 0) {
    throw dataError(root, undefined, `the class folders (${describeLabels(classes)}) contain no .txt files. Put one text per .txt file in the folder of its label.`);
  }
  const fileOf = Int32Array.from(files.keys());
  return { texts, labels, files, fileOf, lineOf: new Int32Array(texts.length) };
}

/** `path/train` (or `path` itself when it has no train/ subfolder) and `path/test` when present. */
function readFolderSource(root: FileRef, declared: string[] | undefined, testPath: FileRef | undefined): { train: RawCorpus; test?: RawCorpus } {
  try {
    if (!fs.statSync(root.abs).isDirectory()) throw Object.assign(new Error('not a folder'), { code: 'ENOTDIR' });
  } catch (e) {
    throw fsError(root, e, 'data folder');
  }
  const trainDir = isDir(childRef(root, 'train').abs) ? childRef(root, 'train') : root;
  const train = readClassFolders(trainDir, declared);
  let test: RawCorpus | undefined;
  if (testPath) {
    const t = isDir(childRef(testPath, 'test').abs) ? childRef(testPath, 'test') : testPath;
    test = readClassFolders(t, declared, classNames(train));
  } else if (trainDir !== root && isDir(childRef(root, 'test').abs)) {
    test = readClassFolders(childRef(root, 'test'), declared, classNames(train));
  }
  return { train, test };
}

function classNames(c: RawCorpus): string[] {
  return [...new Set(c.labels)];
}

/** Raw labels -> class indices; a label outside the set is a DataError naming the file and line. */
export function toClasses(c: RawCorpus, set: LabelSet, declared: boolean): Int32Array {
  const out = new Int32Array(c.labels.length);
  for (let i = 0; i < c.labels.length; i++) {
    const k = set.indexOf(c.labels[i]);
    if (k < 0) {
      const file = c.files[c.fileOf[i]];
      const line = c.lineOf[i] || undefined;
      throw dataError(
        file,
        line,
        declared
          ? `label ${quote(c.labels[i])} is not one of the declared labels (${describeLabels(set.names)}). Fix the label, or add it to data.labels.`
          : `label ${quote(c.labels[i])} does not occur in the training data (labels there: ${describeLabels(set.names)}). Fix the label, or declare all labels in data.labels.`,
      );
    }
    out[i] = k;
  }
  return out;
}

function pick<T>(arr: T[], idx: ArrayLike<number>): T[] {
  const out: T[] = new Array(idx.length);
  for (let i = 0; i < idx.length; i++) out[i] = arr[idx[i]];
  return out;
}

function pickInt(arr: Int32Array, idx: ArrayLike<number>): Int32Array {
  const out = new Int32Array(idx.length);
  for (let i = 0; i < idx.length; i++) out[i] = arr[idx[i]];
  return out;
}

/** maxlen: data.maxlen, else the model's input length; they must agree. */
export function resolveMaxlen(data: DataConfig, inputShape: (number | null)[]): number | undefined {
  if (inputShape.length !== 1) {
    throw new DataError(`Text data becomes [samples, maxlen] token ids, so the model input must be 1-D, e.g. "input": {"shape": [${data.maxlen ?? 200}], "dtype": "int32"}; it is [${inputShape.join(', ')}].`);
  }
  const len = inputShape[0];
  if (data.maxlen !== undefined && len !== null && len !== data.maxlen) {
    throw new DataError(`data.maxlen is ${data.maxlen} but the model input length (input.shape[0]) is ${len}. Make them equal.`);
  }
  return data.maxlen ?? len ?? undefined;
}

export interface TextSourceResult {
  /** For the summary, e.g. "SpamAssassin" or "data/train.jsonl". */
  name: string;
  /** What a sample is called: "messages", "texts", "reviews". */
  noun: string;
  train: TextCorpus;
  validation?: TextCorpus;
  test?: TextCorpus;
  labels: string[];
}

/** Orders, caps and splits a labelled corpus (shared by the file sources and SpamAssassin). */
export function splitCorpus(
  c: { n: number; texts: (idx: Int32Array) => string[]; classes: (idx: Int32Array) => Int32Array },
  test: TextCorpus | undefined,
  o: { shuffle: boolean; seed: number; cap?: number; testSplit: number; validationSplit: number; noun: string },
): { train: TextCorpus; validation?: TextCorpus; test?: TextCorpus } {
  const plan = planIndices(c.n, { shuffle: o.shuffle, seed: o.seed, cap: o.cap, testSplit: test ? 0 : o.testSplit, what: o.noun });
  const at = validationSplitAt(plan.train.length, o.validationSplit, o.noun);
  const trainIdx = plan.train.subarray(0, at);
  const valIdx = plan.train.subarray(at);
  return {
    train: { texts: c.texts(trainIdx), classes: c.classes(trainIdx) },
    validation: valIdx.length > 0 ? { texts: c.texts(valIdx), classes: c.classes(valIdx) } : undefined,
    test: test ?? (plan.test ? { texts: c.texts(plan.test), classes: c.classes(plan.test) } : undefined),
  };
}

/** jsonl / csv / folder sources up to class indices and splits. */
export function loadTextFiles(data: DataConfig, o: PrepareOptions, seed: number, cap: number | undefined): TextSourceResult {
  if (!data.path) throw new DataError(`data.source "${data.source}" needs data.path: the ${data.source === 'folder' ? 'folder' : 'file'} with the samples, relative to the model file.`);
  const main = fileRef(o.modelDir, data.path);
  const testRef = data.test_path ? fileRef(o.modelDir, data.test_path) : undefined;
  const declared = data.labels?.map(String);
  const textColumn = data.text_column ?? DEFAULTS.text_column;
  const labelColumn = data.label_column ?? DEFAULTS.label_column;
  let train: RawCorpus;
  let test: RawCorpus | undefined;
  let noun = 'texts';
  if (data.source === 'folder') {
    ({ train, test } = readFolderSource(main, declared, testRef));
  } else {
    const read = data.source === 'jsonl' ? readJsonlCorpus : readCsvCorpus;
    train = read(main, textColumn, labelColumn);
    if (testRef) test = read(testRef, textColumn, labelColumn);
  }
  if (data.source === 'folder') noun = 'files';
  const set = declared ? new LabelSet(declared) : LabelSet.inferred(train.labels);
  if (!declared && set.names.length < 2) {
    throw dataError(main, undefined, `all samples have the label ${describeLabels(set.names)}; a classifier needs at least 2 labels. Add samples of the other classes, or check data.label_column.`);
  }
  const trainClasses = toClasses(train, set, !!declared);
  let testCorpus: TextCorpus | undefined;
  if (test) {
    let testClasses = toClasses(test, set, !!declared);
    let texts = test.texts;
    if (data.source === 'folder' || (cap !== undefined && cap < texts.length)) {
      // Folder test sets come class by class: shuffle them too, then cap.
      const plan = planIndices(texts.length, { shuffle: data.source === 'folder', seed, cap, testSplit: 0 });
      texts = pick(texts, plan.train);
      testClasses = pickInt(testClasses, plan.train);
    }
    testCorpus = { texts, classes: testClasses };
  }
  // Folder samples come class by class: shuffle them (Keras' text_dataset_from_directory does),
  // or the last-fraction validation set would hold a single class.
  const shuffle = data.source === 'folder';
  const parts = splitCorpus(
    { n: train.texts.length, texts: (idx) => pick(train.texts, idx), classes: (idx) => pickInt(trainClasses, idx) },
    testCorpus,
    { shuffle, seed, cap, testSplit: data.test_split ?? 0, validationSplit: o.validationSplit, noun },
  );
  return { name: data.path, noun, labels: set.names, ...parts };
}

/** Tokenizer (fitted on the training split only), padding, label encoding. */
export function finishText(src: TextSourceResult, data: DataConfig, o: PrepareOptions, encoding: LabelEncoding, extra = ''): PreparedData {
  const maxlenSetting = resolveMaxlen(data, o.inputShape);
  const fit = fitTokenizer(src.train.texts, {
    num_words: data.num_words ?? null,
    oov_token: data.oov_token ?? null,
    filters: data.filters ?? DEFAULTS.filters,
    lower: data.lower ?? DEFAULTS.lower,
    split: data.split ?? DEFAULTS.split,
  });
  const tok = fit.tokenizer;
  const maxlen = maxlenSetting ?? Math.max(1, longest(fit.sequences));
  const pad = { maxlen, padding: data.padding ?? DEFAULTS.padding, truncating: data.truncating ?? DEFAULTS.truncating, value: data.pad_value ?? DEFAULTS.pad_value };
  const C = src.labels.length;
  const make = (c: TextCorpus, seqs: Sequences): Split => ({
    x: { data: padSequences(seqs, pad), shape: [c.texts.length, maxlen] },
    y: encodeLabels(c.classes, C, encoding),
    texts: c.texts,
  });
  const train = make(src.train, fit.sequences);
  const validation = src.validation ? make(src.validation, tok.encode(src.validation.texts)) : undefined;
  const test = src.test ? make(src.test, tok.encode(src.test.texts)) : undefined;
  const preprocessor: TextPreprocessor = {
    kind: 'text',
    version: 1,
    tokenizer: tok.config,
    maxlen,
    padding: pad.padding,
    truncating: pad.truncating,
    pad_value: pad.value,
    labels: src.labels,
    labelEncoding: encoding,
    vocabSize: tok.vocabSize,
  };
  const n = src.train.texts.length + (src.validation?.texts.length ?? 0) + (src.test?.texts.length ?? 0);
  const parts = [`${fmtInt(src.train.texts.length)} train`];
  if (validation) parts.push(`${fmtInt(src.validation!.texts.length)} validation`);
  if (test) parts.push(`${fmtInt(src.test!.texts.length)} test`);
  const summary =
    `${src.name}: ${fmtInt(n)} ${src.noun} (${parts.join(', ')}${extra}), ${fmtInt(tok.vocabSize)} words` +
    ` (of ${fmtInt(tok.config.distinct_words)} seen in training), maxlen ${maxlen}, labels ${src.labels.join('/')}`;
  return { kind: 'text', train, validation, test, labels: src.labels, preprocessor, summary };
}

export function prepareTextFiles(data: DataConfig, o: PrepareOptions, seed: number, cap: number | undefined): PreparedData {
  resolveMaxlen(data, o.inputShape); // shape problems first, before reading anything
  const src = loadTextFiles(data, o, seed, cap);
  const encoding = checkEncoding(o.labelEncoding, src.labels);
  return finishText(src, data, o, encoding);
}

const tokenizers = new WeakMap<object, Tokenizer>();

/** For predict: the same tokenizer and padding as training. */
export function encodeTextsWith(p: TextPreprocessor, texts: string[]): { data: Int32Array; shape: number[] } {
  let seqs: Sequences;
  if (p.tokenizer.type === 'identity') {
    const vocab = p.tokenizer.vocab_size;
    const arrays = texts.map((t, i) =>
      t
        .split(/[\s,]+/)
        .filter((s) => s.length > 0)
        .map((s) => {
          const id = Number(s);
          if (!Number.isInteger(id) || id < 0 || id >= vocab) {
            throw new DataError(`Input ${i + 1}: "${s}" is not a token id. This model reads token ids 0..${vocab - 1} separated by spaces, e.g. "3 1 4 1 5".`);
          }
          return id;
        }),
    );
    let total = 0;
    for (const a of arrays) total += a.length;
    const ids = new Int32Array(total);
    const offsets = new Int32Array(arrays.length + 1);
    arrays.forEach((a, i) => {
      ids.set(a, offsets[i]);
      offsets[i + 1] = offsets[i] + a.length;
    });
    seqs = { ids, offsets };
  } else {
    let tok = tokenizers.get(p.tokenizer);
    if (!tok) tokenizers.set(p.tokenizer, (tok = new Tokenizer(p.tokenizer)));
    seqs = tok.encode(texts);
  }
  return { data: padSequences(seqs, { maxlen: p.maxlen, padding: p.padding, truncating: p.truncating, value: p.pad_value }), shape: [texts.length, p.maxlen] };
}
