// `npm run bench` part two: editor responsiveness in the real VS Code extension host.
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runExtensionTests } from '../../test/harness/run-extension-tests.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const json = process.argv.includes('--json');
const ws = mkdtempSync(path.join(tmpdir(), 'rnn-studio-bench-'));
cpSync(path.join(root, 'examples'), path.join(ws, 'examples'), { recursive: true, filter: (src) => !src.includes(`${path.sep}runs`) });
const results = await runExtensionTests({
  extensionDevelopmentPath: root,
  extensionTestsPath: path.join(root, 'out', 'bench', 'editor', 'index.js'),
  workspaceFolder: ws,
  timeoutMs: Number(process.env.RNN_STUDIO_BENCH_TIMEOUT ?? 300_000),
  log: () => {},
});
if (json) for (const f of results.bench) console.log(JSON.stringify(f));
else {
  console.log(`\nEditor, in the real extension host (medians of 5 edits; diagnostics include the ${results.debounceMs} ms debounce)`);
  for (const f of results.bench) console.log(`  ${f.bench.padEnd(20)} ${f.model.padEnd(44)} ${String(f.ms).padStart(8)} ms`);
}
