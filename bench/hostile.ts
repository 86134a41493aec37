import { analyzeModel } from '../src/core';

/**
 * `node out/bench/hostile.js [--json] [--mb N]`: analysis time of hostile model files of about N MB
 * (default 1) and N/4 MB, so growth with size shows. Target: any 1 MB model file under 1 s, and
 * time per MB about equal at both sizes (linear growth).
 */

const json = process.argv.includes('--json');
const mbArg = process.argv.indexOf('--mb');
const mb = mbArg >= 0 ? Number(process.argv[mbArg + 1]) : 1;

const head = '{\n  "input": { "shape": [10, 1] },\n  "layers": [\n';
const tail = '\n  ],\n  "compile": { "loss": "mse" }\n}\n';

/** Repeats `unit` until the file reaches `bytes`. */
function fill(bytes: number, unit: (i: number) => string, join: string): string {
  const parts: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const s = unit(i);
    parts.push(s);
    size += s.length + join.length;
  }
  return parts.join(join);
}

/** Each hostile shape, as a function of the target size in bytes. */
export const HOSTILE_SHAPES: Record<string, (bytes: number) => string> = {
  'deep arrays': (bytes) => `${head}    { "type": "Dense", "units": 1, "x": ${'['.repeat(bytes / 2)}${']'.repeat(bytes / 2)} }${tail}`,
  'deep objects': (bytes) => {
    const depth = Math.floor(bytes / 6);
    return `${head}    { "type": "Dense", "units": 1, "x": ${'{"a": '.repeat(depth)}1${'}'.repeat(depth)} }${tail}`;
  },
  'many unknown keys': (bytes) => `${head}    { "type": "Dense", "units": 1, ${fill(bytes, (i) => `"key_${i}": 1`, ', ')} }${tail}`,
  'inherited names': (bytes) => {
    const names = ['constructor', 'toString', 'valueOf', 'hasOwnProperty', '__proto__'];
    return `${head}${fill(bytes, (i) => `    { "type": "Dense", "units": 1, "${names[i % names.length]}": 1 }`, ',\n')}${tail}`;
  },
  'long string': (bytes) => `${head}    { "type": "Dense", "units": 1, "name": "${'x'.repeat(bytes)}" }${tail}`,
  'many layers': (bytes) => `${head}${fill(bytes, () => '    { "type": "Dense", "units": 4 }', ',\n')}${tail}`,
  'many duplicate keys': (bytes) => `${head}    { "type": "Dense", ${fill(bytes, (i) => `"units": ${i + 1}`, ', ')} }${tail}`,
  'many keys written twice': (bytes) => `${head}    { "type": "Dense", "units": 1, ${fill(bytes, (i) => `"k${i}": 1, "k${i}": 2`, ', ')} }${tail}`,
  'extreme numbers': (bytes) => `${head}${fill(bytes, (i) => `    { "type": "Dense", "units": ${i % 2 ? '1e999' : '1e308'} }`, ',\n')}${tail}`,
};

function time(text: string): number {
  const t0 = process.hrtime.bigint();
  analyzeModel(text);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

function main(): void {
  analyzeModel(HOSTILE_SHAPES['many layers'](1000)); // compile the schema validator first
  if (!json) console.log(`Hostile model files: analysis time at ${mb / 4} MB and ${mb} MB (target: under 1 s per MB, equal ms/MB = linear)`);
  for (const [shape, make] of Object.entries(HOSTILE_SHAPES)) {
    const row: Record<string, unknown> = { bench: 'hostile', shape };
    for (const size of [mb / 4, mb]) {
      const text = make(Math.round(size * 1024 * 1024));
      const ms = time(text);
      const actualMb = Buffer.byteLength(text) / (1024 * 1024);
      row[`ms_${size}mb`] = Math.round(ms);
      row[`ms_per_mb_${size}mb`] = Math.round(ms / actualMb);
    }
    if (json) console.log(JSON.stringify(row));
    else {
      const [small, big] = [mb / 4, mb];
      console.log(`  ${shape.padEnd(22)} ${String(row[`ms_${small}mb`]).padStart(6)} ms (${row[`ms_per_mb_${small}mb`]} ms/MB)   ${String(row[`ms_${big}mb`]).padStart(6)} ms (${row[`ms_per_mb_${big}mb`]} ms/MB)`);
    }
  }
}

if (require.main === module) main();
