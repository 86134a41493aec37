import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import { isMainThread, Worker, workerData } from 'node:worker_threads';
import fc from 'fast-check';
import { analyzeModel, readRepoFile, repoRoot } from './helpers';
import { MAX_INTEGER, MAX_NESTING } from '../../src/core/json';
import * as path from 'node:path';

/** The parser and engine must never throw, whatever the text: random JSON, random text, and mutated examples. */

const examples = readdirSync(path.join(repoRoot, 'examples'))
  .filter((f) => f.endsWith('.rnn.json'))
  .map((f) => readRepoFile(`examples/${f}`));

const layerTypes = ['Embedding', 'SimpleRNN', 'LSTM', 'GRU', 'Bidirectional', 'TimeDistributed', 'Dense', 'Dropout', 'Conv1D', 'MaxPooling1D', 'GlobalMaxPooling1D', 'Flatten', 'RepeatVector', 'Reshape', 'BatchNormalization', 'LTSM'];
const smallValue = fc.oneof(fc.integer({ min: -3, max: 300 }), fc.constant(null), fc.boolean(), fc.constantFrom('concat', 'same', 'valid', 'causal', 'relu', 'x'), fc.array(fc.integer({ min: -2, max: 40 }), { maxLength: 3 }), fc.double());
const layer: fc.Arbitrary<Record<string, unknown>> = fc.letrec((tie) => ({
  layer: fc.record(
    {
      type: fc.constantFrom(...layerTypes),
      units: smallValue,
      return_sequences: fc.oneof(fc.boolean(), smallValue),
      input_dim: smallValue,
      output_dim: smallValue,
      kernel_size: smallValue,
      filters: smallValue,
      pool_size: smallValue,
      strides: smallValue,
      padding: smallValue,
      target_shape: smallValue,
      n: smallValue,
      rate: smallValue,
      merge_mode: smallValue,
      layer: fc.oneof({ depthSize: 'small' }, smallValue, tie('layer')),
    },
    { requiredKeys: ['type'] },
  ),
})).layer as fc.Arbitrary<Record<string, unknown>>;

const model = fc.record({
  input: fc.record({ shape: fc.oneof(fc.array(fc.oneof(fc.integer({ min: -1, max: 60 }), fc.constant(null)), { maxLength: 4 }), smallValue) }),
  layers: fc.array(layer, { maxLength: 8 }),
  compile: fc.record({ loss: fc.constantFrom('binary_crossentropy', 'mse', 'sparse_categorical_crossentropy', 'bogus') }),
  data: fc.record({ num_words: smallValue, maxlen: smallValue, window: smallValue, labels: fc.array(fc.string(), { maxLength: 4 }), kind: fc.constantFrom('text', 'timeseries') }),
});

function mustNotThrow(text: string): ReturnType<typeof analyzeModel> {
  const a = analyzeModel(text);
  assert.ok(Array.isArray(a.diagnostics));
  for (const d of a.diagnostics) {
    assert.ok(d.range.start.line >= 0 && d.range.end.line >= d.range.start.line, `bad range for ${d.code}`);
    for (const f of d.fixes ?? []) for (const e of f.edits) assert.ok(e.offset >= 0 && e.offset + e.length <= text.length, `bad edit in ${d.code}`);
  }
  for (const l of a.layers) assert.ok(Number.isFinite(l.trainableParams) && l.trainableParams >= 0);
  for (const d of a.diagnostics) assert.ok(d.message.length < 1000, `${d.code}: a message of ${d.message.length} characters`);
  return a;
}

// ---- hostile shapes, each run in a worker under a watchdog --------------------------------------

/** Where a hostile value goes in a model: each place a different reader of the tree sees it. */
const place = fc.constantFrom<(value: string) => string>(
  (v) => `{ "input": { "shape": [10, 1] }, "layers": [ { "type": "Dense", "units": 4, "x": ${v} } ] }`,
  (v) => `{ "input": { "shape": ${v} }, "layers": [ { "type": "LSTM", "units": 4 } ] }`,
  (v) => `{ "input": { "shape": [10, 1] }, "layers": [ ${v} ] }`,
  (v) => `{ "input": { "shape": [10, 1] }, "layers": [ { "type": "Bidirectional", "layer": ${v} } ] }`,
  (v) => `{ "input": { "shape": [10, 1] }, "layers": ${v} }`,
  (v) => `{ "input": { "shape": [10, 1] }, "layers": [], "data": ${v}, "compile": { "loss": ${v} } }`,
  (v) => v,
);

const INHERITED = ['constructor', 'toString', 'valueOf', 'hasOwnProperty', '__proto__', 'isPrototypeOf', 'propertyIsEnumerable', 'toLocaleString', '__defineGetter__', '__lookupSetter__'];
const EXTREME = ['1e999', '-1e999', '1e308', '-1e308', '1.7976931348623157e308', '2147483648', '2147483647', '9007199254740993', '-0', '1e-400', '4.9e-324', '123456789012345678901234567890'];

/** The hostile properties, by name; the worker runs one and the test waits for it with a watchdog. */
const HOSTILE: Record<string, () => void> = {
  'deep nesting': () =>
    fc.assert(
      fc.property(place, fc.integer({ min: MAX_NESTING - 5, max: 30_000 }), fc.constantFrom(['[', ']'], ['{"a": ', '}'], ['[{"b": ', '}]']), fc.boolean(), (at, depth, [open, close], closed) => {
        const text = at(`${open.repeat(depth)}1${closed ? close.repeat(depth) : ''}`);
        const a = mustNotThrow(text);
        if (depth * (open === '[' ? 1 : 2) > MAX_NESTING + 1) assert.ok(a.diagnostics.some((d) => d.code === 'too-deep'), 'too-deep reported');
      }),
      { numRuns: 60, seed: 151 },
    ),
  'many keys': () =>
    fc.assert(
      fc.property(place, fc.integer({ min: 100, max: 20_000 }), fc.boolean(), fc.string({ maxLength: 12 }), (at, n, duplicate, name) => {
        const keys = Array.from({ length: n }, (_, i) => `${JSON.stringify(duplicate ? name : `${name}${i}`)}: ${i}`).join(', ');
        const a = mustNotThrow(at(`{ "type": "Dense", "units": 2, ${keys} }`));
        assert.ok(a.diagnostics.length <= 200 + 10, `${a.diagnostics.length} problems for ${n} keys`);
      }),
      { numRuns: 40, seed: 152 },
    ),
  'inherited names': () =>
    fc.assert(
      fc.property(place, fc.constantFrom(...INHERITED), fc.constantFrom('key', 'type', 'value'), (at, name, role) => {
        const layer = role === 'key' ? `{ "type": "Dense", "units": 2, "${name}": 1 }` : role === 'type' ? `{ "type": "${name}", "units": 2 }` : `{ "type": "Dense", "units": 2, "activation": "${name}" }`;
        const text = `{ "input": { "shape": [10, 1] }, "layers": [ ${layer} ], "compile": { "loss": "${name}" } }`;
        const a = mustNotThrow(text);
        assert.ok(a.diagnostics.some((d) => d.severity === 'error'), `${name} as ${role} must not check clean`);
        mustNotThrow(at(`{ "${name}": { "${name}": 1 } }`));
      }),
      { numRuns: 300, seed: 153 },
    ),
  'extreme numbers': () =>
    fc.assert(
      fc.property(place, fc.constantFrom(...EXTREME), fc.constantFrom('units', 'input_dim', 'output_dim', 'rate', 'n', 'kernel_size'), (at, literal, key) => {
        const layers = `[ { "type": "Embedding", "input_dim": 10, "output_dim": 4 }, { "type": "LSTM", "${key}": ${literal}, "units": 3 }, { "type": "Dense", "${key}": ${literal}, "units": ${literal} } ]`;
        const a = mustNotThrow(`{ "input": { "shape": [${literal}] }, "layers": ${layers} }`);
        assert.ok(Number.isFinite(a.totalParams), 'finite total');
        if (!Number.isFinite(Number(literal))) assert.ok(a.diagnostics.some((d) => d.code === 'number-not-finite'), 'number-not-finite');
        else if (Math.abs(Number(literal)) > MAX_INTEGER && Number.isInteger(Number(literal))) assert.ok(a.diagnostics.some((d) => d.code === 'out-of-range'), 'out-of-range');
        mustNotThrow(at(literal));
      }),
      { numRuns: 300, seed: 154 },
    ),
};

/** Runs one hostile property in a worker: a hang (or a stack overflow) fails, a slow machine has minutes. */
function underWatchdog(name: string, seconds: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(__filename, { workerData: { hostile: name } });
    const timer = setTimeout(() => {
      void worker.terminate();
      reject(new Error(`"${name}" did not finish in ${seconds} s: the analysis hangs or grows faster than linearly`));
    }, seconds * 1000);
    worker.on('message', (m: { error?: string }) => {
      clearTimeout(timer);
      if (m.error) reject(new Error(m.error));
      else resolve();
    });
    worker.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

if (!isMainThread && workerData?.hostile) {
  const { parentPort } = require('node:worker_threads') as typeof import('node:worker_threads');
  try {
    HOSTILE[workerData.hostile as string]();
    parentPort!.postMessage({});
  } catch (e) {
    parentPort!.postMessage({ error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  }
}

describe('fuzzing hostile shapes under a watchdog', { skip: !isMainThread }, () => {
  for (const name of Object.keys(HOSTILE)) it(name, () => underWatchdog(name, 300));
});

describe('fuzzing the parser and the engine', { skip: !isMainThread }, () => {
  it('random model-like objects', () => {
    fc.assert(fc.property(model, (m) => void mustNotThrow(JSON.stringify(m, null, 2))), { numRuns: 1500, seed: 20261121 });
  });

  it('arbitrary JSON values', () => {
    fc.assert(fc.property(fc.jsonValue(), (v) => void mustNotThrow(JSON.stringify(v) ?? '')), { numRuns: 1000, seed: 7 });
  });

  it('arbitrary text', () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), (s) => void mustNotThrow(s)), { numRuns: 1000, seed: 11 });
  });

  it('mutated examples (deleted, duplicated and replaced characters)', () => {
    const mutation = fc.record({
      example: fc.integer({ min: 0, max: examples.length - 1 }),
      at: fc.nat(),
      length: fc.integer({ min: 0, max: 12 }),
      insert: fc.constantFrom('', '{', '}', '[', ']', ',', '"', ':', 'null', '-1', '0', 'true', '"LSTM"', '\n', '/*', '"units": 0,'),
    });
    fc.assert(
      fc.property(mutation, ({ example, at, length, insert }) => {
        const text = examples[example];
        const i = at % (text.length + 1);
        mustNotThrow(text.slice(0, i) + insert + text.slice(i + length));
      }),
      { numRuns: 3000, seed: 42 },
    );
  });
});
