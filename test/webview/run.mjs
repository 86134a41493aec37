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
import { COMPARISON, COMPARISON_DONE, COMPARISON_LIVE, DONE, MEMORY_SERIES, MEMORY_TEXT, RUNS, RUNS_MESSAGE, SERIES_RUNS, TOKENS, trainingState } from './training-fixtures.mjs';

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
  stdin: {
    contents: [
      "export * from './webview/describe'",
      "export { dropSlot, parseUnits, parseRate } from './webview/edits'",
      "export * as format from './webview/format'",
      "export * as curves from './webview/curves'",
      "export * as sanitize from './webview/sanitize'",
      "export { withAlpha } from './webview/theme'",
      "export { readState } from './webview/state'",
      "export { classNames } from './webview/predict'",
    ].join(';\n'),
    resolveDir: root,
    loader: 'ts',
  },
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
  assert(await w.page.locator('.layers-root .placeholder').isVisible(), 'placeholder shown');
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
  // The training memory estimate (core/memory.ts), the same the trainer checks: its total, the breakdown in the tooltip.
  const memory = imdb.analysis.trainingMemory;
  equal(await p.locator('.training-memory .total-label').textContent(), `Training (batch ${memory.batchSize})`, 'training memory label');
  equal(await p.locator('.training-memory .total-value').textContent(), core.formatBytes(memory.total), 'training memory');
  assert((await p.locator('.training-memory').getAttribute('title')).includes('weights 2.78 MB, gradients 2.78 MB, optimizer 5.55 MB, activations'), 'breakdown tooltip');
  assert((await w.block(1).locator('.params').getAttribute('title')).includes('66,048'), 'formula tooltip');
  equal(await p.locator('.model-name').textContent(), 'imdb-bilstm-stacked', 'model name');
  // key settings
  equal(await w.block(0).locator('.chip').allTextContents(), ['input_dim10,000', 'output_dim64'], 'embedding settings');
  equal(await w.block(5).locator('.chip').allTextContents(), ['activationrelu'], 'dense activation');
  equal(await w.block(3).locator('vscode-textfield').evaluate((f) => f.value), '32', 'units field');
  equal(await w.block(2).locator('vscode-textfield').evaluate((f) => f.value), '0.3', 'rate field');
  const list = p.locator('.layer-list[role="list"]');
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
  assert((await w.page.locator('.summary-training-memory').textContent()).includes('for one batch of'), 'training memory in the summary');
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

test('dtype_policy mixed_bfloat16: in the totals and the Summary tab; nothing for float32', async () => {
  const file = path.join(root, 'examples', 'imdb-bilstm-stacked.rnn.json');
  const mixed = JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8').replace(/^\s*\/\/.*$/gm, '')), dtype_policy: 'mixed_bfloat16' });
  const analysis = core.analyzeModel(mixed);
  equal(analysis.diagnostics.filter((d) => d.severity === 'error'), [], 'no errors');
  const w = await open();
  await w.model(imdb);
  equal(await w.page.locator('.dtype-policy').count(), 0, 'float32 (the default) is not shown');
  await w.model({ ...imdb, version: 4, analysis, summaryText: core.formatSummary(analysis) });
  equal(await w.page.locator('.dtype-policy .total-value').textContent(), 'mixed_bfloat16', 'policy in the totals');
  assert((await w.page.locator('.dtype-policy').getAttribute('title')).includes('float32 weights'), 'what it means, in the tooltip');
  await w.page.locator('vscode-tab-header.tab-summary').click();
  await w.page.locator('.summary-table').waitFor({ state: 'visible' });
  equal(await w.page.locator('.summary-dtype-policy .total-value').textContent(), core.dtypePolicyNote('mixed_bfloat16'), 'policy in the summary');
  await w.done();
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

// ---- Training views: Training, Runs, Memory, Compare ------------------------------------------

/** Fraction of a canvas' pixels that are drawn (the canvas is transparent where nothing is). */
const ink = (locator) =>
  locator.evaluate((c) => {
    // Read through a copy: repeated reads of the chart's own canvas make Chromium warn about readbacks.
    const copy = document.createElement('canvas');
    copy.width = c.width;
    copy.height = c.height;
    const ctx = copy.getContext('2d', { willReadFrequently: true });
    ctx.drawImage(c, 0, 0);
    const { data } = ctx.getImageData(0, 0, c.width, c.height);
    let n = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n++;
    return c.width * c.height ? n / (c.width * c.height) : 0;
  });

/** The live Chart.js instance of a chart canvas: its id and each dataset's label and length. */
const chartOf = (locator) =>
  locator.evaluate((c) => ({ id: c.chart.id, labels: c.chart.data.datasets.map((d) => d.label), lengths: c.chart.data.datasets.map((d) => d.data.length), categories: c.chart.data.labels }));

/** Waits until a chart canvas has been laid out and drawn (Chart.js resizes on a ResizeObserver tick). */
async function drawn(locator, what) {
  await locator.evaluate((c) => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
  const fraction = await ink(locator);
  assert(fraction > 0.004, `${what}: canvas drawn (${(fraction * 100).toFixed(2)}% of its pixels)`);
}

const tab = (w, name) => w.page.locator(`vscode-tab-header.tab-${name}`).click();

test('node: metric formatting, curves and defensive readers', async () => {
  const { format, curves, sanitize } = pure;
  equal([format.formatMetric('accuracy', 0.97191), format.formatMetric('val_binary_accuracy', 0.5), format.formatMetric('loss', 0.084945), format.formatMetric('mae', 2.3897), format.formatMetric('loss', NaN)], ['97.2%', '50.0%', '0.085', '2.390', '–'], 'metrics');
  equal([format.metricLabel('val_accuracy'), format.metricLabel('mae_original_units'), format.metricLabel('test_mae'), format.metricTitle('loss')], ['val accuracy', 'MAE (original units)', 'MAE', 'Loss'], 'labels');
  equal([4.25, 42, 185, 7322].map(format.formatDuration), ['4.3 s', '42 s', '3 min 05 s', '2 h 02 min'], 'durations');
  equal([format.formatRate(1284.6), format.formatRate(6.12), format.formatLearningRate(0.001), format.formatLearningRate(0.0001)], ['1,285 samples/s', '6.1 samples/s', '0.001', '1e-4'], 'rates');
  equal(format.describeEpochs(RUNS[0]), '3 epochs · best 2 · stopped early', 'epochs');
  equal(format.testMetricEntries(SERIES_RUNS.runs[0].testMetrics).map(([k]) => k), ['mae_original_units', 'loss'], 'original-unit MAE replaces the normalised one');
  equal([format.versusBaseline(1.482, 1.913), format.versusBaseline(2.3897, 2.361), format.versusBaseline(1, 1.001)], ['23% better than', '1.2% worse than', 'as good as'], 'versus baseline');
  equal(curves.metricNames({ loss: 1, mae: 1, accuracy: 1, val_accuracy: 1 }), ['accuracy', 'mae'], 'metric names');
  equal(curves.epochCurve(RUNS[0].history, 'val_loss'), [{ x: 1, y: 0.1667 }, { x: 2, y: 0.0759 }, { x: 3, y: 0.0868 }], 'epoch curve');
  equal(curves.batchCurve(trainingState(12).batches, 'loss').length, 12, 'batch curve');
  equal([curves.isRegressionRun(RUNS[0]), curves.isRegressionRun(SERIES_RUNS.runs[0])], [false, true], 'regression');
  equal(curves.visibleSteps(['', '', 'a', 'b']), [2, 3], 'padding skipped');
  equal(curves.comparisonKey(COMPARISON.rows), { key: 'val_accuracy', higherIsBetter: true }, 'comparison key');
  equal([pure.withAlpha('#3794ff', 0.5), pure.withAlpha('#abc', 1), pure.withAlpha('rgba(10, 20, 30, 0.5)', 0.5), pure.withAlpha('red', 0.5)], ['rgba(55, 148, 255, 0.5)', 'rgba(170, 187, 204, 1)', 'rgba(10, 20, 30, 0.25)', 'red'], 'withAlpha');
  // Readers: garbage in nested fields is dropped, never trusted.
  const state = sanitize.readTrainingState({ status: 'running', epochs: '3', history: [null, { loss: 'x', acc: 0.5 }], batches: [{ x: 'a' }, null, { x: 0.1, logs: { loss: 0.4, bad: Infinity } }], runId: '../x' });
  equal([state.epochs, state.history, state.batches, state.runId], [0, [{ acc: 0.5 }], [{ x: 0.1, logs: { loss: 0.4 } }], undefined], 'training state');
  equal(sanitize.readTrainingState({ status: 'exploded', history: [], batches: [] }), undefined, 'unknown status');
  equal(sanitize.readRuns([null, { id: '../etc' }, { id: 'ok', settings: null, history: 'x' }]).map((r) => [r.id, r.history.length, r.settings.cells.length]), [['ok', 0, 0]], 'runs');
  const memory = sanitize.readMemory({ kind: 'text', tokens: ['a', 'b'], layers: [{ name: 'x', hidden: [[1, 2], [3]] }, { name: 'y', hidden: [[1, 'q'], [3, 4]], cell: [[1]] }], perStep: [0.1], prediction: { probabilities: [0.4, 0.6], label: 'spam' } });
  equal([memory.layers.length, memory.layers[0].name, memory.layers[0].hidden[0][1], memory.layers[0].cell, memory.perStep], [1, 'y', null, undefined, undefined], 'memory: ragged layer dropped, bad cell dropped, NaN kept as a gap');
  equal(sanitize.readMemory({ kind: 'text', tokens: ['a'] }), undefined, 'memory without a prediction');
  equal(pure.classNames({ probabilities: [0.2, 0.8], label: 'spam' }), ['class 0', 'spam'], 'class names without the host\'s labels');
  equal(pure.classNames({ probabilities: [0.2, 0.8], label: 'spam', labels: ['ham', 'spam'] }), ['ham', 'spam'], 'class names with them');
  equal(pure.readState({ tab: 'memory', run: 'a/b', compareRuns: ['x', 'y', 'z', 3] }), { tab: 'memory', selected: null, palette: 'LSTM', run: undefined, compareRuns: ['x', 'y'], bidirectional: false }, 'ui state');
});

test('training: live curves render and update in place; Stop; best epoch; test results', async () => {
  const w = await open();
  await w.model(imdb);
  await w.send(RUNS_MESSAGE);
  const notice = 'Training on the pure-JS backend (no native TensorFlow for this platform): expect it to be 10-50x slower.';
  await w.send({ type: 'training', state: trainingState(15, { notice }) });
  equal((await w.state()).tab, 'training', 'a run that starts shows the Training tab');
  const p = w.page;
  const loss = p.locator('.panel-training .chart-box canvas').first();
  const acc = p.locator('.panel-training [data-metric="accuracy"] canvas');
  await drawn(loss, 'loss');
  await drawn(acc, 'accuracy');
  const first = await chartOf(loss);
  equal(first.labels, ['train (per batch)', 'train', 'validation'], 'loss datasets');
  equal(first.lengths, [15, 1, 1], 'loss points');
  equal((await chartOf(acc)).lengths, [15, 1, 1], 'accuracy points');
  equal(await p.locator('.train-status .status-item').allTextContents(), ['epoch2/3', 'step5/10', 'speed1,285 samples/s', 'ETA29 s', 'backendtensorflow (native)'], 'status line');
  equal(await p.locator('.train-notice').textContent(), notice, 'notice shown');
  assert((await p.locator('.train-data').textContent()).startsWith('SpamAssassin: 6,046 messages'), 'data summary');
  equal(await p.locator('vscode-tab-header.tab-training vscode-badge').textContent(), '2/3', 'tab badge');
  await loss.evaluate((c) => (window.__lossChart = c.chart));

  await w.send({ type: 'training', state: trainingState(25, { notice }) });
  const second = await chartOf(loss);
  equal(second.id, first.id, 'same chart');
  assert(await loss.evaluate((c) => c.chart === window.__lossChart), 'the chart is updated, not re-created');
  equal(second.lengths, [25, 2, 2], 'more points');
  equal((await chartOf(acc)).lengths, [25, 2, 2], 'accuracy updated');
  equal(await p.locator('.panel-training .chart-box canvas').count(), 2, 'no extra charts');

  const stop = p.locator('vscode-button.stop-button');
  assert(!(await stop.evaluate((b) => b.disabled)), 'Stop enabled while running');
  assert(await p.locator('vscode-button.train-button').evaluate((b) => b.disabled), 'Train disabled while running');
  await w.clearPosted();
  await stop.click();
  equal(await w.next('stop'), { type: 'stop' }, 'stop posted');
  assert(await stop.evaluate((b) => b.disabled && b.textContent.includes('Stopping')), 'Stop says it is stopping');

  await w.send({ type: 'training', state: DONE });
  assert(await stop.evaluate((b) => b.disabled), 'Stop disabled when done');
  assert(!(await p.locator('vscode-button.train-button').evaluate((b) => b.disabled)), 'Train enabled again');
  equal(await p.locator('.run-pill').textContent(), 'Done', 'status');
  equal((await chartOf(loss)).lengths, [30, 3, 3], 'final points');
  equal(await p.locator('.panel-training .chart-box').first().getAttribute('data-marker'), '2', 'best epoch marked');
  // The marker is drawn: a column of the theme's green (#89d185) at epoch 2.
  const green = await loss.evaluate((c) => {
    const chart = c.chart;
    const r = window.devicePixelRatio || 1;
    const x = Math.round(chart.scales.x.getPixelForValue(2) * r);
    const { top, bottom } = chart.chartArea;
    const copy = document.createElement('canvas');
    copy.width = c.width;
    copy.height = c.height;
    const ctx = copy.getContext('2d', { willReadFrequently: true });
    ctx.drawImage(c, 0, 0);
    const { data } = ctx.getImageData(x - 1, Math.round(top * r), 3, Math.round((bottom - top) * r));
    let n = 0;
    for (let i = 0; i < data.length; i += 4) if (Math.abs(data[i] - 137) < 30 && Math.abs(data[i + 1] - 209) < 30 && Math.abs(data[i + 2] - 133) < 30 && data[i + 3] > 100) n++;
    return n;
  });
  assert(green > 40, `marker drawn (${green} green pixels)`);
  equal(await p.locator('.train-outcome .total-label').allTextContents(), ['Test accuracy', 'Test loss', 'Best epoch'], 'test tiles');
  equal(await p.locator('.train-outcome .total-value').allTextContents(), ['97.2%', '0.085', '2 of 3'], 'test values');
  equal(await p.locator('.test-best .total-note').textContent(), '3 epochs · stopped early', 'stopped early');
  assert(!(await p.locator('vscode-tab-header.tab-training vscode-badge').isVisible()), 'badge hidden when done');
  await w.done();
});

test('training: Train posts train; Restricted Mode disables it with the reason; a failure shows its error', async () => {
  const w = await open({ state: { tab: 'training' } });
  const p = w.page;
  const train = p.locator('vscode-button.train-button');
  assert(await p.locator('.train-empty').isVisible(), 'placeholder before any run');
  const reason = 'Training is off in Restricted Mode: RNN Studio trains only in trusted workspaces.';
  await w.send({ type: 'runs', runs: [], canTrain: false, reason });
  assert(await train.evaluate((b) => b.disabled), 'Train disabled');
  equal(await p.locator('.training .train-why').textContent(), reason, 'reason shown');
  await w.clearPosted();
  await train.click({ force: true });
  equal(await w.posted(), [], 'nothing posted');
  await w.send({ type: 'runs', runs: [], canTrain: true });
  assert(!(await train.evaluate((b) => b.disabled)), 'Train enabled');
  await train.click();
  equal(await w.next('train'), { type: 'train' }, 'train posted');
  assert(await train.evaluate((b) => b.disabled), 'a double click does not train twice');
  await w.send({ type: 'training', state: { ...trainingState(12), status: 'failed', error: 'data/spam.csv line 17: the label "maybe" is neither ham nor spam.' } });
  equal(await p.locator('.train-error').textContent(), 'data/spam.csv line 17: the label "maybe" is neither ham nor spam.', 'error shown');
  equal(await p.locator('.run-pill').textContent(), 'Failed', 'status');
  assert(!(await train.evaluate((b) => b.disabled)), 'Train enabled after a failure');
  await w.done();
});

test('runs: listed newest first; two ticked runs overlay; delete posts deleteRun after confirming', async () => {
  const w = await open({ state: { tab: 'runs' } });
  const p = w.page;
  await w.send(RUNS_MESSAGE);
  const items = p.locator('.run-item');
  equal(await items.count(), 3, 'runs');
  equal(await p.locator('.run-epochs').allTextContents(), ['3 epochs · best 2 · stopped early', '5 epochs · best 4', '2 epochs · cancelled'], 'epochs');
  equal(await items.nth(0).locator('.run-metric').allTextContents(), ['test accuracy97.2%', 'test loss0.085'], 'test metrics');
  equal(await items.nth(2).locator('.run-metric').allTextContents(), ['not tested'], 'untested run');
  equal(await items.nth(1).locator('.chip').allTextContents(), ['cellsGRU', 'params1,321,729', 'optimizeradam', 'lr5e-4', 'batch32', 'backendtensorflow', 'speed1,530 samples/s', 'time59 s'], 'settings');
  equal(await items.nth(0).locator('.run-tag').allTextContents(), ['newest', 'stopped early'], 'tags');
  equal(await p.locator('vscode-tab-header.tab-runs vscode-badge').textContent(), '3', 'tab badge');

  await items.nth(0).locator('vscode-checkbox').click();
  await items.nth(1).locator('vscode-checkbox').click();
  equal((await w.state()).compareRuns, [RUNS[0].id, RUNS[1].id], 'ticked runs remembered');
  const overlay = p.locator('.run-overlay .chart-box canvas');
  equal(await overlay.count(), 2, 'loss and accuracy overlays');
  await drawn(overlay.first(), 'overlay');
  const o = await chartOf(overlay.first());
  equal(o.labels, ['A train', 'A validation', 'B train', 'B validation'], 'overlaid datasets');
  equal(o.lengths, [3, 3, 5, 5], 'each run its history');
  equal((await chartOf(overlay.nth(1))).lengths, [3, 3, 5, 5], 'accuracy overlay');
  assert(await items.nth(0).evaluate((e) => e.classList.contains('is-a')) && (await items.nth(1).evaluate((e) => e.classList.contains('is-b'))), 'A and B marked');
  await items.nth(2).locator('vscode-checkbox').click();
  equal((await w.state()).compareRuns, [RUNS[1].id, RUNS[2].id], 'a third tick replaces the oldest');
  equal((await chartOf(overlay.first())).lengths, [5, 5, 2, 2], 'overlay follows');

  await w.clearPosted();
  await items.nth(0).locator('vscode-toolbar-button.run-delete').click();
  const confirm = items.nth(0).locator('vscode-button.run-confirm-delete');
  await confirm.waitFor();
  equal(await w.posted(), [], 'nothing deleted before confirming');
  await p.keyboard.press('Escape');
  await items.nth(0).locator('vscode-toolbar-button.run-delete').waitFor();
  equal(await items.nth(0).locator('vscode-button.run-confirm-delete').count(), 0, 'Escape cancels');
  await p.waitForFunction(() => document.activeElement?.classList.contains('run-delete'), null, { timeout: 2000 }).catch(() => {
    throw new Error('focus did not return to the trash button');
  });
  // By keyboard: Enter on the trash button, then Enter on "Confirm delete", which has taken focus.
  await items.nth(2).locator('vscode-toolbar-button.run-delete button').focus();
  await p.keyboard.press('Enter');
  await p.waitForFunction(() => document.activeElement?.classList.contains('run-confirm-delete'), null, { timeout: 2000 });
  await p.keyboard.press('Enter');
  equal(await w.next('deleteRun'), { type: 'deleteRun', runId: RUNS[2].id }, 'deleteRun');
  equal(await items.nth(2).locator('.run-deleting').textContent(), 'Deleting…', 'marked while the host deletes');
  await w.send({ ...RUNS_MESSAGE, runs: RUNS.slice(0, 2) });
  equal(await items.count(), 2, 'gone after the host confirms');
  equal((await w.state()).compareRuns, [RUNS[1].id], 'a deleted run is no longer ticked');
  await w.done();
});

test('memory: a typed sentence posts inspect, then a heatmap per layer (+ LSTM cell state) over its tokens and the per-step curve', async () => {
  const w = await open({ state: { tab: 'memory' } });
  const p = w.page;
  await w.send(RUNS_MESSAGE);
  equal(await p.locator('vscode-single-select.memory-run').evaluate((s) => s.value), RUNS[0].id, 'newest run picked');
  const text = 'congratulations you have won a free cruise call now to claim zyzzyva';
  await p.locator('vscode-textfield.memory-text input').fill(text);
  await w.clearPosted();
  await p.locator('vscode-textfield.memory-text input').press('Enter');
  equal(await w.next('inspect'), { type: 'inspect', runId: RUNS[0].id, text }, 'inspect');
  assert(await p.locator('.memory-results .busy').isVisible(), 'busy while the host works');
  await w.send(MEMORY_TEXT);

  equal(await p.locator('.memory-results .layer-memory-name').allTextContents(), ['bidirectional', 'lstm_1'], 'one card per recurrent layer');
  const blocks = p.locator('.heatmap-block');
  equal(await blocks.count(), 3, 'hidden, hidden + cell');
  equal(await p.locator('.heatmap-cell-state').count(), 1, 'cell state for the LSTM only');
  equal(await p.locator('.heatmap-block .heatmap-what').allTextContents(), ['hidden state', 'hidden state', 'cell state'], 'what each map shows');
  for (let i = 0; i < 3; i++) {
    const canvas = blocks.nth(i).locator('canvas');
    await drawn(canvas, `heatmap ${i}`);
    equal(await blocks.nth(i).locator('.heatmap-token').evaluateAll((ts) => ts.map((t) => t.title)), TOKENS, `tokens under heatmap ${i} (padding skipped)`);
  }
  // Tokens sit under their columns, left to right.
  const shown = await blocks.nth(0).locator('.heatmap-token-text').first().textContent();
  assert(shown.endsWith('…') && 'congratulations'.startsWith(shown.slice(0, -1)), `a long token is shortened to its column (${shown})`);
  const xs = await blocks.nth(0).locator('.heatmap-token').evaluateAll((ts) => ts.map((t) => t.getBoundingClientRect().left));
  assert(xs.every((x, i) => i === 0 || x > xs[i - 1]), 'tokens in order');
  equal(await p.locator('.memory-padding').textContent(), '4 padding steps not shown.', 'padding note');
  const legend = await blocks.nth(2).locator('.heat-legend').textContent();
  assert(/^−2\.\d+\+2\.\d+$/.test(legend), `cell state legend in its own scale (${legend})`);

  const perStep = p.locator('.memory-results .chart-box canvas');
  await drawn(perStep, 'per-step curve');
  const c = await chartOf(perStep);
  equal(c.lengths, [12, 12], 'one point per token');
  equal(c.categories, TOKENS, 'tokens on the x axis');
  equal(await p.locator('.memory-prediction .prediction-label').textContent(), 'spam', 'final label');
  equal(await p.locator('.memory-prediction .prediction-prob').textContent(), '96.3%', 'final probability');

  // Hover and keyboard read out unit, token and value.
  const map = blocks.nth(1).locator('canvas');
  const box = await map.boundingBox();
  await p.mouse.move(box.x + box.width - 10, box.y + 5);
  const tip = blocks.nth(1).locator('.heatmap-tip');
  assert(await tip.isVisible(), 'tooltip on hover');
  assert(/^unit 0 · step 16 “<OOV>” · -?\d\.\d{3}$/.test(await tip.textContent()), `hover text: ${await tip.textContent()}`);
  await p.mouse.move(box.x - 20, box.y - 20);
  assert(!(await tip.isVisible()), 'tooltip hidden when the pointer leaves');
  await map.focus();
  await p.keyboard.press('ArrowRight');
  await p.keyboard.press('ArrowDown');
  assert(/^unit 1 · step 6 “you” · /.test(await tip.textContent()), `keyboard text: ${await tip.textContent()}`);

  await w.clearPosted();
  await p.locator('vscode-button.sample-next').click();
  equal(await w.next('inspect'), { type: 'inspect', runId: RUNS[0].id, sample: 1 }, 'next test sample');
  await w.send({ type: 'memory', runId: RUNS[0].id, error: 'Test sample 1 is out of range.' });
  equal(await p.locator('.memory-error').textContent(), 'Test sample 1 is out of range.', 'error shown');
  await w.done();
});

test('memory: a series run shows actual vs predicted vs the naive baseline', async () => {
  const w = await open({ state: { tab: 'memory' } });
  const p = w.page;
  await w.send(SERIES_RUNS);
  await w.clearPosted();
  await p.locator('vscode-button.memory-show').click();
  equal(await w.next('inspect'), { type: 'inspect', runId: 'series-run' }, 'inspect a series run');
  await w.send(MEMORY_SERIES);
  const chart = p.locator('.memory-results .chart-box canvas');
  await drawn(chart, 'series');
  const c = await chartOf(chart);
  equal(c.labels, ['actual', 'predicted', 'naive (tomorrow = today)'], 'series');
  equal(c.lengths, [60, 60, 60], 'points');
  equal(await p.locator('.memory-results .total-value').allTextContents(), ['1.482', '1.913', '23% better'], 'MAEs');
  mkdirSync(artifacts, { recursive: true });
  await p.screenshot({ path: path.join(artifacts, 'memory-series-dark.png'), fullPage: true });
  await w.done();
});

test('predict: posts predict with the picked run and shows the label and a bar per class', async () => {
  const w = await open({ state: { tab: 'memory' } });
  const p = w.page;
  await w.send(RUNS_MESSAGE);
  const select = p.locator('vscode-single-select.memory-run');
  await select.click();
  await select.locator('li.option').nth(1).click();
  equal((await w.state()).run, RUNS[1].id, 'picked run remembered');
  await p.locator('vscode-textfield.memory-text input').fill('');
  await w.clearPosted();
  await p.locator('vscode-button.memory-predict').click();
  equal(await w.posted(), [], 'an empty message is not sent');
  assert(await p.locator('vscode-textfield.memory-text').evaluate((f) => f.invalid), 'field marked');
  await p.locator('vscode-textfield.memory-text input').fill('Lunch at noon?');
  await p.locator('vscode-button.memory-predict').click();
  equal(await w.next('predict'), { type: 'predict', runId: RUNS[1].id, text: 'Lunch at noon?' }, 'predict');
  await w.send({ type: 'prediction', runId: RUNS[1].id, predictions: [{ input: 'Lunch at noon?', probabilities: [0.8862, 0.1138], label: 'ham', labels: ['ham', 'spam'] }] });
  equal(await p.locator('.prediction-box .prediction-label').textContent(), 'ham', 'label');
  equal(await p.locator('.prediction-box .prob-label').allTextContents(), ['ham', 'spam'], 'classes');
  equal(await p.locator('.prediction-box .prob-value').allTextContents(), ['88.6%', '11.4%'], 'probabilities');
  equal(await p.locator('.prediction-box meter').evaluateAll((ms) => ms.map((m) => m.value)), [0.8862, 0.1138], 'bars');
  await w.send({ type: 'prediction', runId: RUNS[1].id, error: 'The trainer exited (code 1).' });
  equal(await p.locator('.prediction-error').textContent(), 'The trainer exited (code 1).', 'error');
  await w.done();
});

test('compare: posts compareCells with the checkbox, renders the table and overlaid validation curves', async () => {
  const w = await open({ state: { tab: 'compare' } });
  const p = w.page;
  await w.send(RUNS_MESSAGE);
  const start = p.locator('vscode-button.compare-start');
  await p.locator('vscode-checkbox.compare-bidirectional').click();
  equal((await w.state()).bidirectional, true, 'checkbox remembered');
  await w.clearPosted();
  await start.click();
  equal(await w.next('compareCells'), { type: 'compareCells', bidirectional: true }, 'compareCells');
  await w.send(COMPARISON);
  assert(await start.evaluate((b) => b.disabled), 'disabled while comparing');
  const rows = p.locator('.compare-table vscode-table-row');
  equal(await rows.count(), 3, 'rows');
  equal(await rows.nth(1).locator('vscode-table-cell').allTextContents(), ['LSTM', '1,338,049', '1 min 15 s', '97.5%', '97.2%best', 'done'], 'LSTM row');
  equal(await rows.nth(2).locator('vscode-table-cell').allTextContents(), ['GRU', '1,328,641', '–', '92.9%', '–', 'running…'], 'running row');
  const chart = p.locator('.compare-curves canvas');
  await drawn(chart, 'comparison');
  equal((await chartOf(chart)).lengths, [3, 3, 2], 'validation curves');

  await w.send(COMPARISON_DONE);
  await w.send({ type: 'training', state: { ...trainingState(6), status: 'running', label: 'compare: GRU' } });
  assert(await start.evaluate((b) => b.disabled), 'disabled while a training runs');
  await w.send({ type: 'training', state: DONE });
  assert(!(await start.evaluate((b) => b.disabled)), 'enabled when all is done');
  equal(await rows.count(), 4, 'Bidirectional row');
  equal(await rows.nth(3).locator('.compare-error').textContent(), 'Out of memory: the batch of 32 x 200 x 256 did not fit.', 'failed row says why');
  equal(await p.locator('.compare-table .best-badge').count(), 1, 'one best');
  assert((await rows.nth(1).getAttribute('class')).includes('is-best'), 'LSTM best');
  const c = await chartOf(chart);
  equal([c.labels, c.lengths], [['SimpleRNN', 'LSTM', 'GRU'], [3, 3, 3]], 'curves of the finished rows');
  await w.send({ type: 'runs', runs: [], canTrain: false, reason: 'Restricted Mode.' });
  assert(await start.evaluate((b) => b.disabled), 'disabled in Restricted Mode');
  equal(await p.locator('.compare .train-why').textContent(), 'Restricted Mode.', 'reason');
  await w.done();
});

test('compare at 350 px: one card per row, every word whole (no "Simp", no "Par…"), nothing past the right edge', async () => {
  const w = await open({ state: { tab: 'compare' } });
  const p = w.page;
  await p.setViewportSize({ width: 350, height: 900 });
  await w.send(COMPARISON_DONE);
  const cards = p.locator('.compare-card');
  await cards.first().waitFor();
  equal(await cards.count(), 4, 'cards');
  equal(await p.locator('.compare-table').count(), 0, 'no six-column table');
  equal(await cards.locator('.compare-cell-name').allTextContents(), ['SimpleRNN', 'LSTM', 'GRU', 'Bidirectional LSTM'], 'names');
  equal(await cards.nth(1).locator('dt').allTextContents(), ['Params', 'Train time', 'Val accuracy', 'Test accuracy'], 'labels');
  equal(await cards.nth(1).locator('dd').allTextContents(), ['1,338,049', '1 min 15 s', '97.5%', '97.2%best'], 'values');
  assert((await cards.nth(1).getAttribute('class')).includes('is-best'), 'best card');
  const clipped = await p.evaluate(() => {
    const out = [];
    for (const e of document.querySelectorAll('.compare *')) {
      const r = e.getBoundingClientRect();
      if (r.width === 0 || !e.textContent.trim()) continue;
      if (r.right > window.innerWidth + 0.5) out.push(`${e.className || e.tagName}: right edge ${Math.round(r.right)}`);
      const style = getComputedStyle(e);
      if (style.overflowX !== 'visible' && e.scrollWidth > e.clientWidth + 1 && !e.classList.contains('compare-error')) out.push(`${e.className || e.tagName}: "${e.textContent.trim()}" clipped`);
    }
    return out;
  });
  equal(clipped, [], 'nothing clipped');
  await p.setViewportSize({ width: 760, height: 900 });
  await p.locator('.compare-table').waitFor();
  equal(await p.locator('.compare-table vscode-table-row').count(), 4, 'the table again when wide');
  await w.done();
});

test('every tab header within reach at 350 px', async () => {
  const w = await open();
  const p = w.page;
  await p.setViewportSize({ width: 350, height: 700 });
  await w.model(mistake);
  const headers = await p.locator('vscode-tab-header').evaluateAll((hs) => hs.map((h) => ({ text: h.textContent.trim(), right: h.getBoundingClientRect().right, width: h.getBoundingClientRect().width })));
  equal(headers.length, 6, 'tabs');
  for (const h of headers) assert(h.width > 20 && h.right <= 350.5, `"${h.text}" reachable (right edge ${Math.round(h.right)}, width ${Math.round(h.width)})`);
  await p.locator('vscode-tab-header.tab-compare').click();
  await p.locator('.panel-compare').waitFor();
  await w.done();
});

test('after an error the totals say they are partial and the layers after it say why they are unknown', async () => {
  const w = await open();
  await w.model(mistake);
  const p = w.page;
  equal(await p.locator('.totals .total-params .total-value').textContent(), 'at least 673,024 (partial)', 'total');
  equal(
    await p.locator('.totals-partial').textContent(),
    'Partial: layers 2 to 3 could not be computed (layer 2 "lstm_1": its input (None, 64) has the wrong rank; the others follow it), so the totals leave them out.',
    'why',
  );
  equal(await p.locator('.header-params').textContent(), 'at least 673,024 (partial) params', 'header');
  await w.send(imdb);
  await p.waitForFunction(() => document.querySelector('.totals .total-params .total-value')?.textContent === '727,745');
  equal(await p.locator('.totals-partial').count(), 0, 'complete totals have no note');
  await w.done();
});

test('training views ignore malformed nested fields without errors', async () => {
  const w = await open({ state: { tab: 'training' } });
  const p = w.page;
  await w.send({ type: 'training', state: { status: 'running', epochs: 'x', history: [null, { loss: 'x' }, { loss: 0.5, val_loss: 0.6 }], batches: [{ x: 'a' }, null, { x: 0.1, logs: { loss: 0.4 } }] } });
  await drawn(p.locator('.panel-training canvas').first(), 'loss');
  equal((await chartOf(p.locator('.panel-training canvas').first())).lengths, [1, 1, 1], 'good points kept');
  await w.send({ type: 'training', state: { status: 'exploded', history: [], batches: [] } });
  equal(await p.locator('.run-pill').textContent(), 'Training', 'unknown status ignored');
  await w.send({ type: 'runs', runs: [null, 7, { id: '../../etc' }, { id: 'ok-run', history: 'x', settings: { cells: 'LSTM' } }], canTrain: true });
  await tab(w, 'runs');
  equal(await p.locator('.run-item').count(), 1, 'only the readable run');
  await tab(w, 'memory');
  await w.send({ type: 'memory', runId: 'ok-run', result: { kind: 'text', tokens: ['a'], layers: 'x' } });
  equal(await p.locator('.memory-error').textContent(), 'The answer was not readable.', 'unreadable memory');
  await w.send({ type: 'memory', runId: 'ok-run', result: { kind: 'text', tokens: ['a', 'b'], layers: [{ name: 'l', hidden: [[1], [2, 3]] }], prediction: { probabilities: 'x' } } });
  equal(await p.locator('.heatmap').count(), 0, 'ragged layer not drawn');
  await w.send({ type: 'comparison', rows: [null, { cell: 5 }, { cell: 'GRU', status: 'odd', history: [{ val_accuracy: 'x' }] }], running: false });
  await tab(w, 'compare');
  equal(await p.locator('.compare-table vscode-table-row').count(), 1, 'one readable row');
  await w.send({ type: 'prediction', runId: 'ok-run', predictions: 'x' });
  await w.done();
});

for (const theme of ['light', 'dark', 'high-contrast']) {
  test(`${theme} theme: training, memory and compare views`, async () => {
    const w = await open({ theme });
    const p = w.page;
    await p.setViewportSize({ width: 900, height: 1000 });
    await w.model(modelMessage('spam-lstm'));
    await w.send(RUNS_MESSAGE);
    await w.send({ type: 'training', state: trainingState(25) });
    const canvases = p.locator('.panel-training canvas');
    for (let i = 0; i < 2; i++) await drawn(canvases.nth(i), 'training chart');
    mkdirSync(artifacts, { recursive: true });
    await p.screenshot({ path: path.join(artifacts, `training-running-${theme}.png`), fullPage: true });
    await w.send({ type: 'training', state: DONE });
    for (let i = 0; i < 2; i++) await drawn(canvases.nth(i), 'training chart');
    await p.screenshot({ path: path.join(artifacts, `training-${theme}.png`), fullPage: true });

    await tab(w, 'memory');
    await p.locator('vscode-textfield.memory-text input').fill(MEMORY_TEXT.result.input);
    await w.send(MEMORY_TEXT);
    await drawn(p.locator('.heatmap canvas').first(), 'heatmap');
    await drawn(p.locator('.memory-results .chart-box canvas'), 'per-step');
    await p.screenshot({ path: path.join(artifacts, `memory-${theme}.png`), fullPage: true });

    await tab(w, 'compare');
    await w.send(COMPARISON_LIVE);
    await drawn(p.locator('.compare-curves canvas'), 'comparison');
    await p.screenshot({ path: path.join(artifacts, `compare-${theme}.png`), fullPage: true });

    await tab(w, 'runs');
    await p.locator('.run-item').nth(0).locator('vscode-checkbox').click();
    await p.locator('.run-item').nth(1).locator('vscode-checkbox').click();
    await drawn(p.locator('.run-overlay canvas').first(), 'overlay');
    await p.screenshot({ path: path.join(artifacts, `runs-${theme}.png`), fullPage: true });
    await w.done();
  });
}

test('charts drawn while their tab is hidden appear when it is shown, and follow a theme change', async () => {
  const w = await open();
  await w.model(imdb);
  await w.send({ type: 'training', state: DONE });
  equal((await w.state()).tab, 'layers', 'a finished run does not take over the panel');
  await tab(w, 'training');
  const loss = w.page.locator('.panel-training canvas').first();
  await drawn(loss, 'loss after the tab is shown');
  // VS Code rewrites the theme variables on <html> when the user switches themes.
  await w.page.evaluate(() => document.documentElement.style.setProperty('--vscode-charts-orange', '#ff00aa'));
  await w.page.waitForFunction(() => document.querySelector('.panel-training canvas').chart.data.datasets.some((d) => d.borderColor === '#ff00aa'), null, { timeout: 2000 });
  await w.done();
});

test('the Memory tab and its run survive a reload', async () => {
  const w = await open({ state: { tab: 'memory', run: RUNS[2].id, compareRuns: [RUNS[0].id] } });
  await w.send(RUNS_MESSAGE);
  equal(await w.page.locator('vscode-single-select.memory-run').evaluate((s) => s.value), RUNS[2].id, 'run restored');
  assert(await w.page.locator('.memory-controls').isVisible(), 'memory tab shown');
  await tab(w, 'runs');
  assert(await w.page.locator('.run-item').nth(0).evaluate((e) => e.classList.contains('is-a')), 'ticked run restored');
  await w.done();
});

// ---- Run --------------------------------------------------------------------------------------

let passed = 0;
let failed = 0;
try {
  for (const t of tests) {
    if (filter && !t.title.includes(filter)) continue;
    try {
      const t0 = Date.now();
      await t.fn();
      passed++;
      console.log(`ok - ${t.title}${process.env.WEBVIEW_TIMES ? ` (${Date.now() - t0} ms)` : ''}`);
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
