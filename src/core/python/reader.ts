import type { Node, Tree } from 'web-tree-sitter';
import { LAYER_TYPES, layerSchema } from '../schema';

/**
 * Reads Keras Sequential models from a Python syntax tree: `Sequential([...])` (any spelling that
 * resolves to Keras: `keras.Sequential`, `tf.keras.models.Sequential`, an imported `Sequential`),
 * `Sequential()` followed by `model.add(...)`, layers by class name with import aliases, Keras 3's
 * positional argument order, module constants with simple arithmetic, and a model built in a
 * function from a parameter, once per call site. What cannot be evaluated is a note, never a guess.
 * The result keeps every value's position in the text so that diagnostics and fixes land on it.
 */

/** Offsets into the text (UTF-16, like JavaScript strings). */
export interface Span {
  start: number;
  end: number;
}

export type PyValue = number | string | boolean | null | PyValue[];

export interface PyArg {
  /** Keras' argument name (positional arguments get theirs from Keras 3's order). */
  key: string;
  value: PyValue;
  /** The whole argument (`units=64` or `64`). */
  span: Span;
  valueSpan: Span;
  keyword: boolean;
}

export interface PyLayer {
  type: string;
  call: Span;
  /** The class name in the call (`LSTM` of `layers.LSTM`), where a change of type goes. */
  className: Span;
  /** The parentheses of the call. */
  argList: Span;
  args: PyArg[];
  inner?: PyLayer;
  /** The argument list spans multiple lines with a trailing comma: new arguments get a line each. */
  multiline: { indent: string } | undefined;
}

export interface PyNote {
  severity: 'info' | 'warning';
  code: string;
  message: string;
  span: Span;
}

export interface PyInput {
  shape: (number | null)[];
  dtype?: string;
  /** Where the shape is written: the `input_shape=` argument, the `Input(...)` call, or `input_length=`. */
  span: Span;
  valueSpan: Span;
  from: 'input_shape' | 'Input' | 'input_length';
}

export interface PyCall {
  call: Span;
  argList: Span;
  args: PyArg[];
  multiline: { indent: string } | undefined;
}

/** `compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3))`: the class and its constant arguments. */
export interface PyOptimizer {
  name: string;
  args: Record<string, PyValue>;
}

/** An array whose shape the code shows (`np.random.rand(100, 30)`, `.reshape(...)`, a list literal). */
export interface PyArray {
  /** Its shape, or null for a ragged list of lists (NumPy 2 refuses to make an array of it). */
  shape: number[] | null;
  /** The expression that made it (where a ragged-list problem is reported). */
  madeAt: Span;
  /** For a ragged list of number lists: the longest row, and the tutorial's repair of `madeAt`. */
  ragged?: { longest: number; padded?: string };
}

export interface PyFit extends PyCall {
  /** The `x` argument and the array it is, when the code shows its shape. */
  x?: { span: Span; text: string; array: PyArray };
  /** How the code makes `x` from texts, as far as it shows it. */
  pipeline?: PyPipeline;
  /** The arguments of an `EarlyStopping(...)` in `callbacks=[...]`, as far as they are constants. */
  earlyStopping?: Record<string, PyValue>;
}

/** The text preprocessing behind fit's `x`: Keras' own argument names and the values the code gives. */
export interface PyPipeline {
  tokenizer?: { cls: 'Tokenizer' | 'TextVectorization'; args: Record<string, PyValue> };
  pad?: Record<string, PyValue>;
  /** The expression the samples come from, where the trace stops (`imdb.load_data(...)`, a list). */
  origin?: string;
}

/** `keras.mixed_precision.set_global_policy(...)` (or `keras.config.set_dtype_policy(...)`) in force for a model. */
export interface PyDtypePolicy {
  /** The policy's name (`Policy("mixed_bfloat16")` reads as its name), or null when not evaluable (said in a note). */
  value: string | null;
  call: Span;
  /** The argument naming the policy, where a problem with it is reported and a fix goes. */
  valueSpan: Span;
}

export interface PyModel {
  /** The Python name the model is bound to (`model`, `self.model`), or null. */
  variable: string | null;
  /** The `Sequential(...)` call. */
  span: Span;
  /** `name=` of the Sequential call. */
  name?: string;
  layers: PyLayer[];
  input?: PyInput;
  compile?: PyCall;
  /** The optimizer of `compile` when it is an object rather than a name. */
  optimizer?: PyOptimizer;
  fits: PyFit[];
  notes: PyNote[];
  /** Shapes stop here: a layer or argument that could not be evaluated (said in a note). */
  truncated: boolean;
  /** For a model built in a function: the call that this model stands for. */
  callSite?: Span;
  /** The last global dtype policy set before the model is built. */
  dtypePolicy?: PyDtypePolicy;
}

const KNOWN_CLASSES = new Set([...LAYER_TYPES, 'Input', 'InputLayer', 'Sequential']);

/** Keras 3's positional order of the arguments that matter here. */
const POSITIONAL: Record<string, string[]> = {
  Embedding: ['input_dim', 'output_dim', 'embeddings_initializer', 'embeddings_regularizer', 'embeddings_constraint', 'mask_zero'],
  SimpleRNN: ['units', 'activation', 'use_bias'],
  LSTM: ['units', 'activation', 'recurrent_activation', 'use_bias'],
  GRU: ['units', 'activation', 'recurrent_activation', 'use_bias'],
  Bidirectional: ['layer', 'merge_mode', 'weights', 'backward_layer'],
  TimeDistributed: ['layer'],
  Dense: ['units', 'activation', 'use_bias'],
  Dropout: ['rate', 'noise_shape', 'seed'],
  SpatialDropout1D: ['rate', 'seed'],
  Conv1D: ['filters', 'kernel_size', 'strides', 'padding', 'data_format', 'dilation_rate', 'groups', 'activation', 'use_bias'],
  MaxPooling1D: ['pool_size', 'strides', 'padding', 'data_format'],
  AveragePooling1D: ['pool_size', 'strides', 'padding', 'data_format'],
  GlobalMaxPooling1D: ['data_format', 'keepdims'],
  GlobalAveragePooling1D: ['data_format', 'keepdims'],
  Flatten: ['data_format'],
  RepeatVector: ['n'],
  Reshape: ['target_shape'],
  Activation: ['activation'],
  LayerNormalization: ['axis', 'epsilon', 'center', 'scale'],
  BatchNormalization: ['axis', 'momentum', 'epsilon', 'center', 'scale'],
  Input: ['shape', 'batch_size', 'dtype'],
  InputLayer: ['shape', 'batch_size', 'dtype'],
  Sequential: ['layers', 'trainable', 'name'],
  // Text preprocessing, read for Convert to .rnn.json.
  pad_sequences: ['sequences', 'maxlen', 'dtype', 'padding', 'truncating', 'value'],
  // Every Keras optimizer takes the learning rate first.
  optimizer: ['learning_rate'],
  EarlyStopping: ['monitor', 'min_delta', 'patience', 'verbose', 'mode', 'baseline', 'restore_best_weights', 'start_from_epoch'],
  Tokenizer: ['num_words', 'filters', 'lower', 'split', 'char_level', 'oov_token', 'analyzer'],
  TextVectorization: ['max_tokens', 'standardize', 'split', 'ngrams', 'output_mode', 'output_sequence_length', 'pad_to_max_tokens', 'vocabulary'],
};

/** Keras arguments that change neither shapes nor counts: read past without a word. */
const NEUTRAL = /^(.*_(initializer|regularizer|constraint)|dtype|trainable|seed|noise_shape|weights|stateful|unroll|implementation|time_major|sparse|lora_rank|lora_alpha|autocast|batch_size|unit_forget_bias|use_cudnn|synchronized|rms_scaling|zero_output_for_mask)$/;

/** Keras arguments that change shapes or counts in ways the model file cannot express. */
function unsupported(key: string, value: PyValue): string | undefined {
  if (key === 'return_state' && value === true) return 'return_state=True makes the layer return a list of tensors';
  if (key === 'keepdims' && value === true) return 'keepdims=True';
  if (key === 'groups' && value !== 1) return `groups=${String(value)}`;
  if (key === 'data_format' && value !== 'channels_last') return `data_format=${JSON.stringify(value)}`;
  if (key === 'backward_layer') return 'a separate backward_layer';
  return undefined;
}

class NotEvaluable {
  constructor(
    readonly reason: string,
    readonly span: Span,
  ) {}
}

type Bindings = Map<string, { node: Node; scope: Scope }>;

/** An assignment's statement in a block: a plain `name = value`, or a binding whose value depends on the run. */
interface Binding {
  kind: 'plain' | 'inside' | 'changed' | 'unpacking';
  statementType: string;
  start: number;
  end: number;
  right: Node | null;
}

interface Scope {
  /** The block whose direct assignments are visible (module or function body). */
  block: Node;
  /** Values of a function's parameters at one call site. */
  bindings?: Bindings;
  parent?: Scope;
  /** Offset the lookups are made from (the use, or the call site for a function's body). */
  at: number;
}

export function readKerasModels(tree: Tree, text: string): PyModel[] {
  return readKeras(tree, text).models;
}

/** A Keras layer the code creates outside the models read (`SimpleRNN(64)` on its own line). */
export interface PyStrayLayer {
  type: string;
  start: number;
}

/**
 * The models, and the layers created at module level outside them: Keras numbers default names
 * per session, so `SimpleRNN(64)` on its own makes the next model's SimpleRNN `simple_rnn_1`.
 */
export function readKeras(tree: Tree, text: string): { models: PyModel[]; strayLayers: PyStrayLayer[]; sessionResets: number[] } {
  const reader = new Reader(tree, text);
  const models = reader.read();
  return { models, strayLayers: reader.strayLayers(), sessionResets: reader.sessionResets() };
}

class Reader {
  private readonly root: Node;
  /** Local name -> Keras class for `from keras.layers import LSTM as L`. */
  private readonly classAliases = new Map<string, string>();
  /** Names bound to Keras or TensorFlow modules (`tf`, `keras`, `layers`, `kl`). */
  private readonly moduleNames = new Set<string>();
  /** Names bound in the file to something else (a bare `Dense` that is not Keras' Dense). */
  private readonly otherNames = new Set<string>();
  private readonly models: PyModel[] = [];
  // One walk of the tree indexes what the reader looks up (tree-sitter's node access costs a
  // crossing into WebAssembly each time: no walk per lookup).
  private calls: Node[] = [];
  /** `name(...)` calls by name, for a function's call sites. */
  private readonly callsByName = new Map<string, Node[]>();
  /** `object.method(...)` calls by `object.method`, for `model.add` / `compile` / `fit`. */
  private readonly methodCallsByName = new Map<string, Node[]>();
  /** Assignments by each name they bind. */
  private readonly assignmentsByName = new Map<string, Node[]>();

  constructor(
    tree: Tree,
    private readonly text: string,
  ) {
    this.root = tree.rootNode;
  }

  read(): PyModel[] {
    const nodes = this.root.descendantsOfType(['call', 'assignment', 'augmented_assignment', 'import_statement', 'import_from_statement', 'function_definition', 'class_definition']);
    const push = (map: Map<string, Node[]>, key: string, node: Node) => (map.get(key) ?? map.set(key, []).get(key)!).push(node);
    const declarations: Node[] = [];
    for (const node of nodes) {
      if (!node) continue;
      if (node.type === 'call') {
        this.calls.push(node);
        const fn = node.childForFieldName('function');
        if (fn?.type === 'identifier') push(this.callsByName, fn.text, node);
        else if (fn?.type === 'attribute') push(this.methodCallsByName, fn.text, node);
      } else if (node.type === 'assignment' || node.type === 'augmented_assignment') {
        const left = node.childForFieldName('left');
        if (left?.type === 'identifier') push(this.assignmentsByName, left.text, node);
        else if (left && ['pattern_list', 'tuple_pattern', 'list_pattern'].includes(left.type)) {
          // Nested patterns too: `(X_train, y_train), (X_test, y_test) = imdb.load_data()`.
          const patterns = ['pattern_list', 'tuple_pattern', 'list_pattern', 'parenthesized_expression', 'tuple', 'list'];
          for (const id of left.descendantsOfType('identifier')) if (id && patterns.includes(id.parent?.type ?? '')) push(this.assignmentsByName, id.text, node);
        }
      } else declarations.push(node);
    }
    this.collectImports(declarations);
    this.findModels();
    this.applyDtypePolicies();
    this.models.sort((a, b) => (a.callSite ?? a.span).start - (b.callSite ?? b.span).start || a.span.start - b.span.start);
    return this.models;
  }

  /** Layer calls read as a model's layer (by node id). */
  private readonly layerCalls = new Set<number>();

  /** Offsets of module-level `keras.backend.clear_session()` calls: Keras' default names start again there. */
  sessionResets(): number[] {
    return this.calls.filter((c) => /(^|\.)clear_session$/.test(c.childForFieldName('function')?.text ?? '') && !hasAncestor(c, ['function_definition', 'lambda'])).map((c) => c.startIndex);
  }

  strayLayers(): PyStrayLayer[] {
    const out: PyStrayLayer[] = [];
    for (const call of this.calls) {
      if (this.layerCalls.has(call.id)) continue;
      const cls = this.kerasClass(call.childForFieldName('function'));
      if (!cls || !LAYER_TYPES.includes(cls.name)) continue;
      // Inside a function, a loop or a comprehension it runs an unknown number of times: not counted.
      if (hasAncestor(call, ['function_definition', 'lambda', 'for_statement', 'while_statement', 'list_comprehension', 'generator_expression', 'dictionary_comprehension', 'set_comprehension'])) continue;
      const named = call.childForFieldName('arguments')?.namedChildren.some((a) => a?.type === 'keyword_argument' && a.childForFieldName('name')?.text === 'name');
      if (!named) out.push({ type: cls.name, start: call.startIndex });
    }
    return out;
  }

  // ---- names -----------------------------------------------------------------------------------

  private collectImports(declarations: Node[]): void {
    for (const node of declarations) {
      if (node.type === 'function_definition' || node.type === 'class_definition') {
        const name = node.childForFieldName('name')?.text;
        if (name) this.otherNames.add(name);
        continue;
      }
      if (node.type === 'import_statement') {
        for (const child of node.namedChildren) {
          if (!child) continue;
          const dotted = child.type === 'aliased_import' ? child.childForFieldName('name')?.text : child.text;
          const local = child.type === 'aliased_import' ? child.childForFieldName('alias')?.text : dotted?.split('.')[0];
          if (dotted && local && /\b(keras|tensorflow)\b/.test(dotted)) this.moduleNames.add(local);
        }
        continue;
      }
      const module = node.childForFieldName('module_name')?.text ?? '';
      const fromKeras = /\b(keras|tensorflow)\b/.test(module);
      for (const child of node.namedChildren) {
        if (!child || child === node.childForFieldName('module_name')) continue;
        const name = child.type === 'aliased_import' ? child.childForFieldName('name')?.text : child.type === 'dotted_name' ? child.text : undefined;
        const local = child.type === 'aliased_import' ? child.childForFieldName('alias')?.text : name;
        if (!name || !local) continue;
        if (!fromKeras) this.otherNames.add(local);
        else if (KNOWN_CLASSES.has(name)) this.classAliases.set(local, name);
        else this.moduleNames.add(local);
      }
    }
  }

  /** The Keras class a call's function names, or undefined. */
  private kerasClass(fn: Node | null): { name: string; nameNode: Node } | undefined {
    if (!fn) return undefined;
    if (fn.type === 'identifier') {
      const alias = this.classAliases.get(fn.text);
      if (alias) return { name: alias, nameNode: fn };
      // A bare class name (snippets often leave out the imports) unless the file binds it to something else.
      if (KNOWN_CLASSES.has(fn.text) && !this.otherNames.has(fn.text)) return { name: fn.text, nameNode: fn };
      return undefined;
    }
    if (fn.type === 'attribute') {
      const attr = fn.childForFieldName('attribute');
      if (!attr || !KNOWN_CLASSES.has(attr.text)) return undefined;
      let root: Node | null = fn.childForFieldName('object');
      while (root && root.type === 'attribute') root = root.childForFieldName('object');
      if (!root || root.type !== 'identifier') return undefined;
      if (this.moduleNames.has(root.text) || ['tf', 'keras', 'layers'].includes(root.text)) return { name: attr.text, nameNode: attr };
    }
    return undefined;
  }

  // ---- global dtype policy ---------------------------------------------------------------------

  /**
   * Keras' global dtype policy is process state: each model gets the last `set_global_policy` /
   * `set_dtype_policy` call written before it is built (its call site for a model built in a function).
   */
  private applyDtypePolicies(): void {
    const setters = this.calls.filter((call) => this.isPolicySetter(call.childForFieldName('function')));
    if (setters.length === 0) return;
    for (const model of this.models) {
      const at = (model.callSite ?? model.span).start;
      const call = setters.filter((c) => c.startIndex < at).pop();
      if (!call) continue;
      const scope: Scope = { block: this.root, at: call.startIndex };
      const arg = this.callArgs(call, '').find((a) => a.key === 'policy' || a.key === 'positional argument 1');
      if (!arg) continue;
      // `Policy("mixed_bfloat16")` / `DTypePolicy(name=...)`: the policy object's name.
      const named = arg.node.type === 'call' && /(^|\.)(DTypePolicy|Policy)$/.test(arg.node.childForFieldName('function')?.text ?? '') ? this.callArgs(arg.node, '').find((a) => a.key === 'name' || a.key === 'positional argument 1')?.node : arg.node;
      const value = named ? this.evaluate(named, scope) : new NotEvaluable(`\`${clip(arg.node.text)}\` is computed when the code runs`, spanOf(arg.node));
      model.dtypePolicy = { value: typeof value === 'string' ? value : null, call: spanOf(call), valueSpan: spanOf(named ?? arg.node) };
      if (typeof value !== 'string') {
        const why = value instanceof NotEvaluable ? value.reason : `\`${clip(arg.node.text)}\` is not a policy name`;
        this.note(model, `${why}; RNN Studio does not run the code, so it assumes Keras' default dtype policy float32 for this model.`, call);
      }
    }
  }

  /** `keras.mixed_precision.set_global_policy`, `tf.keras.mixed_precision.set_global_policy`, `keras.config.set_dtype_policy`, or one imported from Keras. */
  private isPolicySetter(fn: Node | null): boolean {
    if (!fn) return false;
    const name = fn.type === 'attribute' ? fn.childForFieldName('attribute')?.text : fn.type === 'identifier' ? fn.text : undefined;
    if (name !== 'set_global_policy' && name !== 'set_dtype_policy') return false;
    if (fn.type === 'identifier') return this.moduleNames.has(fn.text) && !this.otherNames.has(fn.text);
    let root: Node | null = fn.childForFieldName('object');
    while (root && root.type === 'attribute') root = root.childForFieldName('object');
    return !!root && root.type === 'identifier' && (this.moduleNames.has(root.text) || ['tf', 'keras', 'mixed_precision'].includes(root.text));
  }

  // ---- walking ---------------------------------------------------------------------------------

  /** Every `Sequential(...)` call, read where it is: in the module, or in a function per call site. */
  private findModels(): void {
    const byFunction = new Map<number, { fn: Node; calls: Node[] }>();
    let insideUntil = -1;
    for (const call of this.calls) {
      if (call.startIndex < insideUntil) continue; // calls in a model's arguments are its layers
      const fnText = call.childForFieldName('function')?.text ?? '';
      if (!fnText.endsWith('Sequential') && !this.classAliases.has(fnText)) continue;
      if (this.kerasClass(call.childForFieldName('function'))?.name !== 'Sequential') continue;
      insideUntil = call.endIndex;
      const fn = enclosingFunction(call);
      if (!fn) {
        this.readSequential(call, { block: this.root, at: call.startIndex });
        continue;
      }
      const entry = byFunction.get(fn.id) ?? byFunction.set(fn.id, { fn, calls: [] }).get(fn.id)!;
      entry.calls.push(call);
    }
    for (const { fn, calls } of byFunction.values()) this.visitFunction(fn, calls);
  }

  /** A model built inside a function: read once per call site that passes values; else once as it is. */
  private visitFunction(fn: Node, sequentials: Node[]): void {
    const body = fn.childForFieldName('body');
    if (!body) return;
    const name = fn.childForFieldName('name')?.text;
    const params = this.parameters(fn);
    const usesParams = sequentials.some((s) => this.identifiersIn(s).some((id) => params.some((p) => p.name === id)));
    const sites = name && usesParams ? this.callSites(name) : [];
    if (sites.length === 0) {
      for (const seq of sequentials) this.readSequential(seq, { block: body, at: seq.startIndex, bindings: new Map(), parent: { block: this.root, at: seq.startIndex } });
      return;
    }
    for (const site of sites) {
      const bindings: Bindings = new Map();
      const siteScope: Scope = { block: this.root, at: site.startIndex };
      const args = site.childForFieldName('arguments')?.namedChildren.filter((a): a is Node => !!a) ?? [];
      let position = 0;
      for (const arg of args) {
        if (arg.type === 'keyword_argument') {
          const key = arg.childForFieldName('name')?.text;
          const value = arg.childForFieldName('value');
          if (key && value) bindings.set(key, { node: value, scope: siteScope });
        } else if (arg.type !== 'list_splat' && arg.type !== 'dictionary_splat' && arg.type !== 'comment') {
          const param = params[position++];
          if (param) bindings.set(param.name, { node: arg, scope: siteScope });
        }
      }
      for (const p of params) if (!bindings.has(p.name) && p.default) bindings.set(p.name, { node: p.default, scope: { block: this.root, at: fn.startIndex } });
      for (const seq of sequentials) {
        this.readSequential(seq, { block: body, at: seq.startIndex, bindings, parent: siteScope }, { start: site.startIndex, end: site.endIndex });
      }
    }
  }

  private parameters(fn: Node): { name: string; default?: Node }[] {
    const out: { name: string; default?: Node }[] = [];
    for (const p of fn.childForFieldName('parameters')?.namedChildren ?? []) {
      if (!p) continue;
      if (p.type === 'identifier') out.push({ name: p.text });
      else if (p.type === 'default_parameter' || p.type === 'typed_default_parameter') {
        const n = p.childForFieldName('name')?.text;
        if (n) out.push({ name: n, default: p.childForFieldName('value') ?? undefined });
      } else if (p.type === 'typed_parameter') {
        const n = p.namedChildren.find((c) => c?.type === 'identifier')?.text;
        if (n) out.push({ name: n });
      }
    }
    if (out[0]?.name === 'self') out.shift();
    return out;
  }

  private callSites(name: string): Node[] {
    return this.callsByName.get(name) ?? [];
  }

  private identifiersIn(node: Node): string[] {
    return node.descendantsOfType('identifier').map((n) => n?.text ?? '');
  }

  // ---- models ----------------------------------------------------------------------------------

  private readSequential(call: Node, scope: Scope, callSite?: Span): PyModel | undefined {
    const model: PyModel = { variable: null, span: spanOf(call), layers: [], fits: [], notes: [], truncated: false, callSite };
    const { variable, statement, block } = this.binding(call);
    model.variable = variable;
    const args = this.callArgs(call, 'Sequential');
    const layersArg = args.find((a) => a.key === 'layers');
    const nameArg = args.find((a) => a.key === 'name');
    if (nameArg) {
      const name = this.evaluate(nameArg.node, scope);
      if (typeof name === 'string') model.name = name;
    }
    const elements: { node: Node; scope: Scope }[] = [];
    if (layersArg) {
      const list = this.resolveNode(layersArg.node, scope);
      if (list && (list.node.type === 'list' || list.node.type === 'tuple')) {
        for (const el of list.node.namedChildren) if (el && el.type !== 'comment') elements.push({ node: el, scope: list.scope });
      } else {
        this.note(model, `The layers of this Sequential are not a list written in the code (\`${clip(layersArg.node.text)}\`), so RNN Studio cannot read them.`, layersArg.node);
        model.truncated = true;
      }
    }
    // `model = Sequential()` then `model.add(layer)` statements in the same block.
    if (variable && statement && block) {
      // Up to the next plain assignment of the variable in the same block.
      let until = Infinity;
      for (const a of this.assignmentsByName.get(variable) ?? []) {
        const top = this.statementIn(a, block);
        if (top && top.startIndex > statement.startIndex && top.type === 'expression_statement') until = Math.min(until, top.startIndex);
      }
      for (const added of this.methodCalls(variable, 'add', block, statement.endIndex, until)) {
        if (added.nested) {
          this.note(model, `\`${variable}.add(...)\` inside a ${added.nested} is not evaluated: RNN Studio reads layers added by plain statements only.`, added.call);
          model.truncated = true;
          continue;
        }
        const arg = added.call.childForFieldName('arguments')?.namedChildren.find((a) => a && a.type !== 'comment');
        if (arg) elements.push({ node: arg, scope: { ...scope, at: arg.startIndex } });
      }
      this.readTraining(model, variable, statement, block, until, scope);
      this.readTrainingAfterReturn(model, variable, block, scope);
    }
    this.readLayers(model, elements);
    this.models.push(model);
    return model;
  }

  /** `variable.compile(...)` and `variable.fit(...)` after the statement that binds the model. */
  private readTraining(model: PyModel, variable: string, statement: Node, block: Node, until: number, scope: Scope): void {
    for (const c of this.methodCalls(variable, 'compile', block, statement.endIndex, until)) {
      if (c.nested) continue;
      model.compile = this.plainCall(c.call, scope);
      model.optimizer = this.optimizerOf(c.call, scope);
    }
    for (const c of this.methodCalls(variable, 'fit', block, statement.endIndex, until)) model.fits.push(this.fitCall(c.call, scope));
  }

  /**
   * A model a function builds and returns (`def build(): model = Sequential(...); return model`):
   * the training calls on what its callers bind it to (`m = build()` then `m.fit(X, y)`).
   */
  private readTrainingAfterReturn(model: PyModel, variable: string, body: Node, scope: Scope): void {
    const fn = body.parent;
    if (fn?.type !== 'function_definition' || !scope.bindings) return;
    const returns = body.namedChildren.some((st) => st?.type === 'return_statement' && st.namedChildren[0]?.text === variable);
    const name = fn.childForFieldName('name')?.text;
    if (!returns || !name) return;
    const site = model.callSite;
    for (const call of this.callSites(name)) {
      if (site && call.startIndex !== site.start) continue;
      const bound = this.binding(call);
      if (!bound.variable || !bound.statement || !bound.block) continue;
      const outer: Scope = { block: bound.block, at: call.startIndex };
      let until = Infinity;
      for (const a of this.assignmentsByName.get(bound.variable) ?? []) {
        const top = this.statementIn(a, bound.block);
        if (top && top.startIndex > bound.statement.startIndex && top.type === 'expression_statement') until = Math.min(until, top.startIndex);
      }
      this.readTraining(model, bound.variable, bound.statement, bound.block, until, outer);
    }
  }

  private readLayers(model: PyModel, elements: { node: Node; scope: Scope }[]): void {
    elements.forEach(({ node, scope }, index) => {
      if (model.truncated) return;
      const resolved = this.resolveNode(node, scope);
      if (!resolved || resolved.node.type !== 'call') {
        this.note(model, resolved ? `\`${clip(node.text)}\` is not a Keras layer call that RNN Studio can read; shapes after it are not computed.` : this.unresolvedWhy(node, scope), node);
        model.truncated = true;
        return;
      }
      const cls = this.kerasClass(resolved.node.childForFieldName('function'));
      if (cls && (cls.name === 'Input' || cls.name === 'InputLayer')) {
        if (index !== 0 || model.input) {
          this.note(model, `An ${cls.name} must come first in a Sequential model.`, node, 'warning');
          return;
        }
        this.readInputCall(model, resolved.node, resolved.scope, cls.name);
        return;
      }
      const layer = this.readLayer(model, resolved.node, resolved.scope, node);
      if (!layer) {
        model.truncated = true;
        return;
      }
      model.layers.push(layer);
    });
  }

  private readInputCall(model: PyModel, call: Node, scope: Scope, cls: string): void {
    const args = this.callArgs(call, cls);
    const shapeArg = args.find((a) => a.key === 'shape' || a.key === 'input_shape') ?? args.find((a) => a.key === 'batch_shape');
    if (!shapeArg) {
      this.note(model, `This ${cls} has no shape that RNN Studio can read.`, call);
      model.truncated = true;
      return;
    }
    const value = this.evaluateArg(model, shapeArg.node, scope);
    const shape = toShape(value, shapeArg.key === 'batch_shape');
    if (!shape) {
      if (!(value instanceof NotEvaluable)) this.note(model, `The input shape \`${clip(shapeArg.node.text)}\` is not a tuple of sizes.`, shapeArg.node, 'warning');
      model.truncated = true;
      return;
    }
    const dtype = args.find((a) => a.key === 'dtype');
    const dtypeValue = dtype ? this.evaluate(dtype.node, scope) : undefined;
    model.input = { shape, span: spanOf(call), valueSpan: spanOf(shapeArg.node), from: 'Input', dtype: typeof dtypeValue === 'string' ? dtypeValue : undefined };
  }

  /** One layer call; notes and undefined when it cannot be read. */
  private readLayer(model: PyModel, call: Node, scope: Scope, written: Node): PyLayer | undefined {
    const cls = this.kerasClass(call.childForFieldName('function'));
    if (!cls || !LAYER_TYPES.includes(cls.name)) {
      const fn = call.childForFieldName('function')?.text ?? '?';
      this.note(model, `\`${clip(fn)}(...)\` is not a layer RNN Studio knows (${LAYER_TYPES.join(', ')}); shapes after it are not computed.`, written);
      return undefined;
    }
    this.layerCalls.add(call.id);
    const argList = call.childForFieldName('arguments')!;
    const layer: PyLayer = { type: cls.name, call: spanOf(call), className: spanOf(cls.nameNode), argList: spanOf(argList), args: [], multiline: this.multiline(argList) };
    const schemaKeys = Object.keys(layerSchema(cls.name)?.properties ?? {});
    for (const arg of this.callArgs(call, cls.name)) {
      if (arg.key === 'layer' && (cls.name === 'Bidirectional' || cls.name === 'TimeDistributed')) {
        const inner = this.resolveNode(arg.node, scope);
        if (!inner || inner.node.type !== 'call') {
          this.note(model, inner ? `\`${clip(arg.node.text)}\` is not a layer call RNN Studio can read.` : this.unresolvedWhy(arg.node, scope), arg.node);
          return undefined;
        }
        const innerLayer = this.readLayer(model, inner.node, inner.scope, arg.node);
        if (!innerLayer) return undefined;
        layer.inner = innerLayer;
        continue;
      }
      if (arg.key.startsWith('*')) {
        this.note(model, `\`${clip(arg.node.text)}\` unpacks arguments RNN Studio cannot see; shapes from here on are not computed.`, arg.node);
        return undefined;
      }
      const value = this.evaluateArg(model, arg.node, scope);
      if (value instanceof NotEvaluable) return undefined;
      const pyArg: PyArg = { key: arg.key, value, span: spanOf(arg.whole), valueSpan: spanOf(arg.node), keyword: arg.keyword };
      if (arg.key === 'input_shape' || arg.key === 'batch_input_shape') {
        const shape = toShape(value, arg.key === 'batch_input_shape');
        if (model.layers.length === 0 && !model.input && shape) model.input = { shape, span: pyArg.span, valueSpan: pyArg.valueSpan, from: 'input_shape' };
        continue;
      }
      if (arg.key === 'input_length' && cls.name === 'Embedding') {
        this.note(model, `Keras 3 ignores input_length (the model stays unbuilt until it sees data); RNN Studio uses ${String(value)} as the sequence length. To make Keras build it too, start the model with keras.Input(shape=(${String(value)},)).`, arg.whole, 'info', 'input-length-ignored');
        if (model.layers.length === 0 && !model.input && typeof value === 'number') model.input = { shape: [value], dtype: 'int32', span: pyArg.span, valueSpan: pyArg.valueSpan, from: 'input_length' };
        continue;
      }
      const refused = unsupported(arg.key, value);
      if (refused) {
        this.note(model, `${refused}: RNN Studio's model description cannot express it, so shapes from this layer on are not computed.`, arg.whole);
        return undefined;
      }
      if (!schemaKeys.includes(arg.key) && NEUTRAL.test(arg.key)) continue;
      // Keys the schema knows go to the analysis; unknown ones too, so a typo gets "did you mean".
      layer.args.push(pyArg);
    }
    return layer;
  }

  // ---- arguments and values --------------------------------------------------------------------

  /** Arguments with Keras' names: positional ones named by Keras 3's order. */
  private callArgs(call: Node, cls: string): { key: string; node: Node; whole: Node; keyword: boolean }[] {
    const out: { key: string; node: Node; whole: Node; keyword: boolean }[] = [];
    const order = POSITIONAL[cls] ?? [];
    let position = 0;
    for (const arg of call.childForFieldName('arguments')?.namedChildren ?? []) {
      if (!arg || arg.type === 'comment') continue;
      if (arg.type === 'keyword_argument') {
        const key = arg.childForFieldName('name')?.text;
        const value = arg.childForFieldName('value');
        if (key && value) out.push({ key, node: value, whole: arg, keyword: true });
      } else if (arg.type === 'list_splat' || arg.type === 'dictionary_splat') {
        out.push({ key: '*', node: arg, whole: arg, keyword: false });
      } else {
        out.push({ key: order[position] ?? `positional argument ${position + 1}`, node: arg, whole: arg, keyword: false });
        position++;
      }
    }
    return out;
  }

  private plainCall(call: Node, scope: Scope): PyCall {
    const argList = call.childForFieldName('arguments')!;
    const args: PyArg[] = [];
    let position = 0;
    for (const arg of argList.namedChildren) {
      if (!arg || arg.type === 'comment') continue;
      const keyword = arg.type === 'keyword_argument';
      const valueNode = keyword ? arg.childForFieldName('value') : arg;
      if (!valueNode) continue;
      const value = this.evaluate(valueNode, scope);
      const key = keyword ? arg.childForFieldName('name')!.text : `${position++}`;
      args.push({ key, value: value instanceof NotEvaluable ? (null as PyValue) : value, span: spanOf(arg), valueSpan: spanOf(valueNode), keyword });
      if (value instanceof NotEvaluable) args.pop();
    }
    return { call: spanOf(call), argList: spanOf(argList), args, multiline: this.multiline(argList) };
  }

  private fitCall(call: Node, scope: Scope): PyFit {
    const fit: PyFit = this.plainCall(call, scope);
    const args = call.childForFieldName('arguments')?.namedChildren.filter((a): a is Node => !!a && a.type !== 'comment') ?? [];
    const x = args.find((a) => a.type === 'keyword_argument' && a.childForFieldName('name')?.text === 'x')?.childForFieldName('value') ?? args.find((a) => a.type !== 'keyword_argument');
    const array = x ? this.arrayOf(x, { ...scope, at: call.startIndex }, 0) : undefined;
    if (x && array) fit.x = { span: spanOf(x), text: x.text, array };
    if (x) fit.pipeline = this.pipelineOf(x, { ...scope, at: call.startIndex });
    const callbacks = args.find((a) => a.type === 'keyword_argument' && a.childForFieldName('name')?.text === 'callbacks')?.childForFieldName('value');
    const list = callbacks && this.resolveNode(callbacks, scope);
    for (const el of list && (list.node.type === 'list' || list.node.type === 'tuple') ? list.node.namedChildren : []) {
      const made = el && el.type !== 'comment' ? this.resolveNode(el, list!.scope) : undefined;
      const fn = made?.node.type === 'call' ? made.node.childForFieldName('function') : null;
      if (!made || (fn?.type === 'attribute' ? fn.childForFieldName('attribute')?.text : fn?.text) !== 'EarlyStopping') continue;
      fit.earlyStopping = {};
      for (const a of this.callArgs(made.node, 'EarlyStopping')) {
        const v = this.evaluate(a.node, made.scope);
        if (!(v instanceof NotEvaluable)) fit.earlyStopping[a.key] = v;
      }
    }
    return fit;
  }

  private optimizerOf(compile: Node, scope: Scope): PyOptimizer | undefined {
    const args = compile.childForFieldName('arguments')?.namedChildren.filter((a): a is Node => !!a && a.type !== 'comment') ?? [];
    const node = args.find((a) => a.type === 'keyword_argument' && a.childForFieldName('name')?.text === 'optimizer')?.childForFieldName('value') ?? (args[0]?.type !== 'keyword_argument' ? args[0] : undefined);
    const made = node && this.resolveNode(node, scope);
    const fn = made?.node.type === 'call' ? made.node.childForFieldName('function') : null;
    const name = fn && (fn.type === 'attribute' ? fn.childForFieldName('attribute')?.text : fn.text);
    if (!made || !name) return undefined;
    const out: PyOptimizer = { name, args: {} };
    for (const a of this.callArgs(made.node, 'optimizer')) {
      const v = this.evaluate(a.node, made.scope);
      if (!(v instanceof NotEvaluable)) out.args[a.key] = v;
    }
    return out;
  }

  /**
   * Follows fit's `x` back through names, `np.array(...)`, `pad_sequences(...)` and
   * `tokenizer.texts_to_sequences(...)` (or a `TextVectorization` called on the texts) to the
   * settings of each step; stops, naming the expression, where the code makes the samples.
   */
  private pipelineOf(node: Node, scope: Scope): PyPipeline | undefined {
    const out: PyPipeline = {};
    let current: { node: Node; scope: Scope } = { node, scope };
    const values = (call: Node, at: Scope, cls: string) => {
      const args: Record<string, PyValue> = {};
      for (const a of this.callArgs(call, cls)) {
        const v = a.key === 'sequences' || a.key === '*' ? undefined : this.evaluate(a.node, at);
        if (v !== undefined && !(v instanceof NotEvaluable)) args[a.key] = v;
      }
      return args;
    };
    const tokenizerOf = (target: Node, at: Scope): PyPipeline['tokenizer'] => {
      const made = this.resolveNode(target, at);
      const fn = made?.node.type === 'call' ? made.node.childForFieldName('function') : null;
      const cls = fn && (fn.type === 'attribute' ? fn.childForFieldName('attribute')?.text : fn.text);
      return made && (cls === 'Tokenizer' || cls === 'TextVectorization') ? { cls, args: values(made.node, made.scope, cls) } : undefined;
    };
    for (let hops = 0; hops < 20; hops++) {
      const n = current.node;
      if (n.type === 'identifier') {
        const found = this.lookup(n.text, current.scope, n);
        if (found instanceof NotEvaluable) {
          // Unpacked from a loader (`(X_train, y_train), ... = imdb.load_data(...)`): name the loader.
          const before = (this.assignmentsByName.get(n.text) ?? []).filter((a) => a.endIndex <= n.startIndex).pop();
          const right = before?.childForFieldName('right');
          if (right) current = { node: right, scope: current.scope };
          break;
        }
        current = found;
        continue;
      }
      if (n.type !== 'call') break;
      const fn = n.childForFieldName('function');
      const name = fn?.type === 'attribute' ? fn.childForFieldName('attribute')?.text : fn?.text;
      const first = n.childForFieldName('arguments')?.namedChildren.find((a) => a && a.type !== 'comment' && a.type !== 'keyword_argument');
      if ((name === 'array' || name === 'asarray') && first) {
        current = { node: first, scope: current.scope };
        continue;
      }
      if (name === 'pad_sequences' && first) {
        out.pad ??= values(n, current.scope, 'pad_sequences');
        current = { node: first, scope: current.scope };
        continue;
      }
      const tokenizer = name === 'texts_to_sequences' && fn?.type === 'attribute' ? tokenizerOf(fn.childForFieldName('object')!, current.scope) : fn?.type === 'identifier' ? tokenizerOf(fn, current.scope) : undefined;
      if (tokenizer && (name === 'texts_to_sequences' || tokenizer.cls === 'TextVectorization')) {
        out.tokenizer = tokenizer;
        if (first) current = { node: first, scope: current.scope };
      }
      break;
    }
    out.origin = clip(withoutComments(current.node));
    return out.pad || out.tokenizer ? out : undefined;
  }

  /**
   * The shape of an array the code makes visibly: NumPy's random / zeros / ones / array of a
   * literal, `.reshape(...)`, `np.expand_dims`, `pad_sequences(..., maxlen=N)`; undefined otherwise.
   */
  private arrayOf(node: Node, scope: Scope, hops: number): PyArray | undefined {
    if (hops > 20) return undefined;
    if (node.type === 'identifier') {
      const found = this.lookup(node.text, scope, node);
      return found instanceof NotEvaluable ? undefined : this.arrayOf(found.node, found.scope, hops + 1);
    }
    if (node.type === 'list') {
      const value = this.evaluate(node, scope);
      if (value instanceof NotEvaluable) return undefined;
      const shape = listShape(value);
      if (shape === null && Array.isArray(value) && value.every((row) => Array.isArray(row) && row.every((x) => typeof x === 'number'))) {
        return { shape, madeAt: spanOf(node), ragged: { longest: Math.max(...value.map((row) => (row as PyValue[]).length)) } };
      }
      return shape === undefined ? undefined : { shape, madeAt: spanOf(node) };
    }
    if (node.type !== 'call') return undefined;
    const fn = node.childForFieldName('function');
    const args = node.childForFieldName('arguments')?.namedChildren.filter((a): a is Node => !!a && a.type !== 'comment') ?? [];
    const positional = args.filter((a) => a.type !== 'keyword_argument');
    const keyword = (k: string) => args.find((a) => a.type === 'keyword_argument' && a.childForFieldName('name')?.text === k)?.childForFieldName('value') ?? undefined;
    const ints = (nodes: Node[]) => {
      const values = nodes.map((n) => this.evaluate(n, scope));
      const flat = values.length === 1 && Array.isArray(values[0]) ? values[0] : values;
      return flat.every((v) => typeof v === 'number' && Number.isInteger(v)) ? (flat as number[]) : undefined;
    };
    const name = fn?.type === 'attribute' ? fn.childForFieldName('attribute')?.text : fn?.text;
    const object = fn?.type === 'attribute' ? fn.childForFieldName('object') : null;
    const objectText = object?.text ?? '';
    const numpy = /^(np|numpy)(\.random)?$/.test(objectText);
    if (numpy && (name === 'rand' || name === 'randn')) {
      const shape = ints(positional);
      return shape && { shape, madeAt: spanOf(node) };
    }
    if (numpy && ['zeros', 'ones', 'empty', 'random', 'random_sample', 'full'].includes(name ?? '')) {
      const first = keyword('shape') ?? keyword('size') ?? positional[0];
      const shape = first ? ints([first]) : undefined;
      return shape && { shape, madeAt: spanOf(node) };
    }
    if (numpy && (name === 'array' || name === 'asarray') && positional[0]) {
      const inner = this.arrayOf(positional[0], scope, hops + 1);
      if (inner?.ragged) {
        // The tutorial's repair: pad to the longest row, zeros after.
        const padded = `${this.padSequencesName()}(${positional[0].text}, maxlen=${inner.ragged.longest}, padding='post')`;
        return { shape: null, madeAt: spanOf(node), ragged: { ...inner.ragged, padded } };
      }
      return inner && { shape: inner.shape, madeAt: inner.shape === null ? spanOf(node) : inner.madeAt };
    }
    if (numpy && name === 'expand_dims' && positional[0]) {
      const base = this.arrayOf(positional[0], scope, hops + 1);
      const axisNode = keyword('axis') ?? positional[1];
      const axis = axisNode ? this.evaluate(axisNode, scope) : undefined;
      if (!base?.shape || typeof axis !== 'number') return undefined;
      const at = axis < 0 ? base.shape.length + 1 + axis : axis;
      if (at < 0 || at > base.shape.length) return undefined;
      return { shape: [...base.shape.slice(0, at), 1, ...base.shape.slice(at)], madeAt: spanOf(node) };
    }
    if (name === 'reshape' && object && !numpy) {
      const base = this.arrayOf(object, scope, hops + 1);
      const target = ints(positional);
      if (!base?.shape || !target) return undefined;
      const total = base.shape.reduce((a, b) => a * b, 1);
      const known = target.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
      const shape = target.map((d) => (d === -1 && known > 0 ? total / known : d));
      return shape.every((d) => Number.isInteger(d) && d >= 0) && shape.reduce((a, b) => a * b, 1) === total ? { shape, madeAt: spanOf(node) } : undefined;
    }
    if (name === 'pad_sequences' && positional[0]) {
      const maxlen = keyword('maxlen');
      const length = maxlen ? this.evaluate(maxlen, scope) : undefined;
      const list = this.resolveNode(positional[0], scope);
      const value = list && list.node.type === 'list' ? this.evaluate(list.node, list.scope) : undefined;
      if (typeof length !== 'number' || !Array.isArray(value)) return undefined;
      return { shape: [value.length, length], madeAt: spanOf(node) };
    }
    return undefined;
  }

  /** How this file can call Keras' pad_sequences: imported by name, or through keras / tf. */
  private padSequencesName(): string {
    if (this.moduleNames.has('pad_sequences')) return 'pad_sequences';
    if (this.moduleNames.has('keras')) return 'keras.utils.pad_sequences';
    if (this.moduleNames.has('tf')) return 'tf.keras.utils.pad_sequences';
    return 'pad_sequences';
  }

  private evaluateArg(model: PyModel, node: Node, scope: Scope): PyValue | NotEvaluable {
    const value = this.evaluate(node, scope);
    if (value instanceof NotEvaluable) {
      this.note(model, `${value.reason}; RNN Studio does not run the code, so shapes from this layer on are not computed.`, value.span.start >= 0 ? value.span : spanOf(node));
      model.truncated = true;
    }
    return value;
  }

  /** Evaluates literals, constants and simple arithmetic; anything else is NotEvaluable with the reason. */
  private depth = 0;

  evaluate(node: Node, scope: Scope): PyValue | NotEvaluable {
    if (this.depth > 60) return new NotEvaluable(`\`${clip(node.text)}\` is defined in terms of itself`, spanOf(node));
    this.depth++;
    try {
      return this.evaluateNode(node, scope);
    } finally {
      this.depth--;
    }
  }

  private evaluateNode(node: Node, scope: Scope): PyValue | NotEvaluable {
    switch (node.type) {
      case 'integer': {
        const n = Number(node.text.replace(/_/g, '').replace(/[lL]$/, ''));
        return Number.isFinite(n) ? n : new NotEvaluable(`\`${node.text}\` is not a number RNN Studio reads`, spanOf(node));
      }
      case 'float':
        return Number(node.text.replace(/_/g, ''));
      case 'true':
        return true;
      case 'false':
        return false;
      case 'none':
        return null;
      case 'string': {
        if (node.descendantsOfType('interpolation').length > 0) return new NotEvaluable(`the f-string \`${clip(node.text)}\` is computed when the code runs`, spanOf(node));
        const content = node.namedChildren.filter((c) => c?.type === 'string_content').map((c) => c!.text).join('');
        return content;
      }
      case 'concatenated_string': {
        let s = '';
        for (const part of node.namedChildren) {
          if (!part) continue;
          const v = this.evaluate(part, scope);
          if (v instanceof NotEvaluable) return v;
          s += String(v);
        }
        return s;
      }
      case 'parenthesized_expression': {
        const inner = node.namedChildren.find((c) => c && c.type !== 'comment');
        return inner ? this.evaluate(inner, scope) : new NotEvaluable('an empty expression', spanOf(node));
      }
      case 'tuple':
      case 'list': {
        const out: PyValue[] = [];
        for (const el of node.namedChildren) {
          if (!el || el.type === 'comment') continue;
          const v = this.evaluate(el, scope);
          if (v instanceof NotEvaluable) return v;
          out.push(v);
        }
        return out;
      }
      case 'unary_operator': {
        const v = this.evaluate(node.childForFieldName('argument')!, scope);
        if (v instanceof NotEvaluable) return v;
        const op = node.childForFieldName('operator')?.text;
        if (typeof v === 'number' && op === '-') return -v;
        if (typeof v === 'number' && op === '+') return v;
        return new NotEvaluable(`\`${clip(node.text)}\` is not simple arithmetic`, spanOf(node));
      }
      case 'binary_operator': {
        const left = this.evaluate(node.childForFieldName('left')!, scope);
        if (left instanceof NotEvaluable) return left;
        const right = this.evaluate(node.childForFieldName('right')!, scope);
        if (right instanceof NotEvaluable) return right;
        const op = node.childForFieldName('operator')?.text;
        if (typeof left === 'number' && typeof right === 'number') {
          switch (op) {
            case '+':
              return left + right;
            case '-':
              return left - right;
            case '*':
              return left * right;
            case '/':
              return left / right;
            case '//':
              return right === 0 ? new NotEvaluable('a division by zero', spanOf(node)) : Math.floor(left / right);
            case '%':
              return right === 0 ? new NotEvaluable('a division by zero', spanOf(node)) : ((left % right) + right) % right;
            case '**':
              return left ** right;
          }
        }
        if (op === '+' && Array.isArray(left) && Array.isArray(right)) return [...left, ...right];
        if (op === '+' && typeof left === 'string' && typeof right === 'string') return left + right;
        return new NotEvaluable(`\`${clip(node.text)}\` is not simple arithmetic`, spanOf(node));
      }
      case 'identifier': {
        const found = this.lookup(node.text, scope, node);
        if (found instanceof NotEvaluable) return found;
        return this.evaluate(found.node, found.scope);
      }
      default:
        return new NotEvaluable(`\`${clip(node.text)}\` is computed when the code runs`, spanOf(node));
    }
  }

  /** A name to the expression it is bound to: a call-site argument, a local assignment, a module constant. */
  private lookup(name: string, scope: Scope, use: Node): { node: Node; scope: Scope } | NotEvaluable {
    for (let s: Scope | undefined = scope; s; s = s.parent) {
      const bound = s.bindings?.get(name);
      if (bound) return bound;
      const assigned = this.assignment(name, s.block, s === scope ? use.startIndex : s.at);
      if (assigned instanceof NotEvaluable) return assigned;
      if (assigned) return { node: assigned, scope: { block: s.block, at: assigned.startIndex, parent: s.parent, bindings: s.bindings } };
      if (s.bindings && s.block !== this.root && !s.parent) break;
    }
    if (scope.bindings && this.functionParams(scope).includes(name)) {
      return new NotEvaluable(`\`${name}\` is a parameter of the function; it is known only at a call that passes it literally`, spanOf(use));
    }
    return new NotEvaluable(`\`${name}\` is not a constant RNN Studio can find in the code`, spanOf(use));
  }

  private functionParams(scope: Scope): string[] {
    const fn = scope.block.parent;
    return fn?.type === 'function_definition' ? this.parameters(fn).map((p) => p.name) : [];
  }

  /**
   * The value of the last plain `name = value` among the block's statements before `before` (or
   * the first one after, for a function reading a module constant defined below it). A name also
   * assigned inside a loop, a branch or by unpacking is not a constant.
   */
  private assignment(name: string, block: Node, before: number): Node | NotEvaluable | undefined {
    // The last binding before the use wins (a plain assignment after an unpacking or a loop is a
    // constant again): walk the name's assignments (in source order) backwards from the end, so a
    // name bound in many places costs one look at the one that counts, not a pass over all of them.
    const assigns = this.assignmentsByName.get(name) ?? [];
    let first: Node | undefined;
    for (let i = assigns.length - 1; i >= 0; i--) {
      const b = this.nameBinding(assigns[i], block);
      if (!b) continue;
      if (b.kind !== 'plain') {
        if (b.start >= before) continue;
        const assign = assigns[i];
        const why = b.kind === 'inside' ? `is assigned inside ${b.statementType.replace('_statement', '')} (\`${clip(assign.text)}\`), so its value depends on the run` : b.kind === 'changed' ? `is changed by \`${clip(assign.text)}\`` : `is assigned by unpacking (\`${clip(assign.text)}\`)`;
        return new NotEvaluable(`\`${name}\` ${why}`, spanOf(assign));
      }
      const right = b.right;
      if (!right || (right.startIndex <= before && before < right.endIndex)) continue;
      first = right;
      // The assignment must be complete before the use (`N = N + 1` reads the N before it).
      if (b.end <= before) return right;
    }
    return block.id === this.root.id ? first : undefined;
  }

  private readonly nameBindings = new Map<string, Binding | null>();

  /** How an assignment binds its name within `block` (null: it is in another block), remembered: every model's lookups ask about the same assignments. */
  private nameBinding(assign: Node, block: Node): Binding | null {
    const key = `${assign.id}:${block.id}`;
    let b = this.nameBindings.get(key);
    if (b !== undefined) return b;
    const statement = this.statementIn(assign, block);
    b = null;
    if (statement) {
      const plain = statement.type === 'expression_statement' && assign.parent?.id === statement.id;
      const left = plain && assign.type !== 'augmented_assignment' ? assign.childForFieldName('left') : null;
      const kind = !plain ? 'inside' : assign.type === 'augmented_assignment' ? 'changed' : left?.type !== 'identifier' ? 'unpacking' : 'plain';
      b = { kind, statementType: statement.type, start: statement.startIndex, end: statement.endIndex, right: kind === 'plain' ? assign.childForFieldName('right') : null };
    }
    this.nameBindings.set(key, b);
    return b;
  }

  /** Follows names to the expression they stand for (a layer kept in a variable, a parameter). */
  private resolveNode(node: Node, scope: Scope): { node: Node; scope: Scope } | undefined {
    let current = { node, scope };
    for (let hops = 0; hops < 20 && current.node.type === 'identifier'; hops++) {
      const found = this.lookup(current.node.text, current.scope, current.node);
      if (found instanceof NotEvaluable) return undefined;
      current = found;
    }
    return current.node.type === 'identifier' ? undefined : current;
  }

  private unresolvedWhy(node: Node, scope: Scope): string {
    if (node.type === 'identifier') {
      const found = this.lookup(node.text, scope, node);
      if (found instanceof NotEvaluable) return `${found.reason}; shapes after it are not computed.`;
    }
    return `\`${clip(node.text)}\` is computed when the code runs; shapes after it are not computed.`;
  }

  // ---- statements ------------------------------------------------------------------------------

  /** The variable a call's value is assigned to, with that statement and its block. */
  private binding(call: Node): { variable: string | null; statement?: Node; block?: Node } {
    const parent = call.parent;
    if (parent?.type === 'assignment' && parent.childForFieldName('right')?.id === call.id) {
      const left = parent.childForFieldName('left');
      const statement = parent.parent?.type === 'expression_statement' ? parent.parent : undefined;
      const variable = left && (left.type === 'identifier' || left.type === 'attribute') ? left.text : null;
      return { variable, statement, block: statement?.parent ?? undefined };
    }
    return { variable: null };
  }

  /** `variable.method(...)` calls in a block between two offsets; `nested` names the loop or branch they are in. */
  private methodCalls(variable: string, method: string, block: Node, from: number, until: number): { call: Node; nested?: string }[] {
    const out: { call: Node; nested?: string }[] = [];
    for (const call of this.methodCallsByName.get(`${variable}.${method}`) ?? []) {
      if (call.startIndex < from || call.startIndex >= until) continue;
      const top = this.statementIn(call, block);
      if (!top) continue;
      out.push({ call, nested: top.type === 'expression_statement' ? undefined : top.type.replace('_statement', '') });
    }
    return out;
  }

  private readonly statements = new Map<string, Node | undefined>();

  /** `statementIn`, remembered: every model's lookups ask it about the same assignments. */
  private statementIn(node: Node, block: Node): Node | undefined {
    const key = `${node.id}:${block.id}`;
    if (this.statements.has(key)) return this.statements.get(key);
    const found = statementIn(node, block);
    this.statements.set(key, found);
    return found;
  }

  private multiline(argList: Node): { indent: string } | undefined {
    const args = argList.namedChildren.filter((a) => a && a.type !== 'comment');
    const last = args[args.length - 1];
    if (!last || last.startPosition.row === argList.startPosition.row) return undefined;
    const lineStart = this.text.lastIndexOf('\n', last.startIndex - 1) + 1;
    return { indent: /^[ \t]*/.exec(this.text.slice(lineStart))![0] };
  }

  private note(model: PyModel, message: string, at: Node | Span, severity: 'info' | 'warning' = 'info', code = severity === 'info' ? 'not-evaluated' : 'python-model'): void {
    const span = 'start' in at ? at : spanOf(at);
    model.notes.push({ severity, code, message, span });
  }
}

/** The statement of `block` that holds `node`, or undefined when it is elsewhere (or in a nested function or class). */
function statementIn(node: Node, block: Node): Node | undefined {
  let current: Node | null = node;
  while (current) {
    const parent: Node | null = current.parent;
    if (!parent) return undefined;
    if (parent.id === block.id) return current;
    if (parent.type === 'function_definition' || parent.type === 'class_definition' || parent.type === 'lambda') return undefined;
    current = parent;
  }
  return undefined;
}

function hasAncestor(node: Node, types: string[]): boolean {
  for (let p = node.parent; p; p = p.parent) if (types.includes(p.type)) return true;
  return false;
}

function enclosingFunction(node: Node): Node | undefined {
  for (let p = node.parent; p; p = p.parent) if (p.type === 'function_definition') return p;
  return undefined;
}

/** The shape of a nested list of numbers; null when ragged; undefined when not numbers. */
function listShape(value: PyValue): number[] | null | undefined {
  if (!Array.isArray(value)) return typeof value === 'number' ? [] : undefined;
  if (value.length === 0) return [0];
  const inner = value.map(listShape);
  if (inner.some((s) => s === undefined)) return undefined;
  if (inner.some((s) => s === null)) return null;
  const first = JSON.stringify(inner[0]);
  return inner.every((s) => JSON.stringify(s) === first) ? [value.length, ...(inner[0] as number[])] : null;
}

function toShape(value: PyValue | NotEvaluable, withBatch: boolean): (number | null)[] | undefined {
  if (value instanceof NotEvaluable) return undefined;
  const list = typeof value === 'number' ? [value] : Array.isArray(value) ? value : undefined;
  if (!list || !list.every((d) => d === null || (typeof d === 'number' && Number.isInteger(d)))) return undefined;
  const shape = (withBatch ? list.slice(1) : list) as (number | null)[];
  return shape.length > 0 ? shape : undefined;
}

export function spanOf(node: Node): Span {
  return { start: node.startIndex, end: node.endIndex };
}

/** A node's text without its comments (`load_data(  # only the top words` ...). */
function withoutComments(node: Node): string {
  let out = node.text;
  for (const c of node.descendantsOfType('comment').reverse()) if (c) out = out.slice(0, c.startIndex - node.startIndex) + out.slice(c.endIndex - node.startIndex);
  return out;
}

function clip(text: string): string {
  const one = text.replace(/\s+/g, ' ');
  return one.length > 60 ? `${one.slice(0, 57)}...` : one;
}
