import { analyzeModel } from '../analyze';
import { LineIndex } from '../document';
import { formatShape, LayerNamer } from '../shapes';
import { modelSchema, type SchemaNode } from '../schema';
import type { AnalyzeOptions, Diagnostic, Fix, JsonPath, LayerInfo, ModelAnalysis, Range, TextEdit } from '../types';
import type { Edit } from 'web-tree-sitter';
import { blankMagics, mentionsKeras, parsePython, pythonParser, type Tree } from './parser';
import { readKeras, type PyArg, type PyFit, type PyOptimizer, type PyStrayLayer, type PyCall, type PyLayer, type PyModel, type PyPipeline, type PyValue, type Span } from './reader';

/**
 * Keras models in Python source, analysed by the same engine as `*.rnn.json`: each model the
 * reader finds becomes the model description a model file parses into (generated JSON), goes
 * through `analyzeModel`, and every range and fix is mapped back onto the Python arguments it
 * came from. No rule is repeated here.
 */

export interface PythonModelAnalysis extends ModelAnalysis {
  /** The Python name the model is bound to, or null. */
  variable: string | null;
  /** The `Sequential(...)` call. */
  range: Range;
  /** For a model built in a function, the call site it stands for. */
  callSite?: Range;
  /** The model description it was analysed as (a `.rnn.json` model object). */
  model: Record<string, unknown>;
  /** The reader's result, with offsets, for editors (hints go after `layers[i].call.end`). */
  source: PyModel;
  /**
   * The text preprocessing the code shows (tokenizer, pad_sequences) as a `.rnn.json` "data"
   * section, for Convert to .rnn.json; without "source" (the samples are Python values), so it is
   * not part of the analysed `model`. `origin` is the expression the samples come from.
   */
  data?: { section: Record<string, unknown>; origin?: string };
}

/** Reads and analyses every Keras model of a Python text; [] without parsing when it never names Keras. */
export async function analyzePython(text: string, options: AnalyzeOptions = {}): Promise<PythonModelAnalysis[]> {
  if (!mentionsKeras(text)) return [];
  const parser = await pythonParser();
  const tree = parsePython(parser, text);
  if (!tree) return [];
  try {
    return analyzePythonTree(tree, text, options);
  } finally {
    tree.delete();
  }
}

export function analyzePythonTree(tree: Tree, text: string, options: AnalyzeOptions = {}, cache?: Map<string, ModelAnalysis>): PythonModelAnalysis[] {
  const lines = new LineIndex(text);
  const { models, strayLayers, sessionResets } = readKeras(tree, text);
  const names = kerasNames(models, strayLayers, sessionResets);
  return models.map((m) => analyzeOne(m, text, lines, options, cache, names));
}

/** The default names Keras gives, in the order the code creates the layers and models. */
interface KerasNames {
  layers: Map<PyLayer, string>;
  models: Map<PyModel, string>;
}

/**
 * Keras numbers default names per Python session, per class, in creation order: the second
 * model's first LSTM is `lstm_1`, and a `SimpleRNN(64)` made on its own counts too. A layer with
 * `name=` takes no number. A model built in a function creates its layers at the call.
 */
function kerasNames(models: PyModel[], strays: PyStrayLayer[], resets: number[]): KerasNames {
  const events: { at: number; type?: string; layer?: PyLayer; model?: PyModel }[] = [];
  const named = (l: PyLayer) => l.args.some((a) => a.key === 'name');
  for (const m of models) {
    const add = (l: PyLayer) => {
      // Keras creates a wrapped layer before its wrapper.
      if (l.inner) add(l.inner);
      if (!named(l)) events.push({ at: m.callSite?.start ?? l.call.start, type: l.type, layer: l });
    };
    m.layers.forEach(add);
    if (m.name === undefined) events.push({ at: (m.callSite ?? m.span).start, type: 'Sequential', model: m });
  }
  for (const s of strays) events.push({ at: s.start, type: s.type });
  // `keras.backend.clear_session()` starts the numbering again (as the fixtures' generator does per file).
  for (const at of resets) events.push({ at });
  const order = events.map((e, i) => ({ e, i })).sort((a, b) => a.e.at - b.e.at || a.i - b.i);
  let namer = new LayerNamer();
  const layers = new Map<PyLayer, string>();
  const modelNames = new Map<PyModel, string>();
  for (const { e } of order) {
    if (!e.type) {
      namer = new LayerNamer();
      continue;
    }
    const name = namer.next(e.type);
    if (e.layer) layers.set(e.layer, name);
    if (e.model) modelNames.set(e.model, name);
  }
  return { layers, models: modelNames };
}

/**
 * One document analysed again and again while it is edited: the syntax tree is re-parsed
 * incrementally (only what the edit touched), and a model whose description did not change is not
 * analysed again. The result is the same as `analyzePython` on the text.
 */
export class PythonSession {
  private tree: Tree | undefined;
  private source = '';
  private readonly cache = new Map<string, ModelAnalysis>();

  async analyze(text: string, options: AnalyzeOptions = {}): Promise<PythonModelAnalysis[]> {
    if (!mentionsKeras(text)) {
      this.dispose();
      return [];
    }
    const parser = await pythonParser();
    const source = blankMagics(text);
    if (this.tree && source !== this.source) this.tree.edit(editBetween(this.source, source));
    const tree = source === this.source && this.tree ? this.tree : parser.parse(source, this.tree);
    if (!tree) return [];
    if (tree !== this.tree) this.tree?.delete();
    this.tree = tree;
    this.source = source;
    if (this.cache.size > 500) this.cache.clear();
    return analyzePythonTree(tree, text, options, this.cache);
  }

  dispose(): void {
    this.tree?.delete();
    this.tree = undefined;
    this.source = '';
    this.cache.clear();
  }
}

/** The one edit that turns `before` into `after` (common prefix and suffix kept), as tree-sitter wants it. */
function editBetween(before: string, after: string): Edit {
  let start = 0;
  const max = Math.min(before.length, after.length);
  while (start < max && before.charCodeAt(start) === after.charCodeAt(start)) start++;
  let end = 0;
  while (end < max - start && before.charCodeAt(before.length - 1 - end) === after.charCodeAt(after.length - 1 - end)) end++;
  const point = (text: string, offset: number) => {
    const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
    let row = 0;
    for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) row++;
    return { row, column: offset - lineStart };
  };
  return {
    startIndex: start,
    oldEndIndex: before.length - end,
    newEndIndex: after.length - end,
    startPosition: point(before, start),
    oldEndPosition: point(before, before.length - end),
    newEndPosition: point(after, after.length - end),
  } as Edit;
}

/** Where each part of the generated model came from in the Python text. */
interface Origins {
  layers: PyLayer[];
}

function analyzeOne(py: PyModel, text: string, lines: LineIndex, options: AnalyzeOptions, cache: Map<string, ModelAnalysis> | undefined, names: KerasNames): PythonModelAnalysis {
  const model = toModelObject(py, names);
  const json = JSON.stringify(model, null, 1);
  const key = cache && `${JSON.stringify(options)}\n${json}`;
  let analysis = key ? cache!.get(key) : undefined;
  if (!analysis) {
    analysis = analyzeModel(json, options);
    if (key) cache!.set(key, analysis);
  }
  const origins: Origins = { layers: py.layers };
  const range = (span: Span): Range => lines.range(span.start, span.end - span.start);
  const at = (path: JsonPath): Span => spanForPath(py, origins, path);

  const diagnostics: Diagnostic[] = [];
  for (const d of analysis.diagnostics) {
    // Without an input the generated model misses "input"; the reader's note says why instead.
    if (!py.input && d.code === 'missing-key' && d.path.length === 0) continue;
    diagnostics.push({
      ...d,
      message: pythonWords(d.message),
      range: range(at(d.path)),
      related: d.related?.map((r) => ({ ...r, range: range(at(r.path)) })),
      fixes: d.fixes?.map((f) => mapFix(f, json, model, py, text, lines)).filter((f): f is Fix => !!f),
    });
  }
  if (!py.input && !py.truncated && py.layers.length > 0 && py.layers[0].type !== 'Embedding') {
    diagnostics.push({
      severity: 'info',
      code: 'no-input-shape',
      message: 'Keras builds this model when it first sees data: the code gives no input shape, so the shapes and counts are not known here. Start the model with keras.Input(shape=(...)) or give the first layer input_shape=(...).',
      path: [],
      range: range(py.layers[0].call),
      source: 'model',
    });
  }
  diagnostics.push(...fitDiagnostics(py, analysis, lines));
  for (const n of py.notes) diagnostics.push({ severity: n.severity, code: n.code, message: n.message, path: [], range: range(n.span), source: 'model' });
  diagnostics.sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);

  const layers: LayerInfo[] = analysis.layers.map((l) => ({ ...l, range: range(py.layers[l.index]?.call ?? py.span) }));
  return {
    ...analysis,
    layers,
    diagnostics,
    variable: py.variable,
    range: range(py.span),
    callSite: py.callSite && range(py.callSite),
    model,
    source: py,
    data: py.fits[0]?.pipeline && dataSection(py.fits[0].pipeline),
  };
}

/**
 * The tutorials' data mistakes, judged by what Keras 3 does, where the code shows the array's
 * shape: a list of lists of different lengths (NumPy 2 refuses it), a series without its feature
 * axis (Keras 3 adds it, older Keras refuses), or an array the model cannot take.
 */
function fitDiagnostics(py: PyModel, analysis: ModelAnalysis, lines: LineIndex): Diagnostic[] {
  const out: Diagnostic[] = [];
  const range = (span: Span): Range => lines.range(span.start, span.end - span.start);
  const edit = (span: Span, newText: string): TextEdit => ({ offset: span.start, length: span.end - span.start, range: range(span), newText });
  const seen = new Set<number>();
  for (const fit of py.fits) {
    const x = fit.x;
    if (!x) continue;
    if (x.array.shape === null) {
      if (seen.has(x.array.madeAt.start)) continue;
      seen.add(x.array.madeAt.start);
      out.push({
        severity: 'error',
        code: 'ragged-sequences',
        message: `The sequences have different lengths, so they are not one array: NumPy 2 refuses to make it ("setting an array element with a sequence ... inhomogeneous shape") and Keras cannot train on it. Pad them to one length first, e.g. pad_sequences(sequences, maxlen=N, padding='post') from keras.utils.`,
        path: [],
        range: range(x.array.madeAt),
        source: 'model',
        ...(x.array.ragged?.padded ? { fixes: [{ title: `Pad to the longest sequence (${x.array.ragged.longest}) with pad_sequences`, edits: [edit(x.array.madeAt, x.array.ragged.padded)], isPreferred: true }] } : {}),
      });
      continue;
    }
    const expected = analysis.inputShape?.slice(1);
    if (!expected || !py.input || x.array.shape.length === 0) continue;
    const given = x.array.shape.slice(1);
    const fits = (a: (number | null)[], b: number[]) => a.length === b.length && a.every((d, i) => d === null || d === b[i]);
    if (fits(expected, given)) continue;
    const shapeText = `(${x.array.shape.join(', ')})`;
    const modelText = formatShape(analysis.inputShape);
    if (expected.length === given.length + 1 && expected[expected.length - 1] === 1 && fits(expected.slice(0, -1), given)) {
      const target = [...x.array.shape, 1];
      out.push({
        severity: 'warning',
        code: 'fit-missing-feature-axis',
        message: `${x.text} has shape ${shapeText} but the model reads ${modelText}: one value per timestep needs its own feature axis. Keras 3 adds it for you, so this trains, but older Keras (and any other code reading X) fails with "expected ndim=${expected.length + 1}, found ndim=${given.length + 1}". Reshape it to (${target.join(', ')}).`,
        path: [],
        range: range(x.span),
        source: 'model',
        fixes: [
          { title: `Reshape ${x.text} to (${target.join(', ')})`, edits: [edit(x.span, `${x.text}.reshape(${target.join(', ')})`)], isPreferred: true },
          { title: `Use np.expand_dims(${x.text}, axis=-1)`, edits: [edit(x.span, `np.expand_dims(${x.text}, axis=-1)`)], isPreferred: false },
        ],
      });
    }
    // Other differences are left alone: Keras 3 accepts some of them (an LSTM built for 30 steps
    // trains on 20), and a wrong error would be worse than none.
  }
  return out;
}

/**
 * The `.rnn.json` model object the Python code describes, with Keras' default names of the file
 * or notebook (`sequential_1`, `lstm_1`, ...): a layer gets an explicit name only where that
 * differs from the model file's own numbering.
 */
function toModelObject(py: PyModel, names: KerasNames): Record<string, unknown> {
  const model: Record<string, unknown> = { name: py.name ?? names.models.get(py) ?? 'sequential' };
  if (py.input) {
    const dtype = py.input.dtype ?? (py.layers[0]?.type === 'Embedding' ? 'int32' : undefined);
    model.input = dtype ? { shape: py.input.shape, dtype } : { shape: py.input.shape };
  } else if (py.layers[0]?.type === 'Embedding') {
    // Token ids of a length the code does not fix: Keras builds such a model as (None, None).
    model.input = { shape: [null], dtype: 'int32' };
  }
  if (typeof py.dtypePolicy?.value === 'string') model.dtype_policy = py.dtypePolicy.value;
  const own = new LayerNamer();
  model.layers = py.layers.map((l) => layerObject(l, names, own));
  const compile = py.compile && compileObject(py.compile, py.optimizer);
  if (compile) model.compile = compile;
  const training = py.fits[0] && trainingObject(py.fits[0]);
  if (training) model.training = training;
  return model;
}

/**
 * The text of a `.rnn.json` converted from Python: the model, the tokenizer and pad_sequences
 * settings the code shows in "data", and a comment on what the file cannot hold (the samples are
 * Python values). A "data" section without its "source" is reported by the checks on "data",
 * right above the note that says what to add.
 */
export function modelFileText(from: string, model: Record<string, unknown>, data?: PythonModelAnalysis['data']): string {
  const head = `// Converted by RNN Studio from the Keras model at ${from}.`;
  if (!data) {
    return [
      head,
      '// The training data (arrays made in Python) is not part of this file: add a "data" section',
      '// (a built-in data set, a JSONL, CSV or aclImdb folder) to train it here.',
      JSON.stringify(model, null, 2),
      '',
    ].join('\n');
  }
  const from_ = data.origin ? `\`${data.origin}\`` : 'the Python code';
  const json = JSON.stringify({ ...model, data: data.section }, null, 2).replace(
    /^ {2}"data": \{$/m,
    (line) =>
      [
        line,
        `    // The samples come from ${from_} in Python,`,
        '    // which a model file cannot hold. To train here, name them: "source": "jsonl", "csv" or',
        '    // "folder" with "path", or "builtin" with "dataset".',
      ].join('\n'),
  );
  return [head, '// "data" holds the tokenizer and pad_sequences settings of the code; see the note in it.', json, ''].join('\n');
}

/** Tokenizer's default filters; TextVectorization's default standardization strips the apostrophe too. */
const TOKENIZER_FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n';

/**
 * The "data" settings of a text pipeline, in the model file's terms (Keras Tokenizer and
 * pad_sequences semantics). `TextVectorization(max_tokens=N, output_sequence_length=L)` is the
 * same as `Tokenizer(num_words=N, oov_token="[UNK]")` with post-padding and post-truncation to L.
 */
function dataSection(p: PyPipeline): { section: Record<string, unknown>; origin?: string } | undefined {
  const out: Record<string, unknown> = { kind: 'text' };
  const int = (v: PyValue | undefined) => (typeof v === 'number' && Number.isInteger(v) && v >= 1 ? v : undefined);
  const str = (v: PyValue | undefined) => (typeof v === 'string' ? v : undefined);
  const side = (v: PyValue | undefined) => (v === 'pre' || v === 'post' ? v : undefined);
  const t = p.tokenizer;
  if (t?.cls === 'Tokenizer' && t.args.char_level !== true) {
    out.num_words = int(t.args.num_words);
    out.oov_token = str(t.args.oov_token) || undefined;
    out.lower = typeof t.args.lower === 'boolean' ? t.args.lower : undefined;
    out.filters = str(t.args.filters);
    out.split = str(t.args.split) || undefined;
  } else if (t?.cls === 'TextVectorization' && (t.args.output_mode ?? 'int') === 'int' && (t.args.split ?? 'whitespace') === 'whitespace') {
    const standardize = 'standardize' in t.args ? t.args.standardize : 'lower_and_strip_punctuation';
    out.num_words = int(t.args.max_tokens);
    out.oov_token = '[UNK]';
    if (standardize === 'lower_and_strip_punctuation' || standardize === 'strip_punctuation') out.filters = `${TOKENIZER_FILTERS}'`;
    else out.filters = standardize === 'lower' || standardize === null ? '' : undefined;
    if (standardize === 'strip_punctuation' || standardize === null) out.lower = false;
    out.maxlen = int(t.args.output_sequence_length);
    if (out.maxlen) {
      out.padding = 'post';
      out.truncating = 'post';
    }
  }
  if (p.pad) {
    out.maxlen = int(p.pad.maxlen) ?? out.maxlen;
    out.padding = side(p.pad.padding) ?? out.padding;
    out.truncating = side(p.pad.truncating) ?? out.truncating;
    if (typeof p.pad.value === 'number' && p.pad.value !== 0) out.pad_value = p.pad.value;
  }
  for (const key of Object.keys(out)) if (out[key] === undefined) delete out[key];
  return Object.keys(out).length > 1 ? { section: out, origin: p.origin } : undefined;
}

/** The fit settings the model file can hold (the arrays themselves cannot be expressed there). */
function trainingObject(fit: PyFit): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  for (const a of fit.args) {
    if (!a.keyword) continue;
    if ((a.key === 'epochs' || a.key === 'batch_size') && typeof a.value === 'number' && Number.isInteger(a.value) && a.value >= 1) out[a.key] = a.value;
    if (a.key === 'validation_split' && typeof a.value === 'number' && a.value >= 0 && a.value < 1) out.validation_split = a.value;
    if (a.key === 'shuffle' && typeof a.value === 'boolean') out.shuffle = a.value;
  }
  if (fit.earlyStopping) {
    // The settings the schema knows, with values it accepts (a monitor it does not offer is left out).
    const known = (modelSchema.properties?.training?.properties?.early_stopping?.properties ?? {}) as Record<string, SchemaNode>;
    const early = Object.fromEntries(Object.entries(fit.earlyStopping).filter(([k, v]) => known[k] && accepts(known[k], v)));
    out.early_stopping = early;
  }
  return Object.keys(out).length ? out : undefined;
}

function accepts(schema: SchemaNode, value: PyValue): boolean {
  if (schema.enum) return schema.enum.includes(value);
  if (schema.type === 'integer') return typeof value === 'number' && Number.isInteger(value) && value >= ((schema.minimum as number | undefined) ?? -Infinity);
  if (schema.type === 'number') return typeof value === 'number' && value >= ((schema.minimum as number | undefined) ?? -Infinity);
  return typeof value === schema.type;
}

function layerObject(layer: PyLayer, names: KerasNames, own: LayerNamer): Record<string, unknown> {
  const out: Record<string, unknown> = { type: layer.type };
  for (const a of layer.args) out[a.key] = jsonValue(a.value);
  // Keras creates a wrapped layer before its wrapper, so it takes its default name first.
  if (layer.inner) out.layer = layerObject(layer.inner, names, own);
  if (out.name === undefined) {
    const keras = names.layers.get(layer);
    if (keras !== own.next(layer.type) && keras) out.name = keras;
  }
  return out;
}

function compileObject(call: PyCall, optimizer?: PyOptimizer): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  for (const a of call.args) {
    const key = a.keyword ? a.key : ['optimizer', 'loss'][Number(a.key)];
    if ((key === 'optimizer' || key === 'loss') && typeof a.value === 'string') out[key] = a.value;
    if (key === 'metrics' && Array.isArray(a.value) && a.value.every((m) => typeof m === 'string')) out.metrics = a.value;
  }
  // `keras.optimizers.Adam(learning_rate=1e-3, clipnorm=1.0)`: the model file's optimizer name and settings.
  const known = (modelSchema.properties?.compile?.properties ?? {}) as Record<string, SchemaNode>;
  const name = optimizer?.name.toLowerCase();
  if (optimizer && name && accepts(known.optimizer, name)) {
    out.optimizer = name;
    for (const key of ['learning_rate', 'clipnorm']) {
      const v = optimizer.args[key];
      if (typeof v === 'number' && v > 0) out[key] = v;
    }
  }
  return out.loss || out.optimizer ? out : undefined;
}

/** Python tuples are JSON arrays; everything else is the same. */
function jsonValue(value: PyValue): unknown {
  return value;
}

function spanForPath(py: PyModel, origins: Origins, path: JsonPath): Span {
  if (path[0] === 'layers' && typeof path[1] === 'number') {
    let layer: PyLayer | undefined = origins.layers[path[1]];
    let rest = path.slice(2);
    if (layer && rest[0] === 'layer' && layer.inner) {
      layer = layer.inner;
      rest = rest.slice(1);
    }
    if (!layer) return py.span;
    const arg = typeof rest[0] === 'string' ? layer.args.find((a) => a.key === rest[0]) : undefined;
    if (arg) return typeof rest[1] === 'number' ? arg.valueSpan : arg.span;
    return layer.className;
  }
  if (path[0] === 'input' && py.input) return py.input.span;
  if (path[0] === 'dtype_policy' && py.dtypePolicy) return py.dtypePolicy.valueSpan;
  if (path[0] === 'compile' && py.compile) {
    const arg = py.compile.args.find((a) => a.key === path[1]);
    return arg ? arg.span : py.compile.call;
  }
  const calleeEnd = py.span.start + Math.max(1, Math.min(py.span.end - py.span.start, 10));
  return py.layers.length === 0 ? { start: py.span.start, end: calleeEnd } : py.span;
}

// ---- fixes ---------------------------------------------------------------------------------------

/**
 * A fix of the generated JSON, as edits of the Python text: the JSON edits are applied, the two
 * model objects compared, and each changed setting becomes a change of its argument (or a new
 * keyword argument in the call's own layout). A fix that changes what the Python cannot take
 * this way is left out.
 */
function mapFix(fix: Fix, json: string, before: Record<string, unknown>, py: PyModel, text: string, lines: LineIndex): Fix | undefined {
  let after: Record<string, unknown>;
  try {
    after = JSON.parse(applyEdits(json, fix.edits));
  } catch {
    return undefined;
  }
  const edits: TextEdit[] = [];
  const edit = (span: Span, newText: string) => edits.push({ offset: span.start, length: span.end - span.start, range: lines.range(span.start, span.end - span.start), newText });
  const layersBefore = before.layers as Record<string, unknown>[];
  const layersAfter = after.layers as Record<string, unknown>[] | undefined;
  if (!Array.isArray(layersAfter) || layersAfter.length !== layersBefore.length) return undefined;
  for (const key of Object.keys({ ...before, ...after })) {
    if (key === 'layers') continue;
    if (JSON.stringify(before[key]) === JSON.stringify(after[key])) continue;
    if (key === 'input' && py.input) {
      const shape = (after.input as { shape?: unknown })?.shape;
      if (!Array.isArray(shape)) return undefined;
      const value = py.input.from === 'input_length' ? String(shape[0]) : pyLiteral(shape);
      if (py.input.from === 'input_length' && shape.length !== 1) return undefined;
      edit(py.input.valueSpan, value);
      continue;
    }
    if (key === 'dtype_policy' && py.dtypePolicy && typeof after.dtype_policy === 'string') {
      edit(py.dtypePolicy.valueSpan, pyLiteral(after.dtype_policy));
      continue;
    }
    if (key === 'compile' && py.compile) {
      const b = (before.compile ?? {}) as Record<string, unknown>;
      const a = (after.compile ?? {}) as Record<string, unknown>;
      // Settings of an optimizer object live in its own call, not in compile's arguments.
      const ownKeys = py.optimizer ? ['loss', 'metrics'] : ['loss', 'metrics', 'optimizer'];
      if (Object.keys({ ...b, ...a }).some((k) => JSON.stringify(b[k]) !== JSON.stringify(a[k]) && !ownKeys.includes(k))) return undefined;
      if (!diffCall(py.compile, b, a, text, edit)) return undefined;
      continue;
    }
    return undefined;
  }
  for (let i = 0; i < layersBefore.length; i++) {
    if (!diffLayer(py.layers[i], layersBefore[i], layersAfter[i], text, edit)) return undefined;
  }
  if (edits.length === 0) return undefined;
  return { ...fix, title: pythonWords(fix.title), edits };
}

function diffLayer(layer: PyLayer, before: Record<string, unknown>, after: Record<string, unknown>, text: string, edit: (span: Span, newText: string) => void): boolean {
  if (JSON.stringify(before) === JSON.stringify(after)) return true;
  if (before.type !== after.type) {
    if (typeof after.type !== 'string') return false;
    edit(layer.className, after.type);
  }
  if (layer.inner && after.layer && JSON.stringify(before.layer) !== JSON.stringify(after.layer)) {
    if (!diffLayer(layer.inner, before.layer as Record<string, unknown>, after.layer as Record<string, unknown>, text, edit)) return false;
  }
  const rest = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([k]) => k !== 'type' && k !== 'layer'));
  return diffCall(layer, rest(before), rest(after), text, edit);
}

/** Changed, added and removed keyword settings of one call. */
function diffCall(call: { args: PyArg[]; argList: Span; multiline: { indent: string } | undefined }, before: Record<string, unknown> = {}, after: Record<string, unknown> = {}, text: string, edit: (span: Span, newText: string) => void): boolean {
  const added: string[] = [];
  for (const key of Object.keys({ ...before, ...after })) {
    if (JSON.stringify(before[key]) === JSON.stringify(after[key])) continue;
    const arg = call.args.find((a) => a.key === key);
    if (!(key in after)) {
      if (!arg) return false;
      edit(removalSpan(arg, call.args, text), '');
    } else if (arg) edit(arg.valueSpan, pyLiteral(after[key]));
    else added.push(`${key}=${pyLiteral(after[key])}`);
  }
  if (added.length > 0) {
    const last = call.args.length > 0 ? call.args.reduce((a, b) => (a.span.end > b.span.end ? a : b)) : undefined;
    // The last argument of the call as written (input_shape= etc. are not in `args`): the text before `)`.
    const close = call.argList.end - 1;
    const inside = text.slice(call.argList.start + 1, close);
    const trailing = /,\s*$/.test(inside.replace(/#[^\n]*$/gm, ''));
    if (call.multiline) {
      const lastLineEnd = text.slice(0, close).replace(/\s*$/, '').length;
      const before = text.slice(0, lastLineEnd);
      edit({ start: lastLineEnd, end: lastLineEnd }, `${trailing || before.endsWith(',') ? '' : ','}\n${call.multiline.indent}${added.join(`,\n${call.multiline.indent}`)}${trailing ? ',' : ''}`);
    } else if (inside.trim() === '') {
      edit({ start: call.argList.start + 1, end: close }, added.join(', '));
    } else {
      const end = text.slice(0, close).replace(/[\s,]*$/, '').length;
      void last;
      edit({ start: end, end }, `, ${added.join(', ')}`);
    }
  }
  return true;
}

function removalSpan(arg: PyArg, args: PyArg[], text: string): Span {
  const index = args.indexOf(arg);
  const previous = args[index - 1];
  if (previous) return { start: text.slice(0, arg.span.start).replace(/[\s,]*$/, '').length, end: arg.span.end };
  const after = /^[\s,]*/.exec(text.slice(arg.span.end))![0].length;
  return { start: arg.span.start, end: arg.span.end + (args[index + 1] ? after : 0) };
}

/** A JSON value as Python source: `True`, `None`, tuples for shapes, quoted strings. */
export function pyLiteral(value: unknown): string {
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'string') return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (Array.isArray(value)) return value.length === 1 ? `(${pyLiteral(value[0])},)` : `(${value.map(pyLiteral).join(', ')})`;
  return String(value);
}

/** The engine's JSON wording in Python: `Set "return_sequences": true` -> `Set return_sequences=True`. */
function pythonWords(title: string): string {
  return title.replace(/"(\w+)": (true|false|null|"[^"]*"|[-\d.]+|\[[^\]]*\])/g, (_m, key: string, value: string) => `${key}=${pyLiteral(JSON.parse(value))}`);
}

function applyEdits(text: string, edits: TextEdit[]): string {
  const sorted = [...edits].sort((a, b) => b.offset - a.offset);
  let out = text;
  for (const e of sorted) out = out.slice(0, e.offset) + e.newText + out.slice(e.offset + e.length);
  return out;
}
