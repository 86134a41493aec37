// The designer webview in a real browser: bundles webview/ with esbuild, serves it behind the
// same strict CSP the panel uses (nonce'd scripts, no inline styles), fakes `acquireVsCodeApi`,
// and drives the real UI with playwright-core. Usage: node test/webview/run.mjs [title filter]
import * as esbuild from 'esbuild';
import { createServer } from 'node:http';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { launchBrowser } from '../harness/browser.mjs';
import { THEMES } from './themes.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const artifacts = path.join(root, 'test-artifacts', 'webview');
const filter = process.argv[2] ?? '';
const started = Date.now();

// ---- Build: the webview bundle and the core (to compute real analyses) -------------------------

const tmp = mkdtempSync(path.join(tmpdir(), 'rnn-webview-'));
await esbuild.build({
  entryPoints: { designer: path.join(root, 'webview/main.ts') },
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'chrome120',
  mainFields: ['module', 'main'],
  outdir: path.join(tmp, 'web'),
  logLevel: 'warning',
  legalComments: 'none',
});
await esbuild.build({
  entryPoints: [path.join(root, 'src/core/index.ts')],
  bundle: true,
  format: 'cjs',
  platform: 'node',
  mainFields: ['module', 'main'],
  outfile: path.join(tmp, 'core.cjs'),
  logLevel: 'warning',
});
// The DOM-free parts of the webview, tested in Node first.
await esbuild.build({
  stdin: { contents: "export * from './webview/describe'; export { dropSlot, parseUnits, parseRate } from './webview/edits';", resolveDir: root, loader: 'ts' },
  bundle: true,
  format: 'cjs',
  platform: 'node',
  outfile: path.join(tmp, 'pure.cjs'),
  logLevel: 'warning',
});
const require = createRequire(import.meta.url);
const core = require(path.join(tmp, 'core.cjs'));
const pure = require(path.join(tmp, 'pure.cjs'));

function modelMessage(example, extra = {}) {
  const file = path.join(root, 'examples', `${example}.rnn.json`);
  const analysis = core.analyzeModel(readFileSync(file, 'utf8'));
  return { type: 'model', uri: `file:///ws/${example}.rnn.json`, fileName: `${example}.rnn.json`, version: 3, analysis, stale: false, summaryText: core.formatSummary(analysis), ...extra };
}

// ---- Serve the page as the panel will: CSP with a nonce, assets from one origin ----------------

const assets = {
  '/designer.js': ['text/javascript', readFileSync(path.join(tmp, 'web/designer.js'))],
  '/designer.css': ['text/css', readFileSync(path.join(tmp, 'web/designer.css'))],
};

function page(origin, { theme, state }) {
  const nonce = randomBytes(16).toString('base64');
  const { bodyClass, vars } = THEMES[theme];
  // The page src/extension/designerPanel.ts emits (same CSP and markup), plus a fake VS Code API.
  const csp = `default-src 'none'; style-src ${origin} 'nonce-${nonce}'; font-src ${origin}; img-src ${origin} data:; script-src 'nonce-${nonce}';`;
  const stub = `
    window.__posted = [];
    window.__state = ${JSON.stringify(state ?? null)};
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sample || '')));
    let acquired = false;
    window.acquireVsCodeApi = () => {
      if (acquired) throw new Error('acquireVsCodeApi called twice');
      acquired = true;
      return {
        postMessage: (m) => window.__posted.push(JSON.parse(JSON.stringify(m))),
        getState: () => window.__state,
        setState: (s) => { window.__state = JSON.parse(JSON.stringify(s)); return s; },
      };
    };
    // VS Code puts the theme's colours on <html> and the theme kind on <body>.
    const vars = ${JSON.stringify(vars)};
    for (const [k, v] of Object.entries(vars)) document.documentElement.style.setProperty(k, v);
    document.body.classList.add(${JSON.stringify(bodyClass)});`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${origin}/designer.css" nonce="${nonce}">
<title>RNN Studio Designer</title>
</head>
<body>
<div id="app" data-nonce="${nonce}"></div>
<script nonce="${nonce}">${stub}</script>
<script type="module" nonce="${nonce}" src="${origin}/designer.js"></script>
</body>
</html>`;
}

const server = createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  const asset = assets[url.pathname];
  if (asset) {
    res.writeHead(200, { 'content-type': asset[0] });
    return res.end(asset[1]);
  }
  if (url.pathname === '/favicon.ico') return res.writeHead(204).end();
  if (url.pathname === '/') {
    const theme = url.searchParams.get('theme') ?? 'dark';
    const state = url.searchParams.has('state') ? JSON.parse(url.searchParams.get('state')) : undefined;
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    return res.end(page(origin, { theme, state }));
  }
  res.writeHead(404).end();
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const origin = `http://127.0.0.1:${server.address().port}`;

// ---- Browser and helpers --------------------------------------------------------------------

const warnings = new Set();
const browser = await launchBrowser({ viewport: { width: 760, height: 1100 } });

/** Opens the panel; `done()` fails the test on console errors or CSP violations. */
async function open({ theme = 'dark', state, expectCsp = false } = {}) {
  const p = await browser.newPage();
  const errors = [];
  p.on('console', (m) => {
    // With expectCsp the canary's own CSP report is the point of the test.
    if (m.type() === 'error' && !(expectCsp && m.text().includes('Content Security Policy'))) errors.push(`console: ${m.text()}`);
    if (m.type() === 'warning') warnings.add(m.text().split('\n')[0]);
  });
  p.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  const q = new URLSearchParams({ theme, ...(state ? { state: JSON.stringify(state) } : {}) });
  await p.goto(`${origin}/?${q}`);
  await p.waitForFunction(() => window.__posted.some((m) => m.type === 'ready'));
  const api = {
    page: p,
    /**
     * Posts a message as the host would, then a sentinel behind it: window messages are
     * delivered in order, so once the sentinel arrives the panel has handled (and drawn) the first.
     */
    send: (msg) =>
      p.evaluate(
        (m) =>
          new Promise((resolve) => {
            const id = Math.random();
            const onMessage = (e) => {
              if (e.data?.__sync !== id) return;
              window.removeEventListener('message', onMessage);
              resolve();
            };
            window.addEventListener('message', onMessage);
            window.postMessage(m, '*');
            window.postMessage({ __sync: id }, '*');
          }),
        msg,
      ),
    /** Sends a model; it is drawn when this returns. */
    async model(msg) {
      await api.send(msg);
      equal(await p.locator('.layer-block').count(), msg.analysis.layers.length, 'blocks drawn');
    },
    posted: () => p.evaluate(() => window.__posted),
    clearPosted: () => p.evaluate(() => (window.__posted = [])),
    /** Waits for the webview to post a message of this type, and returns the last one. */
    async next(type) {
      await p.waitForFunction((t) => window.__posted.some((m) => m.type === t), type, { timeout: 2000 }).catch(async () => {
        throw new Error(`no ${type} message posted (posted: ${JSON.stringify(await api.posted())})`);
      });
      return (await api.posted()).filter((m) => m.type === type).at(-1);
    },
    state: () => p.evaluate(() => window.__state),
    block: (i) => p.locator(`.layer-block[data-layer-index="${i}"]`),
    async done() {
      const csp = await p.evaluate(() => window.__csp);
      await p.close();
      if (!expectCsp && csp.length) throw new Error(`CSP violations: ${csp.join('; ')}`);
      if (errors.length) throw new Error(errors.join('; '));
      return csp;
    },
  };
  return api;
}

function assert(cond, message) {
  if (!cond) throw new Error(message);
}
function equal(actual, expected, what) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what}: expected ${e}, got ${a}`);
}

const tests = [];
const test = (title, fn) => tests.push({ title, fn });

// ---- Tests ------------------------------------------------------------------------------------

const imdb = modelMessage('imdb-bilstm-stacked');
const mistake = modelMessage('mistake-stacked-lstm', { version: 7 });

test('node: dropSlot gives the final index of a moved layer', async () => {
  equal([pure.dropSlot(0, 3), pure.dropSlot(0, 1), pure.dropSlot(0, 0), pure.dropSlot(5, 1), pure.dropSlot(2, 7), pure.dropSlot(3, 3), pure.dropSlot(3, 4)], [2, null, null, 1, 6, null, null], 'slots');
});

test('node: units and rate parsing', async () => {
  equal(['64', ' 8 ', '0', '-3', '2.5', '1e3', '', 'abc', '999999', '1000000'].map(pure.parseUnits), [64, 8, null, null, null, null, null, null, 999999, null], 'units');
  equal(['0.5', '0', '.25', '1', '1.5', '-0.1', 'x'].map(pure.parseRate), [0.5, 0, 0.25, null, null, null, null], 'rate');
});

test('node: edges mark where the time axis is dropped', async () => {
  const views = pure.edges(imdb.analysis);
  equal(views.map((v) => v.kind), ['sequence', 'sequence', 'sequence', 'sequence', 'vector', 'vector', 'vector', 'vector'], 'kinds');
  equal(views.map((v) => v.transition ?? ''), ['', '', '', '', 'dropped', '', '', ''], 'transitions');
  equal(views[0].reading, '200 steps of token ids', 'token ids');
  equal(views[2].reading, '200 steps × 128 features', 'sequence reading');
  equal(pure.edgeKind([null, 32]), 'vector', 'vector');
  equal(pure.edgeKind(null), 'unknown', 'unknown');
  // RepeatVector brings a time axis back.
  const repeat = { ...imdb.analysis, inputShape: [null, 8], layers: [{ ...imdb.analysis.layers[5], type: 'RepeatVector', outputShape: [null, 4, 8] }] };
  equal(pure.edges(repeat).map((v) => v.transition ?? ''), ['', 'added'], 'added');
});

test('node: diagnostics are grouped by layer, with related layers and the rest global', async () => {
  const g = pure.groupDiagnostics(mistake.analysis);
  equal([...g.own.keys()], [1], 'own');
  equal([...g.related.keys()], [2], 'related');
  equal(g.global.length, 0, 'global');
  equal(pure.mergeView(imdb.analysis.layers[1]), { mode: 'concat', text: '64 + 64 = 128 features' }, 'merge');
});

test('posts ready on load and waits for the model', async () => {
  const w = await open();
  equal(await w.posted(), [{ type: 'ready' }], 'posted');
  assert(await w.page.locator('.placeholder').isVisible(), 'placeholder shown');
  await w.done();
});

test('imdb-bilstm-stacked: 7 blocks with Keras shapes and counts', async () => {
  const w = await open();
  await w.model(imdb);
  const p = w.page;
  equal(await p.locator('.layer-block').count(), 7, 'blocks');
  equal(await p.locator('.layer-block .layer-type').allTextContents(), ['Embedding', 'Bidirectional', 'Dropout', 'LSTM', 'Dropout', 'Dense', 'Dense'], 'types');
  equal(await p.locator('.layer-block .layer-name').allTextContents(), ['embedding', 'bidirectional', 'dropout', 'lstm_1', 'dropout_1', 'dense', 'dense_1'], 'names');
  // edges: the input, then one below each layer
  equal(await p.locator('.edge .shape').allTextContents(), ['(None, 200)', '(None, 200, 64)', '(None, 200, 128)', '(None, 200, 128)', '(None, 32)', '(None, 32)', '(None, 32)', '(None, 1)'], 'edge shapes');
  equal(await p.locator('.layer-block .params-total').allTextContents(), ['640,000', '66,048', '0', '20,608', '0', '1,056', '33'], 'param counts');
  equal(await w.block(1).locator('.params-detail').textContent(), 'trainable', 'trainable label');
  equal(await w.block(2).locator('.params-detail').textContent(), 'no weights', 'dropout has no weights');
  equal(await p.locator('.total-params .total-value').textContent(), '727,745', 'total');
  equal(await p.locator('.trainable-params .total-value').textContent(), '727,745', 'trainable');
  equal(await p.locator('.non-trainable-params .total-value').textContent(), '0', 'non-trainable');
  equal(await p.locator('.weight-bytes .total-value').textContent(), '2.78 MB', 'weights');
  assert((await w.block(1).locator('.params').getAttribute('title')).includes('66,048'), 'formula tooltip');
  equal(await p.locator('.model-name').textContent(), 'imdb-bilstm-stacked', 'model name');
  // key settings
  equal(await w.block(0).locator('.chip').allTextContents(), ['input_dim10,000', 'output_dim64'], 'embedding settings');
  equal(await w.block(5).locator('.chip').allTextContents(), ['activationrelu'], 'dense activation');
  equal(await w.block(3).locator('vscode-textfield').evaluate((f) => f.value), '32', 'units field');
  equal(await w.block(2).locator('vscode-textfield').evaluate((f) => f.value), '0.3', 'rate field');
  const list = p.locator('[role="list"]');
  assert((await list.getAttribute('aria-label')).includes('imdb-bilstm-stacked'), 'list label');
  equal(await w.block(3).getAttribute('tabindex'), '0', 'focusable');
  equal(await w.block(3).getAttribute('role'), 'listitem', 'listitem');
  await w.done();
});

test('the time axis: sequence edges until the LSTM drops it', async () => {
  const w = await open();
  await w.model(imdb);
  const kinds = await w.page.locator('.edge').evaluateAll((es) => es.map((e) => [...e.classList].find((c) => /^edge-(sequence|vector|unknown)$/.test(c))));
  equal(kinds, ['edge-sequence', 'edge-sequence', 'edge-sequence', 'edge-sequence', 'edge-vector', 'edge-vector', 'edge-vector', 'edge-vector'], 'edge kinds');
  const notes = w.page.locator('.time-note');
  equal(await notes.count(), 1, 'one drop marker');
  equal(await notes.textContent(), 'time axis dropped here', 'marker text');
  equal(await w.page.locator('.edge-dropped').getAttribute('data-after'), '3', 'dropped below lstm_1');
  assert(await w.block(3).evaluate((b) => b.classList.contains('drops-time')), 'lstm_1 marked as dropping the time axis');
  await w.done();
});

test('Bidirectional shows its forward and backward halves and the merge', async () => {
  const w = await open();
  await w.model(imdb);
  const b = w.block(1);
  equal(await b.locator('.half').count(), 2, 'halves');
  equal(await b.locator('.half-forward .half-cell').textContent(), 'LSTM · 64 units', 'forward');
  equal(await b.locator('.half-backward .half-cell').textContent(), 'LSTM · 64 units', 'backward');
  equal(await b.locator('.half-backward .reversed').textContent(), 'reversed', 'backward reversed');
  equal(await b.locator('.half-forward .reversed').count(), 0, 'forward not reversed');
  equal(await b.locator('.half-shape').allTextContents(), ['(None, 200, 64)', '(None, 200, 64)'], 'half shapes');
  equal(await b.locator('vscode-single-select[data-control^="merge_mode"]').evaluate((s) => s.value), 'concat', 'merge mode');
  equal(await b.locator('.merge-text').textContent(), '64 + 64 = 128 features', 'merge result');
  const boxes = await b.locator('.half').evaluateAll((hs) => hs.map((h) => h.getBoundingClientRect().top));
  assert(Math.abs(boxes[0] - boxes[1]) < 1, 'halves side by side');
  assert(await b.locator('vscode-checkbox[data-control^="return_sequences"]').evaluate((c) => c.checked), 'inner return_sequences shown');
  await w.done();
});

test('mistake-stacked-lstm: the block turns red with the message, its Fix posts applyFix', async () => {
  const w = await open();
  await w.model(mistake);
  const b = w.block(1);
  assert(await b.evaluate((e) => e.classList.contains('sev-error')), 'error class');
  const color = await b.evaluate((e) => getComputedStyle(e).borderTopColor);
  equal(color, 'rgb(248, 81, 73)', 'red border (errorForeground)');
  assert((await b.locator('.diag-error .diag-message').textContent()).includes('return_sequences'), 'message inline');
  assert(await w.block(2).evaluate((e) => e.classList.contains('related-error')), 'related block marked lightly');
  assert((await w.block(2).locator('.diag-related').textContent()).includes('lstm_1 receives (None, 64) here'), 'related note');
  equal(await w.block(3).evaluate((e) => e.className.includes('sev-')), false, 'dense not marked');
  // unknown shapes below the broken layer
  equal(await w.page.locator('.edge .shape').allTextContents(), ['(None, 200)', '(None, 200, 64)', '(None, 64)', '?', '?'], 'unknown shapes');
  equal(await w.block(2).locator('.params-total').textContent(), '?', 'unknown count');
  equal(await w.page.locator('.pill-error').textContent(), '1', 'error count');
  const fix = b.locator('vscode-button.fix');
  equal(await fix.textContent(), 'Fix: Set "return_sequences": true on "lstm"', 'fix title');
  await w.clearPosted();
  await fix.click();
  equal(await w.next('applyFix'), { type: 'applyFix', version: 7, diagnosticIndex: 0, fixIndex: 0 }, 'applyFix');
  equal((await w.posted()).length, 1, 'the fix click does not also reveal');
  await w.done();
});

test('problems without a layer are listed at the top', async () => {
  const w = await open();
  const msg = modelMessage('imdb-lstm');
  const diag = { severity: 'warning', code: 'input-shape', message: 'The input shape has no time axis.', path: ['input', 'shape'], range: { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } }, source: 'model', fixes: [{ title: 'Add a time axis', edits: [] }] };
  msg.analysis = { ...msg.analysis, diagnostics: [...msg.analysis.diagnostics, diag] };
  await w.model(msg);
  const global = w.page.locator('.global-diags .diag');
  equal(await global.count(), 1, 'global problems');
  assert((await global.textContent()).includes('The input shape has no time axis.'), 'message');
  await w.clearPosted();
  await global.locator('vscode-button').click();
  equal(await w.next('applyFix'), { type: 'applyFix', version: 3, diagnosticIndex: msg.analysis.diagnostics.length - 1, fixIndex: 0 }, 'applyFix');
  await w.done();
});

test('clicking a block posts reveal and remembers the selection', async () => {
  const w = await open();
  await w.model(imdb);
  await w.clearPosted();
  await w.block(3).locator('.layer-type').click();
  equal(await w.next('reveal'), { type: 'reveal', layerIndex: 3 }, 'reveal');
  assert(await w.block(3).evaluate((e) => e.classList.contains('is-selected')), 'selected');
  equal((await w.state()).selected, 3, 'state.selected');
  equal(await w.page.locator('.palette-insert').textContent(), 'Insert after lstm_1', 'palette follows the selection');
  await w.done();
});

test('highlight marks the block and scrolls it into view; null clears it', async () => {
  const w = await open();
  await w.page.setViewportSize({ width: 760, height: 400 });
  await w.model(imdb);
  await w.send({ type: 'highlight', layerIndex: 6 });
  await w.page.waitForFunction(() => document.querySelector('.layer-block[data-layer-index="6"]').classList.contains('is-highlighted'));
  const box = await w.block(6).boundingBox();
  assert(box.y >= -1 && box.y + box.height <= 401, `block 6 in view (y=${box.y}, height=${box.height})`);
  equal(await w.page.locator('.is-highlighted').count(), 1, 'one highlighted');
  await w.send({ type: 'highlight', layerIndex: null });
  await w.page.waitForFunction(() => !document.querySelector('.is-highlighted'));
  equal((await w.posted()).filter((m) => m.type === 'reveal').length, 0, 'highlight does not echo reveal');
  await w.done();
});

test('stale: the last picture stays, greyed, under a parse-error banner', async () => {
  const w = await open();
  await w.model(imdb);
  await w.send({ ...imdb, version: 4, stale: true, parseError: 'Expected comma at line 9, column 5' });
  await w.page.waitForSelector('.banner-stale');
  assert((await w.page.locator('.banner-stale').textContent()).includes('Expected comma at line 9, column 5'), 'parse error shown');
  equal(await w.page.locator('.layer-block').count(), 7, 'blocks kept');
  const content = w.page.locator('.layers-content');
  assert(await content.evaluate((c) => c.classList.contains('is-stale') && c.inert), 'greyed and inert');
  const opacity = await content.evaluate((c) => Number(getComputedStyle(c).opacity));
  assert(opacity < 0.6, `greyed (opacity ${opacity})`);
  await w.clearPosted();
  await w.block(3).click({ force: true });
  await w.block(3).locator('vscode-checkbox[data-control^="return_sequences"]').click({ force: true });
  equal(await w.posted(), [], 'no reveal or edit from a stale picture');
  mkdirSync(artifacts, { recursive: true });
  await w.page.screenshot({ path: path.join(artifacts, 'designer-stale.png') });
  await w.send({ ...imdb, version: 5 });
  await w.page.waitForSelector('.banner-stale', { state: 'detached' });
  assert(!(await content.count()) || !(await w.page.locator('.layers-content').evaluate((c) => c.classList.contains('is-stale'))), 'fresh again');
  await w.done();
});

test('detached shows a banner and keeps the picture', async () => {
  const w = await open();
  await w.model(imdb);
  await w.send({ type: 'detached', reason: 'The active editor is not an RNN Studio model.' });
  await w.page.waitForSelector('.banner-detached');
  equal(await w.page.locator('.banner-detached').textContent(), 'The active editor is not an RNN Studio model.', 'reason');
  equal(await w.page.locator('.layer-block').count(), 7, 'blocks kept');
  await w.model(imdb);
  equal(await w.page.locator('.banner-detached').count(), 0, 'a new model clears it');
  await w.done();
});

test('a redraw keeps focus and half-typed text in a field', async () => {
  const w = await open();
  await w.model(imdb);
  const input = w.block(5).locator('vscode-textfield input');
  await input.fill('12');
  await w.model({ ...imdb, version: 4 });
  await w.page.waitForFunction(() => document.activeElement?.dataset.control === 'units:5', null, { timeout: 1000 }).catch(() => { throw new Error('focus lost'); });
  equal(await input.inputValue(), '12', 'typed text kept');
  await input.press('Enter');
  equal(await w.next('edit'), { type: 'edit', version: 4, edit: { kind: 'setOption', index: 5, key: 'units', value: 12 } }, 'edit against the new version');
  await w.done();
});

test('units field posts a validated setOption edit', async () => {
  const w = await open();
  await w.model(imdb);
  await w.clearPosted();
  const input = w.block(3).locator('vscode-textfield input');
  await input.fill('0');
  await input.press('Enter');
  await w.page.waitForTimeout(50);
  equal(await w.posted(), [], 'invalid units are not sent');
  assert(await w.block(3).locator('vscode-textfield').evaluate((f) => f.invalid), 'field marked invalid');
  await input.fill('48');
  await input.press('Enter');
  equal(await w.next('edit'), { type: 'edit', version: 3, edit: { kind: 'setOption', index: 3, key: 'units', value: 48 } }, 'edit');
  equal((await w.posted()).filter((m) => m.type === 'reveal').length, 0, 'editing does not reveal');
  await w.clearPosted();
  const rate = w.block(2).locator('vscode-textfield input');
  await rate.fill('0.5');
  await rate.press('Enter');
  equal(await w.next('edit'), { type: 'edit', version: 3, edit: { kind: 'setOption', index: 2, key: 'rate', value: 0.5 } }, 'rate edit');
  await w.done();
});

test('return_sequences checkbox posts setOption (on Bidirectional with its own index)', async () => {
  const w = await open();
  await w.model(imdb);
  await w.clearPosted();
  await w.block(3).locator('vscode-checkbox[data-control^="return_sequences"]').click();
  equal(await w.next('edit'), { type: 'edit', version: 3, edit: { kind: 'setOption', index: 3, key: 'return_sequences', value: true } }, 'lstm');
  await w.clearPosted();
  await w.block(1).locator('vscode-checkbox[data-control^="return_sequences"]').click();
  equal(await w.next('edit'), { type: 'edit', version: 3, edit: { kind: 'setOption', index: 1, key: 'return_sequences', value: false } }, 'bidirectional');
  await w.done();
});

test('cell type and merge_mode selects post their edits', async () => {
  const w = await open();
  await w.model(imdb);
  await w.clearPosted();
  const cell = w.block(3).locator('vscode-single-select[data-control^="cell"]');
  await cell.click();
  await cell.locator('li.option', { hasText: 'GRU' }).click();
  equal(await w.next('edit'), { type: 'edit', version: 3, edit: { kind: 'setCellType', index: 3, cell: 'GRU' } }, 'cell type');
  await w.clearPosted();
  const merge = w.block(1).locator('vscode-single-select[data-control^="merge_mode"]');
  await merge.click();
  await merge.locator('li.option', { hasText: 'sum' }).click();
  equal(await w.next('edit'), { type: 'edit', version: 3, edit: { kind: 'setOption', index: 1, key: 'merge_mode', value: 'sum' } }, 'merge_mode');
  await w.done();
});

test('Bidirectional toggle wraps and unwraps', async () => {
  const w = await open();
  await w.model(imdb);
  await w.clearPosted();
  await w.block(3).locator('vscode-checkbox[data-control^="bidirectional"]').click();
  equal(await w.next('edit'), { type: 'edit', version: 3, edit: { kind: 'wrapBidirectional', index: 3 } }, 'wrap');
  await w.clearPosted();
  await w.block(1).locator('vscode-checkbox[data-control^="bidirectional"]').click();
  equal(await w.next('edit'), { type: 'edit', version: 3, edit: { kind: 'unwrapBidirectional', index: 1 } }, 'unwrap');
  await w.done();
});

test('delete button and the Delete key post a delete edit', async () => {
  const w = await open();
  await w.model(imdb);
  await w.clearPosted();
  const del = w.block(4).locator('vscode-toolbar-button.delete');
  equal(await del.evaluate((b) => b.label), 'Delete layer dropout_1', 'accessible name');
  await del.click();
  equal(await w.next('edit'), { type: 'edit', version: 3, edit: { kind: 'delete', index: 4 } }, 'button');
  equal((await w.posted()).length, 1, 'only the edit');
  await w.clearPosted();
  await w.block(2).focus();
  await w.page.keyboard.press('Delete');
  equal(await w.next('edit'), { type: 'edit', version: 3, edit: { kind: 'delete', index: 2 } }, 'key');
  await w.done();
});

test('keyboard: arrows move focus, Enter reveals, Alt+ArrowDown moves the layer', async () => {
  const w = await open();
  await w.model(imdb);
  await w.clearPosted();
  await w.block(3).focus();
  await w.page.keyboard.press('ArrowDown');
  equal(await w.page.evaluate(() => document.activeElement.dataset.layerIndex), '4', 'focus moved down');
  await w.page.keyboard.press('ArrowUp');
  await w.page.keyboard.press('ArrowUp');
  equal(await w.page.evaluate(() => document.activeElement.dataset.layerIndex), '2', 'focus moved up');
  await w.page.keyboard.press('Enter');
  equal(await w.next('reveal'), { type: 'reveal', layerIndex: 2 }, 'Enter reveals');
  await w.page.keyboard.press('Alt+ArrowDown');
  equal(await w.next('edit'), { type: 'edit', version: 3, edit: { kind: 'move', from: 2, to: 3 } }, 'Alt+ArrowDown');
  // Typing in a field inside a block is not navigation.
  await w.clearPosted();
  await w.block(3).locator('vscode-textfield input').press('ArrowUp');
  await w.block(3).locator('vscode-textfield input').press('Delete');
  equal(await w.posted(), [], 'keys in fields stay in fields');
  // After the host applies the move, focus follows the layer to its new place.
  const moved = structuredClone(imdb);
  const layers = moved.analysis.layers;
  [layers[2], layers[3]] = [layers[3], layers[2]];
  layers.forEach((l, i) => (l.index = i));
  await w.block(2).focus();
  await w.page.keyboard.press('Alt+ArrowDown');
  await w.model({ ...moved, version: 4 });
  equal(await w.page.evaluate(() => document.activeElement.dataset.layerIndex), '3', 'focus follows the moved layer');
  await w.done();
});

test('drag and drop posts a move edit', async () => {
  const w = await open();
  await w.model(imdb);
  await w.clearPosted();
  const target = await w.block(2).boundingBox();
  await w.block(0).locator('.block-head').dragTo(w.block(2), { targetPosition: { x: 40, y: target.height - 6 } });
  equal(await w.next('edit'), { type: 'edit', version: 3, edit: { kind: 'move', from: 0, to: 2 } }, 'drop after block 2');
  await w.clearPosted();
  await w.block(5).locator('.block-head').dragTo(w.block(1), { targetPosition: { x: 40, y: 4 } });
  equal(await w.next('edit'), { type: 'edit', version: 3, edit: { kind: 'move', from: 5, to: 1 } }, 'drop before block 1');
  equal(await w.page.locator('.drop-before, .drop-after, .is-dragging').count(), 0, 'drop marks cleared');
  await w.done();
});

test('palette inserts after the selected block, or at the end', async () => {
  const w = await open();
  await w.model(imdb);
  await w.clearPosted();
  equal(await w.page.locator('.palette-insert').textContent(), 'Insert at end', 'no selection');
  await w.page.locator('.palette-insert').click();
  equal(await w.next('edit'), { type: 'edit', version: 3, edit: { kind: 'insert', index: 7, layer: 'LSTM' } }, 'at end');
  await w.block(1).locator('.layer-name').click();
  const picker = w.page.locator('vscode-single-select[data-control="palette"]');
  await picker.click();
  await picker.locator('li.option', { hasText: 'Dense' }).click();
  await w.clearPosted();
  await w.page.locator('.palette-insert').click();
  equal(await w.next('edit'), { type: 'edit', version: 3, edit: { kind: 'insert', index: 2, layer: 'Dense' } }, 'after selection');
  equal((await w.state()).palette, 'Dense', 'palette choice remembered');
  await w.done();
});

test('invalid incoming messages are ignored', async () => {
  const w = await open();
  await w.model(imdb);
  const before = await w.page.locator('.layers-content').innerHTML();
  for (const bad of [null, 'model', 42, [], {}, { type: 'bogus' }, { type: 'model' }, { ...imdb, version: -1 }, { ...imdb, analysis: null }, { ...imdb, stale: 'no' }, { type: 'highlight', layerIndex: -1 }, { type: 'highlight', layerIndex: '2' }, { type: 'detached' }]) {
    await w.send(bad);
  }
  await w.page.waitForTimeout(50);
  equal(await w.page.locator('.layers-content').innerHTML(), before, 'picture unchanged');
  equal(await w.page.locator('.banner').count(), 0, 'no banner');
  await w.done();
});

test('Summary tab: Keras table, Copy posts copySummary, the tab survives a reload', async () => {
  const w = await open();
  await w.model(imdb);
  await w.page.locator('vscode-tab-header.tab-summary').click();
  const table = w.page.locator('.summary-table');
  await table.waitFor({ state: 'visible' });
  equal(await table.locator('vscode-table-header-cell').allTextContents(), ['Layer (type)', 'Output Shape', 'Param #'], 'header');
  equal(await table.locator('vscode-table-row').count(), 7, 'rows');
  equal(await table.locator('vscode-table-row').nth(1).locator('vscode-table-cell').allTextContents(), ['bidirectional (Bidirectional)', '(None, 200, 128)', '66,048'], 'row');
  assert((await w.page.locator('.summary-totals').textContent()).includes('727,745 (2.78 MB)'), 'totals');
  await w.clearPosted();
  await w.page.locator('vscode-button.copy-summary').click();
  equal(await w.next('copySummary'), { type: 'copySummary' }, 'copy');
  const state = await w.state();
  equal(state.tab, 'summary', 'state.tab');
  await w.done();
  // A reloaded panel comes back on the same tab with the same selection.
  const again = await open({ state: { ...state, selected: 5 } });
  await again.model(imdb);
  await again.page.locator('.summary-table').waitFor({ state: 'visible' });
  assert(!(await again.page.locator('.layer-list').isVisible()), 'layers tab hidden');
  assert(await again.block(5).evaluate((e) => e.classList.contains('is-selected')), 'selection restored');
  await again.done();
});

test('the CSP is enforced (a canary inline style is reported)', async () => {
  const w = await open({ expectCsp: true });
  await w.page.evaluate(() => document.body.appendChild(document.createElement('div')).setAttribute('style', 'color: red'));
  await w.page.waitForFunction(() => window.__csp.length > 0);
  const csp = await w.done();
  assert(csp.some((v) => v.startsWith('style-src')), `style-src violation reported: ${csp}`);
});

for (const theme of ['light', 'dark', 'high-contrast']) {
  test(`${theme} theme renders without errors`, async () => {
    const w = await open({ theme });
    await w.model(mistake);
    await w.model(imdb);
    await w.send({ type: 'highlight', layerIndex: 3 });
    // The mistake example on top of the bidirectional one shows errors, related marks and fixes.
    const fg = await w.page.evaluate(() => getComputedStyle(document.body).color);
    const bg = await w.page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    assert(fg !== bg, 'foreground differs from background');
    equal(bg, { light: 'rgb(255, 255, 255)', dark: 'rgb(31, 31, 31)', 'high-contrast': 'rgb(0, 0, 0)' }[theme], 'editor background');
    if (theme === 'high-contrast') {
      equal(await w.block(0).evaluate((b) => getComputedStyle(b).borderTopColor), 'rgb(111, 195, 223)', 'contrast border');
    }
    mkdirSync(artifacts, { recursive: true });
    await w.page.waitForTimeout(100);
    await w.page.screenshot({ path: path.join(artifacts, `designer-${theme}.png`), fullPage: true });
    await w.page.locator('vscode-tab-header.tab-summary').click();
    await w.page.locator('.summary-table').waitFor({ state: 'visible' });
    await w.page.screenshot({ path: path.join(artifacts, `designer-${theme}-summary.png`), fullPage: true });
    await w.page.locator('vscode-tab-header.tab-layers').click();
    await w.model(mistake);
    await w.page.screenshot({ path: path.join(artifacts, `designer-${theme}-error.png`), fullPage: true });
    await w.done();
  });
}

// ---- Run --------------------------------------------------------------------------------------

let passed = 0;
let failed = 0;
try {
  for (const t of tests) {
    if (filter && !t.title.includes(filter)) continue;
    try {
      await t.fn();
      passed++;
      console.log(`ok - ${t.title}`);
    } catch (err) {
      failed++;
      console.log(`not ok - ${t.title}: ${String(err?.message ?? err).split('\n')[0]}`);
    }
  }
} finally {
  await browser.close();
  server.close();
  rmSync(tmp, { recursive: true, force: true });
}
for (const w of warnings) console.log(`# console warning: ${w}`);
mkdirSync(path.join(root, 'out'), { recursive: true });
writeFileSync(path.join(root, 'out', 'webview-results.json'), JSON.stringify({ passed, failed }) + '\n');
console.log(`# webview: ${passed} passed, ${failed} failed (${((Date.now() - started) / 1000).toFixed(1)} s)`);
process.exitCode = failed ? 1 : 0;
