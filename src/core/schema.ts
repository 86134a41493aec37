import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import schemaJson from '../../schemas/rnn-model.schema.json';
import { own } from './json';
export { MAX_INTEGER } from './json';

/**
 * The JSON Schema in `schemas/rnn-model.schema.json` is the single source of truth for keys,
 * defaults and allowed values; this module reads it, and validates with it through ajv.
 */

export interface SchemaNode {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
  required?: string[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  description?: string;
  markdownDescription?: string;
  allOf?: SchemaNode[];
  [key: string]: unknown;
}

export const modelSchema = schemaJson as unknown as SchemaNode & { definitions: Record<string, SchemaNode> };

let validator: ValidateFunction | undefined;

/** Validates a parsed model; compiled on first use (a few ms) so importing the core stays cheap. */
export function validateWithSchema(value: unknown): ErrorObject[] {
  validator ??= new Ajv({ allErrors: true, strict: false }).compile(modelSchema);
  return validator(value) ? [] : [...(validator.errors ?? [])];
}

export function resolveRef(node: SchemaNode | undefined): SchemaNode | undefined {
  let current = node;
  for (let guard = 0; current?.$ref && guard < 10; guard++) {
    const name = current.$ref.replace('#/definitions/', '');
    current = modelSchema.definitions[name];
  }
  return current;
}

/** All layer types of schema v1, in the schema's order. */
export const LAYER_TYPES: readonly string[] = (modelSchema.definitions.layer.properties?.type?.enum ?? []) as string[];

/** The schema of one layer type (its keys, defaults, enums, descriptions). */
export function layerSchema(type: string): SchemaNode | undefined {
  return LAYER_TYPES.includes(type) ? modelSchema.definitions[type] : undefined;
}

const defaultsByType = new Map<string, Record<string, unknown>>();

/** A layer's config with Keras defaults filled in from the schema. */
export function withDefaults(type: string, config: Record<string, unknown>): Record<string, unknown> {
  let filled = defaultsByType.get(type);
  if (!filled) {
    filled = {};
    for (const [key, prop] of Object.entries(layerSchema(type)?.properties ?? {})) {
      if (key !== 'type' && key !== 'name' && key !== 'layer' && prop.default !== undefined) filled[key] = prop.default;
    }
    defaultsByType.set(type, filled);
  }
  return { ...filled, ...config };
}

/** The schema node describing the value at `path` of a model, following layer types. */
export function schemaAt(path: (string | number)[], model: unknown): SchemaNode | undefined {
  let node: SchemaNode | undefined = modelSchema;
  let value: unknown = model;
  for (const segment of path) {
    node = resolveRef(node);
    if (!node) return undefined;
    if (typeof segment === 'number') node = node.items;
    else node = own(node.properties, segment);
    value = (value as Record<string | number, unknown> | undefined)?.[segment];
    node = resolveRef(node);
    if (node === modelSchema.definitions.layer || node === modelSchema.definitions.recurrentLayer) {
      const type = (value as { type?: unknown } | undefined)?.type;
      node = typeof type === 'string' ? layerSchema(type) ?? node : node;
    }
  }
  return node;
}

/** The closest candidate to `word` (case-insensitive, small edit distance), for "did you mean". */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  return suggester(candidates)(word);
}

/**
 * `closest` over a fixed list, with the candidates prepared once: for many words (every unknown
 * key of an object) each lookup is linear in the word and bounded by the few, short candidates.
 */
export function suggester(candidates: readonly string[]): (word: string) => string | undefined {
  const normalized = (s: string) => s.toLowerCase().replace(/[_\- ]/g, '');
  const prepared = candidates.map((c) => ({ c, lower: c.toLowerCase(), loose: normalized(c) }));
  return (word) => {
    const lower = word.toLowerCase();
    const exact = prepared.find((p) => p.lower === lower);
    if (exact) return exact.c;
    const wordLoose = normalized(word);
    const loose = prepared.find((p) => p.loose === wordLoose);
    if (loose) return loose.c;
    let best: string | undefined;
    let bestDistance = Infinity;
    for (const p of prepared) {
      const d = editDistance(lower, p.lower);
      if (d < bestDistance) {
        bestDistance = d;
        best = p.c;
      }
    }
    return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
  };
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 3) return Infinity;
  // Optimal string alignment: Levenshtein plus adjacent transpositions ("LTSM" for "LSTM").
  const rows: number[][] = [Array.from({ length: b.length + 1 }, (_, j) => j)];
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(rows[i - 1][j] + 1, row[j - 1] + 1, rows[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) row[j] = Math.min(row[j], rows[i - 2][j - 2] + 1);
    }
    rows.push(row);
  }
  return rows[a.length][b.length];
}
