// End-to-end: the designer in the real workbench (VS Code server + headless Chromium), driven
// like a user: open an example, open the designer, type the classic mistake, press Fix, click a
// block. Writes out/e2e-results.json; screenshots go to test-artifacts/e2e/ (light and dark).
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openWorkbench } from '../harness/run-extension-tests.mjs';
import { assert, createChecks, designerFrame, goTo, openFile, pickTheme, runCommand, sleep, statusText } from '../harness/workbench-ui.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const artifacts = path.join(root, 'test-artifacts', 'e2e');
mkdirSync(artifacts, { recursive: true });
const { results, check } = createChecks();

async function session(theme, fn) {
  const ws = mkdtempSync(path.join(tmpdir(), 'rnn-studio-e2e-'));
  cpSync(path.join(root, 'examples'), path.join(ws, 'examples'), { recursive: true });
  const wb = await openWorkbench({
    extensionDevelopmentPath: root,
    workspaceFolder: ws,
    colorScheme: theme,
    artifactsDir: path.join(artifacts, theme),
    userSettings: { 'workbench.colorTheme': theme === 'dark' ? 'Default Dark Modern' : 'Default Light Modern', 'editor.minimap.enabled': false },
  });
  let failed = false;
  try {
    await wb.page.waitForSelector('.explorer-folders-view', { timeout: 30_000 }).catch(() => {});
    // The theme is a browser-side setting in the web workbench (light by default): pick dark as a user would.
    if (theme === 'dark') await pickTheme(wb.page, 'Dark Modern');
    await fn(wb.page, ws);
  } catch (e) {
    failed = true;
    if (!e?.counted) {
      results.failed++;
      console.log(`not ok - ${theme} session: ${String(e?.stack ?? e).split('\n').slice(0, 4).join('\n  ')}`);
    }
  } finally {
    await wb.close({ failed });
  }
}

await session('dark', async (page, ws) => {
  const file = path.join(ws, 'examples', 'imdb-bilstm-stacked.rnn.json');
  await check('open an example and the designer beside it', async () => {
    await openFile(page, 'imdb-bilstm-stacked.rnn.json');
    await runCommand(page, 'RNN Studio: Open Designer');
    await designerFrame(page);
  });

  let frame;
  await check("the designer shows Keras' blocks, shapes and counts", async () => {
    frame = await designerFrame(page);
    const blocks = await frame.$$eval('.layer-block', (els) => els.map((e) => e.getAttribute('aria-label')));
    assert(blocks.length === 7, `7 blocks, got ${blocks.length}`);
    const text = await frame.locator('body').innerText();
    for (const expected of ['(None, 200, 64)', '(None, 200, 128)', '66,048', '20,608', '727,745', 'FORWARD', 'BACKWARD', 'time axis dropped here']) {
      assert(text.includes(expected), `the panel shows ${expected}`);
    }
    await page.screenshot({ path: path.join(artifacts, 'designer-dark.png') });
  });

  await check('typing the stacked-LSTM mistake turns the block red with the message', async () => {
    const lines = readFileSync(file, 'utf8').split('\n');
    const line = lines.findIndex((l) => l.includes('"return_sequences": true')) + 1;
    const column = lines[line - 1].indexOf('"return_sequences": true') + '"return_sequences": '.length + 1;
    await page.locator('.monaco-editor .view-lines').first().click();
    await goTo(page, line, column);
    for (let i = 0; i < 4; i++) await page.keyboard.press('Shift+ArrowRight');
    await page.keyboard.type('false');
    frame = await designerFrame(page);
    await frame.waitForSelector('.layer-block.sev-error[data-layer-index="1"]', { timeout: 10_000 });
    const message = await frame.locator('.layer-block.sev-error .diag-message').first().innerText();
    assert(/return_sequences/.test(message) && /expects a 3-D input/.test(message), `message: ${message}`);
    await page.keyboard.press('Escape');
    await page.keyboard.press('Home'); // scroll the editor back to the start of the line
    await sleep(300);
    await page.screenshot({ path: path.join(artifacts, 'designer-error-dark.png') });
  });

  await check('Fix applies the quick fix to the file (one edit, saved by the user)', async () => {
    frame = await designerFrame(page);
    await frame.locator('.layer-block.sev-error vscode-button.fix').first().click();
    await frame.waitForSelector('.layer-block.sev-error', { state: 'detached', timeout: 10_000 });
    await page.locator('.monaco-editor .view-lines').first().click();
    await page.keyboard.press('Control+S');
    const deadline = Date.now() + 10_000;
    while (!readFileSync(file, 'utf8').includes('"units": 64, "return_sequences": true }') && Date.now() < deadline) await sleep(100);
    const saved = readFileSync(file, 'utf8');
    assert(saved.includes('"type": "LSTM", "units": 64, "return_sequences": true }'), `saved file:\n${saved}`);
  });

  await check('clicking a block selects its JSON in the editor', async () => {
    frame = await designerFrame(page);
    await frame.locator('.layer-block[data-layer-index="3"] .layer-type').click();
    const deadline = Date.now() + 10_000;
    let status = '';
    while (Date.now() < deadline) {
      status = await statusText(page);
      if (/\(\d+ selected\)/.test(status)) break;
      await sleep(100);
    }
    assert(/Ln 9, Col 36 \(31 selected\)/.test(status), `status bar: ${status}`); // { "type": "LSTM", "units": 32 } on line 9
  });

  await check('moving the cursor in the editor highlights the block', async () => {
    await page.locator('.monaco-editor .view-lines').first().click();
    await goTo(page, 11, 10);
    frame = await designerFrame(page);
    await frame.waitForSelector('.layer-block.is-highlighted[data-layer-index="5"]', { timeout: 10_000 });
  });

  await check('the panel survives a window reload', async () => {
    await page.reload();
    await page.waitForSelector('.monaco-workbench', { timeout: 30_000 });
    frame = await designerFrame(page, 45_000);
    const count = await frame.locator('.layer-block').count();
    assert(count === 7, `7 blocks after reload, got ${count}`);
  });
});

await session('light', async (page) => {
  await check('light theme: the designer renders the stack', async () => {
    await openFile(page, 'tutorial-temperature-lstm.rnn.json');
    await runCommand(page, 'RNN Studio: Open Designer');
    const frame = await designerFrame(page);
    const text = await frame.locator('body').innerText();
    assert(text.includes('29,857'), 'total params of the forecaster');
    await sleep(300);
    await page.screenshot({ path: path.join(artifacts, 'designer-light.png') });
  });
});

// Training in the panel: live curves, Stop, then the memory view for a typed message.
const SPAM_SMALL = {
  name: 'spam-small',
  input: { shape: [40], dtype: 'int32' },
  layers: [
    { type: 'Embedding', input_dim: 2000, output_dim: 16 },
    { type: 'LSTM', units: 16 },
    { type: 'Dense', units: 1, activation: 'sigmoid' },
  ],
  compile: { optimizer: 'adam', learning_rate: 0.005, loss: 'binary_crossentropy', metrics: ['accuracy'] },
  data: { kind: 'text', source: 'builtin', dataset: 'spam_assassin', num_words: 2000, maxlen: 40, truncating: 'post', max_samples: 1200, test_split: 0.2, seed: 3 },
  training: { epochs: 200, batch_size: 16, validation_split: 0.1 },
};

await session('dark', async (page, ws) => {
  writeFileSync(path.join(ws, 'examples', 'spam-small.rnn.json'), JSON.stringify(SPAM_SMALL, null, 2));
  let frame;
  await check('Train in the designer draws live curves that update', async () => {
    await openFile(page, 'spam-small.rnn.json');
    await runCommand(page, 'RNN Studio: Open Designer');
    frame = await designerFrame(page);
    await frame.locator('vscode-tab-header.tab-training').click();
    await frame.locator('vscode-button.train-button').click();
    const points = () => frame.evaluate(() => document.querySelector('.chart-grid canvas')?.chart?.data.datasets.reduce((n, d) => n + d.data.length, 0) ?? 0);
    const deadline = Date.now() + 60_000;
    let first = 0;
    while (Date.now() < deadline && (first = await points()) === 0) await sleep(200);
    assert(first > 0, 'the loss chart has points');
    let later = first;
    while (Date.now() < deadline && (later = await points()) <= first) await sleep(200);
    assert(later > first, `the chart updates (${first} -> ${later} points)`);
    await sleep(1500);
    await page.screenshot({ path: path.join(artifacts, 'training-dark.png') });
  });

  await check('Stop stops the training and keeps the finished epochs', async () => {
    await frame.locator('vscode-button.stop-button').click();
    await frame.waitForSelector('.run-pill:has-text("Stopped")', { timeout: 30_000 });
    const runs = path.join(ws, 'examples', 'runs', 'spam-small');
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && !(existsSync(runs) && readdirSync(runs).some((f) => !f.startsWith('.')))) await sleep(200);
    assert(existsSync(runs) && readdirSync(runs).filter((f) => !f.startsWith('.')).length === 1, 'one run folder');
  });

  await check('the memory view shows a heatmap for a typed message', async () => {
    await frame.locator('vscode-tab-header.tab-memory').click();
    const text = frame.locator('vscode-textfield.memory-text');
    await text.click();
    await page.keyboard.type('Congratulations you won a free prize, click here to claim it now');
    await frame.locator('vscode-button.memory-show').click();
    await frame.waitForSelector('canvas.heatmap-canvas', { timeout: 30_000 });
    const maps = await frame.locator('canvas.heatmap-canvas').count();
    assert(maps >= 2, `hidden and cell state heatmaps, got ${maps}`);
    const tokens = await frame.locator('.heatmap-tokens').first().innerText();
    assert(/free/.test(tokens) && /click/.test(tokens), `tokens under the heatmap: ${tokens.slice(0, 80)}`);
    await sleep(500);
    await page.screenshot({ path: path.join(artifacts, 'memory-dark.png') });
  });
});

mkdirSync(path.join(root, 'out'), { recursive: true });
writeFileSync(path.join(root, 'out', 'e2e-results.json'), JSON.stringify(results));
console.log(`e2e: ${results.passed} passed, ${results.failed} failed`);
process.exitCode = results.failed ? 1 : 0;
