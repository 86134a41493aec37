import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { analyzeModel } from '../src/core';
import { analyzePython, PythonSession } from '../src/core/python/analyze';
import { prepareData } from '../src/data';

/**
 * `npm run bench [-- --json]`: parse + shapes + diagnostics time of the core.
 * Targets: under 1 ms per reference model, under 20 ms for a 500-layer model.
 */

const json = process.argv.includes('--json');
const root = path.resolve(__dirname, '../..');

interface Result {
  bench: string;
  model: string;
  layers: number;
  median_ms: number;
  p95_ms: number;
  runs: number;
}

function measure(name: string, text: string, runs: number): Result {
  for (let i = 0; i < 20; i++) analyzeModel(text); // warm up the JIT and the schema validator
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    analyzeModel(text);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  times.sort((a, b) => a - b);
  const layers = analyzeModel(text).layers.length;
  return { bench: 'analyze', model: name, layers, median_ms: round(times[Math.floor(runs / 2)]), p95_ms: round(times[Math.floor(runs * 0.95)]), runs };
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function largeModel(n: number): string {
  const layers = [{ type: 'Embedding', input_dim: 10000, output_dim: 64 }];
  for (let i = 1; i < n - 2; i++) {
    const pick = i % 5;
    layers.push(
      pick === 0
        ? ({ type: 'LSTM', units: 64, return_sequences: true } as never)
        : pick === 1
          ? ({ type: 'Dropout', rate: 0.2 } as never)
          : pick === 2
            ? ({ type: 'Bidirectional', layer: { type: 'GRU', units: 32, return_sequences: true } } as never)
            : pick === 3
              ? ({ type: 'LayerNormalization' } as never)
              : ({ type: 'Dense', units: 64, activation: 'relu' } as never),
    );
  }
  layers.push({ type: 'GlobalAveragePooling1D' } as never, { type: 'Dense', units: 1, activation: 'sigmoid' } as never);
  const body = layers.map((l) => `    ${JSON.stringify(l)}`).join(',\n');
  return `{\n  "input": { "shape": [200], "dtype": "int32" },\n  "layers": [\n${body}\n  ],\n  "compile": { "loss": "binary_crossentropy" }\n}\n`;
}

function coreBench(): void {
  const results: Result[] = [];
  for (const file of readdirSync(path.join(root, 'examples')).filter((f) => f.endsWith('.rnn.json')).sort()) {
    results.push(measure(`examples/${file}`, readFileSync(path.join(root, 'examples', file), 'utf8'), 300));
  }
  results.push(measure('generated 500 layers', largeModel(500), 60));
  if (json) for (const r of results) console.log(JSON.stringify(r));
  else {
    console.log('Core: parse + shapes + diagnostics (median / p95 per model)');
    for (const r of results) console.log(`  ${r.model.padEnd(44)} ${String(r.layers).padStart(4)} layers  ${r.median_ms.toFixed(3)} ms / ${r.p95_ms.toFixed(3)} ms`);
  }
}

/** The data pipeline on the biggest bundled corpus: the whole SpamAssassin example (read, tokenize, pad). */
async function dataBench(): Promise<void> {
  const spam = JSON.parse(readFileSync(path.join(root, 'examples', 'spam-lstm.rnn.json'), 'utf8'));
  const t0 = process.hrtime.bigint();
  const d = await prepareData(spam.data, { modelDir: path.join(root, 'examples'), inputShape: spam.input.shape, labelEncoding: 'binary', validationSplit: 0.1 });
  const ms = Math.round(Number(process.hrtime.bigint() - t0) / 1e6);
  const samples = d.train.x.shape[0] + (d.validation?.x.shape[0] ?? 0) + (d.test?.x.shape[0] ?? 0);
  console.log(json ? JSON.stringify({ bench: 'data', dataset: 'spam_assassin', samples, ms }) : `\nData: SpamAssassin read, tokenized and padded (${samples} messages, maxlen 200): ${ms} ms`);
}

/**
 * Keras code in Python: a 2,000-line file with 20 models (the tutorial's sentiment script, 20
 * times), re-analysed after a one-character edit, as the editor does it (incremental re-parse,
 * unchanged models not analysed again). Target: under 30 ms. Also a fresh parse of the same file.
 */
async function pythonBench(): Promise<void> {
  const block = readFileSync(path.join(root, 'test', 'fixtures', 'python', 'ch18-sentiment.py'), 'utf8');
  const parts: string[] = [];
  for (let i = 0; i < 20; i++) parts.push(block.replace(/\bmodel\b/g, `model_${i}`).replace(/MAXLEN\b/g, `MAXLEN_${i}`));
  let text = parts.join('\n');
  while (text.split('\n').length < 2000) text += '\n# padding line of an ordinary script';
  const session = new PythonSession();
  let models = await session.analyze(text);
  const times: number[] = [];
  for (let i = 0; i < 60; i++) {
    // A keystroke in the middle of the file: one constant changes, so one model changes.
    text = text.replace(/MAXLEN_10 = \d+/, `MAXLEN_10 = ${200 + (i % 7)}`);
    const t0 = process.hrtime.bigint();
    models = await session.analyze(text);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  session.dispose();
  const fresh: number[] = [];
  for (let i = 0; i < 10; i++) {
    const t0 = process.hrtime.bigint();
    await analyzePython(text);
    fresh.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  times.sort((a, b) => a - b);
  fresh.sort((a, b) => a - b);
  const lines = text.split('\n').length;
  const r = { bench: 'python-keystroke', lines, models: models.length, median_ms: round(times[30]), p95_ms: round(times[57]), fresh_median_ms: round(fresh[5]), runs: 60 };
  console.log(json ? JSON.stringify(r) : `\nPython: re-analysis after a keystroke, ${lines} lines, ${models.length} models: ${r.median_ms.toFixed(1)} ms median / ${r.p95_ms.toFixed(1)} ms p95 (fresh parse and analysis: ${r.fresh_median_ms.toFixed(1)} ms)`);
}

async function main(): Promise<void> {
  coreBench();
  await pythonBench();
  await dataBench();
}

void main();
