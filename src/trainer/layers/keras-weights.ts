import type * as tfType from '@tensorflow/tfjs';
import type { LayerInfo, ModelAnalysis } from '../../core/types';
import type { TF } from './types';

/**
 * Weights between Keras 3 and the models `buildModel` makes.
 *
 * Every layer the builder makes has exactly Keras' weights: same shapes, same order as Keras'
 * `layer.get_weights()` (= `layer.weights`), same layout inside each array. So moving weights either
 * way is a per-layer copy, with no transposition or gate reordering:
 *
 * | Keras layer          | weights, in order (Keras variable path under the layer)                       |
 * |----------------------|---------------------------------------------------------------------------------|
 * | Embedding            | embeddings (input_dim, output_dim)                                              |
 * | SimpleRNN            | simple_rnn_cell/kernel (d, u), recurrent_kernel (u, u), bias (u)               |
 * | LSTM                 | lstm_cell/kernel (d, 4u), recurrent_kernel (u, 4u), bias (4u); gates i, f, c, o |
 * | GRU reset_after=true | gru_cell/kernel (d, 3u), recurrent_kernel (u, 3u), bias (2, 3u); gates z, r, h; |
 * |                      |   bias row 0 = input bias, row 1 = recurrent bias                               |
 * | GRU reset_after=false| gru_cell/kernel (d, 3u), recurrent_kernel (u, 3u), bias (3u)                    |
 * | Bidirectional        | forward_<inner>/<cell>/..., then backward_<inner>/<cell>/... (each as above)     |
 * | TimeDistributed      | <inner>/... (the wrapped layer's weights)                                        |
 * | Dense                | kernel (d, units), bias (units)                                                  |
 * | Conv1D               | kernel (kernel_size, d, filters), bias (filters)                                 |
 * | LayerNormalization   | gamma (if scale), beta (if center)                                               |
 * | BatchNormalization   | gamma (if scale), beta (if center), moving_mean, moving_variance                 |
 * | others               | none                                                                             |
 *
 * (`bias` only with use_bias.) tfjs' stock LSTM and GRU(reset_after=false) use the same layouts.
 * Keras 3 prefixes each path with the model name (`sequential/lstm/lstm_cell/kernel`); the paths
 * here start at the layer.
 */

export interface KerasWeight {
  /** Last part of the Keras variable path: `kernel`, `moving_mean`, ... */
  name: string;
  /** Keras variable path from the layer on, e.g. `bidirectional/forward_lstm/lstm_cell/kernel`. */
  path: string;
  shape: number[];
  /** Values in row-major order, as a flat array or nested lists (`numpy.ndarray.tolist()`). */
  value: ArrayLike<number> | NestedNumbers;
}

export type NestedNumbers = number | NestedNumbers[];

export interface KerasLayerWeights {
  /** The Keras (and tfjs) layer name. */
  name: string;
  weights: KerasWeight[];
}

const CELL_NAMES: Record<string, string> = { SimpleRNN: 'simple_rnn_cell', LSTM: 'lstm_cell', GRU: 'gru_cell' };

/** Keras variable paths of one layer's weights, in `get_weights()` order (see the table above). */
export function kerasWeightPaths(info: Pick<LayerInfo, 'name' | 'type' | 'config' | 'inner'>): string[] {
  const c = info.config;
  const bias = c.use_bias !== false ? ['bias'] : [];
  const under = (prefix: string, names: string[]) => names.map((n) => `${prefix}/${n}`);
  switch (info.type) {
    case 'Embedding':
      return under(info.name, ['embeddings']);
    case 'SimpleRNN':
    case 'LSTM':
    case 'GRU':
      return under(`${info.name}/${CELL_NAMES[info.type]}`, ['kernel', 'recurrent_kernel', ...bias]);
    case 'Dense':
    case 'Conv1D':
      return under(info.name, ['kernel', ...bias]);
    case 'LayerNormalization':
      return under(info.name, [...(c.scale !== false ? ['gamma'] : []), ...(c.center !== false ? ['beta'] : [])]);
    case 'BatchNormalization':
      return under(info.name, [...(c.scale !== false ? ['gamma'] : []), ...(c.center !== false ? ['beta'] : []), 'moving_mean', 'moving_variance']);
    case 'Bidirectional': {
      const inner = info.inner!;
      return ['forward', 'backward'].flatMap((side) => under(info.name, kerasWeightPaths({ ...inner, name: `${side}_${inner.name}` })));
    }
    case 'TimeDistributed':
      return under(info.name, kerasWeightPaths(info.inner!));
    default:
      return [];
  }
}

function flatten(value: ArrayLike<number> | NestedNumbers, out: number[] = []): number[] {
  if (typeof value === 'number') out.push(value);
  else if (Array.isArray(value)) for (const v of value) flatten(v as NestedNumbers, out);
  else for (let i = 0; i < value.length; i++) out.push(value[i]);
  return out;
}

/**
 * Loads Keras weights (per layer, in Keras order) into a model from `buildModel`. Checks every
 * layer's weight count and shapes; throws naming the layer on a mismatch.
 */
export function setKerasWeights(tf: TF, model: tfType.LayersModel, layers: KerasLayerWeights[]): void {
  for (const entry of layers) {
    const layer = model.getLayer(entry.name);
    const own = layer.weights;
    if (own.length !== entry.weights.length) {
      throw new Error(`Layer "${entry.name}" has ${own.length} weights but ${entry.weights.length} were given (${entry.weights.map((w) => w.name).join(', ')}).`);
    }
    own.forEach((w, i) => {
      const given = entry.weights[i];
      if (JSON.stringify(w.shape) !== JSON.stringify(given.shape)) {
        const shape = (s: readonly (number | null)[]) => `(${s.join(', ')}${s.length === 1 ? ',' : ''})`;
        throw new Error(`Layer "${entry.name}": weight ${i} (${given.path}) is ${shape(given.shape)} in the file, but the model expects ${shape(w.shape)}.`);
      }
    });
    const tensors = entry.weights.map((w) => tf.tensor(flatten(w.value), w.shape, 'float32'));
    try {
      layer.setWeights(tensors);
    } finally {
      tf.dispose(tensors);
    }
  }
}

/** The model's weights per layer of `analysis`, in Keras order with Keras paths (for export to Keras). */
export function getKerasWeights(model: tfType.LayersModel, analysis: ModelAnalysis): KerasLayerWeights[] {
  return analysis.layers.map((info) => {
    const layer = model.getLayer(info.name);
    const paths = kerasWeightPaths(info);
    const values = layer.getWeights();
    if (values.length !== paths.length) throw new Error(`Layer "${info.name}" has ${values.length} weights; Keras has ${paths.length}.`);
    return {
      name: info.name,
      weights: values.map((t, i) => ({ name: paths[i].split('/').pop()!, path: paths[i], shape: t.shape, value: t.dataSync() as Float32Array })),
    };
  });
}
