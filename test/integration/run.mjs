// Runs the integration suite (test/integration/*.test.ts, compiled to out/) inside a real VS Code
// extension host, on a fresh workspace holding the examples. Writes out/integration-results.json.
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runExtensionTests } from '../harness/run-extension-tests.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const resultsOut = path.join(root, 'out', 'integration-results.json');

function workspace() {
  const dir = mkdtempSync(path.join(tmpdir(), 'rnn-studio-ws-'));
  cpSync(path.join(root, 'examples'), path.join(dir, 'examples'), { recursive: true });
  mkdirSync(path.join(dir, 'scratch'));
  return dir;
}

const totals = { passed: 0, failed: 0, tests: [] };
async function suite(name, options) {
  try {
    const r = await runExtensionTests({
      extensionDevelopmentPath: root,
      extensionTestsPath: path.join(root, 'out', 'test', 'integration', 'index.js'),
      workspaceFolder: workspace(),
      timeoutMs: 300_000,
      artifactsDir: path.join(root, 'test-artifacts', name),
      ...options,
    });
    for (const t of r.tests) console.log(`${t.state === 'passed' ? 'ok' : t.state === 'pending' ? 'skip' : 'not ok'} - ${name}: ${t.title}${t.error ? `\n${t.error}` : ''}`);
    totals.passed += r.passed;
    totals.failed += r.failed;
  } catch (e) {
    console.log(`not ok - ${name}: ${e.message}`);
    totals.failed += 1;
  }
}

await suite('integration', { env: { RNN_STUDIO_TEST_FILES: 'editor.test.js,training.test.js,python.test.js', RNN_STUDIO_REPO: root } });
await suite('restricted-mode', { workspaceTrust: true, env: { RNN_STUDIO_TEST_FILES: 'restricted.test.js' } });

// The packaged extensions (`npm run package`, each .vsix installed alone and driven from the
// command palette) are tested end to end by test/packages/run.mjs.

mkdirSync(path.dirname(resultsOut), { recursive: true });
writeFileSync(resultsOut, JSON.stringify({ passed: totals.passed, failed: totals.failed }));
console.log(`integration: ${totals.passed} passed, ${totals.failed} failed`);
process.exitCode = totals.failed ? 1 : 0;
