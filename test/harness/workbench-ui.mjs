// Driving the real workbench (opened by openWorkbench) like a user: the command palette, Quick
// Open, Go to Line, the status bar, the designer webview's frame; and the `ok - ` / `not ok - `
// checks the Playwright suites print. Shared by test/e2e/run.mjs and test/packages/run.mjs.

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function assert(condition, message) {
  if (!condition) throw new Error(message);
}

/**
 * Counted checks: `check(title, fn)` prints `ok - title` or `not ok - title` with the error, counts
 * it in `results`, and rethrows a failure (marked `counted`, so a session does not count it twice).
 */
export function createChecks() {
  const results = { passed: 0, failed: 0 };
  async function check(title, fn) {
    const t0 = Date.now();
    try {
      const value = await fn();
      results.passed++;
      console.log(`ok - ${title} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
      return value;
    } catch (e) {
      results.failed++;
      console.log(`not ok - ${title} (${((Date.now() - t0) / 1000).toFixed(1)} s)\n  ${String(e?.stack ?? e).split('\n').slice(0, 6).join('\n  ')}`);
      if (e && typeof e === 'object') e.counted = true;
      throw e;
    }
  }
  return { results, check };
}

/** The first frame of the page (webviews are nested iframes) holding `selector`. */
export async function frameWith(page, selector, { timeout = 30_000, what = selector } = {}) {
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    for (const frame of page.frames()) {
      if (await frame.$(selector).catch(() => null)) return frame;
    }
    await sleep(100);
  }
  throw new Error(`no frame showed ${what} within ${timeout} ms`);
}

/** The designer's document inside the webview's nested iframes. */
export async function designerFrame(page, timeout = 30_000) {
  return frameWith(page, '.layer-block', { timeout, what: 'the designer (any layer block)' }).catch(() => {
    throw new Error('the designer webview did not show any layer block');
  });
}

/** The workbench occasionally opens a quick pick before it has settled: a second try covers it. */
export async function twice(page, action) {
  try {
    await action();
  } catch {
    await page.keyboard.press('Escape');
    await action();
  }
}

/** Runs a command from the palette (F1), clicking its row: the first row is not always the best match. */
export async function runCommand(page, title) {
  await twice(page, async () => {
    await page.keyboard.press('F1');
    await quickInputFocused(page);
    await page.keyboard.insertText(title);
    const row = page.locator(`.quick-input-list .monaco-list-row[aria-label^="${title}"]`).first();
    await row.waitFor({ timeout: 15_000 });
    await row.click();
  });
}

export async function pickTheme(page, name) {
  await twice(page, async () => {
    await runCommand(page, 'Preferences: Color Theme');
    await page.waitForSelector('.quick-input-list .monaco-list-row[aria-label*="Modern"]', { timeout: 15_000 });
    await page.keyboard.insertText(name);
    const row = page.locator(`.quick-input-list .monaco-list-row[aria-label^="${name}"]`).first();
    await row.waitFor({ timeout: 15_000 });
    await row.click();
  });
}

/**
 * Opens a workspace file with Quick Open (Ctrl+P) and waits for it to be the active editor. When
 * its tab is already there, clicks it first: keyboard focus inside a webview (the designer) would
 * take Ctrl+P for itself, and the palette would offer the commands of the webview, not the file's.
 */
export async function openFile(page, name) {
  const tab = page.locator(`.tab[aria-label^="${name}"]`).first();
  if (await tab.count()) {
    await tab.click();
    await sleep(200);
  }
  await twice(page, async () => {
    await page.keyboard.press('Control+P');
    await quickInputFocused(page);
    await page.keyboard.insertText(name);
    await page.locator(`.quick-input-list .monaco-list-row[aria-label*="${name}"]`).filter({ visible: true }).first().waitFor({ timeout: 15_000 });
  });
  await page.keyboard.press('Enter');
  await page.waitForSelector(`.editor-group-container.active .tab.active[aria-label^="${name}"]`, { timeout: 15_000 });
}

/** Waits until the quick input (palette, Quick Open) has the keyboard: what is typed next goes there, not into an editor. */
async function quickInputFocused(page) {
  await page.waitForSelector('.quick-input-widget input', { state: 'visible' });
  await page.waitForFunction(() => document.activeElement?.tagName === 'INPUT' && !!document.activeElement.closest('.quick-input-widget'), null, { timeout: 5_000 });
}

export async function goTo(page, line, column = 1) {
  await page.keyboard.press('Control+G');
  await page.waitForSelector('.quick-input-widget input', { state: 'visible' });
  await page.keyboard.insertText(`${line}:${column}`);
  await page.keyboard.press('Enter');
  await sleep(150);
}

export async function statusText(page) {
  return (await page.locator('.statusbar').innerText()).replace(/\s+/g, ' ');
}
