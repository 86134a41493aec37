/** Class labels: declared (`data.labels`, their order is the class index) or found in the data. */
import { quote } from '../core/json';
import { DataError } from './errors';
import type { LabelEncoding, Matrix } from './types';

const NUMERIC = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** The label as text, or null when it is not a string, number or boolean. */
export function labelKey(raw: unknown): string | null {
  if (typeof raw === 'string') return raw.trim();
  if (typeof raw === 'number' && Number.isFinite(raw)) return String(raw);
  if (typeof raw === 'boolean') return String(raw);
  return null;
}

export class LabelSet {
  private readonly exact = new Map<string, number>();
  private readonly numeric = new Map<number, number>();

  constructor(readonly names: string[]) {
    names.forEach((name, i) => {
      if (!this.exact.has(name)) this.exact.set(name, i);
      if (NUMERIC.test(name) && !this.numeric.has(Number(name))) this.numeric.set(Number(name), i);
    });
  }

  /** Class index of a label key, or -1. `"1"`, `1` and `"1.0"` match a declared `1`. */
  indexOf(key: string): number {
    const i = this.exact.get(key);
    if (i !== undefined) return i;
    if (NUMERIC.test(key)) return this.numeric.get(Number(key)) ?? -1;
    return -1;
  }

  /** Labels in the data, sorted (numerically when all are numbers), as Keras sorts class folders. */
  static inferred(keys: Iterable<string>): LabelSet {
    const uniq = [...new Set(keys)];
    if (uniq.length > 0 && uniq.every((k) => NUMERIC.test(k))) uniq.sort((a, b) => Number(a) - Number(b));
    else uniq.sort();
    return new LabelSet(uniq);
  }
}

export function describeLabels(names: readonly string[]): string {
  return names.map((n) => quote(n)).join(', ');
}

/** y for class indices: [N, 1] float 0/1 (binary), [N] int32 (sparse) or [N, C] float (one-hot). */
export function encodeLabels(classes: ArrayLike<number>, numClasses: number, encoding: LabelEncoding): Matrix {
  const n = classes.length;
  if (encoding === 'binary') {
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = classes[i];
    return { data, shape: [n, 1] };
  }
  if (encoding === 'sparse') {
    const data = new Int32Array(n);
    for (let i = 0; i < n; i++) data[i] = classes[i];
    return { data, shape: [n] };
  }
  const data = new Float32Array(n * numClasses);
  for (let i = 0; i < n; i++) data[i * numClasses + classes[i]] = 1;
  return { data, shape: [n, numClasses] };
}

/** Checks that the loss fits the number of classes. */
export function checkEncoding(encoding: string, labels: readonly string[]): LabelEncoding {
  if (encoding === 'regression') {
    throw new DataError('Text data has class labels, but the loss is a regression loss. Use binary_crossentropy (2 labels, 1 sigmoid unit) or sparse_categorical_crossentropy / categorical_crossentropy (a softmax unit per label).');
  }
  if (encoding === 'binary' && labels.length !== 2) {
    throw new DataError(
      `binary_crossentropy needs exactly 2 labels, but the data has ${labels.length}: ${describeLabels(labels)}. Use sparse_categorical_crossentropy with a Dense(${labels.length}, softmax) output, or declare 2 labels in data.labels.`,
    );
  }
  if (encoding !== 'binary' && encoding !== 'sparse' && encoding !== 'onehot') throw new DataError(`Unknown label encoding "${encoding}".`);
  return encoding;
}

/** The label encoding a Keras loss expects; time-series losses are regression. */
export function labelEncodingForLoss(loss: string | undefined): LabelEncoding | 'regression' {
  switch (loss) {
    case 'binary_crossentropy':
      return 'binary';
    case 'sparse_categorical_crossentropy':
      return 'sparse';
    case 'categorical_crossentropy':
      return 'onehot';
    default:
      return 'regression';
  }
}
