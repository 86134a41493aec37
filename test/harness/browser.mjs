// Headless Chromium (Debian's /usr/bin/chromium) driven by playwright-core. Never run
// `npx playwright install`: it downloads a browser, which fails offline.
import { existsSync } from 'node:fs';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--disable-dev-shm-usage',
];

/** The Chromium executable: $CHROMIUM_PATH, else /usr/bin/chromium. */
export function chromiumPath() {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(Boolean);
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error('sudo apt-get install -y chromium');
  return found;
}

/**
 * Launches headless Chromium. Playwright starts it on a fresh temporary profile
 * (--user-data-dir in the temp folder, removed when the browser closes), and one new context.
 * @param {{ headless?: boolean, viewport?: {width:number,height:number}, colorScheme?: 'light'|'dark', args?: string[] }} [options]
 * @returns {Promise<{ browser: import('playwright-core').Browser, context: import('playwright-core').BrowserContext, newPage: () => Promise<import('playwright-core').Page>, close: () => Promise<void> }>}
 */
export async function launchBrowser({ headless = true, viewport = { width: 1400, height: 900 }, colorScheme, args = [] } = {}) {
  let chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch (err) {
    throw new Error(`playwright-core is not installed (npm install --save-dev playwright-core@1): ${err.message}`);
  }
  const browser = await chromium.launch({
    executablePath: chromiumPath(),
    headless,
    args: [...CHROMIUM_ARGS, ...args],
  });
  const context = await browser.newContext({ viewport, colorScheme });
  let closed = false;
  return {
    browser,
    context,
    newPage: () => context.newPage(),
    close: async () => {
      if (closed) return;
      closed = true;
      await context.close().catch(() => {});
      await browser.close().catch(() => {});
    },
  };
}
