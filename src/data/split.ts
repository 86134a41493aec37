/** Train / validation / test splits. */
import { DataError } from './errors';
import { permutation } from './random';

/**
 * Keras' `validation_split` (keras.src.trainers.data_adapters.array_slicing.train_validation_split):
 * the first `floor(n * (1 - validation_split))` samples train, the rest validate; no shuffling.
 * Returns that index. A split that leaves either side empty is an error, as in Keras.
 */
export function validationSplitAt(n: number, validationSplit: number, what = 'samples'): number {
  if (!(validationSplit > 0)) return n;
  if (validationSplit >= 1) throw new DataError(`training.validation_split is ${validationSplit}: it must be below 1 (e.g. 0.1 keeps the last 10% of the training ${what} for validation).`);
  const splitAt = Math.floor(n * (1.0 - validationSplit));
  if (splitAt === 0 || splitAt === n) {
    throw new DataError(
      `The training data has ${n} ${what}, which is not enough to split into a training and a validation set with validation_split ${validationSplit}. Provide more data, raise data.max_samples, or change training.validation_split.`,
    );
  }
  return splitAt;
}

/** Like `validationSplitAt`, for the test fraction. */
export function testSplitAt(n: number, testSplit: number, what = 'samples'): number {
  if (!(testSplit > 0)) return n;
  if (testSplit >= 1) throw new DataError(`data.test_split is ${testSplit}: it must be below 1 (e.g. 0.2 holds out 20% of the ${what} for testing).`);
  const splitAt = Math.floor(n * (1.0 - testSplit));
  if (splitAt === 0 || splitAt === n) {
    throw new DataError(`The data has ${n} ${what}, which is not enough to hold out a test set with test_split ${testSplit}. Provide more data, raise data.max_samples, or change data.test_split.`);
  }
  return splitAt;
}

export interface IndexPlan {
  /** Indices into the source, in the order the samples are used. */
  train: Int32Array;
  /** Test indices when the test set is drawn from the source (test_split). */
  test?: Int32Array;
}

/**
 * Which source samples are used, in which order. With a test fraction (or `shuffle`) the source is
 * permuted with the seed first; the test set is the last `test_split` fraction of that order. A cap
 * (max_samples) keeps the first `cap` samples of that order.
 */
export function planIndices(n: number, o: { shuffle: boolean; seed: number; cap?: number; testSplit: number; what?: string }): IndexPlan {
  let order: Int32Array;
  if (o.shuffle || o.testSplit > 0) order = permutation(n, o.seed);
  else {
    order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
  }
  if (o.cap !== undefined && o.cap < n) order = order.subarray(0, o.cap);
  if (o.testSplit > 0) {
    const at = testSplitAt(order.length, o.testSplit, o.what);
    return { train: order.subarray(0, at), test: order.subarray(at) };
  }
  return { train: order };
}
