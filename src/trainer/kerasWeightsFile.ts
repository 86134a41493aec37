import * as hdf5 from 'jsfive';
import { snakeCase } from '../core/shapes';
import type { LayerInfo } from '../core/types';
import { kerasWeightPaths, type KerasLayerWeights } from './layers/keras-weights';

/**
 * The trained weights inside a Keras 3 `.keras` archive: `model.weights.h5`, which mirrors the
 * model's object tree (Keras 3 `saving_lib`, H5IOStore). The groups of a model's layers are named by
 * class, not by layer name: `to_snake_case(class)`, then `_1`, `_2`, ... for the next layers of the
 * same class in the model (`_save_container_state`), whatever the layers are called.
 *
 *   layers/<lstm, lstm_1, ...>/vars/0, 1, ...             a layer's own variables, in creation order
 *   layers/<rnn>/cell/vars/...                            an RNN's cell (kernel, recurrent_kernel, bias)
 *   layers/<bidirectional>/forward_layer/cell/vars/...    then backward_layer/...
 *   layers/<time_distributed>/layer/vars/...              the wrapped layer
 *
 * Read in pure JavaScript (jsfive). The variables come out in `layer.weights` order, which is the
 * order `setKerasWeights` takes (see layers/keras-weights.ts).
 */

/** Sub-objects that hold weights, in the order Keras lists their variables. */
const CHILD_ORDER = ['cell', 'forward_layer', 'backward_layer', 'layer'];

function isGroup(x: hdf5.Group | hdf5.Dataset | null): x is hdf5.Group {
  return !!x && Array.isArray((x as hdf5.Group).keys);
}

/** Every variable under `group`, depth first: its own `vars` (0, 1, ... numerically), then its sub-objects. */
function variables(group: hdf5.Group, at: string): { path: string; shape: number[]; value: ArrayLike<number> }[] {
  const out: { path: string; shape: number[]; value: ArrayLike<number> }[] = [];
  const vars = group.get('vars');
  if (isGroup(vars)) {
    for (const key of [...vars.keys].sort((a, b) => Number(a) - Number(b))) {
      const d = vars.get(key) as hdf5.Dataset;
      out.push({ path: `${at}/vars/${key}`, shape: [...d.shape], value: d.value });
    }
  }
  const children = group.keys.filter((k) => k !== 'vars').sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  for (const key of children) {
    const child = group.get(key);
    if (isGroup(child)) out.push(...variables(child, `${at}/${key}`));
  }
  return out;
}

function rank(key: string): number {
  const i = CHILD_ORDER.indexOf(key);
  return i < 0 ? CHILD_ORDER.length : i;
}

const shape = (s: number[]) => `(${s.join(', ')}${s.length === 1 ? ',' : ''})`;

/**
 * The weights of `layers` (the imported model's analysis) out of the archive's HDF5 bytes, in Keras
 * order per layer. Throws a message naming the file, the layer and the expected and found weights
 * when the archive does not match the architecture (the shapes are checked again on loading).
 */
export function readKerasWeights(h5: Buffer, layers: LayerInfo[], where: string): KerasLayerWeights[] {
  let file: hdf5.File;
  try {
    file = new hdf5.File(h5.buffer.slice(h5.byteOffset, h5.byteOffset + h5.byteLength) as ArrayBuffer, 'model.weights.h5');
  } catch (e) {
    throw new Error(`${where}: model.weights.h5 cannot be read as HDF5 (${(e as Error).message}).`);
  }
  const root = file.get('layers');
  if (!isGroup(root)) throw new Error(`${where}: model.weights.h5 has no "layers" group, so it was not written by Keras 3.`);
  const used = new Map<string, number>();
  const keys = layers.map((layer) => {
    const base = snakeCase(layer.type);
    const n = used.get(base);
    used.set(base, n === undefined ? 0 : n + 1);
    return n === undefined ? base : `${base}_${n + 1}`;
  });
  const extra = root.keys.filter((k) => !keys.includes(k) && isGroup(root.get(k)) && variables(root.get(k) as hdf5.Group, k).length > 0);
  if (extra.length) throw new Error(`${where}: model.weights.h5 has weights under ${extra.map((n) => `layers/${n}`).join(', ')}, which the model has no layer for.`);
  const result: KerasLayerWeights[] = [];
  for (const [i, layer] of layers.entries()) {
    const paths = kerasWeightPaths(layer);
    const group = root.get(keys[i]);
    const found = isGroup(group) ? variables(group, `layers/${keys[i]}`) : [];
    if (found.length !== paths.length) {
      const had = found.length ? found.map((v) => `${v.path} ${shape(v.shape)}`).join(', ') : 'none';
      throw new Error(`${where}: layer "${layer.name}" (${layer.type}) needs ${paths.length} weight${paths.length === 1 ? '' : 's'} (${paths.map((p) => p.split('/').slice(1).join('/')).join(', ') || 'none'}); model.weights.h5 has ${had} under layers/${keys[i]}.`);
    }
    if (paths.length === 0) continue;
    result.push({ name: layer.name, weights: found.map((v, i) => ({ name: paths[i].split('/').pop()!, path: paths[i], shape: v.shape, value: v.value })) });
  }
  return result;
}
