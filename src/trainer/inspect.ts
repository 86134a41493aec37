import type * as tfType from '@tensorflow/tfjs';
import { analyzeModel, isRecurrentType, withAllSequences, type LayerInfo } from '../core';
import { denormalize, encodeTexts, type KerasTokenizerConfig, type SeriesPreprocessor, type TextPreprocessor } from '../data';
import type { LayerMemory, MemoryResult } from '../protocol/training';
import type { Backend } from './backend';
import { buildModel } from './builder';
import { heldOutSplit, openRun, type OpenedRun } from './inference';

/**
 * The memory view: what a trained RNN keeps in its state over time. Text models: the hidden state
 * (and an LSTM's cell state) of every recurrent layer after each token, and the output layer
 * applied after each token. Series models: predictions over the test range in original units.
 */
export async function inspectRun(backend: Backend, runDir: string, text?: string, sample?: number): Promise<MemoryResult> {
  const run = await openRun(backend, runDir);
  try {
    return run.preprocessor.kind === 'text' ? await inspectText(backend, run, text, sample) : await inspectSeries(backend, run);
  } finally {
    run.model.dispose();
  }
}

function tokensOf(p: TextPreprocessor, ids: ArrayLike<number>): string[] {
  const tokenizer = p.tokenizer;
  return Array.from(ids, (id) => {
    if (id === p.pad_value) return '';
    if (tokenizer.type === 'identity') return String(id);
    const t = tokenizer as KerasTokenizerConfig;
    return t.vocabulary[id] ?? t.oov_token ?? '?';
  });
}

async function inspectText(backend: Backend, run: OpenedRun, text: string | undefined, sample: number | undefined): Promise<MemoryResult> {
  const { tf } = backend;
  const p = run.preprocessor as TextPreprocessor;
  let input: string;
  let ids: Int32Array;
  if (text !== undefined) {
    input = text;
    ids = encodeTexts(p, [text]).data as Int32Array;
  } else {
    const { split } = await heldOutSplit(run);
    const n = split.x.shape[0];
    const i = Math.min(sample ?? 0, n - 1);
    const T = split.x.shape[1];
    ids = (split.x.data as Int32Array).slice(i * T, (i + 1) * T);
    input = split.texts?.[i] ?? `test sample ${i}`;
  }
  const analysis = analyzeModel(run.modelText);
  // The same network with every recurrent layer returning its sequence: same weights, states over time.
  const sequences = buildModel(tf, analyzeModel(withAllSequences(run.modelText)), 'int32');
  sequences.setWeights(run.model.getWeights());
  const x = tf.tensor2d(ids, [1, ids.length], 'int32');
  try {
    const recurrent = analysis.layers.filter((l) => isRecurrentType(l.type) || (l.type === 'Bidirectional' && l.inner));
    const layers: LayerMemory[] = [];
    let lastHidden: tfType.Tensor | undefined;
    for (const layer of recurrent) {
      const probe = tf.model({ inputs: sequences.inputs, outputs: sequences.getLayer(layer.name).output as tfType.SymbolicTensor });
      const hidden = probe.predict(x) as tfType.Tensor; // [1, T, units]
      const memory: LayerMemory = { name: layer.name, type: layer.inner ? `Bidirectional(${layer.inner.type})` : layer.type, hidden: ((await hidden.array()) as number[][][])[0] };
      if (layer.type === 'LSTM') {
        const before = layer.index === 0 ? x : (tf.model({ inputs: sequences.inputs, outputs: sequences.getLayer(analysis.layers[layer.index - 1].name).output as tfType.SymbolicTensor }).predict(x) as tfType.Tensor);
        memory.cell = lstmCellStates(layer, run.model.getLayer(layer.name).getWeights(), ((await before.array()) as number[][][])[0], ids, analysis.layers[0]?.config.mask_zero === true);
        if (before !== x) before.dispose();
      }
      layers.push(memory);
      lastHidden?.dispose();
      lastHidden = hidden;
    }
    const prediction = tf.tidy(() => run.model.predict(x) as tfType.Tensor);
    const output = Array.from(await prediction.data());
    prediction.dispose();
    const probabilities = output.length === 1 ? [1 - output[0], output[0]] : output;
    const best = probabilities.indexOf(Math.max(...probabilities));
    const perStep = lastHidden ? await outputAfterEachStep(tf, run.model, analysis.layers, recurrent[recurrent.length - 1], lastHidden, best) : undefined;
    lastHidden?.dispose();
    return { kind: 'text', input, tokens: tokensOf(p, ids), layers, perStep, prediction: { input, probabilities, labels: run.labels, label: run.labels?.[best] ?? String(best) } };
  } finally {
    x.dispose();
    sequences.dispose();
  }
}

/** The layers after the last recurrent one, applied to its state after every token (when they act per sample). */
async function outputAfterEachStep(tf: Backend['tf'], model: tfType.LayersModel, layers: LayerInfo[], last: LayerInfo, hidden: tfType.Tensor, classIndex: number): Promise<number[] | undefined> {
  const head = layers.slice(last.index + 1);
  const perSample = ['Dense', 'Dropout', 'Activation', 'LayerNormalization', 'BatchNormalization'];
  if (head.length === 0 || !head.every((l) => perSample.includes(l.type)) || hidden.rank !== 3) return undefined;
  const out = tf.tidy(() => {
    let t = hidden.squeeze([0]) as tfType.Tensor; // [T, units]: every timestep as a sample
    for (const l of head) t = model.getLayer(l.name).apply(t, { training: false }) as tfType.Tensor;
    return t;
  });
  const values = (await out.array()) as number[][];
  out.dispose();
  return values.map((row) => (row.length === 1 ? (classIndex === 1 ? row[0] : 1 - row[0]) : row[classIndex]));
}

/**
 * An LSTM's cell state over time, which the layer does not output: its recurrence replayed with
 * its own weights (Keras layout: kernel (d, 4u), recurrent kernel (u, 4u), bias (4u); gates i, f, c, o).
 */
function lstmCellStates(layer: LayerInfo, weights: tfType.Tensor[], inputs: number[][], ids: Int32Array, masked: boolean): number[][] | undefined {
  const act = activation(String(layer.config.activation ?? 'tanh'));
  const rec = activation(String(layer.config.recurrent_activation ?? 'sigmoid'));
  if (!act || !rec) return undefined;
  const [kernel, recurrent, bias] = weights.map((w) => w.dataSync() as Float32Array);
  const d = inputs[0]?.length ?? 0;
  const u = Number(layer.config.units);
  let h = new Float64Array(u);
  let c = new Float64Array(u);
  const states: number[][] = [];
  const order = Array.from({ length: inputs.length }, (_, t) => (layer.config.go_backwards === true ? inputs.length - 1 - t : t));
  const z = new Float64Array(4 * u);
  for (const t of order) {
    if (masked && ids[t] === 0) {
      states[t] = Array.from(c);
      continue;
    }
    for (let j = 0; j < 4 * u; j++) z[j] = bias ? bias[j] : 0;
    for (let k = 0; k < d; k++) {
      const xk = inputs[t][k];
      if (xk !== 0) for (let j = 0; j < 4 * u; j++) z[j] += xk * kernel[k * 4 * u + j];
    }
    for (let k = 0; k < u; k++) {
      const hk = h[k];
      if (hk !== 0) for (let j = 0; j < 4 * u; j++) z[j] += hk * recurrent[k * 4 * u + j];
    }
    const nextH = new Float64Array(u);
    const nextC = new Float64Array(u);
    for (let j = 0; j < u; j++) {
      const i = rec(z[j]);
      const f = rec(z[u + j]);
      const g = act(z[2 * u + j]);
      const o = rec(z[3 * u + j]);
      nextC[j] = f * c[j] + i * g;
      nextH[j] = o * act(nextC[j]);
    }
    h = nextH;
    c = nextC;
    states[t] = Array.from(c);
  }
  return states;
}

function activation(name: string): ((x: number) => number) | undefined {
  const table: Record<string, (x: number) => number> = {
    tanh: Math.tanh,
    sigmoid: (x) => 1 / (1 + Math.exp(-x)),
    hard_sigmoid: (x) => Math.min(1, Math.max(0, x / 6 + 0.5)),
    relu: (x) => Math.max(0, x),
    linear: (x) => x,
  };
  return table[name];
}

async function inspectSeries(backend: Backend, run: OpenedRun): Promise<MemoryResult> {
  const { tf } = backend;
  const p = run.preprocessor as SeriesPreprocessor;
  const { split } = await heldOutSplit(run);
  const x = tf.tensor(split.x.data, split.x.shape, 'float32');
  const output = tf.tidy(() => run.model.predict(x) as tfType.Tensor);
  const predicted = denormalize(p, (await output.data()) as Float32Array);
  tf.dispose([x, output]);
  const actual = denormalize(p, split.y.data as Float32Array);
  // Naive forecast: the target's last known value in each window.
  const [n, window, features] = split.x.shape;
  const column = p.columns.indexOf(p.target);
  const scaling = p.features[column] ?? p.targetScaling;
  const baseline = Array.from({ length: n }, (_, i) =>
    column >= 0 ? split.x.data[(i * window + window - 1) * features + column] * scaling.scale + scaling.offset : i > 0 ? actual[i - 1] : actual[0],
  );
  const mae = (a: number[]) => a.reduce((s, v, i) => s + Math.abs(v - actual[i]), 0) / Math.max(1, a.length);
  return { kind: 'series', times: split.times ?? actual.map((_, i) => String(i + 1)), actual, predicted, baseline, mae: mae(predicted), baselineMae: mae(baseline) };
}
