import { MAX_INTEGER } from './json';
import { formatCount, formatShape, product } from './shapes';
import type { Shape } from './types';

/**
 * Output shape and parameter count of every v1 layer type, as Keras 3 computes them
 * (`compute_output_shape` and the weights `build` creates). Shapes include the batch axis.
 */

export const RECURRENT_TYPES = ['SimpleRNN', 'LSTM', 'GRU'] as const;
export const WRAPPER_TYPES = ['Bidirectional', 'TimeDistributed'] as const;

export function isRecurrentType(type: unknown): type is (typeof RECURRENT_TYPES)[number] {
  return RECURRENT_TYPES.includes(type as never);
}

export type Config = Record<string, unknown>;

export interface LayerResult {
  output: Shape;
  trainable: number;
  nonTrainable: number;
  /** The count with the numbers filled in, e.g. `4 x (64 x (64 + 64) + 64) = 33,024`. */
  formula?: string;
}

/** A problem specific to one layer's settings (rank problems are handled by the engine). */
export interface LayerProblem {
  code: string;
  message: string;
  /** The config key the problem is about; the diagnostic goes on that property. */
  key?: string;
  /** A setting that resolves the problem, offered as the fix. */
  fix?: { key: string; value: unknown };
}

export interface LayerRule {
  /** Accepted input ranks, counting the batch axis. */
  minRank: number;
  maxRank?: number;
  /** Wording for rank messages, e.g. `(batch, timesteps, features)`. */
  expects?: string;
  compute(config: Config, input: Shape): LayerResult | LayerProblem;
}

/** Thrown when a setting the computation needs is missing or invalid; the schema reports those. */
export class InvalidSetting extends Error {}

export function int(config: Config, key: string, min = 1): number {
  const v = config[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > MAX_INTEGER) throw new InvalidSetting(key);
  return v;
}

function bool(config: Config, key: string): boolean {
  return config[key] === true;
}

/** The last axis must be known to create weights. */
function lastDim(input: Shape, layer: string): number | LayerProblem {
  const d = input[input.length - 1];
  if (d === null || d === undefined) {
    return {
      code: 'undefined-last-dimension',
      message: `${layer} needs the last dimension of its input to be known to create its weights, but the input is ${formatShape(input)}. Give the model input a fixed feature size.`,
    };
  }
  return d;
}

function isProblem(x: unknown): x is LayerProblem {
  return typeof x === 'object' && x !== null && 'code' in x;
}

const SEQUENCE = '(batch, timesteps, features)';

function recurrent(kind: 'SimpleRNN' | 'LSTM' | 'GRU'): LayerRule {
  return {
    minRank: 3,
    maxRank: 3,
    expects: SEQUENCE,
    compute(config, input) {
      const u = int(config, 'units');
      const d = lastDim(input, kind);
      if (isProblem(d)) return d;
      const bias = config.use_bias !== false;
      const output: Shape = bool(config, 'return_sequences') ? [input[0], input[1], u] : [input[0], u];
      const core = u * (d + u);
      let trainable: number;
      let formula: string;
      if (kind === 'SimpleRNN') {
        trainable = core + (bias ? u : 0);
        formula = bias ? `${u} x (${d} + ${u}) + ${u}` : `${u} x (${d} + ${u})`;
      } else if (kind === 'LSTM') {
        trainable = 4 * (core + (bias ? u : 0));
        formula = bias ? `4 x (${u} x (${d} + ${u}) + ${u})` : `4 x (${u} x (${d} + ${u}))`;
      } else {
        const resetAfter = config.reset_after !== false;
        const biasPerGate = bias ? (resetAfter ? 2 * u : u) : 0;
        trainable = 3 * (core + biasPerGate);
        formula = !bias ? `3 x (${u} x (${d} + ${u}))` : resetAfter ? `3 x (${u} x (${d} + ${u}) + 2 x ${u})` : `3 x (${u} x (${d} + ${u}) + ${u})`;
      }
      return { output, trainable, nonTrainable: 0, formula: `${formula} = ${formatCount(trainable)}` };
    },
  };
}

function identity(minRank = 1, maxRank?: number, expects?: string): LayerRule {
  return { minRank, maxRank, expects, compute: (_c, input) => ({ output: input, trainable: 0, nonTrainable: 0 }) };
}

/** Output length of a 1-D window op, as Keras' `compute_conv_output_shape` / pooling do. */
function windowLength(length: number | null, span: number, stride: number, padding: string): number | null {
  if (length === null) return null;
  if (padding === 'same' || padding === 'causal') return Math.floor((length - 1) / stride) + 1;
  return Math.floor((length - span) / stride) + 1;
}

function normalizationAxis(config: Config, input: Shape, layer: string): number | LayerProblem {
  const axis = typeof config.axis === 'number' ? config.axis : -1;
  const i = axis < 0 ? input.length + axis : axis;
  if (!Number.isInteger(i) || i < 1 || i >= input.length) {
    return { code: 'invalid-axis', key: 'axis', message: `${layer} axis ${axis} is out of range for an input of shape ${formatShape(input)}.` };
  }
  const d = input[i];
  if (d === null) return { code: 'undefined-last-dimension', key: 'axis', message: `${layer} needs axis ${axis} of its input to be known, but the input is ${formatShape(input)}.` };
  return d;
}

function pooling(kind: string): LayerRule {
  return {
    minRank: 3,
    maxRank: 3,
    expects: SEQUENCE,
    compute(config, input) {
      const pool = int(config, 'pool_size');
      const stride = config.strides === null || config.strides === undefined ? pool : int(config, 'strides');
      const padding = String(config.padding ?? 'valid');
      const length = windowLength(input[1], pool, stride, padding);
      if (length !== null && length < 1) {
        return {
          code: 'sequence-too-short',
          key: 'pool_size',
          fix: { key: 'padding', value: 'same' },
          message: `${kind} pool_size ${pool} is larger than the sequence (${input[1]} steps) with padding "valid": nothing would be left. Use a smaller pool_size or "padding": "same".`,
        };
      }
      return { output: [input[0], length, input[2]], trainable: 0, nonTrainable: 0 };
    },
  };
}

function globalPooling(): LayerRule {
  return { minRank: 3, maxRank: 3, expects: SEQUENCE, compute: (_c, input) => ({ output: [input[0], input[2]], trainable: 0, nonTrainable: 0 }) };
}

export const LAYER_RULES: Record<string, LayerRule> = {
  Embedding: {
    minRank: 1,
    compute(config, input) {
      const n = int(config, 'input_dim');
      const d = int(config, 'output_dim');
      const trainable = n * d;
      return { output: [...input, d], trainable, nonTrainable: 0, formula: `${n} x ${d} = ${formatCount(trainable)}` };
    },
  },
  SimpleRNN: recurrent('SimpleRNN'),
  LSTM: recurrent('LSTM'),
  GRU: recurrent('GRU'),
  Dense: {
    minRank: 2,
    compute(config, input) {
      const u = int(config, 'units');
      const d = lastDim(input, 'Dense');
      if (isProblem(d)) return d;
      const bias = config.use_bias !== false;
      const trainable = d * u + (bias ? u : 0);
      return {
        output: [...input.slice(0, -1), u],
        trainable,
        nonTrainable: 0,
        formula: `${d} x ${u}${bias ? ` + ${u}` : ''} = ${formatCount(trainable)}`,
      };
    },
  },
  Dropout: identity(),
  SpatialDropout1D: identity(3, 3, SEQUENCE),
  Activation: identity(),
  Conv1D: {
    minRank: 3,
    maxRank: 3,
    expects: SEQUENCE,
    compute(config, input) {
      const filters = int(config, 'filters');
      const k = int(config, 'kernel_size');
      const stride = int(config, 'strides');
      const dilation = int(config, 'dilation_rate');
      const padding = String(config.padding ?? 'valid');
      const channels = lastDim(input, 'Conv1D');
      if (isProblem(channels)) return channels;
      if (stride > 1 && dilation > 1) {
        return {
          code: 'conv-strides-and-dilation',
          key: 'dilation_rate',
          message: `Conv1D cannot combine strides ${stride} with dilation_rate ${dilation} (Keras refuses strides > 1 together with dilation_rate > 1). Use one of them.`,
        };
      }
      const span = dilation * (k - 1) + 1;
      const length = windowLength(input[1], span, stride, padding);
      if (length !== null && length < 1) {
        return {
          code: 'kernel-too-large',
          key: 'kernel_size',
          fix: { key: 'padding', value: 'same' },
          message: `Conv1D kernel_size ${k}${dilation > 1 ? ` with dilation_rate ${dilation} (spanning ${span} steps)` : ''} is larger than the sequence (${input[1]} steps) with padding "valid". Use a smaller kernel_size or "padding": "same".`,
        };
      }
      const bias = config.use_bias !== false;
      const trainable = k * channels * filters + (bias ? filters : 0);
      return {
        output: [input[0], length, filters],
        trainable,
        nonTrainable: 0,
        formula: `${k} x ${channels} x ${filters}${bias ? ` + ${filters}` : ''} = ${formatCount(trainable)}`,
      };
    },
  },
  MaxPooling1D: pooling('MaxPooling1D'),
  AveragePooling1D: pooling('AveragePooling1D'),
  GlobalMaxPooling1D: globalPooling(),
  GlobalAveragePooling1D: globalPooling(),
  Flatten: {
    minRank: 1,
    compute(_config, input) {
      const rest = input.slice(1);
      const flat = rest.some((d) => d === null) ? null : product(rest as number[]);
      return { output: [input[0], flat], trainable: 0, nonTrainable: 0 };
    },
  },
  RepeatVector: {
    minRank: 2,
    maxRank: 2,
    expects: '(batch, features)',
    compute: (config, input) => ({ output: [input[0], int(config, 'n'), input[1]], trainable: 0, nonTrainable: 0 }),
  },
  Reshape: {
    minRank: 1,
    compute(config, input) {
      const target = config.target_shape;
      if (!Array.isArray(target) || target.some((d) => typeof d !== 'number' || !Number.isInteger(d) || (d < 1 && d !== -1) || d > MAX_INTEGER)) {
        throw new InvalidSetting('target_shape');
      }
      const wildcards = target.filter((d) => d === -1).length;
      if (wildcards > 1) return { code: 'invalid-reshape', key: 'target_shape', message: 'Reshape target_shape may contain -1 only once.' };
      const rest = input.slice(1);
      const known = product(target.filter((d) => d !== -1));
      if (rest.some((d) => d === null)) {
        return { output: [input[0], ...target.map((d) => (d === -1 ? null : d))], trainable: 0, nonTrainable: 0 };
      }
      const size = product(rest as number[]);
      if (wildcards === 1 ? size % known !== 0 : size !== known) {
        return {
          code: 'invalid-reshape',
          key: 'target_shape',
          message: `Reshape cannot turn ${formatShape(input)} (${formatCount(size)} values per sample) into ${JSON.stringify(target)} (${wildcards ? `a multiple of ${formatCount(known)}` : formatCount(known)} values).`,
        };
      }
      return { output: [input[0], ...target.map((d) => (d === -1 ? size / known : d))], trainable: 0, nonTrainable: 0 };
    },
  },
  LayerNormalization: {
    minRank: 2,
    compute(config, input) {
      const d = normalizationAxis(config, input, 'LayerNormalization');
      if (isProblem(d)) return d;
      const terms = [config.scale !== false, config.center !== false].filter(Boolean).length;
      const trainable = terms * d;
      return { output: input, trainable, nonTrainable: 0, formula: `${terms} x ${d} = ${formatCount(trainable)}` };
    },
  },
  BatchNormalization: {
    minRank: 2,
    compute(config, input) {
      const d = normalizationAxis(config, input, 'BatchNormalization');
      if (isProblem(d)) return d;
      const terms = [config.scale !== false, config.center !== false].filter(Boolean).length;
      const trainable = terms * d;
      return {
        output: input,
        trainable,
        nonTrainable: 2 * d,
        formula: `${terms} x ${d} trainable (gamma, beta) + 2 x ${d} non-trainable (moving mean, variance) = ${formatCount(trainable + 2 * d)}`,
      };
    },
  },
};

export function isLayerProblem(x: LayerResult | LayerProblem): x is LayerProblem {
  return isProblem(x);
}

/** Bidirectional: both directions have the wrapped layer's weights; `concat` doubles the features. */
export function bidirectional(inner: LayerResult, mergeMode: string): LayerResult {
  const output = [...inner.output];
  if (mergeMode === 'concat') output[output.length - 1] = (output[output.length - 1] as number) * 2;
  const trainable = 2 * inner.trainable;
  return {
    output,
    trainable,
    nonTrainable: 2 * inner.nonTrainable,
    formula: `2 x (${inner.formula?.split(' = ')[0] ?? formatCount(inner.trainable)}) = ${formatCount(trainable)}`,
  };
}
