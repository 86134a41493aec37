/**
 * Variable-length integer sequences stored flat (no per-sequence arrays), and Keras'
 * `pad_sequences` over them.
 */

/** Sequence i is `ids[offsets[i] .. offsets[i + 1])`. */
export interface Sequences {
  ids: Int32Array;
  offsets: Int32Array;
}

/** A growable Int32Array. */
export class IntBuffer {
  data: Int32Array;
  length = 0;
  constructor(capacity = 1024) {
    this.data = new Int32Array(Math.max(16, capacity));
  }
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Int32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
  /** The pushed values (a view, no copy). */
  view(): Int32Array {
    return this.data.subarray(0, this.length);
  }
}

export function sequenceCount(s: Sequences): number {
  return s.offsets.length - 1;
}

export function toArrays(s: Sequences): number[][] {
  const out: number[][] = [];
  for (let i = 0; i + 1 < s.offsets.length; i++) out.push(Array.from(s.ids.subarray(s.offsets[i], s.offsets[i + 1])));
  return out;
}

export function fromArrays(arrays: ArrayLike<number>[]): Sequences {
  let total = 0;
  for (const a of arrays) total += a.length;
  const ids = new Int32Array(total);
  const offsets = new Int32Array(arrays.length + 1);
  let p = 0;
  arrays.forEach((a, i) => {
    ids.set(a, p);
    p += a.length;
    offsets[i + 1] = p;
  });
  return { ids, offsets };
}

/** Longest sequence (Keras pad_sequences' default maxlen). */
export function longest(s: Sequences): number {
  let m = 0;
  for (let i = 0; i + 1 < s.offsets.length; i++) m = Math.max(m, s.offsets[i + 1] - s.offsets[i]);
  return m;
}

export interface PadOptions {
  maxlen: number;
  padding: 'pre' | 'post';
  truncating: 'pre' | 'post';
  /** Cast to int32 like NumPy's `np.full(..., value, dtype="int32")` (truncated toward zero). */
  value: number;
}

/**
 * Keras `keras.utils.pad_sequences(sequences, maxlen, dtype="int32", padding, truncating, value)`:
 * a row-major `[N, maxlen]` Int32Array. Long sequences lose their start (`truncating: "pre"`) or
 * end (`"post"`); short ones get `value` before (`padding: "pre"`) or after (`"post"`).
 */
export function padSequences(s: Sequences, o: PadOptions): Int32Array {
  const n = s.offsets.length - 1;
  const maxlen = o.maxlen;
  const out = new Int32Array(n * maxlen);
  if (o.value !== 0) out.fill(o.value);
  const { ids, offsets } = s;
  for (let i = 0; i < n; i++) {
    const start = offsets[i];
    const end = offsets[i + 1];
    const len = end - start;
    if (len === 0) continue;
    let a = start;
    let b = end;
    if (len > maxlen) {
      if (o.truncating === 'pre') a = end - maxlen;
      else b = start + maxlen;
    }
    const row = i * maxlen;
    out.set(ids.subarray(a, b), o.padding === 'post' ? row : row + maxlen - (b - a));
  }
  return out;
}

/** `pad_sequences` on plain arrays; `maxlen` defaults to the longest sequence, as in Keras. */
export function padArrays(arrays: ArrayLike<number>[], o: Partial<PadOptions> = {}): { data: Int32Array; shape: number[] } {
  const s = fromArrays(arrays);
  const maxlen = o.maxlen ?? longest(s);
  return {
    data: padSequences(s, { maxlen, padding: o.padding ?? 'pre', truncating: o.truncating ?? 'pre', value: o.value ?? 0 }),
    shape: [arrays.length, maxlen],
  };
}
