import { registerFastCpuKernels } from './cpuKernels';
import { registerActivations } from './activations';
import { defineEmbedding } from './embedding';
import { defineGRU } from './gru';
import { defineLSTM } from './lstm';
import { defineBatchNormalization, defineLayerNormalization, type KerasBatchNormalizationArgs, type KerasLayerNormalizationArgs } from './normalization';
import { defineAveragePooling1D, defineGlobalAveragePooling1D, type KerasAveragePooling1DArgs, type KerasGlobalAveragePooling1DArgs } from './pooling';
import { defineCellBase, defineRecurrentBase, type KerasRecurrentArgs, type RecurrentKind } from './rnn';
import { defineSimpleRNN } from './simple-rnn';
import { defineStockFixes } from './stock';
import type { TF } from './types';

export { KERAS_ACTIVATIONS, activationFunction, tfjsActivation } from './activations';
export { runSequence, type KerasRecurrentArgs, type RecurrentKind, type KerasCellApi } from './rnn';
export { getKerasWeights, kerasWeightPaths, setKerasWeights, type KerasLayerWeights, type KerasWeight } from './keras-weights';
export type { TF } from './types';

type RNNInstance = InstanceType<TF['layers']['RNN']>;
type LayerInstance = InstanceType<TF['layers']['Layer']>;
type LayerClass<A> = new (args: A) => LayerInstance;

/** The layer classes RNN Studio adds to tfjs, for one tfjs namespace. */
export interface CustomLayers {
  /** Keras-exact recurrent layers (tfjs `RNN` subclasses, so `tf.layers.bidirectional` accepts them). */
  recurrent: Record<RecurrentKind, new (args: KerasRecurrentArgs) => RNNInstance>;
  BatchNormalization: LayerClass<KerasBatchNormalizationArgs>;
  LayerNormalization: LayerClass<KerasLayerNormalizationArgs>;
  GlobalAveragePooling1D: LayerClass<KerasGlobalAveragePooling1DArgs>;
  AveragePooling1D: LayerClass<KerasAveragePooling1DArgs>;
  /** tfjs' Conv1D that runs causal padding and trains with dilation, as Keras' (args as `tf.layers.conv1d`). */
  Conv1D: LayerClass<object>;
  /** tfjs' Flatten that also takes 2-D input and an unknown time axis, as Keras' (args as `tf.layers.flatten`). */
  Flatten: LayerClass<object>;
  /** tfjs' Embedding with a fast lookup and gradient (args as `tf.layers.embedding`). */
  Embedding: LayerClass<object>;
}

const registry = new WeakMap<object, CustomLayers>();

/**
 * Defines RNN Studio's layer and activation classes for this tfjs namespace and registers them with
 * `tf.serialization.registerClass` (so Bidirectional can clone the recurrent layers and a saved
 * model.json loads again with `tf.loadLayersModel`). Idempotent; call it before loading a saved model.
 */
export function registerCustomLayers(tf: TF): CustomLayers {
  // tfjs and tfjs-node share tfjs-layers; key on its Layer class, not on the namespace object.
  const existing = registry.get(tf.layers.Layer);
  if (existing) return existing;
  registerActivations(tf);
  registerFastCpuKernels(tf);
  const KerasCell = defineCellBase(tf);
  const KerasRecurrent = defineRecurrentBase(tf);
  const { KerasSimpleRNN } = defineSimpleRNN(tf, KerasCell, KerasRecurrent);
  const { KerasLSTM } = defineLSTM(tf, KerasCell, KerasRecurrent);
  const { KerasGRU } = defineGRU(tf, KerasCell, KerasRecurrent);
  const layers: CustomLayers = {
    recurrent: { SimpleRNN: KerasSimpleRNN, LSTM: KerasLSTM, GRU: KerasGRU },
    BatchNormalization: defineBatchNormalization(tf),
    LayerNormalization: defineLayerNormalization(tf),
    GlobalAveragePooling1D: defineGlobalAveragePooling1D(tf),
    AveragePooling1D: defineAveragePooling1D(tf),
    ...defineStockFixes(tf),
    Embedding: defineEmbedding(tf),
  };
  registry.set(tf.layers.Layer, layers);
  return layers;
}
