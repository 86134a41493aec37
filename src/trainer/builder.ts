import type * as tfType from '@tensorflow/tfjs';
import type { LayerInfo, ModelAnalysis, Shape } from '../core/types';
import { tfjsActivation } from './layers/activations';
import { registerCustomLayers, type CustomLayers } from './layers/index';
import type { KerasRecurrentArgs, RecurrentKind } from './layers/rnn';

/**
 * Model file (as analysed by the core) -> tfjs model: the model Keras 3 builds from the same file.
 *
 * Same layer names (Keras' auto names from the core, Bidirectional halves `forward_<inner>` /
 * `backward_<inner>`), same options with Keras 3 defaults, same weight shapes and order (so weights
 * move between the two as they are, see `layers/keras-weights.ts`), same maths, same masking
 * semantics, same default initialisers. Where tfjs differs from Keras 3 the layer is RNN Studio's own
 * (`src/trainer/layers/`): SimpleRNN / LSTM / GRU (both GRU reset_after modes), BatchNormalization,
 * LayerNormalization, AveragePooling1D, masked GlobalAveragePooling1D, causal / dilated Conv1D,
 * Flatten on 2-D, and the activations tfjs lacks.
 *
 * `tf` is the caller's tfjs namespace (`@tensorflow/tfjs-node` or `@tensorflow/tfjs`); this module
 * only imports tfjs types.
 */

export { registerCustomLayers, type CustomLayers } from './layers/index';

type TF = typeof tfType;
type Layer = tfType.layers.Layer;
type LayerFactory = (args: object) => Layer;

/**
 * The one place that picks the class of a recurrent layer. A later, faster implementation (fused
 * whole-sequence kernels) takes the same `KerasRecurrentArgs` and has the same weights; swap it in here.
 */
export function recurrentLayerClass(custom: CustomLayers, kind: RecurrentKind): new (args: KerasRecurrentArgs) => Layer {
  return custom.recurrent[kind];
}

/** tfjs accepts only these characters in layer names (it scopes weight names with them). */
const TFJS_NAME = /^[A-Za-z0-9][-A-Za-z0-9._/]*$/;

export interface BuildOptions {
  /** Seed for every weight initialiser (reproducible initial weights); default: random. */
  seed?: number;
}

/**
 * Builds the Sequential model for `analysis` (from `analyzeModel`). Layer `i` of the file is
 * `model.getLayer(analysis.layers[i].name)`, which is also `model.layers[i + 1]`: tfjs lists the
 * input layer first (Keras does not). Throws an Error naming the layer when a layer cannot be built
 * (the core reports those problems as diagnostics first).
 */
export function buildModel(tf: TF, analysis: ModelAnalysis, inputDtype: 'float32' | 'int32', options: BuildOptions = {}): tfType.Sequential {
  if (!analysis.parsed || !analysis.inputShape) {
    throw new Error(`Cannot build the model: ${firstError(analysis) ?? 'its input shape is missing or invalid'}.`);
  }
  if (analysis.layers.length === 0) throw new Error('Cannot build the model: it has no layers.');
  const custom = registerCustomLayers(tf);
  const ctx: BuildContext = { tf, custom, L: tf.layers as unknown as Record<string, LayerFactory>, seed: undefined };
  const taken = new Set(analysis.layers.flatMap((l) => [l.name, ...(l.inner ? [l.inner.name] : [])]));
  let inputName = 'input_layer';
  for (let i = 1; taken.has(inputName); i++) inputName = `input_layer_${i}`;

  const model = tf.sequential({ name: TFJS_NAME.test(analysis.name) ? analysis.name : 'sequential' });
  try {
    model.add(tf.layers.inputLayer({ batchInputShape: analysis.inputShape, dtype: inputDtype, name: inputName }));
    let masked = false;
    for (const info of analysis.layers) {
      const where = `Layer ${info.index} "${info.name}" (${info.type})`;
      const problem = layerError(analysis, info.index);
      if (problem || !info.outputShape) {
        throw new Error(`${where} cannot be built: ${problem ?? firstError(analysis) ?? 'its input or settings are invalid (see the problems the model check reports)'}.`);
      }
      for (const name of [info.name, ...(info.inner ? [info.inner.name] : [])]) {
        if (!TFJS_NAME.test(name)) throw new Error(`${where} cannot be built: TensorFlow.js accepts layer names made of letters, digits, "-", "_", "." and "/" only (starting with a letter or digit); got "${name}".`);
      }
      let layer: Layer;
      ctx.seed = options.seed === undefined ? undefined : options.seed + 1009 * info.index;
      try {
        layer = makeLayer(ctx, info.type, info.name, info.config, info, masked);
        model.add(layer);
      } catch (e) {
        throw new Error(`${where} cannot be built: ${e instanceof Error ? e.message : String(e)}`);
      }
      const shape = layer.outputShape as Shape;
      if (JSON.stringify(shape) !== JSON.stringify(info.outputShape)) {
        throw new Error(`${where}: TensorFlow.js computes the output shape ${JSON.stringify(shape)} where Keras computes ${JSON.stringify(info.outputShape)}.`);
      }
      masked = carriesMask(info, masked);
    }
  } catch (e) {
    model.dispose();
    throw e;
  }
  return model;
}

/** Errors about a layer that do not stop Keras from building it (they matter for compile or the data). */
const NOT_BUILD_ERRORS = new Set(['loss-output-mismatch', 'embedding-too-small']);

/** The first error the core reports on this layer that Keras would refuse to build (unknown key, bad value, duplicate name, ...). */
function layerError(analysis: ModelAnalysis, index: number): string | undefined {
  return analysis.diagnostics.find((d) => d.severity === 'error' && d.layerIndex === index && !NOT_BUILD_ERRORS.has(d.code))?.message.replace(/\.$/, '');
}

interface BuildContext {
  tf: TF;
  custom: CustomLayers;
  L: Record<string, LayerFactory>;
  /** Initialiser seed of the layer being built. */
  seed: number | undefined;
}

type Config = Record<string, unknown>;

function firstError(analysis: ModelAnalysis): string | undefined {
  return analysis.diagnostics.find((d) => d.severity === 'error')?.message.replace(/\.$/, '');
}

/**
 * Whether the output of this layer carries a Keras mask, given whether its input does. Keras 3:
 * Embedding(mask_zero) creates one; Dense, Dropout, SpatialDropout1D, Activation, LayerNormalization,
 * BatchNormalization and TimeDistributed pass it on; recurrent layers (and Bidirectional) pass it on
 * only with return_sequences; every other layer (Conv1D, pooling, Flatten, Reshape, RepeatVector,
 * GlobalAveragePooling1D, ...) drops it.
 */
export function carriesMask(info: Pick<LayerInfo, 'type' | 'config' | 'inner'>, masked: boolean): boolean {
  switch (info.type) {
    case 'Embedding':
      return info.config.mask_zero === true;
    case 'Dense':
    case 'Dropout':
    case 'SpatialDropout1D':
    case 'Activation':
    case 'LayerNormalization':
    case 'BatchNormalization':
    case 'TimeDistributed':
      return masked;
    case 'SimpleRNN':
    case 'LSTM':
    case 'GRU':
      return masked && info.config.return_sequences === true;
    case 'Bidirectional':
      return masked && info.inner?.config.return_sequences === true;
    default:
      return false;
  }
}

function num(config: Config, key: string): number {
  const v = config[key];
  if (typeof v !== 'number') throw new Error(`"${key}" must be a number, got ${JSON.stringify(v)}`);
  return v;
}

function bool(config: Config, key: string, fallback: boolean): boolean {
  const v = config[key];
  return typeof v === 'boolean' ? v : fallback;
}

function str(config: Config, key: string, fallback?: string): string {
  const v = config[key] ?? fallback;
  if (typeof v !== 'string') throw new Error(`"${key}" must be a string, got ${JSON.stringify(v)}`);
  return v;
}

function recurrentArgs(kind: RecurrentKind, name: string, c: Config, masked: boolean, seed: number | undefined): KerasRecurrentArgs {
  const args: KerasRecurrentArgs = {
    name,
    seed,
    units: num(c, 'units'),
    activation: str(c, 'activation', 'tanh'),
    useBias: bool(c, 'use_bias', true),
    returnSequences: bool(c, 'return_sequences', false),
    goBackwards: bool(c, 'go_backwards', false),
    dropout: typeof c.dropout === 'number' ? c.dropout : 0,
    recurrentDropout: typeof c.recurrent_dropout === 'number' ? c.recurrent_dropout : 0,
    acceptMask: masked,
  };
  if (kind !== 'SimpleRNN') args.recurrentActivation = str(c, 'recurrent_activation', 'sigmoid');
  if (kind === 'GRU') args.resetAfter = bool(c, 'reset_after', true);
  return args;
}

/** One tfjs layer from a Keras layer type and its config (snake_case keys, Keras defaults filled). */
function makeLayer(ctx: BuildContext, type: string, name: string, c: Config, info: LayerInfo | undefined, masked: boolean): Layer {
  const { tf, custom, L, seed } = ctx;
  switch (type) {
    case 'Embedding':
      return new custom.Embedding({
        name,
        inputDim: num(c, 'input_dim'),
        outputDim: num(c, 'output_dim'),
        maskZero: bool(c, 'mask_zero', false),
        embeddingsInitializer: tf.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed }),
      });
    case 'SimpleRNN':
    case 'LSTM':
    case 'GRU': {
      const Cls = recurrentLayerClass(custom, type);
      return new Cls(recurrentArgs(type, name, c, masked, ctx.seed));
    }
    case 'Bidirectional': {
      const inner = info?.inner;
      if (!inner || !['SimpleRNN', 'LSTM', 'GRU'].includes(inner.type)) throw new Error('Bidirectional wraps a SimpleRNN, LSTM or GRU layer');
      const kind = inner.type as RecurrentKind;
      const args = recurrentArgs(kind, inner.name, inner.config, masked, ctx.seed);
      if (args.goBackwards) throw new Error('Keras refuses a Bidirectional whose wrapped layer has go_backwards: true');
      // Keras' Bidirectional sets zero_output_for_mask = return_sequences on both halves.
      args.zeroOutputForMask = args.returnSequences;
      const Cls = recurrentLayerClass(custom, kind);
      // tfjs clones the wrapped layer into `forward_<name>` and `backward_<name>` (go_backwards flipped), as Keras 3 does.
      return L.bidirectional({ name, layer: new Cls(args), mergeMode: str(c, 'merge_mode', 'concat') });
    }
    case 'TimeDistributed': {
      const inner = info?.inner;
      if (!inner) throw new Error('TimeDistributed needs a wrapped "layer"');
      return L.timeDistributed({ name, layer: makeLayer(ctx, inner.type, inner.name, inner.config, undefined, masked) });
    }
    case 'Dense':
      return L.dense({
        name,
        units: num(c, 'units'),
        activation: tfjsActivation(str(c, 'activation', 'linear')),
        useBias: bool(c, 'use_bias', true),
        kernelInitializer: tf.initializers.glorotUniform({ seed }),
        biasInitializer: 'zeros',
      });
    case 'Dropout':
      return L.dropout({ name, rate: num(c, 'rate') });
    case 'SpatialDropout1D':
      return L.spatialDropout1d({ name, rate: num(c, 'rate') });
    case 'Conv1D':
      return new custom.Conv1D({
        name,
        filters: num(c, 'filters'),
        kernelSize: num(c, 'kernel_size'),
        strides: typeof c.strides === 'number' ? c.strides : 1,
        padding: str(c, 'padding', 'valid').toLowerCase(),
        dilationRate: typeof c.dilation_rate === 'number' ? c.dilation_rate : 1,
        activation: tfjsActivation(str(c, 'activation', 'linear')),
        useBias: bool(c, 'use_bias', true),
        kernelInitializer: tf.initializers.glorotUniform({ seed }),
        biasInitializer: 'zeros',
      });
    case 'MaxPooling1D':
    case 'AveragePooling1D': {
      const poolSize = num(c, 'pool_size');
      const padding = str(c, 'padding', 'valid').toLowerCase();
      if (padding !== 'valid' && padding !== 'same') throw new Error(`pooling padding must be "valid" or "same", got "${padding}"`);
      const args = { name, poolSize, strides: typeof c.strides === 'number' ? c.strides : poolSize, padding: padding as 'valid' | 'same' };
      return type === 'MaxPooling1D' ? L.maxPooling1d(args) : new custom.AveragePooling1D(args);
    }
    case 'GlobalMaxPooling1D':
      return L.globalMaxPooling1d({ name });
    case 'GlobalAveragePooling1D':
      return new custom.GlobalAveragePooling1D({ name, acceptMask: masked });
    case 'Flatten':
      return new custom.Flatten({ name });
    case 'RepeatVector':
      return L.repeatVector({ name, n: num(c, 'n') });
    case 'Reshape': {
      const target = c.target_shape;
      if (!Array.isArray(target)) throw new Error('"target_shape" must be a list');
      // tfjs leaves a -1 unresolved in its shapes; use the size Keras infers when it is known.
      const known = info?.outputShape?.slice(1);
      const resolved = known && known.every((d) => typeof d === 'number') ? known : target;
      return L.reshape({ name, targetShape: resolved });
    }
    case 'Activation':
      return L.activation({ name, activation: tfjsActivation(str(c, 'activation')) });
    case 'LayerNormalization':
      return new custom.LayerNormalization({
        name,
        axis: typeof c.axis === 'number' ? c.axis : -1,
        epsilon: typeof c.epsilon === 'number' ? c.epsilon : 1e-3,
        center: bool(c, 'center', true),
        scale: bool(c, 'scale', true),
      });
    case 'BatchNormalization':
      return new custom.BatchNormalization({
        name,
        axis: typeof c.axis === 'number' ? c.axis : -1,
        momentum: typeof c.momentum === 'number' ? c.momentum : 0.99,
        epsilon: typeof c.epsilon === 'number' ? c.epsilon : 1e-3,
        center: bool(c, 'center', true),
        scale: bool(c, 'scale', true),
        acceptMask: masked,
      });
    default:
      throw new Error(`unknown layer type "${type}"`);
  }
}
