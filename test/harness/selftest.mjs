// Self-test of the harness: writes a throwaway extension and workspace into a temp folder, and
// checks a passing suite, a failing suite (assertion + hung test), an entry that throws while
// loading, restricted mode, and a Playwright screenshot of the workbench. Prints timings and
// "N passed, N failed".   node test/harness/selftest.mjs [artifactsDir]
import * as fs from 'node:fs/promises';
import { existsSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureVSCodeServer } from './vscode-server.mjs';
import { runExtensionTests, openWorkbench, ExtensionTestsError } from './run-extension-tests.mjs';

const HOST_MOCHA = fileURLToPath(new URL('./host-mocha.cjs', import.meta.url));
const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'rnn-harness-selftest-'));
const artifacts = path.resolve(process.argv[2] || path.join(tmp, 'artifacts'));
const ext = path.join(tmp, 'ext');
const ws = path.join(tmp, 'ws');

const files = {
  'package.json': JSON.stringify({
    name: 'harness-sample', publisher: 'harness', version: '0.0.1', engines: { vscode: '^1.90.0' }, main: './extension.js',
    activationEvents: ['onLanguage:json', 'workspaceContains:**/*.rnn.json'],
    capabilities: { untrustedWorkspaces: { supported: 'limited', description: 'sample' } },
    contributes: { commands: [{ command: 'sample.countLayers', title: 'Count layers', category: 'Sample' }] },
  }),
  'extension.js': `const vscode = require('vscode');
function check(doc, coll) {
  if (!doc.fileName.endsWith('.rnn.json')) return;
  const text = doc.getText(), diags = [], re = /"SimpleRNNN"/g; let m;
  while ((m = re.exec(text))) {
    const d = new vscode.Diagnostic(new vscode.Range(doc.positionAt(m.index), doc.positionAt(m.index + m[0].length)), 'Unknown layer type', vscode.DiagnosticSeverity.Error);
    d.code = 'RNN001'; d.source = 'sample'; diags.push(d);
  }
  coll.set(doc.uri, diags);
}
exports.activate = (ctx) => {
  const coll = vscode.languages.createDiagnosticCollection('sample');
  ctx.subscriptions.push(coll, vscode.workspace.onDidOpenTextDocument((d) => check(d, coll)),
    vscode.workspace.onDidChangeTextDocument((e) => check(e.document, coll)));
  vscode.workspace.textDocuments.forEach((d) => check(d, coll));
  ctx.subscriptions.push(vscode.commands.registerCommand('sample.countLayers', () =>
    JSON.parse(vscode.window.activeTextEditor.document.getText()).layers.length));
};`,
  'test/suite.test.js': `const assert = require('assert'), vscode = require('vscode');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
describe('sample', () => {
  const uri = () => vscode.Uri.joinPath(vscode.workspace.workspaceFolders[0].uri, 'model.rnn.json');
  it('publishes a diagnostic on the typo', async () => {
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri()));
    let d = [];
    for (let i = 0; i < 200 && !d.length; i++) { d = vscode.languages.getDiagnostics(uri()); if (!d.length) await sleep(50); }
    assert.strictEqual(d.length, 1); assert.strictEqual(d[0].code, 'RNN001'); assert.strictEqual(d[0].range.start.line, 4);
  });
  it('runs a command', async () => assert.strictEqual(await vscode.commands.executeCommand('sample.countLayers'), 3));
  it('sees the driver environment and the expected workspace trust', () => {
    assert.strictEqual(process.env.SAMPLE_PROBE, 'from-driver');
    assert.strictEqual(vscode.workspace.isTrusted, process.env.SAMPLE_EXPECT_TRUSTED !== 'false');
  });
});`,
  'test/failing.test.js': `const assert = require('assert');
describe('failing on purpose', () => {
  it('asserts something false', () => assert.strictEqual(1, 2));
  it('hangs until the mocha timeout', function () { this.timeout(1000); return new Promise(() => {}); });
});`,
  'test/index.js': `const path = require('path');
exports.run = () => require(${JSON.stringify(HOST_MOCHA)}).runMocha({
  files: (process.env.SAMPLE_FILES || 'suite.test.js').split(',').map((f) => path.join(__dirname, f)) });`,
  'test/throws.js': `throw new Error('boom: the test entry failed to load');`,
};
for (const [rel, text] of Object.entries(files)) {
  await fs.mkdir(path.dirname(path.join(ext, rel)), { recursive: true });
  await fs.writeFile(path.join(ext, rel), text);
}
await fs.mkdir(ws, { recursive: true });
await fs.writeFile(path.join(ws, 'model.rnn.json'), `{
  "name": "demo",
  "layers": [
    { "type": "Embedding", "input_dim": 1000, "output_dim": 32 },
    { "type": "SimpleRNNN", "units": 16 },
    { "type": "Dense", "units": 1 }
  ]
}
`);

let passed = 0;
let failed = 0;
const timings = {};
async function check(name, fn) {
  const t = Date.now();
  try {
    await fn();
    passed++;
    console.log(`ok - ${name} (${((Date.now() - t) / 1000).toFixed(1)} s)`);
  } catch (err) {
    failed++;
    console.log(`not ok - ${name}: ${err.stack || err}`);
  }
  timings[name] = Date.now() - t;
}
const assert = (cond, msg) => {
  if (!cond) throw new Error(msg);
};
const base = { extensionDevelopmentPath: ext, extensionTestsPath: path.join(ext, 'test', 'index.js'), workspaceFolder: ws, timeoutMs: 90_000 };

await check('ensureVSCodeServer', async () => {
  const { vscodeVersion } = await ensureVSCodeServer({});
  assert(/^\d+\.\d+\.\d+$/.test(vscodeVersion), `version ${vscodeVersion}`);
});
await check('passing suite', async () => {
  const r = await runExtensionTests({ ...base, env: { SAMPLE_PROBE: 'from-driver' }, artifactsDir: path.join(artifacts, 'passing') });
  assert(r.passed === 3 && r.failed === 0, JSON.stringify(r, null, 1));
});
await check('failing suite is reported as failed, with artifacts', async () => {
  const dir = path.join(artifacts, 'failing');
  const r = await runExtensionTests({ ...base, env: { SAMPLE_PROBE: 'from-driver', SAMPLE_FILES: 'suite.test.js,failing.test.js' }, artifactsDir: dir });
  assert(r.passed === 3 && r.failed === 2, JSON.stringify(r, null, 1));
  assert(r.tests.some((t) => t.state === 'failed' && /Timeout/.test(t.error)), 'the hung test failed by timeout');
  for (const f of ['screenshot.png', 'server.log']) assert(existsSync(path.join(dir, f)), `${f} saved`);
});
await check('an entry that throws while loading is reported', async () => {
  try {
    await runExtensionTests({ ...base, extensionTestsPath: path.join(ext, 'test', 'throws.js'), artifactsDir: path.join(artifacts, 'throws') });
  } catch (err) {
    assert(err instanceof ExtensionTestsError, `ExtensionTestsError, got ${err}`);
    assert(err.exitCode === 1 && /boom/.test(err.message), err.message);
    return;
  }
  throw new Error('no error thrown');
});
await check('restricted mode (workspaceTrust: true)', async () => {
  const r = await runExtensionTests({ ...base, workspaceTrust: true, env: { SAMPLE_PROBE: 'from-driver', SAMPLE_EXPECT_TRUSTED: 'false' }, artifactsDir: path.join(artifacts, 'restricted') });
  assert(r.passed === 3 && r.failed === 0, JSON.stringify(r, null, 1));
});
await check('openWorkbench: open the file, see the squiggle, screenshot', async () => {
  const wb = await openWorkbench({ extensionDevelopmentPath: ext, workspaceFolder: ws, artifactsDir: path.join(artifacts, 'workbench') });
  let ok = false;
  try {
    await wb.page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'model.rnn.json' }).click();
    await wb.page.waitForSelector('.squiggly-error', { timeout: 20_000 });
    await fs.mkdir(artifacts, { recursive: true });
    await wb.page.screenshot({ path: path.join(artifacts, 'workbench.png') });
    ok = true;
  } finally {
    await wb.close({ failed: !ok });
  }
});

console.log(`timings (ms): ${JSON.stringify(timings)}`);
console.log(`artifacts: ${artifacts}`);
console.log(`${passed} passed, ${failed} failed`);
if (!process.argv[2] && !failed) await fs.rm(tmp, { recursive: true, force: true });
process.exitCode = failed ? 1 : 0;
