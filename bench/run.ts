import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { analyzeModel } from '../src/core';
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

async function main(): Promise<void> {
  coreBench();
  await dataBench();
}

void main();
