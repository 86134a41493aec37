import type * as tfType from '@tensorflow/tfjs';

/**
 * The TensorFlow.js namespace the caller chose (`@tensorflow/tfjs-node` for the native backend,
 * `@tensorflow/tfjs` for pure JS). Nothing in `src/trainer/layers/` imports tfjs as a value, so the
 * same code runs on either; classes are defined per namespace by `registerCustomLayers(tf)`.
 */
export type TF = typeof tfType;
export type Tensor = tfType.Tensor;
export type Tensor2D = tfType.Tensor2D;
export type LayerVariable = tfType.LayerVariable;
export type Layer = tfType.layers.Layer;
/** Shape as tfjs layers use it (`null` for unknown dimensions). */
export type Shape = (number | null)[];
/** The `kwargs` tfjs passes to `Layer.call` (`training`, `mask`, ...). */
export type Kwargs = Record<string, unknown>;
export type ConfigDict = tfType.serialization.ConfigDict;
