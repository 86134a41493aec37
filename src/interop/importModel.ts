import { inlineJson } from '../core/edits';
import { deepSpans, MAX_NESTING, own, quote } from '../core/json';
import { layerSchema, LAYER_TYPES } from '../core/schema';
import { snakeCase } from '../core/shapes';

/**
 * A Keras or TF.js model description -> a `.rnn.json` model file (formatted like the examples:
 * one layer per line). Reads the formats those tools write, which this file mirrors:
 *
 * - `keras-json`: `model.to_json()` of Keras 3 (`{"module": "keras", "class_name": "Sequential",
 *   "config": {"layers": [{"class_name": "InputLayer", "config": {"batch_shape": ...}}, ...]}}`) and of
 *   Keras 2 / tf.keras (`batch_input_shape` on the first layer, `"Model"` / `"Functional"` classes);
 * - `keras-archive-config`: the `config.json` inside a `.keras` archive (the same, plus
 *   `compile_config` with the optimizer, loss and metrics);
 * - `tfjs`: a TF.js `model.json` (`modelTopology`, possibly with `model_config` and
 *   `training_config`), including the runs RNN Studio writes (its layer classes are `KerasLSTM`, ...).
 *
 * Sequential models, and functional models whose layers form one chain, are imported. Layer
 * names are kept (written only where they differ from the Keras default name). Everything outside
 * schema v1 is named in a diagnostic: an unsupported layer is kept with its simple options (so the
 * editor flags it and an export to Keras still has it); an unsupported option is left out.
 * Options equal to Keras' defaults (initialisers, regularisers, dtype policies, ...) are implied by
 * the schema and not reported. Pure: no file system.
 */

export type ImportKind = 'keras-json' | 'keras-archive-config' | 'tfjs';

export interface ImportResult {
  /** The `.rnn.json` text; empty when nothing could be imported (see the diagnostics). */
  modelText: string;
  /** Everything outside schema v1, named, one sentence each. */
  diagnostics: string[];
  /** What the import leaves behind by design (trained weights): said, but not a problem of the model. */
  notes?: string[];
}

type Json = Record<string, unknown>;

interface LayerEntry {
  className: string;
  config: Json;
  /** `name` at the entry level (functional models) when the config has none. */
  name?: string;
}

class Importer {
  readonly diagnostics: string[] = [];
  readonly seeds: string[] = [];
  /** Keras 2 / tf.keras and TF.js conventions (GRU reset_after default, hard_sigmoid maths). */
  legacy = false;
  tfjs = false;
  /** Dtype policy of each converted layer: Keras sets the global one on every layer it makes. */
  readonly layerPolicies: string[] = [];

  note(message: string): void {
    this.diagnostics.push(message);
  }
}

/**
 * `sections`: the model file's `data` and `training` when the input comes with them (a `.keras`
 * archive saved by an exported project records them), written as they are.
 */
export function importModel(input: string, kind?: ImportKind, sections?: { data?: unknown; training?: unknown }): ImportResult {
  const imp = new Importer();
  // Before parsing: the importer walks the tree recursively.
  const deep = deepSpans(input, MAX_NESTING)[0];
  if (deep) {
    const line = input.slice(0, deep.start).split('\n').length;
    return { modelText: '', diagnostics: [`The input is nested more than ${MAX_NESTING} levels deep at line ${line}${deep.topKey !== undefined ? ` (in ${quote(deep.topKey)})` : ''}; a Keras model JSON needs far fewer.`] };
  }
  let root: unknown;
  try {
    root = parseJsonLenient(input, imp);
  } catch (e) {
    return { modelText: '', diagnostics: [`The input is not JSON: ${(e as Error).message}.`] };
  }
  if (!isObject(root)) return { modelText: '', diagnostics: ['The input is not a JSON object: expected a Keras model JSON, a .keras config.json or a TF.js model.json.'] };

  // Unwrap the container formats down to {class_name, config} plus the training settings.
  let topology: Json = root;
  let training: Json | undefined;
  let source = kind === 'tfjs' ? 'a TF.js model.json' : kind === 'keras-archive-config' ? "a .keras archive's config.json" : 'a Keras model JSON';
  if (isObject(root.modelTopology) || root.format === 'layers-model') {
    imp.tfjs = true;
    source = 'a TF.js model.json';
    topology = isObject(root.modelTopology) ? root.modelTopology : {};
    if (isObject(root.trainingConfig)) training = root.trainingConfig;
  } else if (kind === 'tfjs') {
    imp.tfjs = true;
  }
  if (isObject(topology.model_config)) {
    if (isObject(topology.training_config)) training = topology.training_config;
    topology = topology.model_config;
  }
  if (isObject(topology.compile_config) && Object.keys(topology.compile_config).length > 0) training = topology.compile_config;
  const version = String(topology.keras_version ?? root.keras_version ?? '');
  if (/^(1|2)\./.test(version) || (imp.tfjs && !/RNN Studio/.test(String(root.convertedBy ?? '')))) imp.legacy = true;
  if (/^tfjs-layers/.test(version)) imp.tfjs = true;

  const className = String(topology.class_name ?? '');
  const config = topology.config;
  let entries: LayerEntry[] | undefined;
  let modelName: string | undefined;
  if (className === 'Sequential') {
    const layers = Array.isArray(config) ? config : isObject(config) ? config.layers : undefined;
    if (!Array.isArray(layers)) return fail(imp, `The Sequential model in ${source} has no "layers" list.`);
    entries = layers.map(toEntry);
    if (isObject(config)) {
      modelName = typeof config.name === 'string' ? config.name : undefined;
      if (Array.isArray(config.build_input_shape) && !entries.some((e) => e.className === 'InputLayer')) {
        entries.unshift({ className: 'InputLayer', config: { batch_shape: config.build_input_shape } });
      }
    }
  } else if (className === 'Functional' || className === 'Model') {
    if (!isObject(config) || !Array.isArray(config.layers)) return fail(imp, `The functional model in ${source} has no "layers" list.`);
    modelName = typeof config.name === 'string' ? config.name : undefined;
    const chain = linearChain(config, imp);
    if (!chain) return { modelText: '', diagnostics: imp.diagnostics };
    entries = chain;
  } else {
    return fail(
      imp,
      className
        ? `${source} describes a "${className}" model; RNN Studio imports Sequential models, and functional models whose layers form a single chain.`
        : `This is not ${source}: it has no "class_name" / "config" (a Keras model JSON from model.to_json(), the config.json of a .keras archive, or a TF.js model.json).`,
    );
  }

  const inputSpec = readInput(entries, imp);
  const layers: Json[] = [];
  let index = 0;
  for (const entry of entries) {
    if (entry.className === 'InputLayer') continue;
    const layer = convertLayer(entry, index, imp);
    if (layer) {
      layers.push(layer);
      index++;
    }
  }
  // RNN Studio's own runs seed every initialiser from training.seed: nothing of the model is lost.
  const ownRun = /RNN Studio/.test(String(root.convertedBy ?? ''));
  if (imp.seeds.length && !ownRun) {
    imp.note(`Random seeds are not part of schema v1 (training.seed seeds a run), so these were not kept: ${imp.seeds.join(', ')}.`);
  }
  const first = layers[0];
  if (first && first.type === 'Embedding' && inputSpec.dtype === undefined && !inputSpec.explicitDtype) inputSpec.dtype = 'int32';
  omitDefaultNames(layers);
  const compile = training ? readCompile(training, imp) : undefined;

  const model: Json = {};
  if (modelName) model.name = modelName;
  model.description = `Imported from ${source}${version ? ` (${/^tfjs/.test(version) ? version : `Keras ${version}`})` : ''} by RNN Studio.`;
  const mixed = imp.layerPolicies.filter((p) => p === 'mixed_bfloat16').length;
  if (mixed > 0) {
    // Made under keras.mixed_precision.set_global_policy("mixed_bfloat16"): the file's dtype_policy.
    model.dtype_policy = 'mixed_bfloat16';
    if (mixed < imp.layerPolicies.length) imp.note(`${imp.layerPolicies.length - mixed} of ${imp.layerPolicies.length} layers have their own float32 dtype policy; schema v1 has one policy for the whole model, so they are written as mixed_bfloat16 ("dtype_policy").`);
  }
  model.input = inputSpec.dtype ? { shape: inputSpec.shape, dtype: inputSpec.dtype } : { shape: inputSpec.shape };
  const lines = ['{'];
  const props: string[] = [];
  for (const [k, v] of Object.entries(model)) props.push(`  ${JSON.stringify(k)}: ${inlineJson(v)}`);
  props.push(`  "layers": [\n${layers.map((l) => `    ${inlineJson(l)}`).join(',\n')}\n  ]`);
  if (compile && Object.keys(compile).length) props.push(`  "compile": ${inlineJson(compile)}`);
  if (isObject(sections?.data)) props.push(`  "data": ${inlineJson(sections.data)}`);
  if (isObject(sections?.training) && Object.keys(sections.training).length) props.push(`  "training": ${inlineJson(sections.training)}`);
  lines.push(props.join(',\n'));
  lines.push('}');
  const weightsNote = !ownRun && Array.isArray(root.weightsManifest) && root.weightsManifest.length > 0 ? [weightsLeftBehind('weightsManifest')] : [];
  return { modelText: lines.join('\n') + '\n', diagnostics: imp.diagnostics, notes: weightsNote };
}

function fail(imp: Importer, message: string): ImportResult {
  imp.note(message);
  return { modelText: '', diagnostics: imp.diagnostics };
}

function isObject(x: unknown): x is Json {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function toEntry(raw: unknown): LayerEntry {
  if (!isObject(raw)) return { className: '?', config: {} };
  return { className: String(raw.class_name ?? '?'), config: isObject(raw.config) ? raw.config : {}, name: typeof raw.name === 'string' ? raw.name : undefined };
}

/** JSON as Python's json.dumps writes it, which may contain NaN / Infinity (read as null, reported). */
function parseJsonLenient(text: string, imp: Importer): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    let out = '';
    let inString = false;
    let replaced = false;
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if (inString) {
        out += c;
        if (c === '\\') out += text[++i] ?? '';
        else if (c === '"') inString = false;
        continue;
      }
      if (c === '"') inString = true;
      const m = /^(-?Infinity|NaN)/.exec(text.slice(i, i + 9));
      if (m) {
        out += 'null';
        i += m[0].length - 1;
        replaced = true;
        continue;
      }
      out += c;
    }
    if (!replaced) throw e;
    const value = JSON.parse(out);
    imp.note('The input has NaN or Infinity values (Python JSON); they were read as null.');
    return value;
  }
}

// ---- functional models -------------------------------------------------------------------------

/**
 * The layers a node reads: its positional tensor inputs, the layers it reads a mask from (Keras 3
 * passes Embedding(mask_zero)'s mask explicitly, computed by a `not_equal` op), and whether other
 * keyword arguments are tensors (initial states and the like: not a chain).
 */
function inboundNames(node: unknown): { names: string[]; masks: string[]; extra: boolean } {
  const names: string[] = [];
  const masks: string[] = [];
  let extra = false;
  if (Array.isArray(node)) {
    // Keras 2 / TF.js: [[layer_name, node_index, tensor_index, kwargs], ...]
    for (const t of node) if (Array.isArray(t) && typeof t[0] === 'string') names.push(t[0]);
    return { names, masks, extra };
  }
  const walk = (x: unknown, into: string[] | undefined) => {
    if (Array.isArray(x)) x.forEach((v) => walk(v, into));
    else if (isObject(x)) {
      if (x.class_name === '__keras_tensor__' && isObject(x.config) && Array.isArray(x.config.keras_history)) {
        if (into) into.push(String(x.config.keras_history[0]));
        else extra = true;
        return;
      }
      Object.values(x).forEach((v) => walk(v, into));
    }
  };
  if (isObject(node)) {
    walk(node.args, names);
    if (isObject(node.kwargs)) {
      for (const [k, v] of Object.entries(node.kwargs)) walk(v, k === 'mask' ? masks : undefined);
    }
  }
  return { names, masks, extra };
}

/** The layers of a functional model in order when they form one chain Input -> ... -> output; else a diagnostic. */
function linearChain(config: Json, imp: Importer): LayerEntry[] | undefined {
  const raw = config.layers as unknown[];
  const byName = new Map<string, { entry: LayerEntry; inputs: string[] }>();
  const maskSources = new Set<string>();
  for (const r of raw) {
    const entry = toEntry(r);
    const name = entry.name ?? (typeof entry.config.name === 'string' ? entry.config.name : undefined);
    if (!name) {
      imp.note('A layer of the functional model has no name, so its connections cannot be followed.');
      return undefined;
    }
    const nodes = isObject(r) && Array.isArray(r.inbound_nodes) ? r.inbound_nodes : [];
    if (nodes.length > 1) {
      imp.note(`Layer "${name}" (${entry.className}) is called ${nodes.length} times (shared layer); RNN Studio imports models whose layers form a single chain.`);
      return undefined;
    }
    const { names, masks, extra } = nodes.length ? inboundNames(nodes[0]) : { names: [], masks: [], extra: false };
    masks.forEach((m) => maskSources.add(m));
    if (names.length > 1 || extra) {
      imp.note(`Layer "${name}" (${entry.className}) takes ${extra ? 'extra tensor arguments' : `${names.length} inputs (${names.join(', ')})`}; RNN Studio imports models whose layers form a single chain.`);
      return undefined;
    }
    byName.set(name, { entry: { ...entry, config: { ...entry.config, name } }, inputs: names });
  }
  // The mask ops Keras 3 records for Embedding(mask_zero=True) are implied by the Sequential model.
  for (const m of maskSources) {
    const op = byName.get(m);
    if (op && schemaType(op.entry.className) === undefined && op.entry.className !== 'InputLayer') byName.delete(m);
  }
  const inputs = [...byName.entries()].filter(([, v]) => v.inputs.length === 0);
  if (inputs.length !== 1) {
    imp.note(`The functional model has ${inputs.length} inputs (${inputs.map(([n]) => n).join(', ')}); RNN Studio imports models with one input whose layers form a single chain.`);
    return undefined;
  }
  const next = new Map<string, string[]>();
  for (const [name, v] of byName) for (const i of v.inputs) next.set(i, [...(next.get(i) ?? []), name]);
  const order: LayerEntry[] = [];
  let current: string | undefined = inputs[0][0];
  const seen = new Set<string>();
  while (current !== undefined && !seen.has(current)) {
    seen.add(current);
    order.push(byName.get(current)!.entry);
    const after: string[] = next.get(current) ?? [];
    if (after.length > 1) {
      imp.note(`The output of layer "${current}" feeds ${after.length} layers (${after.join(', ')}); RNN Studio imports models whose layers form a single chain.`);
      return undefined;
    }
    current = after[0];
  }
  const unused = [...byName.keys()].filter((n) => !seen.has(n));
  if (unused.length) {
    imp.note(`Layers ${unused.map((n) => `"${n}"`).join(', ')} are not on the chain from the input to the output; RNN Studio imports models whose layers form a single chain.`);
    return undefined;
  }
  if (order[0].className !== 'InputLayer') order.unshift({ className: 'InputLayer', config: {} });
  return order;
}

// ---- input -------------------------------------------------------------------------------------

interface InputSpec {
  shape: (number | null)[];
  dtype?: string;
  explicitDtype: boolean;
}

function readInput(entries: LayerEntry[], imp: Importer): InputSpec {
  const inputLayer = entries.find((e) => e.className === 'InputLayer');
  const first = entries.find((e) => e.className !== 'InputLayer');
  const candidates: unknown[] = [inputLayer?.config.batch_shape, inputLayer?.config.batch_input_shape, first?.config.batch_input_shape, first?.config.batch_shape];
  let batchShape = candidates.find((c) => Array.isArray(c)) as unknown[] | undefined;
  if (!batchShape && inputLayer && Array.isArray(inputLayer.config.input_shape)) batchShape = [null, ...(inputLayer.config.input_shape as unknown[])];
  let shape: (number | null)[];
  if (batchShape) {
    shape = batchShape.slice(1).map((d) => (typeof d === 'number' && Number.isInteger(d) && d >= 1 ? d : null));
  } else {
    imp.note('The model has no input shape (no InputLayer, batch_input_shape or build_input_shape); set "input.shape" by hand (written as [null]).');
    shape = [null];
  }
  let rawDtype: unknown = inputLayer?.config.dtype;
  const firstDeclaresInput = first !== undefined && (first.config.batch_input_shape !== undefined || first.config.batch_shape !== undefined);
  if (rawDtype === undefined && firstDeclaresInput) rawDtype = first.config.dtype;
  const dtypeName = typeof rawDtype === 'string' ? rawDtype : isObject(rawDtype) && isObject(rawDtype.config) ? String(rawDtype.config.name) : undefined;
  let dtype: string | undefined;
  if (dtypeName === undefined || dtypeName === 'float32') dtype = undefined;
  else if (/^u?int(8|16|32|64)$/.test(dtypeName)) {
    dtype = 'int32';
    if (dtypeName !== 'int32') imp.note(`The input dtype ${dtypeName} is outside schema v1; written as "int32".`);
  } else {
    imp.note(`The input dtype ${dtypeName} is outside schema v1; written as float32 (the default).`);
  }
  return { shape, dtype, explicitDtype: dtypeName !== undefined && (inputLayer?.config.dtype !== undefined || firstDeclaresInput) };
}

// ---- layers ------------------------------------------------------------------------------------

const ALIASES: Record<string, string> = {
  MaxPool1D: 'MaxPooling1D',
  AvgPool1D: 'AveragePooling1D',
  AveragePool1D: 'AveragePooling1D',
  GlobalMaxPool1D: 'GlobalMaxPooling1D',
  GlobalAvgPool1D: 'GlobalAveragePooling1D',
  GlobalAveragePool1D: 'GlobalAveragePooling1D',
  Convolution1D: 'Conv1D',
};

/** Schema layer type of a Keras / TF.js class name (TF.js runs of RNN Studio use `Keras<Type>`). */
function schemaType(className: string): string | undefined {
  const bare = className.replace(/^.*>/, '');
  if (LAYER_TYPES.includes(bare)) return bare;
  if (ALIASES[bare]) return ALIASES[bare];
  const stripped = bare.replace(/^Keras/, '');
  if (stripped !== bare && LAYER_TYPES.includes(stripped)) return stripped;
  return undefined;
}

/** Activation names of TF.js (camelCase, and RNN Studio's registered classes) -> Keras 3. */
const TFJS_ACTIVATIONS: Record<string, string> = {
  kerasHardSigmoid: 'hard_sigmoid',
  kerasExponential: 'exponential',
  kerasLeakyRelu: 'leaky_relu',
  logSoftmax: 'log_softmax',
  hardSigmoid: 'hard_sigmoid',
  leakyrelu: 'leaky_relu',
};

/** Keys that only describe Keras bookkeeping, or options at their Keras default. */
function isDefaultOption(key: string, value: unknown): boolean {
  switch (key) {
    case 'name':
    case 'module':
    case 'registered_name':
    case 'build_config':
    case 'shared_object_id':
    case 'zero_output_for_mask': // set by Bidirectional itself; implied by return_sequences
    case 'accept_mask': // RNN Studio's TF.js layers: derived from the model's masking
    case 'implementation': // Keras 2 RNN kernel choice: speed only
    case 'input_length': // Keras 2 Embedding: the input shape says it
    case 'batch_input_shape':
    case 'batch_shape':
    case 'input_shape':
    case 'input_dtype':
      return true;
    case 'trainable':
      return value === true;
    case 'dtype':
      return value === 'float32' || value === null || (isObject(value) && isObject(value.config) && value.config.name === 'float32');
    case 'return_state':
    case 'stateful':
    case 'unroll':
    case 'time_major':
    case 'sparse':
    case 'ragged':
    case 'keepdims':
    case 'rms_scaling':
    case 'synchronized':
    case 'renorm':
    case 'optional':
      return value === false || value === null;
    case 'unit_forget_bias':
      return value === true;
    case 'groups':
      return value === 1;
    case 'data_format':
      return value === null || value === 'channels_last';
    case 'use_cudnn':
      return value === 'auto' || value === null;
    case 'renorm_momentum':
      return value === 0.99;
    case 'noise_shape':
    case 'renorm_clipping':
    case 'virtual_batch_size':
    case 'adjustment':
    case 'fused':
    case 'quantization_config':
    case 'lora_rank':
    case 'lora_alpha':
    case 'seed':
    case 'gradient_checkpointing':
      return value === null || value === undefined;
  }
  if (/_(regularizer|constraint)$/.test(key)) return value === null;
  return false;
}

const DEFAULT_INITIALIZERS: Record<string, (cls: string, c: Json) => boolean> = {
  kernel_initializer: (cls, c) => /^glorot_?uniform$/i.test(cls) || (cls === 'VarianceScaling' && Number(c.scale ?? 1) === 1 && c.mode === 'fan_avg' && c.distribution === 'uniform'),
  recurrent_initializer: (cls, c) => /^orthogonal$/i.test(cls) && Number(c.gain ?? 1) === 1,
  bias_initializer: (cls) => /^zeros$/i.test(cls),
  beta_initializer: (cls) => /^zeros$/i.test(cls),
  moving_mean_initializer: (cls) => /^zeros$/i.test(cls),
  gamma_initializer: (cls) => /^ones$/i.test(cls),
  moving_variance_initializer: (cls) => /^ones$/i.test(cls),
  embeddings_initializer: (cls, c) => (cls === 'RandomUniform' && Number(c.minval ?? -0.05) === -0.05 && Number(c.maxval ?? 0.05) === 0.05) || cls === 'uniform',
};

/** True when an initializer is the Keras default of its key; records a seed it carries. */
function isDefaultInitializer(key: string, value: unknown, owner: string, imp: Importer): boolean {
  const check = DEFAULT_INITIALIZERS[key];
  if (!check) return false;
  let cls: string;
  let config: Json = {};
  if (typeof value === 'string') cls = value;
  else if (isObject(value)) {
    cls = String(value.class_name ?? '');
    config = isObject(value.config) ? value.config : {};
  } else return false;
  if (config.seed !== null && config.seed !== undefined) imp.seeds.push(`${owner} ${key} seed ${String(config.seed)}`);
  return check(cls, config);
}

function activationName(value: unknown): string | undefined {
  if (value === null || value === undefined) return 'linear';
  if (typeof value === 'string') return own(TFJS_ACTIVATIONS, value) ?? value;
  if (isObject(value)) {
    if (typeof value.config === 'string') return activationName(value.config);
    if (isObject(value.config) && typeof value.config.name === 'string') return activationName(value.config.name);
    if (typeof value.class_name === 'string') return activationName(snakeCase(value.class_name));
  }
  return undefined;
}

function unwrapOne(value: unknown): unknown {
  return Array.isArray(value) && value.length === 1 ? value[0] : value;
}

function sameValue(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') return a === b || Math.abs(a - b) <= 1e-7 * Math.max(Math.abs(a), Math.abs(b));
  return JSON.stringify(a) === JSON.stringify(b);
}

/** A float32 read back as a double (0.0010000000474974513) -> the decimal it was (0.001). */
function tidyNumber(x: number): number {
  if (Number.isInteger(x)) return x;
  const short = Number(x.toPrecision(7));
  return Math.abs(Math.fround(short) - x) === 0 || Math.abs(short - x) <= 1e-7 * Math.abs(x) ? short : x;
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function describeValue(value: unknown): string {
  if (isObject(value) && typeof value.class_name === 'string') {
    const config = isObject(value.config) ? Object.entries(value.config).filter(([, v]) => v !== null).map(([k, v]) => `${k}=${describeValue(v)}`) : [];
    return `${value.class_name}(${config.join(', ')})`;
  }
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** One layer entry -> a schema layer (unsupported layers are kept with their simple options, and named). */
function convertLayer(entry: LayerEntry, index: number, imp: Importer, wrapper?: string): Json | undefined {
  const config = entry.config;
  const name = typeof config.name === 'string' ? config.name : entry.name;
  const where = wrapper ? `the ${entry.className} inside ${wrapper}` : `layer ${index}${name ? ` "${name}"` : ''} (${entry.className})`;
  const type = schemaType(entry.className);
  if (!type) {
    const kept: Json = { type: entry.className.replace(/^.*>/, '') };
    if (name) kept.name = name;
    const dropped: string[] = [];
    for (const [k, v] of Object.entries(config)) {
      if (k === 'name' || isDefaultOption(k, v) || (k.endsWith('_initializer') && isDefaultInitializer(k, v, where, imp))) continue;
      const simple = v === null || ['string', 'number', 'boolean'].includes(typeof v) || (Array.isArray(v) && v.every((x) => x === null || ['string', 'number', 'boolean'].includes(typeof x)));
      if (simple) kept[k] = typeof v === 'number' ? tidyNumber(v) : v;
      else dropped.push(k);
    }
    imp.note(
      `${cap(where)} is not a layer type of schema v1; it is kept as written so that you can replace it (RNN Studio reports it as an unknown layer type).${dropped.length ? ` Its options ${dropped.join(', ')} could not be written.` : ''}`,
    );
    return kept;
  }
  const props = layerSchema(type)?.properties ?? {};
  const layer: Json = { type };
  if (name) layer.name = name;
  const dropped: string[] = [];
  for (const [key, raw] of Object.entries(config)) {
    if (key === 'name' || key === 'type') continue;
    if (key === 'layer' || key === 'backward_layer') continue;
    if (props[key]) {
      let value: unknown = raw;
      if (['kernel_size', 'strides', 'pool_size', 'dilation_rate', 'axis'].includes(key)) value = unwrapOne(value);
      if (key === 'activation' || key === 'recurrent_activation') {
        const act = activationName(value);
        if (act === undefined) {
          dropped.push(`${key}=${describeValue(raw)}`);
          continue;
        }
        if (act === 'hard_sigmoid' && imp.legacy) {
          imp.note(`${cap(where)}: ${key} hard_sigmoid is Keras 2's 0.2 x + 0.5 there; schema v1 (Keras 3) computes relu6(x + 3) / 6.`);
        }
        value = act;
      }
      if (typeof value === 'number') value = tidyNumber(value);
      const prop = props[key];
      if (Array.isArray(prop.enum) && !prop.enum.some((e) => sameValue(e, value))) {
        imp.note(`${cap(where)}: ${key} ${describeValue(value)} is outside schema v1 (allowed: ${prop.enum.map((e) => JSON.stringify(e)).join(', ')}); kept as written, RNN Studio reports it.`);
      }
      if (prop.default !== undefined && sameValue(prop.default, value)) continue;
      layer[key] = value;
      continue;
    }
    if (key.endsWith('_initializer')) {
      if (!isDefaultInitializer(key, raw, where, imp)) dropped.push(`${key}=${describeValue(raw)}`);
      continue;
    }
    if (key === 'seed' && raw !== null && raw !== undefined) {
      imp.seeds.push(`${where} seed ${String(raw)}`);
      continue;
    }
    if (key === 'dtype') {
      const policy = typeof raw === 'string' ? raw : isObject(raw) && isObject(raw.config) ? String(raw.config.name) : 'float32';
      imp.layerPolicies.push(policy);
      if (policy === 'mixed_bfloat16') continue; // the model's dtype_policy, below
    }
    if (isDefaultOption(key, raw)) continue;
    dropped.push(`${key}=${describeValue(raw)}`);
  }
  // Pooling strides equal to pool_size are Keras' default (strides=None).
  if ((type === 'MaxPooling1D' || type === 'AveragePooling1D') && layer.strides !== undefined) {
    const pool = layer.pool_size ?? props.pool_size?.default;
    if (sameValue(layer.strides, pool)) delete layer.strides;
  }
  if (type === 'GRU' && config.reset_after === undefined && (imp.tfjs || imp.legacy)) {
    // TF.js' GRU computes reset_after=False (and has no such option); write it, since Keras 3's default is True.
    layer.reset_after = false;
  }
  if (type === 'Bidirectional' || type === 'TimeDistributed') {
    const inner = toEntry(config.layer);
    if (!isObject(config.layer)) {
      imp.note(`${cap(where)} has no wrapped "layer".`);
    } else {
      if (type === 'Bidirectional' && typeof inner.config.name === 'string') {
        // Keras 3 serialises the forward copy ("forward_lstm"); the file names the wrapped layer ("lstm").
        inner.config = { ...inner.config, name: inner.config.name.replace(/^forward_/, '') };
      }
      const converted = convertLayer(inner, index, imp, `${where}`);
      if (converted) layer.layer = converted;
      if (type === 'Bidirectional' && isObject(config.backward_layer)) checkBackwardLayer(config.layer as Json, config.backward_layer, where, imp);
    }
  }
  if (dropped.length) {
    imp.note(`${cap(where)}: ${dropped.length === 1 ? 'option' : 'options'} outside schema v1, not kept: ${dropped.join(', ')}.`);
  }
  return orderKeys(layer, props);
}

/** The sentence for trained weights an import does not carry over, and why. */
export function weightsLeftBehind(what: string, why = 'the .rnn.json holds the architecture and settings, and RNN Studio trains it afresh'): string {
  return `The trained weights (${what}) were not imported: ${why}.`;
}

/** Keras 3 writes the backward copy of a Bidirectional; it must mirror the forward one. */
function checkBackwardLayer(forward: Json, backward: Json, where: string, imp: Importer): void {
  // Names, go_backwards and the initializers' shared_object_id (Keras' serialisation bookkeeping,
  // numbered per object) differ between the two copies even when they mirror each other.
  const comparable = (layer: Json) => {
    const c: Json = isObject(layer.config) ? { ...layer.config } : {};
    delete c.name;
    delete c.go_backwards;
    return JSON.stringify(c, (key, value) => (key === 'shared_object_id' ? undefined : value));
  };
  if (forward.class_name !== backward.class_name || comparable(forward) !== comparable(backward)) {
    imp.note(`${cap(where)} has a backward_layer that differs from its forward layer; schema v1 mirrors the forward layer, so the backward layer was not kept.`);
  }
}

/** type, name, then the schema's key order, the wrapped layer last (as the examples write them). */
function orderKeys(layer: Json, props: Record<string, unknown>): Json {
  const out: Json = { type: layer.type };
  if (layer.name !== undefined) out.name = layer.name;
  for (const k of Object.keys(props)) if (!['type', 'name', 'layer'].includes(k) && layer[k] !== undefined) out[k] = layer[k];
  for (const [k, v] of Object.entries(layer)) if (!(k in out) && k !== 'layer') out[k] = v;
  if (layer.layer !== undefined) out.layer = layer.layer;
  return out;
}

/**
 * Drops names equal to the Keras default the file would get anyway (as RNN Studio's core and Keras
 * name unnamed layers: per class, in creation order, the wrapped layer before its wrapper).
 */
function omitDefaultNames(layers: Json[]): void {
  const counts = new Map<string, number>();
  const visit = (layer: Json) => {
    const type = String(layer.type);
    if (isObject(layer.layer)) visit(layer.layer);
    if (!LAYER_TYPES.includes(type)) return;
    const base = snakeCase(type);
    const n = counts.get(base) ?? 0;
    const auto = n === 0 ? base : `${base}_${n}`;
    if (layer.name === undefined || layer.name === auto) {
      delete layer.name;
      counts.set(base, n + 1);
    }
  };
  layers.forEach(visit);
}

// ---- compile -----------------------------------------------------------------------------------

const OPTIMIZER_NAMES: Record<string, string> = { adam: 'adam', rmsprop: 'rmsprop', sgd: 'sgd', adagrad: 'adagrad', adamw: 'adamw' };

const OPTIMIZER_DEFAULTS: Record<string, Json> = {
  common: {
    weight_decay: null,
    global_clipnorm: null,
    clipvalue: null,
    use_ema: false,
    ema_momentum: 0.99,
    ema_overwrite_frequency: null,
    loss_scale_factor: null,
    gradient_accumulation_steps: null,
    is_legacy_optimizer: false,
    decay: 0,
    jit_compile: null,
  },
  adam: { beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7, amsgrad: false },
  adamw: { beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7, amsgrad: false, weight_decay: 0.004 },
  rmsprop: { rho: 0.9, momentum: 0, epsilon: 1e-7, centered: false },
  sgd: { momentum: 0, nesterov: false },
  adagrad: { initial_accumulator_value: 0.1, epsilon: 1e-7 },
};

const LOSSES: Record<string, string> = {
  binary_crossentropy: 'binary_crossentropy',
  binarycrossentropy: 'binary_crossentropy',
  categorical_crossentropy: 'categorical_crossentropy',
  categoricalcrossentropy: 'categorical_crossentropy',
  sparse_categorical_crossentropy: 'sparse_categorical_crossentropy',
  sparsecategoricalcrossentropy: 'sparse_categorical_crossentropy',
  mse: 'mse',
  mean_squared_error: 'mean_squared_error',
  meansquarederror: 'mean_squared_error',
  mae: 'mae',
  mean_absolute_error: 'mean_absolute_error',
  meanabsoluteerror: 'mean_absolute_error',
  huber: 'huber',
  huber_loss: 'huber',
};

const METRICS: Record<string, string> = {
  accuracy: 'accuracy',
  acc: 'accuracy',
  binary_accuracy: 'binary_accuracy',
  binaryaccuracy: 'binary_accuracy',
  categorical_accuracy: 'categorical_accuracy',
  categoricalaccuracy: 'categorical_accuracy',
  sparse_categorical_accuracy: 'sparse_categorical_accuracy',
  sparsecategoricalaccuracy: 'sparse_categorical_accuracy',
  mae: 'mae',
  mean_absolute_error: 'mae',
  meanabsoluteerror: 'mae',
  mse: 'mse',
  mean_squared_error: 'mse',
  meansquarederror: 'mse',
  auc: 'auc',
  precision: 'precision',
  recall: 'recall',
};

function normName(name: string): string {
  return name.replace(/^.*>/, '').replace(/[^A-Za-z0-9_]/g, '').toLowerCase();
}

/** compile_config (Keras 3 archive), training_config (Keras 2 / TF.js) -> the `compile` section. */
function readCompile(training: Json, imp: Importer): Json {
  const compile: Json = {};
  const opt = training.optimizer ?? training.optimizer_config;
  if (opt !== undefined && opt !== null) {
    const cls = typeof opt === 'string' ? opt : isObject(opt) ? String(opt.class_name ?? '') : '';
    const name = OPTIMIZER_NAMES[normName(cls)];
    const config = isObject(opt) && isObject(opt.config) ? opt.config : {};
    if (!name) imp.note(`The optimizer ${cls || describeValue(opt)} is outside schema v1 (adam, rmsprop, sgd, adagrad, adamw); compile.optimizer was not written.`);
    else {
      compile.optimizer = name;
      const defaults = { ...OPTIMIZER_DEFAULTS.common, ...OPTIMIZER_DEFAULTS[name] };
      const dropped: string[] = [];
      for (const [k, v] of Object.entries(config)) {
        if (k === 'name') continue;
        if (k === 'learning_rate' || k === 'lr') {
          if (typeof v === 'number') compile.learning_rate = tidyNumber(v);
          else dropped.push(`learning_rate=${describeValue(v)} (a schedule)`);
        } else if (k === 'clipnorm') {
          if (v !== null && v !== undefined) compile.clipnorm = typeof v === 'number' ? tidyNumber(v) : v;
        } else if (k in defaults) {
          if (!sameValue(typeof v === 'number' ? tidyNumber(v) : v, defaults[k])) dropped.push(`${k}=${describeValue(v)}`);
        } else dropped.push(`${k}=${describeValue(v)}`);
      }
      if (dropped.length) imp.note(`Optimizer ${cls}: options outside schema v1, not kept: ${dropped.join(', ')}.`);
    }
  }
  const loss = training.loss;
  if (loss !== undefined && loss !== null) {
    const cls = typeof loss === 'string' ? loss : isObject(loss) ? String(loss.class_name ?? loss.config ?? '') : '';
    const mapped = LOSSES[normName(cls)];
    if (mapped) {
      compile.loss = mapped;
      const c = isObject(loss) && isObject(loss.config) ? loss.config : {};
      const odd = Object.entries(c).filter(([k, v]) => !['name', 'reduction', 'dtype'].includes(k) && !(k === 'from_logits' && v === false) && !(k === 'label_smoothing' && v === 0) && !(k === 'axis' && v === -1) && !(k === 'delta' && v === 1) && !(k === 'ignore_class' && v === null));
      if (odd.length) imp.note(`Loss ${cls}: options outside schema v1, not kept: ${odd.map(([k, v]) => `${k}=${describeValue(v)}`).join(', ')}.`);
    } else imp.note(`The loss ${describeValue(loss)} is outside schema v1; compile.loss was not written.`);
  }
  const metrics = flatMetrics(training.metrics);
  if (metrics.length) {
    const kept: string[] = [];
    for (const m of metrics) {
      const cls = typeof m === 'string' ? m : isObject(m) ? String(m.class_name ?? '') : '';
      const mapped = own(METRICS, normName(cls)) ?? own(METRICS, normName(snakeCase(cls)));
      if (mapped && !kept.includes(mapped)) kept.push(mapped);
      else if (!mapped) imp.note(`The metric ${describeValue(m)} is outside schema v1; not kept.`);
    }
    if (kept.length) compile.metrics = kept;
  }
  for (const [k, v] of Object.entries(training)) {
    if (['optimizer', 'optimizer_config', 'loss', 'metrics'].includes(k)) continue;
    const benign = v === null || v === false || v === 1 || v === 'auto' || (Array.isArray(v) && v.length === 0) || k === 'auto_scale_loss';
    if (!benign) imp.note(`The compile setting ${k}=${describeValue(v)} is outside schema v1; not kept.`);
  }
  return compile;
}

function flatMetrics(m: unknown): unknown[] {
  if (m === null || m === undefined) return [];
  if (Array.isArray(m)) return m.flatMap((x) => (Array.isArray(x) ? flatMetrics(x) : [x]));
  if (isObject(m) && !('class_name' in m)) return Object.values(m).flatMap(flatMetrics);
  return [m];
}
