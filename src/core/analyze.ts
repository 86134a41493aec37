import { findNodeAtOffset, getNodePath, getNodeValue, type Node } from 'jsonc-parser';
import type { ErrorObject } from 'ajv';
import { ModelDocument } from './document';
import { estimateTrainingMemory, trainingSettings } from './memory';
import { tokenIdDiagnostics } from './tokenIds';
import { MAX_NESTING, own, quote, quoteValue, shorten } from './json';
import { removeChild, replaceValue, setProperties, setProperty } from './edits';
import {
  bidirectional,
  InvalidSetting,
  isLayerProblem,
  isRecurrentType,
  LAYER_RULES,
  type LayerProblem,
  type LayerResult,
  type LayerRule,
} from './layers';
import { closest, suggester, LAYER_TYPES, layerSchema, MAX_INTEGER, modelSchema, resolveRef, schemaAt, validateWithSchema, withDefaults, type SchemaNode } from './schema';
import { formatBytes, formatCount, formatShape, LayerNamer } from './shapes';
import type { AnalyzeOptions, Diagnostic, DtypePolicy, Fix, JsonPath, LayerInfo, ModelAnalysis, Range, Severity, Shape } from './types';

export const DEFAULT_OPTIONS: Required<AnalyzeOptions> = { simpleRnnMaxSteps: 50, largeModelParams: 10_000_000 };

/** Unknown keys of one object marked one by one; the rest get one problem together. */
const MAX_UNKNOWN_KEYS = 100;

const REGRESSION_LOSSES = new Set(['mse', 'mean_squared_error', 'mae', 'mean_absolute_error', 'huber', 'mean_absolute_percentage_error', 'mape', 'log_cosh']);

/** The model's valid `dtype_policy` (the schema lists them), else Keras' default. */
export function dtypePolicyOf(model: Record<string, unknown>): DtypePolicy {
  const allowed = (modelSchema.properties?.dtype_policy?.enum ?? []) as DtypePolicy[];
  return allowed.includes(model.dtype_policy as DtypePolicy) ? (model.dtype_policy as DtypePolicy) : 'float32';
}

/** Reads a model file's text and computes shapes, parameter counts and diagnostics. Never throws on bad input. */
export function analyzeModel(text: string, options: AnalyzeOptions = {}): ModelAnalysis {
  return new Analyzer(new ModelDocument(text), { ...DEFAULT_OPTIONS, ...options }).run();
}

interface RankProblem {
  rank: true;
  rule: LayerRule;
  /** Path of the layer whose input is wrong (an inner layer for wrappers). */
  path: JsonPath;
  type: string;
}

type Computed = LayerResult | LayerProblem | RankProblem | undefined;

class Analyzer {
  private readonly diagnostics: Diagnostic[] = [];
  private readonly layers: LayerInfo[] = [];
  private model: Record<string, unknown> = {};

  constructor(
    private readonly doc: ModelDocument,
    private readonly options: Required<AnalyzeOptions>,
  ) {}

  run(): ModelAnalysis {
    const { doc } = this;
    // The parser reports one error per unclosed bracket, all at the end of the text: say it once.
    const seen = new Set<string>();
    for (const e of doc.syntaxErrors) {
      const key = `${e.offset}:${e.length}:${e.message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      this.diagnostics.push({ severity: 'error', code: 'json-syntax', message: e.message, path: [], range: doc.lines.range(e.offset, Math.max(e.length, 1)), source: 'json' });
    }
    const root = doc.root;
    if (root?.type === 'object') this.model = getNodeValue(root) ?? {};
    this.checkText(root);
    if (!root || root.type !== 'object') {
      if (doc.syntaxErrors.length === 0) {
        this.report('error', 'not-a-model', 'A model file is a JSON object with "input" and "layers", e.g. { "input": { "shape": [200] }, "layers": [ ... ] }.', [], root ?? { offset: 0, length: 0 }, { source: 'json' });
      }
      return this.result(false, null);
    }
    this.checkSchema();
    this.checkKeys(root, modelSchema, []);
    const inputShape = this.readInputShape();
    this.walkLayers(inputShape);
    if (this.layers.length > 0 && this.layers.every((l) => l.outputShape)) {
      this.checkOutputForTask();
      this.checkLoss();
    }
    this.checkData();
    this.checkHints();
    return this.result(true, inputShape);
  }

  private result(parsed: boolean, inputShape: Shape | null): ModelAnalysis {
    const trainable = this.layers.reduce((s, l) => s + l.trainableParams, 0);
    const nonTrainable = this.layers.reduce((s, l) => s + l.nonTrainableParams, 0);
    this.diagnostics.sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
    return {
      name: typeof this.model.name === 'string' ? this.model.name : 'sequential',
      dtypePolicy: dtypePolicyOf(this.model),
      parsed,
      inputShape,
      layers: this.layers,
      totalParams: trainable + nonTrainable,
      trainableParams: trainable,
      nonTrainableParams: nonTrainable,
      uncountedLayers: this.layers.filter((l) => l.unknownReason !== undefined).map((l) => l.index),
      weightBytes: (trainable + nonTrainable) * 4,
      trainingMemory: estimateTrainingMemory(this.layers, trainingSettings(this.model)),
      diagnostics: this.diagnostics,
    };
  }

  // ---- reporting helpers -------------------------------------------------------------------

  private report(
    severity: Severity,
    code: string,
    message: string,
    path: JsonPath,
    at: Node | { offset: number; length: number } | Range,
    extra: Partial<Diagnostic> = {},
  ): Diagnostic {
    const range = 'start' in at ? at : this.doc.lines.range(at.offset, at.length);
    const d: Diagnostic = { severity, code, message, path, range, source: 'model', ...extra };
    this.diagnostics.push(d);
    return d;
  }

  /** Where to put a problem about the key `key` of the object at `objectPath`: the property, else the object's `type`. */
  private anchor(objectPath: JsonPath, key?: string): { path: JsonPath; range: Range } {
    const doc = this.doc;
    const prop = key !== undefined ? doc.node([...objectPath, key]) : undefined;
    if (prop) return { path: [...objectPath, key!], range: doc.propertyRange(prop) };
    const type = doc.node([...objectPath, 'type']);
    if (type) return { path: [...objectPath, 'type'], range: doc.propertyRange(type) };
    const object = doc.node(objectPath);
    return { path: objectPath, range: object ? doc.keyRange(object) : { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } } };
  }

  private fix(title: string, edits: Fix['edits'], isPreferred = true): Fix {
    return { title, edits, isPreferred };
  }

  // ---- text --------------------------------------------------------------------------------

  /** What the JSON reader let through but no model can mean: too deep, infinite numbers, keys written twice. */
  private checkText(root: Node | undefined): void {
    const doc = this.doc;
    for (const span of doc.tooDeep) {
      const masked = root && findNodeAtOffset(root, span.start);
      const path = masked ? getNodePath(masked) : [];
      this.report('error', 'too-deep', `${describePath(path, this.model)} is nested more than ${MAX_NESTING} levels deep here; RNN Studio reads no deeper (a model file needs fewer than 10 levels), so this value is ignored. Remove the nesting.`, path, { offset: span.start, length: 1 }, { layerIndex: layerIndexOf(path) });
    }
    for (const node of doc.nonFinite) {
      const path = getNodePath(node);
      const literal = shorten(doc.text.slice(node.offset, node.offset + node.length));
      this.report('error', 'number-not-finite', `${describePath(path, this.model)} is ${literal}, beyond the largest number there is (about 1.8e308), so it would read as ${String(node.value)}. Use a finite number.`, path, node, { layerIndex: layerIndexOf(path) });
    }
    const perObject = new Map<Node | undefined, number>();
    for (const { winner, ignored, firstIndex } of doc.duplicates) {
      const count = (perObject.get(winner.parent) ?? 0) + 1;
      perObject.set(winner.parent, count);
      if (count > MAX_UNKNOWN_KEYS + 1) continue;
      const [keyNode, valueNode] = winner.children!;
      const path = getNodePath(valueNode);
      if (count > MAX_UNKNOWN_KEYS) {
        // As for unknown keys: one problem for the rest of this object.
        if (count === MAX_UNKNOWN_KEYS + 1) {
          const more = doc.duplicates.filter((d) => d.winner.parent === winner.parent).length - MAX_UNKNOWN_KEYS;
          this.report('warning', 'duplicate-key', `${formatCount(more)} more keys written twice in ${describePath(path.slice(0, -1), this.model)} (only the first ${MAX_UNKNOWN_KEYS} are marked one by one).`, path, keyNode, { layerIndex: layerIndexOf(path) });
        }
        continue;
      }
      const lines = [...new Set(ignored.map((p) => doc.lines.positionAt(p.offset).line + 1))];
      const where = lines.length <= 5 ? lines.join(', ') : `${lines.slice(0, 5).join(', ')} and ${lines.length - 5} more`;
      this.report(
        'warning',
        'duplicate-key',
        `${describePath(path, this.model)} is written ${ignored.length + 1} times; this last one counts (${quoteValue(getNodeValue(valueNode))}), as in Python's JSON reader, and the earlier ${ignored.length === 1 ? 'one' : 'ones'} (line ${where}) ${ignored.length === 1 ? 'is' : 'are'} ignored. Remove the duplicates.`,
        path,
        keyNode,
        { layerIndex: layerIndexOf(path), fixes: ignored.length === 1 ? [this.fix(`Remove the ignored ${quote(String(keyNode.value))}`, [removeChild(doc, winner.parent!, ignored[0], firstIndex)])] : undefined },
      );
    }
  }

  // ---- schema ------------------------------------------------------------------------------

  private checkSchema(): void {
    const errors = validateWithSchema(this.model).filter((e) => !['if', 'anyOf', 'oneOf', 'allOf', 'then'].includes(e.keyword));
    const seen = new Set<string>();
    for (const e of errors) {
      const path = pointerToPath(e.instancePath);
      const value = this.doc.node(path);
      // Infinite numbers and cut-out deep values have their own error at the same place.
      if (value && ((value.type === 'number' && !Number.isFinite(value.value)) || this.doc.tooDeep.some((s) => s.start === value.offset))) continue;
      const key = `${e.instancePath}|${e.keyword === 'required' ? (e.params as { missingProperty: string }).missingProperty : ''}`;
      if (seen.has(key)) continue;
      seen.add(key);
      this.reportSchemaError(e, path);
    }
  }

  private reportSchemaError(e: ErrorObject, path: JsonPath): void {
    const doc = this.doc;
    const node = doc.node(path);
    if (!node && path.length > 0) return;
    const value = doc.value(path);
    const name = describePath(path, this.model);
    const params = e.params as Record<string, unknown>;
    switch (e.keyword) {
      case 'required': {
        const missing = String(params.missingProperty);
        const where = this.anchor(path);
        const prop = schemaAt([...path, missing], this.model);
        const hint = prop?.description ? ` ${firstSentence(prop.description)}` : '';
        this.report('error', 'missing-key', `${name} needs "${missing}".${hint}`, where.path, where.range, { source: 'json', layerIndex: layerIndexOf(path) });
        return;
      }
      case 'enum': {
        const allowed = (params.allowedValues as unknown[]).map(String);
        const isLayerType = path[path.length - 1] === 'type' && typeof value === 'string';
        const suggestion = typeof value === 'string' ? closest(value, allowed) : undefined;
        const fixes = suggestion ? [this.fix(`Change to "${suggestion}"`, replaceValue(doc, path, suggestion))] : undefined;
        const message = isLayerType
          ? `Unknown layer type ${quote(String(value))}.${suggestion ? ` Did you mean "${suggestion}"?` : ''} ${allowed.length <= 3 ? `Allowed here: ${allowed.join(', ')}.` : `Layer types of schema v1: ${allowed.join(', ')}.`}`
          : `${name} must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}; got ${quoteValue(value)}.${suggestion ? ` Did you mean "${suggestion}"?` : ''}`;
        this.report('error', isLayerType ? 'unknown-layer-type' : 'invalid-value', message, path, node!, { source: 'json', fixes, layerIndex: layerIndexOf(path) });
        return;
      }
      case 'const':
        this.report('error', 'invalid-value', `${name} must be ${JSON.stringify(params.allowedValue)} here; got ${quoteValue(value)}.`, path, node!, {
          source: 'json',
          fixes: [this.fix(`Change to ${JSON.stringify(params.allowedValue)}`, replaceValue(doc, path, params.allowedValue))],
          layerIndex: layerIndexOf(path),
        });
        return;
      case 'type':
        this.report('error', 'invalid-type', `${name} must be ${typeWords(params.type)}; got ${describeValue(value)}.`, path, node!, { source: 'json', layerIndex: layerIndexOf(path) });
        return;
      case 'minimum':
      case 'maximum':
      case 'exclusiveMinimum':
      case 'exclusiveMaximum': {
        const op = { minimum: '>=', maximum: '<=', exclusiveMinimum: '>', exclusiveMaximum: '<' }[e.keyword];
        this.report('error', 'out-of-range', `${name} must be ${op} ${String(params.limit)}; got ${quoteValue(value)}.`, path, node!, { source: 'json', layerIndex: layerIndexOf(path) });
        return;
      }
      default:
        this.report('error', 'invalid-value', `${name} ${e.message ?? 'is not valid'}.`, path, node ?? { offset: 0, length: 0 }, { source: 'json', layerIndex: layerIndexOf(path) });
    }
  }

  /**
   * Keys the schema does not know, with "did you mean", and whole numbers too large for TensorFlow;
   * follows the schema, so it never descends into unknown values. Keras refuses unknown layer
   * arguments, so those are errors. Linear in the object's size: one pass, own properties only.
   */
  private checkKeys(node: Node, schema: SchemaNode | undefined, path: JsonPath): void {
    schema = resolveRef(schema);
    if (!schema) return;
    if (node.type === 'number' && [schema.type].flat().includes('integer') && Math.abs(node.value) > MAX_INTEGER && Number.isFinite(node.value)) {
      this.report('error', 'out-of-range', `${describePath(path, this.model)} must be at most ${formatCount(MAX_INTEGER)} (TensorFlow sizes are 32-bit); got ${quoteValue(node.value)}.`, path, node, { layerIndex: layerIndexOf(path) });
      return;
    }
    if (node.type === 'array') {
      node.children?.forEach((child, i) => this.checkKeys(child, schema!.items, [...path, i]));
      return;
    }
    if (node.type !== 'object') return;
    const typeNode = this.doc.property(node, 'type');
    if (schema === modelSchema.definitions.layer || schema === modelSchema.definitions.recurrentLayer) {
      schema = typeNode?.type === 'string' ? layerSchema(typeNode.value) : undefined;
      if (!schema) return;
    }
    const props = schema.properties;
    if (!props) return;
    const isLayer = layerIndexOf(path) !== undefined && path.length >= 2;
    const present = new Set((node.children ?? []).map((p) => p.children?.[0]?.value));
    const suggest = suggester(Object.keys(props).filter((k) => !present.has(k)));
    const owner = isLayer ? shorten(String(typeNode?.value), 30) : describePath(path, this.model);
    let unknown = 0;
    const children = node.children ?? [];
    children.forEach((prop, index) => {
      const [keyNode, valueNode] = prop.children ?? [];
      if (!keyNode) return;
      const key = String(keyNode.value);
      const known = own(props, key);
      if (known) {
        // Of a key written twice only the value that counts is checked.
        if (valueNode && this.doc.property(node, key) === valueNode) this.checkKeys(valueNode, known, [...path, key]);
        return;
      }
      if (++unknown > MAX_UNKNOWN_KEYS) {
        // One problem for the rest: an editor given thousands of squiggles slows to a crawl.
        if (unknown === MAX_UNKNOWN_KEYS + 1) {
          const more = children.slice(index).filter((p) => !own(props, String(p.children?.[0]?.value))).length;
          this.report(isLayer ? 'error' : 'warning', 'unknown-key', `${formatCount(more)} more unknown keys for ${owner} from here on (only the first ${MAX_UNKNOWN_KEYS} are marked one by one).`, [...path, key], keyNode, { layerIndex: layerIndexOf(path) });
        }
        return;
      }
      const suggestion = suggest(key);
      const fixes = suggestion
        ? [this.fix(`Rename to "${suggestion}"`, [this.doc.edit(keyNode.offset, keyNode.length, JSON.stringify(suggestion))])]
        : [this.fix(`Remove ${quote(key)}`, [removeChild(this.doc, node, prop, index)], false)];
      this.report(
        isLayer ? 'error' : 'warning',
        'unknown-key',
        `Unknown key ${quote(key)} for ${owner}.${suggestion ? ` Did you mean "${suggestion}"?` : ''}${isLayer ? ' Keras refuses unknown layer arguments.' : ' It is ignored.'}`,
        [...path, key],
        keyNode,
        { fixes, layerIndex: layerIndexOf(path) },
      );
    });
  }

  // ---- shapes ------------------------------------------------------------------------------

  private readInputShape(): Shape | null {
    const shape = (this.model.input as { shape?: unknown } | undefined)?.shape;
    if (!Array.isArray(shape) || shape.length === 0) return null;
    if (!shape.every((d) => d === null || (typeof d === 'number' && Number.isInteger(d) && d >= 1 && d <= MAX_INTEGER))) return null;
    return [null, ...(shape as (number | null)[])];
  }

  private walkLayers(inputShape: Shape | null): void {
    const layersNode = this.doc.node(['layers']);
    if (!layersNode || layersNode.type !== 'array') return;
    const namer = new LayerNamer();
    let shape = inputShape;
    // Why `shape` is unknown, for the layers that follow.
    let unknownAfter = this.doc.node(['input', 'shape']) ? 'the input shape is not valid (input.shape)' : 'the model has no input shape (input.shape)';
    const names = new Map<string, number>();
    (layersNode.children ?? []).forEach((node, index) => {
      const path: JsonPath = ['layers', index];
      const value = node.type === 'object' ? (getNodeValue(node) as Record<string, unknown>) : {};
      const type = typeof value.type === 'string' ? value.type : '?';
      const known = LAYER_TYPES.includes(type);
      const innerValue = value.layer && typeof value.layer === 'object' ? (value.layer as Record<string, unknown>) : undefined;
      const innerType = typeof innerValue?.type === 'string' && LAYER_TYPES.includes(innerValue.type) ? innerValue.type : undefined;
      // Keras creates the wrapped layer before its wrapper, so it takes its default name first.
      const innerName = innerType ? (typeof innerValue!.name === 'string' ? innerValue!.name : namer.next(innerType)) : undefined;
      const name = typeof value.name === 'string' ? value.name : known ? namer.next(type) : `layer_${index}`;
      const info: LayerInfo = {
        index,
        path,
        name,
        type,
        config: known ? withDefaults(type, value) : value,
        range: this.doc.rangeOf(node),
        inputShape: shape,
        outputShape: null,
        trainableParams: 0,
        nonTrainableParams: 0,
      };
      if (innerType) info.inner = { name: innerName!, type: innerType, config: withDefaults(innerType, innerValue!), outputShape: null };
      this.layers.push(info);

      const previous = names.get(name);
      if (previous !== undefined) {
        const where = this.anchor(path, 'name');
        this.report('error', 'duplicate-layer-name', `Layer name "${name}" is already used by layer ${previous}. Keras needs unique layer names.`, where.path, where.range, { layerIndex: index });
      } else names.set(name, index);

      const after = `after the problem in layer ${index} "${shorten(name, 30)}"`;
      if (!shape) {
        info.unknownReason = unknownAfter;
        return;
      }
      if (!known) {
        info.unknownReason = 'its type is not a known layer type';
        [shape, unknownAfter] = [null, after];
        return;
      }
      const computed = this.compute(info, shape);
      if (!computed || 'rank' in computed) {
        if (computed) this.reportRank(index, computed, shape);
        info.unknownReason = computed ? `its input ${formatShape(shape)} has the wrong rank` : 'see the problem on this layer';
        [shape, unknownAfter] = [null, after];
        return;
      }
      if (isLayerProblem(computed)) {
        info.unknownReason = 'see the problem on this layer';
        unknownAfter = after;
        const problemPath = computed.key && info.inner && !(computed.key in value) ? [...path, 'layer'] : path;
        const where = this.anchor(problemPath, computed.key);
        const fix = computed.fix;
        const fixes = fix && [this.fix(`Set "${fix.key}": ${JSON.stringify(fix.value)}`, setProperty(this.doc, problemPath, fix.key, fix.value))];
        this.report('error', computed.code, computed.message, where.path, where.range, { layerIndex: index, fixes });
        shape = null;
        return;
      }
      info.outputShape = computed.output;
      info.trainableParams = computed.trainable;
      info.nonTrainableParams = computed.nonTrainable;
      info.paramFormula = computed.formula && `${type}: ${computed.formula}`;
      shape = computed.output;
    });
  }

  private compute(info: LayerInfo, input: Shape): Computed {
    try {
      if (info.type === 'Bidirectional' || info.type === 'TimeDistributed') {
        const inner = info.inner;
        if (!inner) return undefined;
        const innerRule = LAYER_RULES[inner.type];
        const innerPath = [...info.path, 'layer'];
        if (!innerRule) {
          const where = this.anchor(innerPath, 'type');
          this.report('warning', 'unsupported-nesting', `RNN Studio does not compute shapes for ${info.type} wrapping ${inner.type}; shapes after this layer are unknown.`, where.path, where.range, { layerIndex: info.index });
          return undefined;
        }
        if (info.type === 'Bidirectional') {
          if (!isRecurrentType(inner.type)) return undefined;
          if (inner.config.go_backwards === true) {
            return {
              code: 'bidirectional-go-backwards',
              key: 'go_backwards',
              fix: { key: 'go_backwards', value: false },
              message: `Bidirectional already runs a backward copy of the wrapped ${inner.type}; with "go_backwards": true both copies would read backwards, and Keras refuses it. Remove "go_backwards".`,
            };
          }
          if (!rankFits(innerRule, input)) return { rank: true, rule: innerRule, path: info.path, type: 'Bidirectional' };
          const result = innerRule.compute(inner.config, input);
          if (isLayerProblem(result)) return result;
          inner.outputShape = result.output;
          return bidirectional(result, String(info.config.merge_mode ?? 'concat'));
        }
        const outer: LayerRule = { minRank: 3, expects: '(batch, timesteps, ...)', compute: () => ({ output: input, trainable: 0, nonTrainable: 0 }) };
        if (!rankFits(outer, input)) return { rank: true, rule: outer, path: info.path, type: 'TimeDistributed' };
        const step: Shape = [input[0], ...input.slice(2)];
        if (!rankFits(innerRule, step)) return { rank: true, rule: innerRule, path: innerPath, type: inner.type };
        const result = innerRule.compute(inner.config, step);
        if (isLayerProblem(result)) return result;
        inner.outputShape = result.output;
        return { ...result, output: [input[0], input[1], ...result.output.slice(1)] };
      }
      const rule = LAYER_RULES[info.type];
      if (!rankFits(rule, input)) return { rank: true, rule, path: info.path, type: info.type };
      return rule.compute(info.config, input);
    } catch (e) {
      if (e instanceof InvalidSetting) return undefined; // the schema check reports the bad setting
      throw e;
    }
  }

  /**
   * A layer received a tensor of the wrong rank. Find the layer that made the rank (skipping layers
   * that keep it, like Dropout) and say what to change there: usually `return_sequences`.
   */
  private reportRank(index: number, problem: RankProblem, input: Shape): void {
    const consumer = this.layers[index];
    const expected = problem.rule.maxRank === problem.rule.minRank ? `${problem.rule.minRank}-D` : `at least ${problem.rule.minRank}-D`;
    const what = `${problem.type} "${problem.path.length > 2 ? consumer.inner?.name : consumer.name}" expects a ${expected} input ${problem.rule.expects ?? ''}`.trimEnd();
    const kerasText = `(Keras: expected ndim=${problem.rule.minRank}, found ndim=${input.length}. Full shape received: ${formatShape(input)})`;
    let producer = index - 1;
    while (producer >= 0 && this.layers[producer].inputShape?.length === input.length && this.layers[producer].outputShape?.length === input.length) producer--;
    const consumerAnchor = this.anchor(problem.path);
    const related = [{ message: `${consumer.name} receives ${formatShape(input)} here`, path: consumerAnchor.path, range: consumerAnchor.range }];

    if (producer >= 0) {
      const p = this.layers[producer];
      const recurrent = isRecurrentType(p.type) ? p : p.type === 'Bidirectional' && p.inner ? p : undefined;
      const rnnPath = p.type === 'Bidirectional' ? [...p.path, 'layer'] : p.path;
      const rnnConfig = p.type === 'Bidirectional' ? p.inner?.config : p.config;
      if (recurrent && rnnConfig) {
        const wantSequences = problem.rule.minRank === 3 && input.length === 2;
        const dropSequences = problem.rule.maxRank === 2 && input.length === 3;
        if (wantSequences || dropSequences) {
          const where = this.anchor(rnnPath, 'return_sequences');
          const message = wantSequences
            ? `${what} but receives ${formatShape(input)}: "${p.name}" returns only its last output because return_sequences is false. Set "return_sequences": true on "${p.name}" so it passes the whole sequence on. ${kerasText}`
            : `${what} but receives ${formatShape(input)}: "${p.name}" returns the whole sequence. Set "return_sequences": false on "${p.name}". ${kerasText}`;
          this.report('error', wantSequences ? 'missing-return-sequences' : 'unexpected-return-sequences', message, where.path, where.range, {
            layerIndex: producer,
            related,
            fixes: [this.fix(`Set "return_sequences": ${wantSequences} on "${p.name}"`, setProperty(this.doc, rnnPath, 'return_sequences', wantSequences))],
          });
          return;
        }
      }
      this.report('error', 'incompatible-rank', `${what} but receives ${formatShape(input)} from ${p.type} "${p.name}". ${kerasText}`, consumerAnchor.path, consumerAnchor.range, {
        layerIndex: index,
      });
      return;
    }

    // The model input itself has the wrong rank.
    const shapeNode = this.doc.node(['input', 'shape']);
    const where = shapeNode ? { path: ['input', 'shape'], range: this.doc.propertyRange(shapeNode) } : consumerAnchor;
    if (problem.rule.minRank === 3 && input.length === 2 && input[1] !== undefined) {
      const steps = input[1];
      const tokens = (this.model.input as { dtype?: unknown })?.dtype === 'int32';
      this.report(
        'error',
        'input-not-3d',
        `${what} but the model input is ${formatShape(input)}. A recurrent layer reads (timesteps, features) per sample: for a series of ${steps ?? 'T'} steps with one value each use "shape": [${steps}, 1]${tokens ? '; for token ids put an Embedding layer first' : ''}. ${kerasText}`,
        where.path,
        where.range,
        { layerIndex: index, related, fixes: [this.fix(`Reshape the input to [${steps}, 1]`, replaceValue(this.doc, ['input', 'shape'], [steps, 1]), !tokens)] },
      );
      return;
    }
    this.report('error', 'incompatible-rank', `${what} but the model input is ${formatShape(input)}. ${kerasText}`, where.path, where.range, { layerIndex: index, related });
  }

  // ---- whole-model checks --------------------------------------------------------------------

  /** The last RNN returns sequences and nothing reduces the time axis: the model outputs one value per timestep. */
  private checkOutputForTask(): void {
    const layers = this.layers;
    const output = layers[layers.length - 1].outputShape!;
    if (output.length !== 3 || layers.some((l) => l.type === 'TimeDistributed' || l.type === 'RepeatVector')) return;
    for (let i = layers.length - 1; i >= 0; i--) {
      const l = layers[i];
      const rnnConfig = l.type === 'Bidirectional' ? l.inner?.config : isRecurrentType(l.type) ? l.config : undefined;
      if (rnnConfig) {
        if (rnnConfig.return_sequences !== true) return;
        const rnnPath = l.type === 'Bidirectional' ? [...l.path, 'layer'] : l.path;
        const where = this.anchor(rnnPath, 'return_sequences');
        this.report(
          'warning',
          'return-sequences-at-output',
          `"${l.name}" is the last recurrent layer and returns the whole sequence, so the model outputs ${formatShape(output)}: one prediction per timestep. A classifier or a forecaster needs one per sequence, e.g. (None, ${output[2]}). Set "return_sequences": false on "${l.name}" (or wrap the output layer in TimeDistributed if you do want one per step).`,
          where.path,
          where.range,
          { layerIndex: i, fixes: [this.fix(`Set "return_sequences": false on "${l.name}"`, setProperty(this.doc, rnnPath, 'return_sequences', false))] },
        );
        return;
      }
      if (l.inputShape?.length !== 3) return;
    }
  }

  private checkLoss(): void {
    const compile = this.model.compile as Record<string, unknown> | undefined;
    const loss = typeof compile?.loss === 'string' ? compile.loss : undefined;
    if (!loss) return;
    const lossNode = this.doc.node(['compile', 'loss'])!;
    const related = [{ message: `loss is "${loss}"`, path: ['compile', 'loss'], range: this.doc.propertyRange(lossNode) }];
    // The output activation: the last Dense or Activation, looking through Dropout.
    let i = this.layers.length - 1;
    while (i > 0 && ['Dropout', 'SpatialDropout1D'].includes(this.layers[i].type)) i--;
    const last = this.layers[i];
    const outputLayer = last.type === 'Dense' ? last : last.type === 'TimeDistributed' && last.inner?.type === 'Dense' ? last : undefined;
    const activationPath = last.type === 'TimeDistributed' ? [...last.path, 'layer'] : last.path;
    const activation = last.type === 'Activation' ? String(last.config.activation) : outputLayer ? String((last.inner ?? last).config.activation ?? 'linear') : undefined;
    const units = this.layers[this.layers.length - 1].outputShape!.at(-1);
    const labels = (this.model.data as { labels?: unknown } | undefined)?.labels;
    const classes = Array.isArray(labels) ? labels.length : undefined;
    const setActivation = (value: string) => this.fix(`Set "activation": "${value}" on "${last.name}"`, setProperty(this.doc, activationPath, 'activation', value));
    const at = (key: string) => this.anchor(activationPath, key);
    const mismatch = (severity: Severity, message: string, key: string, fixes?: Fix[]) => {
      const where = at(key);
      this.report(severity, 'loss-output-mismatch', message, where.path, where.range, { layerIndex: last.index, related, fixes });
    };

    if (loss === 'binary_crossentropy') {
      if (units !== 1 && outputLayer) {
        mismatch('error', `binary_crossentropy expects one probability per sample, but the model outputs ${formatShape(this.layers.at(-1)!.outputShape)}. End with Dense(1, activation "sigmoid"), or use sparse_categorical_crossentropy with softmax for several classes.`, 'units', [
          this.fix(`Make "${last.name}" one sigmoid unit`, setProperties(this.doc, activationPath, { units: 1, activation: 'sigmoid' })),
        ]);
      } else if (activation && activation !== 'sigmoid') {
        mismatch(activation === 'softmax' ? 'error' : 'warning', activation === 'softmax'
          ? `softmax over a single unit always outputs 1, so binary_crossentropy cannot learn. Use "activation": "sigmoid".`
          : `binary_crossentropy expects a probability, but "${last.name}" has activation "${activation}". Use "activation": "sigmoid".`, 'activation', [setActivation('sigmoid')]);
      }
      if (classes !== undefined && classes > 2) {
        mismatch('error', `binary_crossentropy is for two classes, but data.labels declares ${classes}. Use sparse_categorical_crossentropy with Dense(${classes}, activation "softmax").`, 'units');
      }
    } else if (loss === 'categorical_crossentropy' || loss === 'sparse_categorical_crossentropy') {
      if (units === 1 && outputLayer) {
        const n = classes && classes > 1 ? classes : 2;
        mismatch('error', `${loss} needs one output per class, but the model outputs a single value. Use Dense(${n}, activation "softmax")${classes ? '' : ', with one unit per class'}, or binary_crossentropy with one sigmoid unit for two classes.`, 'units', [
          this.fix(`Set "units": ${n} with softmax on "${last.name}"`, setProperties(this.doc, activationPath, { units: n, activation: 'softmax' })),
        ]);
      } else if (classes !== undefined && units !== classes && outputLayer) {
        mismatch('error', `data.labels declares ${classes} classes but "${last.name}" has ${units} units. Set "units": ${classes}.`, 'units', [
          this.fix(`Set "units": ${classes} on "${last.name}"`, setProperty(this.doc, activationPath, 'units', classes)),
        ]);
      } else if (activation && activation !== 'softmax') {
        mismatch('warning', `${loss} expects a probability distribution over the classes, but "${last.name}" has activation "${activation}". Use "activation": "softmax".`, 'activation', [setActivation('softmax')]);
      }
    } else if (REGRESSION_LOSSES.has(loss) && (activation === 'sigmoid' || activation === 'softmax')) {
      mismatch('warning', `${loss} is a regression loss, but "${last.name}" squashes its output with ${activation} into (0, 1), so predictions can never leave that range. Use "activation": "linear" for regression.`, 'activation', [setActivation('linear')]);
    }
  }

  /** Cross-checks between the layers and the `data` section. */
  private checkData(): void {
    const data = this.model.data as Record<string, unknown> | undefined;
    if (!data || typeof data !== 'object') return;
    const numWords = data.num_words;
    if (typeof numWords === 'number') {
      for (const l of this.layers) {
        const inputDim = l.config.input_dim;
        if (l.type === 'Embedding' && typeof inputDim === 'number' && inputDim < numWords) {
          const where = this.anchor(l.path, 'input_dim');
          this.report('error', 'embedding-too-small', `Embedding "${l.name}" has input_dim ${formatCount(inputDim)} but the tokenizer keeps num_words = ${formatCount(numWords)}: token ids up to ${formatCount(numWords - 1)} would fall outside the embedding table. Set "input_dim": ${numWords}.`, where.path, where.range, {
            layerIndex: l.index,
            related: [{ message: 'num_words is set here', path: ['data', 'num_words'], range: this.doc.propertyRange(this.doc.node(['data', 'num_words'])!) }],
            fixes: [this.fix(`Set "input_dim": ${numWords}`, setProperty(this.doc, l.path, 'input_dim', numWords))],
          });
        }
      }
    }
    this.diagnostics.push(...tokenIdDiagnostics(this.doc, this.layers, data));
    const shape = (this.model.input as { shape?: unknown } | undefined)?.shape;
    const steps = Array.isArray(shape) ? shape[0] : undefined;
    for (const key of ['maxlen', 'window'] as const) {
      const length = data[key];
      if (typeof length !== 'number' || typeof steps !== 'number' || steps === length) continue;
      const node = this.doc.node(['input', 'shape', 0])!;
      this.report('error', 'input-length-mismatch', `The model input has ${steps} timesteps but data.${key} is ${length}: every sample the pipeline makes has ${length} steps. Set the first entry of "input.shape" to ${length}.`, ['input', 'shape', 0], node, {
        related: [{ message: `${key} is set here`, path: ['data', key], range: this.doc.propertyRange(this.doc.node(['data', key])!) }],
        fixes: [this.fix(`Set the input length to ${length}`, replaceValue(this.doc, ['input', 'shape', 0], length))],
      });
    }
    const columns = data.columns;
    const features = Array.isArray(shape) ? shape[1] : undefined;
    if (data.kind === 'timeseries' && Array.isArray(columns) && columns.length > 0 && typeof features === 'number' && features !== columns.length) {
      const node = this.doc.node(['input', 'shape', 1])!;
      this.report('error', 'input-features-mismatch', `The model input has ${features} feature(s) per timestep but data.columns lists ${columns.length}. Set the second entry of "input.shape" to ${columns.length}.`, ['input', 'shape', 1], node, {
        fixes: [this.fix(`Set the feature count to ${columns.length}`, replaceValue(this.doc, ['input', 'shape', 1], columns.length))],
      });
    }
  }

  /** Information: SimpleRNN over long sequences, very large models. */
  private checkHints(): void {
    for (const l of this.layers) {
      // Only where the layer accepted its input: after a rank error the shape it got is the wrong one.
      if (!l.outputShape) continue;
      const rnn = l.type === 'Bidirectional' ? l.inner : l;
      const rnnPath = l.type === 'Bidirectional' ? [...l.path, 'layer'] : l.path;
      const steps = l.inputShape?.length === 3 ? l.inputShape[1] : undefined;
      // An unknown length (null) may be anything: the same advice as for a long one.
      if (rnn?.type !== 'SimpleRNN' || steps === undefined || (steps !== null && steps <= this.options.simpleRnnMaxSteps)) continue;
      const typeNode = this.doc.node([...rnnPath, 'type'])!;
      const reads = steps === null ? 'reads sequences whose length the model does not fix' : `reads ${steps} timesteps`;
      this.report('info', 'simple-rnn-long-sequence', `SimpleRNN "${rnn.name}" ${reads}; over more than ${this.options.simpleRnnMaxSteps} steps its gradients vanish and it forgets the start of the sequence. LSTM or GRU keep long-range memory.`, [...rnnPath, 'type'], this.doc.propertyRange(typeNode), {
        layerIndex: l.index,
        fixes: [this.fix('Change SimpleRNN to LSTM', replaceValue(this.doc, [...rnnPath, 'type'], 'LSTM')), this.fix('Change SimpleRNN to GRU', replaceValue(this.doc, [...rnnPath, 'type'], 'GRU'), false)],
      });
    }
    const total = this.layers.reduce((s, l) => s + l.trainableParams + l.nonTrainableParams, 0);
    if (total > this.options.largeModelParams) {
      const node = this.doc.node(['layers'])!;
      const atLeast = this.layers.some((l) => l.unknownReason !== undefined) ? 'at least ' : '';
      this.report('info', 'large-model', `This model has ${atLeast}${formatCount(total)} parameters (${formatBytes(total * 4)} of float32 weights; training with Adam keeps about 4x that for weights, gradients and optimizer state).`, ['layers'], this.doc.keyRange(node));
    }
  }
}

function rankFits(rule: LayerRule, input: Shape): boolean {
  return input.length >= rule.minRank && (rule.maxRank === undefined || input.length <= rule.maxRank);
}

function pointerToPath(pointer: string): JsonPath {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function layerIndexOf(path: JsonPath): number | undefined {
  return path[0] === 'layers' && typeof path[1] === 'number' ? path[1] : undefined;
}

/** `layers[3].units` -> `"units" of layer 3 (LSTM)`, for messages. */
function describePath(path: JsonPath, model: Record<string, unknown>): string {
  if (path.length === 0) return 'The model';
  const index = layerIndexOf(path);
  const keys = (rest: JsonPath) => `"${shorten(rest.map((k) => shorten(String(k), 30)).join('.'))}"`;
  if (index !== undefined) {
    const layer = Array.isArray(model.layers) ? (model.layers[index] as Record<string, unknown> | undefined) : undefined;
    const type = typeof layer?.type === 'string' ? shorten(layer.type, 30) : 'layer';
    const rest = path.slice(2);
    if (rest.length === 0) return `${type} (layer ${index})`;
    if (rest[0] === 'layer') {
      const inner = (layer?.layer as Record<string, unknown> | undefined) ?? {};
      const innerType = typeof inner.type === 'string' ? shorten(inner.type, 30) : 'layer';
      return rest.length === 1 ? `The ${innerType} inside ${type} (layer ${index})` : `${keys(rest.slice(1))} of the ${innerType} inside ${type} (layer ${index})`;
    }
    return `${keys(rest)} of ${type} (layer ${index})`;
  }
  return keys(path);
}

function typeWords(type: unknown): string {
  const words: Record<string, string> = { integer: 'a whole number', number: 'a number', string: 'a string', boolean: 'true or false', array: 'a list', object: 'an object', null: 'null' };
  const list = Array.isArray(type) ? type : [type];
  return list.map((t) => words[String(t)] ?? String(t)).join(' or ');
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return quoteValue(value);
}

function firstSentence(text: string): string {
  const m = /^[^.]*\./.exec(text);
  return (m ? m[0] : text).trim();
}
