#!/usr/bin/env node
// npm run package: the .vsix packages users install (without node_modules), in the repository root.
//
//   node scripts/package.mjs [--target <t>]... [--universal] [--allow-missing-kernels]
//
//   (no option)      this machine's platform package (when vsce knows the platform) + the universal one
//   --target <t>     the package for vsce target <t> (win32-x64, darwin-arm64, linux-x64, alpine-x64, ...)
//                    only: its native addon is built here, so <t> must be this machine's platform-arch
//   --universal      (also) the universal package: no native addon, the WebAssembly kernels
//   --allow-missing-kernels   go on when the WebAssembly kernels cannot be built (a warning, for
//                    testing; such packages train with the kernels as TensorFlow ops, slowly)
//
// Steps: the production build (node esbuild.mjs --production: the bundles with TensorFlow.js and the
// built-in data in dist/data); the portable WebAssembly kernels (dist/kernels/rnn_kernels.wasm and
// rnn_kernels_relaxed.wasm, in every package); then per package `vsce package --no-dependencies`: the platform package with the
// native addon dist/native/<platform>-<arch>/rnn_fused.node built on this machine, the universal one
// without dist/native. Each package must stay under 30 MB; their sizes are printed. Afterwards dist/
// holds the production bundles without the kernels (npm run build restores the development build).

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MAX_BYTES = 30 * 1024 * 1024;
const VSCE_TARGETS = ['win32-x64', 'win32-arm64', 'linux-x64', 'linux-arm64', 'linux-armhf', 'darwin-x64', 'darwin-arm64', 'alpine-x64', 'alpine-arm64'];
const BUILD = path.join('src', 'trainer', 'layers', 'fused', 'native', 'build.mjs');

function fail(message) {
  console.error(`\npackage: ${message}`);
  process.exit(1);
}

function parseArgs(argv) {
  const o = { targets: [], universal: false, allowMissingKernels: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--target' || a === '-t') {
      const t = argv[++i];
      if (!t) fail('--target needs a value, e.g. --target linux-x64.');
      o.targets.push(t);
    } else if (a.startsWith('--target=')) o.targets.push(a.slice(9));
    else if (a === '--universal') o.universal = true;
    else if (a === '--allow-missing-kernels') o.allowMissingKernels = true;
    else if (a === '--help' || a === '-h') {
      console.log(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1, 12).map((l) => l.replace(/^\/\/ ?/, '')).join('\n'));
      process.exit(0);
    } else fail(`unknown option ${a} (see node scripts/package.mjs --help).`);
  }
  return o;
}

function isMusl() {
  if (process.platform !== 'linux') return false;
  const report = process.report?.getReport?.();
  return !report?.header?.glibcVersionRuntime;
}

/** This machine as a vsce target (alpine-x64 on musl Linux), or null when vsce has none for it. */
function hostTarget() {
  const os = process.platform === 'linux' && isMusl() ? 'alpine' : process.platform;
  const t = `${os}-${process.arch === 'arm' ? 'armhf' : process.arch}`;
  return VSCE_TARGETS.includes(t) ? t : null;
}

function run(what, cmd, args) {
  console.log(`\n$ ${[cmd, ...args].join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  if (r.status !== 0) return `${what} failed (${r.error ? r.error.message : `exit code ${r.status}`})`;
  return null;
}

function mb(bytes) {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

const opts = parseArgs(process.argv.slice(2));
const host = hostTarget();
if (!opts.targets.length && !opts.universal) {
  if (host) opts.targets.push(host);
  else console.warn(`package: vsce has no target for ${process.platform}-${process.arch}: only the universal package is made.`);
  opts.universal = true;
}
for (const t of opts.targets) {
  if (!VSCE_TARGETS.includes(t)) fail(`unknown target "${t}"; vsce knows ${VSCE_TARGETS.join(', ')}.`);
  // The native addon is compiled here, for this machine: cross-builds are not supported.
  if (t !== host) fail(`--target ${t} must be built on a ${t} machine (this one is ${host ?? `${process.platform}-${process.arch}`}): the native addon is compiled on the machine that packages it. See "Build matrix" in README.md.`);
}

const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const dist = path.join(root, 'dist');

// 1. The production build: bundles (TensorFlow.js inside the trainer) and dist/data.
let problem = run('the production build', process.execPath, ['esbuild.mjs', '--production']);
if (problem) fail(problem);
for (const f of ['extension.js', 'trainer.js', 'THIRD-PARTY-NOTICES.txt', 'webview/designer.js', 'data/spam-assassin.json.gz', 'data/seattle-weather.csv', 'web-tree-sitter.wasm', 'tree-sitter-python.wasm']) {
  if (!existsSync(path.join(dist, f))) fail(`dist/${f} is missing after the build (the data sets come from the npm packages: run npm install / npm ci).`);
}

// 2. The portable kernels, in every package. A stale build never ships: dist/kernels and dist/native
// start empty. They are removed again at the end: beside dist/trainer.js they would shadow the
// development builds of the kernels (node_modules/.cache/rnn-studio-fused, see addon.ts).
const packagedKernels = () => {
  rmSync(path.join(dist, 'kernels'), { recursive: true, force: true });
  rmSync(path.join(dist, 'native'), { recursive: true, force: true });
};
packagedKernels();
process.on('exit', packagedKernels);
const wasmOut = path.join('dist', 'kernels', 'rnn_kernels.wasm');
problem = run('the WebAssembly kernels', process.execPath, [BUILD, '--wasm', '--strict', `--out=${wasmOut}`]);
for (const f of [wasmOut, wasmOut.replace(/\.wasm$/, '_relaxed.wasm')]) if (!problem && !existsSync(path.join(root, f))) problem = `the WebAssembly kernels: ${f} was not written (clang 16 or later?)`;
if (problem) {
  if (!opts.allowMissingKernels) fail(`${problem}.\nThe packages need the WebAssembly kernels (clang 16+ and wasm-ld: apt-get install clang-19 lld-19). --allow-missing-kernels goes on without them (for testing only).`);
  console.warn(`\npackage: WARNING: ${problem}; going on without dist/kernels (--allow-missing-kernels): these packages are NOT for release.`);
}

const made = [];
// The ignore file of one package: .vscodeignore without the repository README (vsce adds the
// package README as extension/readme.md) and, for the universal package, without dist/native. vsce
// includes whatever a `!` line names, whatever the order, so those lines are taken out.
function ignoreFile(universal) {
  const lines = readFileSync(path.join(root, '.vscodeignore'), 'utf8')
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '!README.md' && !(universal && /^!dist\/native\b/.test(l.trim())));
  const file = path.join(tmpdir(), `rnn-studio-vscodeignore-${process.pid}-${universal ? 'universal' : 'target'}`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

// The README inside the packages: README.md without the developers' part and the images the
// extension page cannot show (scripts/package-readme.mjs). vsce takes it relative to this folder;
// dist/readme/ itself is not packaged.
const readme = path.join('dist', 'readme', 'README.md');
problem = run('the package README', process.execPath, [path.join('scripts', 'package-readme.mjs'), readme]);
if (problem) fail(problem);

function vsce(target) {
  const out = `${pkg.name}-${pkg.version}${target ? `-${target}` : ''}.vsix`;
  rmSync(path.join(root, out), { force: true });
  const ignore = ignoreFile(!target);
  const args = ['vsce', 'package', '--no-dependencies', '--no-rewrite-relative-links', '--readme-path', readme, '--ignoreFile', ignore, ...(target ? ['--target', target] : []), '--out', out];
  const p = run(`vsce package${target ? ` --target ${target}` : ''}`, process.platform === 'win32' ? 'npx.cmd' : 'npx', args);
  rmSync(ignore, { force: true });
  if (p) fail(p);
  made.push({ file: out, bytes: statSync(path.join(root, out)).size });
}

// 3. The universal package first, while dist/native is empty.
if (opts.universal) vsce(null);

// 4. Each platform package with its native addon (in the folder addon.ts looks in: process.platform-arch).
for (const t of opts.targets) {
  const addon = path.join('dist', 'native', `${process.platform}-${process.arch}`, 'rnn_fused.node');
  problem = run(`the native addon for ${t}`, process.execPath, [BUILD, '--strict', `--out=${addon}`]);
  if (problem) fail(`${problem}: a platform package needs it (a C++ compiler: c++, g++ or clang++).`);
  vsce(t);
}

// 5. Sizes.
console.log('\npackage: made');
let tooBig = false;
for (const m of made) {
  const big = m.bytes >= MAX_BYTES;
  tooBig ||= big;
  console.log(`  ${m.file}  ${mb(m.bytes)}${big ? `  TOO BIG (limit ${mb(MAX_BYTES)})` : ''}`);
}
if (tooBig) fail(`a package is ${mb(MAX_BYTES)} or more; check .vscodeignore (unzip -l <file>).`);
