// One build for every bundle: the extension (node, cjs, `vscode` external), the CLI, the trainer
// (TensorFlow.js inside), and the webview (browser, esm); then the built-in data sets in their
// compact form (dist/data, scripts/build-data.mjs). dist/ runs without node_modules.
// Usage: node esbuild.mjs [--watch] [--production]
import { copyFileSync } from 'node:fs';
import * as esbuild from 'esbuild';
import { buildData } from './scripts/build-data.mjs';
import { writeNotices } from './scripts/notices.mjs';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

const common = {
  bundle: true,
  minify: production,
  sourcemap: production ? false : 'linked',
  logLevel: 'warning',
  legalComments: 'none', // the licenses are in dist/THIRD-PARTY-NOTICES.txt (scripts/notices.mjs)
  metafile: true,
  // jsonc-parser's UMD build hides its requires from bundlers; its ESM build bundles cleanly.
  mainFields: ['module', 'main'],
  // web-tree-sitter's ESM build finds itself through import.meta.url, which a CommonJS bundle lacks.
  alias: { 'web-tree-sitter': './node_modules/web-tree-sitter/web-tree-sitter.cjs' },
};

const builds = [
  // The designer webview (its CSS import is emitted beside it as dist/webview/designer.css).
  { ...common, entryPoints: { designer: 'webview/main.ts' }, outdir: 'dist/webview', platform: 'browser', format: 'esm', target: 'es2022' },
  { ...common, entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js', platform: 'node', format: 'cjs', target: 'node20', external: ['vscode'] },
  { ...common, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', platform: 'node', format: 'cjs', target: 'node20' },
  // The trainer carries TensorFlow.js (the pure-JavaScript backend, what the packages train on).
  // The native backend, @tensorflow/tfjs-node, stays outside: a development checkout may have it
  // (backend.ts tries it first), the packages never do. tfjs-core requires node-fetch only when
  // there is no global fetch (Node < 18).
  {
    ...common,
    entryPoints: ['src/trainer/main.ts'],
    outfile: 'dist/trainer.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['@tensorflow/tfjs-node', 'node-fetch'],
  },
];

const contexts = await Promise.all(builds.map((b) => esbuild.context(b)));
if (watch) {
  await Promise.all(contexts.map((c) => c.watch()));
  console.log('esbuild: watching for changes');
} else {
  const results = await Promise.all(contexts.map((c) => c.rebuild()));
  await Promise.all(contexts.map((c) => c.dispose()));
  writeNotices(results.map((r) => r.metafile));
}
// The Python parser's WebAssembly (tree-sitter's runtime and its Python grammar), beside the
// bundles that load it (src/core/python/parser.ts looks in dist/ first; the packages have no node_modules).
for (const [from, to] of [
  ['node_modules/web-tree-sitter/web-tree-sitter.wasm', 'dist/web-tree-sitter.wasm'],
  ['node_modules/tree-sitter-python/tree-sitter-python.wasm', 'dist/tree-sitter-python.wasm'],
]) {
  copyFileSync(from, to);
}
// The data sets change only with their packages: rebuilt when older than them (a few seconds).
for (const problem of buildData({ log: (m) => console.log(m) })) console.warn(`esbuild.mjs: ${problem}`);
