/**
 * Keras 2's `Tokenizer` (still shipped by Keras 3 as `keras.src.legacy.preprocessing.text`),
 * reimplemented exactly:
 *
 * - `text_to_word_sequence`: lower-case (optional), every character of `filters` becomes `split`,
 *   split on `split`, drop empty strings;
 * - `fit_on_texts`: word counts in first-seen order (an OrderedDict), then a stable sort by
 *   descending count; ids start at 1 (0 is padding); `oov_token`, when set, is put first (id 1);
 * - `texts_to_sequences`: a word whose id is `>= num_words` (when `num_words` is set) or that was
 *   never seen becomes the OOV id when there is an `oov_token`, and is dropped otherwise.
 *
 * Even Keras' quirk is kept: when the OOV token is itself a word of the texts, the word's rank
 * overwrites id 1 in `word_index` (id 1 is then unused) and OOV words get that rank.
 *
 * The hot loops work on char codes, a hash table probed with string slices (no allocation per
 * token; only new words become strings) and flat Int32Arrays.
 */
import { KERAS_FILTERS } from './config';
import { DataError } from './errors';
import { IntBuffer, Sequences } from './sequences';

export interface TokenizerOptions {
  num_words?: number | null;
  filters?: string;
  lower?: boolean;
  split?: string;
  oov_token?: string | null;
}

/** The JSON-serialisable tokenizer saved with a trained model. */
export interface KerasTokenizerConfig {
  type: 'keras';
  num_words: number | null;
  filters: string;
  lower: boolean;
  split: string;
  oov_token: string | null;
  /** Id given to out-of-vocabulary words (1, or the OOV token's own rank, see above); null: dropped. */
  oov_index: number | null;
  /**
   * `vocabulary[id]` is the word with that id, for every id the model can receive (below
   * `num_words`); `null` for 0 (padding) and unused ids. Words with larger ids behave exactly like
   * unseen words, so they are not stored.
   */
  vocabulary: (string | null)[];
  /** Number of texts the tokenizer was fitted on (Keras `document_count`). */
  document_count: number;
  /** Distinct words seen while fitting (without the OOV token). */
  distinct_words: number;
}

const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;

function hashOf(w: string): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < w.length; i++) h = Math.imul(h ^ w.charCodeAt(i), FNV_PRIME);
  return h;
}

/**
 * An open-addressing hash table of words, probed with a slice of a larger string (`s[start..end)`
 * and its FNV-1a hash) so that looking a word up allocates nothing; only new words become strings.
 */
export class WordTable {
  readonly words: string[] = [];
  readonly values: number[] = [];
  private hashes = new Int32Array(1024);
  private slots = new Int32Array(2048); // word index + 1; 0 = empty
  private mask = 2047;

  get size(): number {
    return this.words.length;
  }

  /** Index of the word `s[start..end)` (hash `h`), or -1. */
  find(s: string, start: number, end: number, h: number): number {
    const len = end - start;
    const { slots, mask, words, hashes } = this;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const e = slots[i];
      if (e === 0) return -1;
      const id = e - 1;
      if (hashes[id] === h) {
        const w = words[id];
        if (w.length === len) {
          let k = 0;
          while (k < len && w.charCodeAt(k) === s.charCodeAt(start + k)) k++;
          if (k === len) return id;
        }
      }
    }
  }

  /** Adds a word that `find` did not find; returns its index. */
  add(word: string, h: number, value = 0): number {
    const id = this.words.length;
    this.words.push(word);
    this.values.push(value);
    if (id === this.hashes.length) {
      const next = new Int32Array(this.hashes.length * 2);
      next.set(this.hashes);
      this.hashes = next;
    }
    this.hashes[id] = h;
    if ((id + 1) * 2 > this.slots.length) this.rehash(this.slots.length * 2);
    else this.place(id);
    return id;
  }

  /** Sets a word's value, adding the word if needed (a later set overwrites, like a dict). */
  set(word: string, value: number): void {
    const h = hashOf(word);
    const id = this.find(word, 0, word.length, h);
    if (id >= 0) this.values[id] = value;
    else this.add(word, h, value);
  }

  get(word: string): number | undefined {
    const id = this.find(word, 0, word.length, hashOf(word));
    return id >= 0 ? this.values[id] : undefined;
  }

  private place(id: number): void {
    const { slots, mask } = this;
    let i = this.hashes[id] & mask;
    while (slots[i] !== 0) i = (i + 1) & mask;
    slots[i] = id + 1;
  }

  private rehash(size: number): void {
    this.slots = new Int32Array(size);
    this.mask = size - 1;
    for (let id = 0; id < this.words.length; id++) this.place(id);
  }
}

/** Called for each word `s[start..end)` with its hash; `s` is the lower-cased text. */
export type OnToken = (s: string, start: number, end: number, hash: number) => void;

/** Splits texts into words exactly like Keras' `text_to_word_sequence`. */
export class WordSplitter {
  /** Fast path: one code unit per filter / split character; table[c] = 1 for separators. */
  private readonly table: Uint8Array | null;
  private readonly filterSet: Set<string>;

  constructor(
    readonly filters: string = KERAS_FILTERS,
    readonly lower: boolean = true,
    readonly split: string = ' ',
  ) {
    if (split.length === 0) throw new DataError('data.split is empty: the word separator must be at least one character (Keras default " ").');
    this.filterSet = new Set(Array.from(filters));
    const bmp = (c: number) => c < 0xd800 || (c > 0xdfff && c <= 0xffff);
    const fast = split.length === 1 && bmp(split.charCodeAt(0)) && Array.from(filters).every((ch) => ch.length === 1 && bmp(ch.charCodeAt(0)));
    if (fast) {
      this.table = new Uint8Array(65536);
      this.table[split.charCodeAt(0)] = 1;
      for (let i = 0; i < filters.length; i++) this.table[filters.charCodeAt(i)] = 1;
    } else this.table = null;
  }

  /** Calls `onToken` for every word of `text`, in order, without allocating per word (fast path). */
  scan(text: string, onToken: OnToken): void {
    const s = this.lower ? text.toLowerCase() : text;
    const table = this.table;
    if (table) {
      const n = s.length;
      let start = 0;
      let h = FNV_OFFSET;
      for (let i = 0; i < n; i++) {
        const c = s.charCodeAt(i);
        if (table[c] === 1) {
          if (i > start) onToken(s, start, i, h);
          start = i + 1;
          h = FNV_OFFSET;
        } else h = Math.imul(h ^ c, FNV_PRIME);
      }
      if (n > start) onToken(s, start, n, h);
      return;
    }
    this.forEachWordSlow(s, (w) => onToken(w, 0, w.length, hashOf(w)));
  }

  /** Calls `onWord` for every word of `text`, in order. */
  forEachWord(text: string, onWord: (word: string) => void): void {
    this.scan(text, (s, start, end) => onWord(start === 0 && end === s.length ? s : s.slice(start, end)));
  }

  private forEachWordSlow(s: string, onWord: (word: string) => void): void {
    // General path (a multi-character split, or filters outside the BMP): Python's str.translate
    // then str.split(split), on code points.
    let t = s;
    if (this.filterSet.size > 0) {
      const parts: string[] = [];
      for (const ch of s) parts.push(this.filterSet.has(ch) ? this.split : ch);
      t = parts.join('');
    }
    for (const w of t.split(this.split)) if (w.length > 0) onWord(w);
  }

  words(text: string): string[] {
    const out: string[] = [];
    this.forEachWord(text, (w) => out.push(w));
    return out;
  }
}

/** Keras `text_to_word_sequence(text, filters, lower, split)`. */
export function textToWordSequence(text: string, o: TokenizerOptions = {}): string[] {
  return new WordSplitter(o.filters ?? KERAS_FILTERS, o.lower ?? true, o.split ?? ' ').words(text);
}

/** A fitted tokenizer, ready to encode texts. */
export class Tokenizer {
  readonly splitter: WordSplitter;
  /** Only ids the encoder can emit (below num_words); the rest behave like unseen words. */
  private readonly index: WordTable;

  constructor(readonly config: KerasTokenizerConfig) {
    this.splitter = new WordSplitter(config.filters, config.lower, config.split);
    this.index = new WordTable();
    const v = config.vocabulary;
    for (let id = 0; id < v.length; id++) {
      const w = v[id];
      if (w !== null && w !== undefined) this.index.set(w, id);
    }
  }

  /** The number of ids this tokenizer can emit (the smallest Embedding input_dim that fits). */
  get vocabSize(): number {
    return Math.max(this.config.vocabulary.length, (this.config.oov_index ?? 0) + 1);
  }

  /** Keras `texts_to_sequences`, flat. */
  encode(texts: readonly string[]): Sequences {
    const out = new IntBuffer(texts.length * 64);
    const offsets = new Int32Array(texts.length + 1);
    const index = this.index;
    const oov = this.config.oov_token !== null ? this.config.oov_index : null;
    const values = index.values;
    const onToken: OnToken = (s, start, end, h) => {
      const k = index.find(s, start, end, h);
      if (k >= 0) out.push(values[k]);
      else if (oov !== null) out.push(oov);
    };
    for (let i = 0; i < texts.length; i++) {
      this.splitter.scan(texts[i], onToken);
      offsets[i + 1] = out.length;
    }
    return { ids: out.view(), offsets };
  }

  /** Keras `texts_to_sequences`, as arrays. */
  textsToSequences(texts: readonly string[]): number[][] {
    const s = this.encode(texts);
    const res: number[][] = [];
    for (let i = 0; i < texts.length; i++) res.push(Array.from(s.ids.subarray(s.offsets[i], s.offsets[i + 1])));
    return res;
  }
}

export interface FitResult {
  tokenizer: Tokenizer;
  /** The fitted texts, encoded (no second pass over them). */
  sequences: Sequences;
  /** Keras `word_index` as [word, id] pairs by id (all words, also those beyond num_words). */
  wordIndex(): [string, number][];
  /** Keras `word_counts` as [word, count] pairs in first-seen order. */
  wordCounts(): [string, number][];
}

/** Keras `Tokenizer(...).fit_on_texts(texts)`, plus `texts_to_sequences(texts)` of the same texts. */
export function fitTokenizer(texts: readonly string[], o: TokenizerOptions = {}): FitResult {
  const numWords = o.num_words ? o.num_words : null; // Keras: `if num_words and i >= num_words`
  const oovToken = o.oov_token ?? null;
  const splitter = new WordSplitter(o.filters ?? KERAS_FILTERS, o.lower ?? true, o.split ?? ' ');

  // One pass: provisional ids in first-seen order, counts, and the texts as provisional ids.
  const seen = new WordTable();
  const words = seen.words;
  let counts = new Int32Array(4096);
  const provisional = new IntBuffer(texts.length * 64);
  const offsets = new Int32Array(texts.length + 1);
  const onToken: OnToken = (s, start, end, h) => {
    let id = seen.find(s, start, end, h);
    if (id < 0) {
      id = seen.add(start === 0 && end === s.length ? s : s.slice(start, end), h);
      if (id === counts.length) {
        const next = new Int32Array(counts.length * 2);
        next.set(counts);
        counts = next;
      }
    }
    counts[id]++;
    provisional.push(id);
  };
  for (let i = 0; i < texts.length; i++) {
    splitter.scan(texts[i], onToken);
    offsets[i + 1] = provisional.length;
  }

  // Stable sort by descending count (Python's list.sort is stable, as is Array.prototype.sort).
  const n = words.length;
  const order = Array.from({ length: n }, (_, i) => i);
  order.sort((a, b) => counts[b] - counts[a]);
  const first = oovToken !== null ? 2 : 1;
  // word_index = dict(zip([oov] + sorted words, 1..)): a later duplicate key overwrites.
  const finalId = new Int32Array(n);
  for (let r = 0; r < n; r++) finalId[order[r]] = r + first;
  const oovSeen = oovToken === null ? -1 : seen.find(oovToken, 0, oovToken.length, hashOf(oovToken));
  const oovIndex = oovToken === null ? null : oovSeen >= 0 ? finalId[oovSeen] : 1;

  // The encoded ids: apply num_words and the OOV rule to the provisional ids.
  const encoded = new IntBuffer(provisional.length);
  const outOffsets = new Int32Array(texts.length + 1);
  const prov = provisional.view();
  for (let i = 0; i < texts.length; i++) {
    for (let j = offsets[i]; j < offsets[i + 1]; j++) {
      const id = finalId[prov[j]];
      if (numWords !== null && id >= numWords) {
        if (oovIndex !== null) encoded.push(oovIndex);
      } else encoded.push(id);
    }
    outOffsets[i + 1] = encoded.length;
  }

  // The saved vocabulary: ids below num_words (or all).
  const maxId = n + first - 1;
  const limit = numWords !== null ? Math.min(numWords, maxId + 1) : maxId + 1;
  const vocabulary: (string | null)[] = new Array(Math.max(limit, 1)).fill(null);
  if (oovToken !== null && oovIndex === 1 && limit > 1) vocabulary[1] = oovToken;
  for (let r = 0; r + first < limit; r++) vocabulary[r + first] = words[order[r]];
  const config: KerasTokenizerConfig = {
    type: 'keras',
    num_words: numWords,
    filters: splitter.filters,
    lower: splitter.lower,
    split: splitter.split,
    oov_token: oovToken,
    oov_index: oovIndex,
    vocabulary,
    document_count: texts.length,
    distinct_words: n,
  };
  return {
    tokenizer: new Tokenizer(config),
    sequences: { ids: encoded.view(), offsets: outOffsets },
    wordIndex() {
      const pairs: [string, number][] = [];
      if (oovToken !== null && oovIndex === 1) pairs.push([oovToken, 1]);
      for (let r = 0; r < n; r++) pairs.push([words[order[r]], r + first]);
      return pairs;
    },
    wordCounts() {
      return words.map((w, i) => [w, counts[i]] as [string, number]);
    },
  };
}
