import { own } from './json';
import { formatBytes } from './shapes';
import type { LayerInfo, Shape } from './types';

/**
 * The memory training needs, estimated before anything is allocated, so that a model far too large
 * for the machine is refused with figures instead of running the machine out of memory. Counts what
 * the trainer keeps for one batch: float32 weights, their gradients, the optimizer's slots, and the
 * activations kept for the backward pass (every layer's output and its gradient, plus what RNN
 * Studio's fused recurrent kernels save per timestep, see src/trainer/layers/fused/addon.ts).
 * Deliberately a lower bound: the training data, TensorFlow.js' own bookkeeping and temporaries
 * come on top.
 */

/** Slots per weight each optimizer keeps (Keras / TF.js): Adam m and v, RMSprop and Adagrad one accumulator. */
const OPTIMIZER_SLOTS: Record<string, number> = { adam: 2, rmsprop: 1, adagrad: 1, sgd: 0 };

/** Gates of each recurrent cell, and the B·T·units float sections its fused kernel saves for backward. */
const RECURRENT: Record<string, { gates: number; saved: (config: Record<string, unknown>) => number }> = {
  SimpleRNN: { gates: 1, saved: () => 2 },
  LSTM: { gates: 4, saved: () => 7 },
  GRU: { gates: 3, saved: (c) => (c.reset_after === false ? 4 : 5) },
};

/** wasm32 addresses at most 4 GiB: the portable (WebAssembly) kernels' memory cannot grow beyond it. */
export const WASM32_MEMORY_BYTES = 4 * 1024 ** 3;

export interface TrainingSettings {
  /** `training.batch_size`, or the CLI's --batch-size; Keras' default 32. */
  batchSize?: number;
  /** `compile.optimizer`; Keras' default adam. */
  optimizer?: string;
  /** Steps assumed for a variable (null) time axis: data.maxlen or data.window when set. */
  timesteps?: number;
}

export interface MemoryEstimate {
  batchSize: number;
  optimizer: string;
  /** Bytes of each part; `total` is their sum. */
  weights: number;
  gradients: number;
  optimizerSlots: number;
  activations: number;
  total: number;
  /** Bytes the portable kernels hold in their WebAssembly memory at once (the saved states of every recurrent layer, and the largest call's buffers). */
  kernelMemory: number;
  /** Set when a time axis is variable and no data.maxlen / data.window says how long: the estimate counts this many steps. */
  assumedTimesteps?: number;
  /** The layer that needs the most (its weights with their gradients and slots, its activations): what a refusal points at. */
  largest?: { index: number; bytes: number };
}

/** The settings training would use, read from a model file's value (`compile`, `training`, `data`). */
export function trainingSettings(model: Record<string, unknown>, batchSize?: number): TrainingSettings {
  const obj = (x: unknown) => (typeof x === 'object' && x !== null && !Array.isArray(x) ? (x as Record<string, unknown>) : {});
  const num = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) && x >= 1 ? Math.floor(x) : undefined);
  const training = obj(model.training);
  const compile = obj(model.compile);
  const data = obj(model.data);
  return {
    batchSize: batchSize ?? num(training.batch_size),
    optimizer: typeof compile.optimizer === 'string' ? compile.optimizer : undefined,
    timesteps: num(data.maxlen) ?? num(data.window),
  };
}

export function estimateTrainingMemory(layers: LayerInfo[], settings: TrainingSettings = {}): MemoryEstimate {
  const B = settings.batchSize ?? 32;
  const optimizer = settings.optimizer ?? 'adam';
  let assumed: number | undefined;
  /** Elements of one sample of a shape (without the batch axis); a null axis counts `timesteps` steps. */
  const elements = (shape: Shape | null): number => {
    if (!shape) return 0;
    return shape.slice(1).reduce<number>((n, d) => {
      if (d !== null) return n * d;
      assumed = settings.timesteps ?? 1;
      return n * assumed;
    }, 1);
  };
  let params = 0;
  let trainable = 0;
  let activations = 0;
  let savedStates = 0;
  let largestCall = 0;
  let largest: MemoryEstimate['largest'];
  const slots = own(OPTIMIZER_SLOTS, optimizer) ?? 2;
  for (const layer of layers) {
    const layerParams = layer.trainableParams + layer.nonTrainableParams;
    params += layerParams;
    trainable += layer.trainableParams;
    const activationsBefore = activations;
    // The output and, in the backward pass, its gradient.
    const output = B * elements(layer.outputShape) * 4;
    activations += 2 * output;
    // An optimizer step on the largest weight passes the weight, its gradient, two slots and the result.
    largestCall = Math.max(largestCall, 5 * layerParams * 4);
    const cells = layer.type === 'Bidirectional' && layer.inner ? [layer.inner, layer.inner] : [layer];
    for (const cell of cells) {
      const rnn = own(RECURRENT, cell.type);
      const units = cell.config.units;
      if (!rnn || typeof units !== 'number' || !layer.inputShape) continue;
      const T = layer.inputShape[1] === null ? (assumed = settings.timesteps ?? 1) : (layer.inputShape[1] ?? 1);
      const features = elements(layer.inputShape) / Math.max(T, 1);
      const saved = rnn.saved(cell.config) * B * T * units * 4;
      savedStates += saved;
      activations += saved;
      // Backward: the gate gradients (B·T·gates·units), the input gradient, the weight gradients.
      const gateGradients = B * T * rnn.gates * units * 4;
      const inputs = 2 * B * T * features * 4; // x and dx
      const outputs = 2 * B * T * units * 4; // out and dy
      const weights = 2 * rnn.gates * units * (features + units + 1) * 4; // W, U, b and their gradients
      const partialSums = Math.min(3 * rnn.gates * units * (features + units) * 4, gateGradients); // of the weight gradients, over ranges of rows
      largestCall = Math.max(largestCall, gateGradients + inputs + outputs + weights + partialSums);
    }
    const bytes = layerParams * 4 + layer.trainableParams * 4 * (1 + slots) + activations - activationsBefore;
    if (!largest || bytes > largest.bytes) largest = { index: layer.index, bytes };
  }
  const weights = params * 4;
  const gradients = trainable * 4;
  const optimizerSlots = trainable * 4 * slots;
  return {
    batchSize: B,
    optimizer,
    weights,
    gradients,
    optimizerSlots,
    activations,
    total: weights + gradients + optimizerSlots + activations,
    kernelMemory: savedStates + largestCall,
    ...(assumed !== undefined && settings.timesteps === undefined ? { assumedTimesteps: assumed } : {}),
    largest,
  };
}

/** `about 2.78 MB for one batch of 32 with adam (weights 1.2 MB, gradients ..., optimizer ..., activations ...)`. */
export function formatMemoryEstimate(e: MemoryEstimate): string {
  const steps = e.assumedTimesteps !== undefined ? `, ${e.assumedTimesteps} step(s) of the variable time axis` : '';
  return `about ${formatBytes(e.total)} for one batch of ${e.batchSize} with ${e.optimizer}${steps} (weights ${formatBytes(e.weights)}, gradients ${formatBytes(e.gradients)}, optimizer ${formatBytes(e.optimizerSlots)}, activations ${formatBytes(e.activations)})`;
}

/** The memory the trainer may use and where that figure comes from (`the cgroup limit (/sys/fs/cgroup/memory.max)`, `the machine's memory`). */
export interface MemoryLimit {
  bytes: number;
  source: string;
}

/** How to train anyway; said in every refusal. */
export const MEMORY_OVERRIDE = 'To train anyway, set "memory_check": false in the model\'s "training" section, or pass --no-memory-check to rnn-studio train';

/** The property that sizes a layer's weights, with its value: what to make smaller. */
export function sizingProperty(layer: LayerInfo): { path: string; value: number } | undefined {
  const of = (config: Record<string, unknown> | undefined, key: string, path: string) => (typeof config?.[key] === 'number' ? { path, value: config[key] as number } : undefined);
  if (layer.type === 'Embedding') return of(layer.config, 'input_dim', 'input_dim');
  if (layer.type === 'Bidirectional') return of(layer.inner?.config, 'units', 'layer.units');
  return of(layer.config, 'units', 'units');
}

/** ` Most of it goes to layer 2 "lstm" (LSTM, units 100,000): 596 GB.`: what to make smaller. */
function largestLayer(e: MemoryEstimate, layers: LayerInfo[], withBytes = true): string {
  const layer = e.largest && layers[e.largest.index];
  if (!e.largest || !layer) return '';
  const property = sizingProperty(layer);
  const size = property ? `, ${property.path} ${property.value.toLocaleString('en-US')}` : '';
  return ` Most of it goes to layer ${layer.index + 1} "${layer.name}" (${layer.type}${size})${withBytes ? `: ${formatBytes(e.largest.bytes)}` : ''}.`;
}

/**
 * Why the estimate does not fit, or undefined when it does. `portable`: training runs on the
 * WebAssembly kernels, whose memory is capped at 4 GiB on top of the machine's limit.
 */
export function memoryProblem(e: MemoryEstimate, limit: MemoryLimit, portable: boolean, layers: LayerInfo[] = []): string | undefined {
  if (e.total > limit.bytes) {
    return `Training needs ${formatMemoryEstimate(e)}, more than the ${formatBytes(limit.bytes)} available (${limit.source}).${largestLayer(e, layers)} Use fewer units, a smaller input_dim or batch_size, or shorter sequences. ${MEMORY_OVERRIDE}.`;
  }
  if (portable && e.kernelMemory > WASM32_MEMORY_BYTES) {
    return `The portable (WebAssembly) kernels would hold ${formatBytes(e.kernelMemory)} at once for one batch of ${e.batchSize}, more than the ${formatBytes(WASM32_MEMORY_BYTES)} a WebAssembly memory can address (wasm32).${largestLayer(e, layers, false)} Use a smaller batch_size, fewer units or shorter sequences, or the native kernels (the Linux x64 package). ${MEMORY_OVERRIDE}.`;
  }
  return undefined;
}
