// End-to-end test of the installed packages (issue 12): `npm run package` builds both .vsix files;
// each one is installed ALONE into a fresh VS Code server extensions folder, and a user drives the
// real workbench (headless Chromium): opens a model file the test wrote, runs "RNN Studio: Train"
// from the command palette, waits for the run folder and its test metrics, runs "Compare Cell
// Types", opens the memory view on the trained run from the Runs tab, exports to Keras, trains the
// Seattle weather example, and opens the extension's page. The linux-x64 package must train on the
// native kernels, the universal one on the portable (WebAssembly) kernels.
//
// Writes out/packages-results.json {passed, failed}; screenshots and, on failure, logs go to
// test-artifacts/packages/<package>/.
//
//   node test/packages/run.mjs
//   RNN_STUDIO_PACKAGES_REUSE=1   use the .vsix files already in the repository root (no `npm run package`)
//   RNN_STUDIO_PACKAGES_ONLY=universal|linux-x64   one package only
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { openWorkbench } from '../harness/run-extension-tests.mjs';
import { assert, createChecks, designerFrame, frameWith, openFile, runCommand, sleep } from '../harness/workbench-ui.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// The project's own ZIP reader (src/interop/zip.ts, compiled by npm test's pretest).
const { zipEntries, readZipEntry } = createRequire(import.meta.url)(path.join(root, 'out', 'src', 'interop', 'zip.js'));
const artifactsRoot = path.join(root, 'test-artifacts', 'packages');
const resultsOut = path.join(root, 'out', 'packages-results.json');
const { results, check } = createChecks();
const t0 = Date.now();
const since = () => `${((Date.now() - t0) / 1000).toFixed(0)} s`;
const EXTENSION_ID = 'rnn-studio.rnn-studio';
const MAX_VSIX_BYTES = 30 * 1024 * 1024;

// examples/spam-lstm.rnn.json as the user has it (the test writes it into the workspace), its 5
// epochs included: measured here (2 cores) the portable kernels train it in ~80 s (~290 samples/s)
// and the native ones in ~45 s (~530 samples/s), to 98.4-98.5 % test accuracy; Compare trains it
// three more times. RNN_STUDIO_PACKAGES_EPOCHS=3 shortens the suite by ~1.5 minutes (97.4 %).
const SPAM_EPOCHS = Number(process.env.RNN_STUDIO_PACKAGES_EPOCHS || 5);
const SPAM_MODEL = `{
  "name": "spam-lstm",
  "description": "Spam or ham? A Bidirectional LSTM over the SpamAssassin public corpus, which ships with RNN Studio and works offline.",
  "input": { "shape": [200], "dtype": "int32" },
  "layers": [
    { "type": "Embedding", "input_dim": 10000, "output_dim": 64 },
    { "type": "Bidirectional", "layer": { "type": "LSTM", "units": 64 } },
    { "type": "Dropout", "rate": 0.3 },
    { "type": "Dense", "units": 1, "activation": "sigmoid" }
  ],
  "compile": { "optimizer": "adam", "learning_rate": 0.001, "loss": "binary_crossentropy", "metrics": ["accuracy"] },
  "data": { "kind": "text", "source": "builtin", "dataset": "spam_assassin", "num_words": 10000, "oov_token": "<OOV>", "maxlen": 200, "truncating": "post", "test_split": 0.2, "seed": 42 },
  "training": {
    "epochs": ${SPAM_EPOCHS},
    "batch_size": 64,
    "validation_split": 0.1,
    "early_stopping": { "monitor": "val_loss", "patience": 2, "restore_best_weights": true }
  }
}
`;

// The other built-in data set (a CSV in dist/data): examples/seattle-weather-forecast.rnn.json, smaller.
const WEATHER_MODEL = `{
  "name": "seattle-weather-small",
  "input": { "shape": [7, 4] },
  "layers": [
    { "type": "LSTM", "units": 8 },
    { "type": "Dense", "units": 1 }
  ],
  "compile": { "optimizer": "adam", "learning_rate": 0.003, "loss": "mae", "metrics": ["mae"] },
  "data": { "kind": "timeseries", "source": "builtin", "dataset": "seattle_weather", "columns": ["temp_max", "temp_min", "precipitation", "wind"], "target": "temp_max", "window": 7, "horizon": 1, "normalization": "zscore", "test_split": 0.2 },
  "training": { "epochs": 2, "batch_size": 32, "validation_split": 0.1 }
}
`;

// examples/mistake-stacked-lstm.rnn.json: the installed extension must flag it while the user looks.
const MISTAKE_MODEL = `{
  "name": "mistake-stacked-lstm",
  "input": { "shape": [200], "dtype": "int32" },
  "layers": [
    { "type": "Embedding", "input_dim": 10000, "output_dim": 64 },
    { "type": "LSTM", "units": 64 },
    { "type": "LSTM", "units": 32 },
    { "type": "Dense", "units": 1, "activation": "sigmoid" }
  ],
  "compile": { "optimizer": "adam", "learning_rate": 0.001, "loss": "binary_crossentropy", "metrics": ["accuracy"] }
}
`;

// Says so when examples/spam-lstm.rnn.json changed and this copy did not follow.
if (SPAM_EPOCHS === 5) {
  const example = readJson(path.join(root, 'examples', 'spam-lstm.rnn.json'));
  if (JSON.stringify(example) !== JSON.stringify(JSON.parse(SPAM_MODEL))) console.log('# note: examples/spam-lstm.rnn.json differs from the copy this suite trains (SPAM_MODEL)');
}

/** Polls until fn() returns a truthy value; throws `what` after the timeout. */
async function until(what, fn, { timeout, interval = 500 }) {
  const deadline = Date.now() + timeout;
  let last;
  while (Date.now() < deadline) {
    last = await fn();
    if (last) return last;
    await sleep(interval);
  }
  throw new Error(`timed out after ${Math.round(timeout / 1000)} s waiting for ${what}`);
}

/** Finished run folders of a model (the trainer writes `.<stamp>.partial` first and renames it). */
function runFolders(runsDir) {
  return existsSync(runsDir) ? readdirSync(runsDir).filter((f) => !f.startsWith('.')).sort() : [];
}

function readJson(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/** The notifications in the notification center (Notifications: Show Notifications), as `severity: text`. */
async function notifications(page) {
  await runCommand(page, 'Notifications: Show Notifications');
  await page.waitForSelector('.notifications-center', { state: 'visible', timeout: 10_000 }).catch(() => {});
  await sleep(300);
  const items = await page.$$eval('.notifications-center .notification-list-item', (els) =>
    els.map((e) => {
      const icon = e.querySelector('.notification-list-item-icon');
      const severity = /codicon-error/.test(icon?.className ?? '') ? 'error' : /codicon-warning/.test(icon?.className ?? '') ? 'warning' : 'info';
      return `${severity}: ${e.querySelector('.notification-list-item-message')?.textContent ?? e.getAttribute('aria-label') ?? ''}`;
    }),
  );
  await page.keyboard.press('Escape');
  return items;
}

/** Trains the active model from the palette and waits for its new run folder's metrics.json. */
async function trainFromPalette(page, runsDir, timeout) {
  const before = new Set(runFolders(runsDir));
  await runCommand(page, 'RNN Studio: Train');
  const run = await until(
    `a new run folder with metrics.json in ${runsDir}`,
    () => runFolders(runsDir).find((f) => !before.has(f) && existsSync(path.join(runsDir, f, 'metrics.json'))),
    { timeout },
  );
  const metrics = await until('a readable metrics.json', () => readJson(path.join(runsDir, run, 'metrics.json')), { timeout: 10_000, interval: 200 });
  return { run, dir: path.join(runsDir, run), metrics };
}

const { version } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const PACKAGES = [
  { name: 'linux-x64', file: path.join(root, `rnn-studio-${version}-linux-x64.vsix`), kernels: /^native kernels/, native: true },
  { name: 'universal', file: path.join(root, `rnn-studio-${version}.vsix`), kernels: /^portable kernels/, native: false },
].filter((p) => !process.env.RNN_STUDIO_PACKAGES_ONLY || p.name === process.env.RNN_STUDIO_PACKAGES_ONLY);
const supported = process.platform === 'linux' && process.arch === 'x64';

async function packageSession(pkg) {
  const artifacts = path.join(artifactsRoot, pkg.name);
  rmSync(artifacts, { recursive: true, force: true });
  mkdirSync(artifacts, { recursive: true });
  let shot = 0;
  const screenshot = (page, name) => page.screenshot({ path: path.join(artifacts, `${String(++shot).padStart(2, '0')}-${name}.png`) }).catch(() => {});
  const label = (title) => `${pkg.name}: ${title}`;
  const ws = mkdtempSync(path.join(tmpdir(), `rnn-studio-pkg-${pkg.name}-`));
  writeFileSync(path.join(ws, 'spam-lstm.rnn.json'), SPAM_MODEL);
  writeFileSync(path.join(ws, 'seattle-weather-small.rnn.json'), WEATHER_MODEL);
  writeFileSync(path.join(ws, 'mistake-stacked-lstm.rnn.json'), MISTAKE_MODEL);
  const spamRuns = path.join(ws, 'runs', 'spam-lstm');

  let wb;
  try {
    wb = await check(label(`a fresh server with only ${path.basename(pkg.file)} installed opens the workspace`), async () => {
      const opened = await openWorkbench({
        // No extensionDevelopmentPath: the installed package is the only RNN Studio there is.
        installExtensions: [pkg.file],
        workspaceFolder: ws,
        artifactsDir: artifacts,
        userSettings: { 'editor.minimap.enabled': false },
      });
      try {
        const extensionsDir = path.join(path.dirname(opened.userDataDir), 'extensions');
        const installed = readdirSync(extensionsDir).filter((f) => !f.startsWith('.') && f !== 'extensions.json');
        const expected = `${EXTENSION_ID}-${version}`;
        assert(installed.length === 1 && installed[0].startsWith(expected), `the extensions folder holds only ${expected}: ${installed.join(', ')}`);
        const entries = readJson(path.join(extensionsDir, 'extensions.json')) ?? [];
        assert(entries.length === 1 && entries[0].identifier?.id === EXTENSION_ID, `extensions.json lists only ${EXTENSION_ID}: ${JSON.stringify(entries.map((e) => e.identifier?.id))}`);
        const dir = path.join(extensionsDir, installed[0]);
        assert(!existsSync(path.join(dir, 'node_modules')), 'no node_modules in the installed extension');
        assert(existsSync(path.join(dir, 'dist', 'native', 'linux-x64', 'rnn_fused.node')) === pkg.native, `native addon ${pkg.native ? 'present' : 'absent'}`);
        await opened.page.waitForSelector('.explorer-folders-view', { timeout: 30_000 }).catch(() => {});
      } catch (e) {
        await opened.close({ failed: true });
        throw e;
      }
      return opened;
    });
  } catch {
    return;
  }

  const { page } = wb;
  let failed = false;
  const step = async (title, fn) => {
    try {
      return await check(label(title), fn);
    } catch {
      failed = true;
      await screenshot(page, 'failed');
      return undefined;
    }
  };

  try {
    await step('the installed extension activates and flags the stacked-LSTM mistake in the editor', async () => {
      await openFile(page, 'mistake-stacked-lstm.rnn.json');
      await page.waitForSelector('.monaco-editor .squiggly-error', { timeout: 30_000 });
      await screenshot(page, 'mistake');
    });

    let trained;
    let script;
    await step(`RNN Studio: Train from the palette trains spam-lstm (${SPAM_EPOCHS} epochs) to >= 95 % test accuracy on the ${pkg.native ? 'native' : 'portable'} kernels`, async () => {
      await openFile(page, 'spam-lstm.rnn.json');
      const started = Date.now();
      trained = await trainFromPalette(page, spamRuns, 9 * 60_000);
      const m = trained.metrics;
      console.log(`# ${pkg.name}: run ${trained.run} in ${((Date.now() - started) / 1000).toFixed(1)} s: test accuracy ${m.testMetrics?.accuracy}, kernels "${m.kernels}", backend ${m.backend}, ${Math.round(m.samplesPerSecond)} samples/s, ${m.epochs} epochs`);
      await sleep(1000);
      await screenshot(page, 'trained');
      assert(m.testMetrics && m.testMetrics.accuracy >= 0.95, `test accuracy ${m.testMetrics?.accuracy} >= 0.95`);
      assert(typeof m.kernels === 'string' && pkg.kernels.test(m.kernels), `kernels "${m.kernels}" match ${pkg.kernels}`);
      assert(m.backend === 'cpu', `the bundled JavaScript backend, got ${m.backend}`);
      assert(/^SpamAssassin: 6,046 messages/.test(m.dataSummary ?? ''), `the built-in data: ${m.dataSummary}`);
      for (const f of ['model.json', 'weights.bin', 'preprocessor.json', 'history.json', 'model.rnn.json']) assert(existsSync(path.join(trained.dir, f)), `the run folder has ${f}`);
    });

    await step('Compare Cell Types from the palette trains SimpleRNN, LSTM and GRU and shows them in the Compare tab', async () => {
      if (!trained) throw new Error('no trained run (Train failed)');
      await openFile(page, 'spam-lstm.rnn.json');
      const before = runFolders(spamRuns).length;
      const started = Date.now();
      await runCommand(page, 'RNN Studio: Compare Cell Types');
      const frame = await designerFrame(page);
      await frame.locator('vscode-tab-header.tab-compare').click();
      await until(
        'three compared cells (done or failed)',
        // Table rows, or cards in a designer narrower than 520 px: both are .compare-row.
        async () => (await frame.locator('.compare-row.status-done, .compare-row.status-failed').count()) === 3,
        { timeout: 10 * 60_000, interval: 1000 },
      );
      await sleep(1000);
      await screenshot(page, 'compare');
      const rows = await frame.$$eval('.compare-row', (els) => els.map((e) => ({ cls: e.className, text: e.textContent.replace(/\s+/g, ' ').trim() })));
      console.log(`# ${pkg.name}: compared in ${((Date.now() - started) / 1000).toFixed(1)} s:\n${rows.map((r) => `#   ${r.text}`).join('\n')}`);
      assert(rows.length === 3 && rows.every((r) => /status-done/.test(r.cls)), `every cell trained: ${rows.map((r) => r.text).join(' | ')}`);
      for (const cell of ['SimpleRNN', 'LSTM', 'GRU']) assert(rows.some((r) => r.text.startsWith(cell)), `a ${cell} row`);
      assert(rows.every((r) => /\d+(\.\d+)? ?%/.test(r.text)), 'each row shows a test accuracy');
      const runs = runFolders(spamRuns);
      assert(runs.length === before + 3, `three more run folders (${before} -> ${runs.length})`);
      for (const r of runs.slice(-3)) {
        const m = readJson(path.join(spamRuns, r, 'metrics.json'));
        assert(m && pkg.kernels.test(m.kernels ?? ''), `compare run ${r} on the expected kernels: ${m?.kernels}`);
      }
    });

    await step('the memory view on the trained run (Runs tab, "Memory view") renders heatmaps for a typed message', async () => {
      if (!trained) throw new Error('no trained run (Train failed)');
      const frame = await designerFrame(page);
      await frame.locator('vscode-tab-header.tab-runs').click();
      const item = frame.locator(`.run-item[data-run-id="${trained.run}"]`);
      await item.waitFor({ timeout: 15_000 });
      await item.locator('.run-inspect').click();
      const text = frame.locator('vscode-textfield.memory-text');
      await text.waitFor({ state: 'visible', timeout: 15_000 });
      await text.click();
      await page.keyboard.type('Congratulations you won a free prize, click here to claim it now');
      await frame.locator('vscode-button.memory-show').click();
      await frame.waitForSelector('canvas.heatmap-canvas', { timeout: 120_000 });
      const maps = await frame.$$eval('canvas.heatmap-canvas', (els) => els.map((c) => [c.width, c.height]));
      // Bidirectional(LSTM): the hidden state of both directions (the cell state is shown for a plain LSTM only).
      assert(maps.length >= 1 && maps.every(([w, h]) => w > 0 && h > 0), `heatmaps with pixels: ${JSON.stringify(maps)}`);
      assert((await frame.locator('.heatmap-block.heatmap-hidden-state canvas.heatmap-canvas').count()) === 1, 'the hidden state heatmap of the Bidirectional LSTM');
      const layerName = await frame.locator('.layer-memory-name').first().innerText();
      assert(/bidirectional/i.test(layerName), `the recurrent layer: ${layerName}`);
      const tokens = await frame.locator('.heatmap-tokens').first().innerText();
      assert(/free/.test(tokens) && /click/.test(tokens), `tokens under the heatmap: ${tokens.slice(0, 80)}`);
      const picked = await frame.$eval('vscode-single-select.memory-run', (s) => s.value).catch(() => undefined);
      assert(picked === trained.run, `the memory view reads the trained run ${trained.run}, not ${picked}`);
      await sleep(500);
      await screenshot(page, 'memory');
    });

    await step('Export to Keras from the palette writes the project folder spam-lstm-keras/ with the trained run\'s weights', async () => {
      await openFile(page, 'spam-lstm.rnn.json');
      const folder = path.join(ws, 'spam-lstm-keras');
      await runCommand(page, 'RNN Studio: Export to Keras');
      // The save dialog (VS Code's simple file dialog here) proposes spam-lstm-keras: accept it.
      await page.waitForSelector('.quick-input-widget input', { state: 'visible', timeout: 15_000 });
      await sleep(300);
      await page.keyboard.press('Enter');
      await until('spam-lstm-keras/train.py', () => existsSync(path.join(folder, 'train.py')) && existsSync(path.join(folder, 'README.md')), { timeout: 60_000 });
      script = path.join(folder, 'train.py');
      const code = readFileSync(script, 'utf8');
      await page.waitForSelector('.tab[aria-label^="README.md"]', { timeout: 15_000 });
      await sleep(500);
      await screenshot(page, 'export');
      assert(/import keras|from tensorflow import keras/.test(code), 'a Keras script');
      assert(existsSync(path.join(folder, 'data', 'spam-assassin.json.gz')), 'the built-in data set in data/');
      const settings = JSON.parse(readFileSync(path.join(folder, 'run', 'settings.json'), 'utf8'));
      assert(trained && settings.run === trained.run, `run/ holds the trained run ${trained?.run}, not a compared cell's: ${settings.run}`);
      const notes = (await notifications(page)).filter((n) => /RNN Studio/.test(n));
      assert(!notes.some((n) => /exported with \d+ note/.test(n)), `export without notes: ${notes.join(' | ')}`);
    });

    await step('the exported project reads its own copy of the built-in data set (python train.py --dump-data, when a Keras venv is here)', async () => {
      const python = [path.join(root, '.venv-keras', 'bin', 'python')].find((p) => existsSync(p));
      assert(script && existsSync(script), 'spam-lstm-keras/train.py exported');
      if (!python) {
        console.log('# no .venv-keras here: skipped running the exported script');
        return;
      }
      const r = spawnSync(python, [script, '--dump-data', path.join(ws, 'dump.json'), '--max-samples', '200'], { cwd: ws, encoding: 'utf8', timeout: 180_000, env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' } });
      const tail = `${r.stdout}\n${r.stderr}`.trim().split('\n').slice(-4).join('\n');
      assert(r.status === 0 && existsSync(path.join(ws, 'dump.json')), `python ${path.relative(ws, script)} --dump-data exited ${r.status}:\n${tail}`);
    });

    await step('RNN Studio: Train trains the Seattle weather model on the built-in CSV', async () => {
      await openFile(page, 'seattle-weather-small.rnn.json');
      const { metrics: m, run } = await trainFromPalette(page, path.join(ws, 'runs', 'seattle-weather-small'), 3 * 60_000);
      console.log(`# ${pkg.name}: weather run ${run}: test ${JSON.stringify(m.testMetrics)}, kernels "${m.kernels}"`);
      assert(m.testMetrics && Number.isFinite(m.testMetrics.mae_original_units ?? m.testMetrics.mae), `a test MAE: ${JSON.stringify(m.testMetrics)}`);
      assert(/seattle/i.test(m.dataSummary ?? ''), `the built-in CSV: ${m.dataSummary}`);
      assert(pkg.kernels.test(m.kernels ?? ''), `kernels "${m.kernels}"`);
    });

    await step('no error or warning notification from RNN Studio (no backend notice, no failure)', async () => {
      const items = await notifications(page);
      console.log(`# ${pkg.name}: notifications: ${items.join(' | ') || '(none)'}`);
      const bad = items.filter((n) => /^(error|warning):/.test(n) && /RNN Studio/.test(n));
      assert(bad.length === 0, `RNN Studio errors / warnings: ${bad.join(' | ')}`);
    });

    await step("the extension's page (Extensions view) renders its README with no broken image", async () => {
      await runCommand(page, 'Extensions: Show Enabled Extensions');
      const item = page.locator('.extensions-viewlet .monaco-list-row:has-text("RNN Studio")').first();
      await item.waitFor({ timeout: 30_000 });
      await item.click();
      await page.waitForSelector('.extension-editor', { timeout: 30_000 });
      const frame = await frameWith(page, '.vscode-body h1, body h1', { timeout: 30_000, what: 'the README webview' });
      await until('the README images to load or fail', () => frame.evaluate(() => [...document.images].every((i) => i.complete)), { timeout: 15_000 });
      const readme = await frame.evaluate(() => ({
        title: document.querySelector('h1')?.textContent ?? '',
        text: document.body.innerText.slice(0, 200),
        images: [...document.images].map((i) => ({ src: i.getAttribute('src'), loaded: i.naturalWidth > 0 })),
      }));
      const icon = await page.$eval('.extension-editor .header .icon', (i) => ({ src: i.getAttribute('src'), loaded: i.naturalWidth > 0 })).catch(() => null);
      await screenshot(page, 'extension-page');
      console.log(`# ${pkg.name}: README "${readme.title}", ${readme.images.length} image(s); icon ${icon ? (icon.loaded ? 'loaded' : 'broken') : 'not found'}`);
      assert(/RNN Studio/.test(readme.title), `the README's title: ${readme.title}`);
      const broken = readme.images.filter((i) => !i.loaded && !/^(https:|data:)/.test(i.src ?? ''));
      const unloaded = readme.images.filter((i) => !i.loaded);
      assert(broken.length === 0 && unloaded.length === 0, `broken README images: ${unloaded.map((i) => i.src).join(', ')}`);
      assert(!icon || icon.loaded, `the extension icon loads (${icon?.src})`);
    });
  } finally {
    await wb.close({ failed });
  }
}

// ---- packaging: once per `npm test` ----------------------------------------------------------
let packaged = false;
if (!supported) {
  console.log(`skip - packages: the linux-x64 package is built and tested on linux-x64 only (this is ${process.platform}-${process.arch})`);
} else {
  mkdirSync(artifactsRoot, { recursive: true });
  try {
    await check('npm run package builds the linux-x64 and the universal package', async () => {
      if (process.env.RNN_STUDIO_PACKAGES_REUSE === '1') {
        console.log('# RNN_STUDIO_PACKAGES_REUSE=1: testing the .vsix files already here');
      } else {
        for (const p of PACKAGES) rmSync(p.file, { force: true });
        const started = Date.now();
        const r = spawnSync('npm', ['run', 'package'], { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
        writeFileSync(path.join(artifactsRoot, 'package.log'), `${r.stdout}\n${r.stderr}`);
        // Packaging rebuilt dist/ for production; the development bundles again for whatever runs next.
        spawnSync(process.execPath, [path.join(root, 'esbuild.mjs')], { cwd: root, stdio: 'inherit' });
        console.log(`# npm run package: exit ${r.status} in ${((Date.now() - started) / 1000).toFixed(1)} s (log test-artifacts/packages/package.log)`);
        assert(r.status === 0, `npm run package failed (exit ${r.status}):\n${`${r.stdout}\n${r.stderr}`.trim().split('\n').slice(-15).join('\n')}`);
      }
      for (const p of PACKAGES) {
        assert(existsSync(p.file), `${path.basename(p.file)} exists`);
        const size = statSync(p.file).size;
        assert(size < MAX_VSIX_BYTES, `${path.basename(p.file)} is under 30 MB (${size} bytes)`);
        const vsix = readFileSync(p.file);
        const names = zipEntries(vsix).map((e) => e.name);
        const manifest = readZipEntry(vsix, 'extension.vsixmanifest')?.toString('utf8') ?? '';
        const target = /TargetPlatform="([^"]+)"/.exec(manifest)?.[1];
        assert(target === (p.native ? 'linux-x64' : undefined), `${path.basename(p.file)}: target platform ${target ?? '(universal)'}`);
        for (const f of ['extension/package.json', 'extension/dist/extension.js', 'extension/dist/trainer.js', 'extension/dist/kernels/rnn_kernels.wasm', 'extension/dist/kernels/rnn_kernels_relaxed.wasm', 'extension/dist/data/spam-assassin.json.gz', 'extension/dist/data/seattle-weather.csv', 'extension/dist/webview/designer.js']) {
          assert(names.includes(f), `${path.basename(p.file)} holds ${f}`);
        }
        assert(names.includes('extension/dist/native/linux-x64/rnn_fused.node') === p.native, `${path.basename(p.file)} ${p.native ? 'holds' : 'has no'} the native addon`);
        assert(!names.some((n) => n.startsWith('extension/node_modules/')), `${path.basename(p.file)} has no node_modules`);
        console.log(`# ${path.basename(p.file)}: ${(size / 1024 / 1024).toFixed(1)} MB, ${names.length} files, target ${target ?? 'universal'}`);
      }
    });
    packaged = true;
  } catch {
    /* counted */
  }
}

if (packaged) {
  for (const pkg of PACKAGES) {
    const started = Date.now();
    try {
      await packageSession(pkg);
    } catch (e) {
      results.failed++;
      console.log(`not ok - ${pkg.name}: ${String(e?.stack ?? e).split('\n').slice(0, 6).join('\n  ')}`);
    }
    console.log(`# ${pkg.name}: session ${((Date.now() - started) / 1000).toFixed(0)} s (suite ${since()})`);
  }
}

mkdirSync(path.dirname(resultsOut), { recursive: true });
writeFileSync(resultsOut, JSON.stringify({ passed: results.passed, failed: results.failed }));
console.log(`packages: ${results.passed} passed, ${results.failed} failed in ${since()}`);
process.exitCode = results.failed ? 1 : 0;
