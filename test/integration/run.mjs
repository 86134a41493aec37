// Runs the integration suite (test/integration/*.test.ts, compiled to out/) inside a real VS Code
// extension host, on a fresh workspace holding the examples. Writes out/integration-results.json.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
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

await suite('integration', { env: { RNN_STUDIO_TEST_FILES: 'editor.test.js,training.test.js', RNN_STUDIO_REPO: root } });
await suite('restricted-mode', { workspaceTrust: true, env: { RNN_STUDIO_TEST_FILES: 'restricted.test.js' } });

// The packaged extension: `npm run package`, installed into the server, smoke-tested: this
// platform's package (rnn-studio-<version>-<platform>-<arch>.vsix), else the universal one.
const { version } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const platformVsix = path.join(root, `rnn-studio-${version}-${process.platform}-${process.arch}.vsix`);
const packaged = spawnSync('npm', ['run', 'package'], { cwd: root, encoding: 'utf8' });
if (packaged.status !== 0) {
  console.log(`not ok - vsix: npm run package failed\n${packaged.stdout}\n${packaged.stderr}`);
  totals.failed += 1;
} else {
  const vsix = existsSync(platformVsix) ? platformVsix : path.join(root, `rnn-studio-${version}.vsix`);
  // A stand-in development extension: the tests run against the installed .vsix, not this folder.
  const standIn = mkdtempSync(path.join(tmpdir(), 'rnn-studio-standin-'));
  writeFileSync(path.join(standIn, 'package.json'), JSON.stringify({ name: 'standin', publisher: 'test', version: '0.0.1', engines: { vscode: '^1.90.0' } }));
  await suite('vsix', { extensionDevelopmentPath: standIn, installExtensions: [vsix], env: { RNN_STUDIO_TEST_FILES: 'vsix.test.js', RNN_STUDIO_REPO: root } });
  // Packaging rebuilt dist/ minified; rebuild the development bundles for whatever runs next.
  spawnSync(process.execPath, [path.join(root, 'esbuild.mjs')], { cwd: root, stdio: 'inherit' });
}

mkdirSync(path.dirname(resultsOut), { recursive: true });
writeFileSync(resultsOut, JSON.stringify({ passed: totals.passed, failed: totals.failed }));
console.log(`integration: ${totals.passed} passed, ${totals.failed} failed`);
process.exitCode = totals.failed ? 1 : 0;
