// Runs extension tests inside a real VS Code extension host (VS Code server + headless Chromium),
// and opens the real workbench for Playwright-driven end-to-end tests. See README.md.
import { existsSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { format } from 'node:util';
import { ensureVSCodeServer, startServer, workbenchUrl, REPO_ROOT } from './vscode-server.mjs';
import { launchBrowser } from './browser.mjs';

export const RESULTS_ENV = 'RNN_STUDIO_TEST_RESULTS';
const DEFAULT_ARTIFACTS = path.join(REPO_ROOT, 'test-artifacts', 'extension-tests');

/** User settings every session starts with (userSettings are merged over them). */
export const DEFAULT_USER_SETTINGS = {
  'workbench.startupEditor': 'none', // no Welcome / walkthrough tab stealing focus
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.tips.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'git.enabled': false, // no git extension noise on workspaces in /tmp
  'workbench.enableExperiments': false,
  'chat.commandCenter.enabled': false,
};

const defaultLog = (line) => process.stderr.write(`[harness] ${line}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const secs = (ms) => `${(ms / 1000).toFixed(1)} s`;

/** Error thrown when the tests could not run or finish (timeout, host died, entry failed to load). */
export class ExtensionTestsError extends Error {
  constructor(message, { artifactsDir, exitCode } = {}) {
    super(message);
    this.name = 'ExtensionTestsError';
    this.artifactsDir = artifactsDir;
    this.exitCode = exitCode;
  }
}

async function copyIfExists(src, dest) {
  if (!existsSync(src)) return false;
  await fs.mkdir(path.dirname(dest), { recursive: true });
  await fs.cp(src, dest, { recursive: true, force: true, dereference: false }).catch(() => {});
  return true;
}

/** The last `n` lines of every extension-host log under `dir`, for error messages. */
async function extHostLogTail(dirs, n = 40) {
  const found = [];
  async function walk(d) {
    let entries;
    try {
      entries = await fs.readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (/exthost\.log$/i.test(e.name)) found.push(p);
    }
  }
  for (const d of dirs) await walk(d);
  const parts = [];
  for (const f of found) {
    const text = await fs.readFile(f, 'utf8').catch(() => '');
    const lines = text
      .split('\n')
      .filter((l) => /\[error\]/.test(l))
      .map((l) => (l.length > 500 ? l.slice(0, 500) + '…' : l));
    if (lines.length) parts.push(`${f}:\n${lines.slice(-n).join('\n')}`);
  }
  return parts.join('\n');
}

/**
 * Starts the server and the browser and opens the workbench; the shared part of runExtensionTests
 * and openWorkbench.
 */
async function startSession({
  extensionDevelopmentPath,
  extensionTestsPath,
  workspaceFolder,
  env = {},
  workspaceTrust = false,
  installExtensions = [],
  colorScheme,
  viewport,
  log = defaultLog,
  userSettings,
  logLevel = 'info',
  verbose = !!process.env.RNN_STUDIO_TEST_VERBOSE,
}) {
  const t0 = Date.now();
  await ensureVSCodeServer({ log });
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'rnn-studio-vscode-'));
  const userDataDir = path.join(tmp, 'user-data');
  const serverDataDir = path.join(tmp, 'server-data');
  const extensionsDir = path.join(tmp, 'extensions');
  const consoleLog = path.join(tmp, 'browser-console.log');
  if (extensionTestsPath && !extensionDevelopmentPath) {
    // The workbench only runs extensionTestsPath in extension-development mode: to test installed
    // extensions alone (a .vsix smoke test), develop an empty stub extension.
    extensionDevelopmentPath = path.join(tmp, 'stub-dev-extension');
    await fs.mkdir(extensionDevelopmentPath, { recursive: true });
    await fs.writeFile(
      path.join(extensionDevelopmentPath, 'package.json'),
      JSON.stringify({ name: 'test-stub', publisher: 'rnn-studio-harness', version: '0.0.0', engines: { vscode: '*' } }),
    );
  }
  {
    // code-server's build keeps the browser client's user settings on the server, in
    // <user-data-dir>/User/settings.json (plain VS Code server web keeps them in the browser).
    const userDir = path.join(userDataDir, 'User');
    await fs.mkdir(userDir, { recursive: true });
    await fs.writeFile(path.join(userDir, 'settings.json'), JSON.stringify({ ...DEFAULT_USER_SETTINGS, ...userSettings }, null, 2));
  }

  let server;
  try {
    server = await startServer({
      userDataDir,
      serverDataDir,
      extensionsDir,
      env,
      workspaceTrust,
      installExtensions,
      logFile: path.join(tmp, 'server.log'),
      log,
      logLevel,
    });
  } catch (err) {
    await fs.rm(tmp, { recursive: true, force: true }).catch(() => {});
    throw err;
  }
  const hostOutput = path.join(tmp, 'host-output.log');
  const session = {
    tmp, userDataDir, serverDataDir, consoleLog, hostOutput, server, log,
    browser: null, page: null, exit: null, url: null, errors: [],
  };
  try {
    session.browser = await launchBrowser({ colorScheme, viewport });
    const page = await session.browser.newPage();
    session.page = page;
    const consoleLines = [];
    const hostLines = [];
    const flush = async () => {
      await fs.appendFile(consoleLog, consoleLines.splice(0).join('')).catch(() => {});
      await fs.appendFile(hostOutput, hostLines.splice(0).join('')).catch(() => {});
    };
    session.flushConsole = flush;
    page.on('console', (m) => consoleLines.push(`[${new Date().toISOString()}] [${m.type()}] ${m.text()}\n`));
    page.on('pageerror', (e) => consoleLines.push(`[${new Date().toISOString()}] [pageerror] ${e.stack || e}\n`));
    // The web workbench calls window.codeAutomationExit(code) when an extension-tests host exits
    // (BrowserExtensionService._onExtensionHostExit), as @vscode/test-web relies on.
    await page.exposeFunction('codeAutomationExit', (code) => {
      session.exit = { code: typeof code === 'number' ? code : Number(code), at: Date.now() };
    });
    // ...and forwards its log (console output of the extension host, at info level, included)
    // through window.codeAutomationLog(type, args).
    await page.exposeFunction('codeAutomationLog', (type, args) => {
      const text = format(...(Array.isArray(args) ? args : [args]));
      hostLines.push(`[${new Date().toISOString()}] [${type}] ${text}\n`);
      if (type === 'error' && session.errors.length < 20) session.errors.push(text);
      if (verbose) log(`[workbench:${type}] ${text}`);
    });
    session.url = workbenchUrl({ baseUrl: server.baseUrl, folder: workspaceFolder, extensionDevelopmentPath, extensionTestsPath });
    log(`opening ${session.url}`);
    await page.goto(session.url, { waitUntil: 'domcontentloaded' });
    log(`workbench page loaded ${secs(Date.now() - t0)} after start`);
  } catch (err) {
    await closeSession(session);
    throw err;
  }
  return session;
}

const ARTIFACT_NAMES = ['screenshot.png', 'server.log', 'browser-console.log', 'workbench-and-host-output.log', 'logs'];

async function saveArtifacts(session, artifactsDir, { screenshotName = 'screenshot.png' } = {}) {
  await fs.mkdir(artifactsDir, { recursive: true });
  // Only this run's artifacts: drop what an earlier run left under the same names.
  for (const name of ARTIFACT_NAMES) await fs.rm(path.join(artifactsDir, name), { recursive: true, force: true });
  if (session.page && !session.page.isClosed()) {
    await session.page.screenshot({ path: path.join(artifactsDir, screenshotName), timeout: 10_000 }).catch((e) => {
      session.log(`screenshot failed: ${e.message}`);
    });
  }
  await session.flushConsole?.();
  await copyIfExists(session.server?.logFile, path.join(artifactsDir, 'server.log'));
  await copyIfExists(session.consoleLog, path.join(artifactsDir, 'browser-console.log'));
  await copyIfExists(session.hostOutput, path.join(artifactsDir, 'workbench-and-host-output.log'));
  // Extension host (exthost1/remoteexthost.log), server (remoteagent.log) and extension logs:
  // code-server's build writes them to <user-data-dir>/logs/<time>/; plain VS Code server to
  // <server-data-dir>/data/logs/<time>/.
  await copyIfExists(path.join(session.serverDataDir, 'data', 'logs'), path.join(artifactsDir, 'logs', 'server-data'));
  await copyIfExists(path.join(session.userDataDir, 'logs'), path.join(artifactsDir, 'logs', 'user-data'));
  session.log(`artifacts saved to ${artifactsDir}`);
}

async function closeSession(session, { keepTemp = false } = {}) {
  await session.flushConsole?.();
  const t0 = Date.now();
  if (session.browser) await session.browser.close().catch(() => {});
  const t1 = Date.now();
  if (session.server) await session.server.stop().catch(() => {});
  session.log(`closed browser in ${t1 - t0} ms, server in ${Date.now() - t1} ms`);
  if (!keepTemp) await fs.rm(session.tmp, { recursive: true, force: true }).catch(() => {});
}

async function readResults(file) {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8'));
  } catch {
    return null; // not there yet, or (if the writer is not atomic) not complete yet
  }
}

/**
 * Runs an extension test entry (a CommonJS module exporting run(): Promise<void>) inside a real
 * VS Code extension host and returns the results JSON it wrote to `resultsFile`.
 *
 * The entry learns the results path from process.env.RNN_STUDIO_TEST_RESULTS (the server's
 * environment reaches the extension host). On failed tests, a timeout, or a host that exits
 * without results, a screenshot, the server log, the browser console and the extension host logs
 * are saved to artifactsDir. Timeout / no results throw ExtensionTestsError.
 *
 * With RNN_STUDIO_TEST_HOST=electron, runs in desktop VS Code via @vscode/test-electron instead.
 *
 * @param {{
 *   extensionDevelopmentPath: string|string[], extensionTestsPath: string, workspaceFolder?: string,
 *   resultsFile?: string, timeoutMs?: number, artifactsDir?: string, env?: Record<string,string>,
 *   workspaceTrust?: boolean, installExtensions?: string[], log?: (line: string) => void,
 *   keepTemp?: boolean, userSettings?: object,
 * }} options
 * @returns {Promise<{ passed: number, failed: number, tests: { title: string, state: string, error: string|null }[] }>}
 */
export async function runExtensionTests(options) {
  if ((process.env.RNN_STUDIO_TEST_HOST || '').toLowerCase() === 'electron') {
    const { runExtensionTests: viaElectron } = await import('./electron.mjs');
    return viaElectron(options);
  }
  const {
    extensionDevelopmentPath,
    extensionTestsPath,
    workspaceFolder,
    timeoutMs = 120_000,
    artifactsDir = DEFAULT_ARTIFACTS,
    env = {},
    workspaceTrust = false,
    installExtensions = [],
    log = defaultLog,
    keepTemp = false,
    userSettings,
    logLevel,
    verbose,
  } = options;
  if (!extensionTestsPath) throw new Error('runExtensionTests needs extensionTestsPath');
  const ownResultsFile = !options.resultsFile;
  const resultsFile = path.resolve(options.resultsFile || path.join(os.tmpdir(), `rnn-studio-results-${process.pid}-${Date.now()}.json`));
  await fs.rm(resultsFile, { force: true });

  const t0 = Date.now();
  const session = await startSession({
    extensionDevelopmentPath,
    extensionTestsPath,
    workspaceFolder,
    env: { ...env, [RESULTS_ENV]: resultsFile },
    workspaceTrust,
    installExtensions,
    log,
    userSettings,
    logLevel,
    verbose,
  });
  let results = null;
  let problem = null;
  try {
    const deadline = t0 + timeoutMs;
    for (;;) {
      results = await readResults(resultsFile);
      if (results) {
        // Let the host finish (its last output, its exit code), briefly.
        const until = Date.now() + 3000;
        while (!session.exit && Date.now() < until) await sleep(50);
        break;
      }
      if (session.exit) {
        // The host has exited; give a non-atomic writer a moment, then give up.
        if (Date.now() - session.exit.at > 1500) {
          problem = `the extension host exited with code ${session.exit.code} without writing ${resultsFile}`;
          break;
        }
      }
      if (session.server.process.exitCode !== null || session.server.process.signalCode !== null) {
        problem = `the VS Code server exited (${session.server.process.exitCode ?? session.server.process.signalCode}) before results were written`;
        break;
      }
      if (Date.now() > deadline) {
        problem = `no results in ${resultsFile} after ${timeoutMs} ms (timeout)`;
        break;
      }
      await sleep(100);
    }
    const failed = problem || !results || results.failed > 0;
    if (failed) await saveArtifacts(session, artifactsDir);
    if (problem) {
      const tail = await extHostLogTail([path.join(session.serverDataDir, 'data', 'logs'), path.join(session.userDataDir, 'logs')]);
      const errors = session.errors.slice(0, 5).map((e) => (e.length > 2000 ? e.slice(0, 2000) + '…' : e));
      throw new ExtensionTestsError(
        `${problem}.\n` +
          (errors.length ? `Errors reported by the workbench / extension host:\n${errors.join('\n')}\n` : '') +
          (tail ? `Extension host log errors:\n${tail}\n` : '') +
          `Artifacts (screenshot, server log, extension host logs): ${artifactsDir}`,
        { artifactsDir, exitCode: session.exit?.code },
      );
    }
    log(`results: ${results.passed} passed, ${results.failed} failed in ${secs(Date.now() - t0)} (start to results)`);
    return results;
  } finally {
    await closeSession(session, { keepTemp });
    if (ownResultsFile && !keepTemp) await fs.rm(resultsFile, { force: true }).catch(() => {});
  }
}

/**
 * Starts the server and opens the real workbench in headless Chromium for Playwright-driven
 * end-to-end tests. Resolves once `.monaco-workbench` is in the page.
 *
 * @param {{
 *   extensionDevelopmentPath?: string|string[], extensionTestsPath?: string, workspaceFolder?: string,
 *   env?: Record<string,string>, workspaceTrust?: boolean, installExtensions?: string[],
 *   colorScheme?: 'light'|'dark', viewport?: {width:number,height:number}, artifactsDir?: string,
 *   userSettings?: object, timeoutMs?: number, log?: (line: string) => void, keepTemp?: boolean,
 * }} options
 * @returns {Promise<{ page: import('playwright-core').Page, server: object, browser: object, url: string,
 *   userDataDir: string, serverDataDir: string, saveArtifacts: (dir?: string) => Promise<void>,
 *   close: (opts?: { failed?: boolean }) => Promise<void> }>}
 */
export async function openWorkbench(options = {}) {
  const { artifactsDir = path.join(REPO_ROOT, 'test-artifacts', 'workbench'), timeoutMs = 60_000, keepTemp = false } = options;
  const session = await startSession(options);
  const save = (dir = artifactsDir) => saveArtifacts(session, dir);
  try {
    await session.page.waitForSelector('.monaco-workbench', { timeout: timeoutMs });
  } catch (err) {
    await save();
    await closeSession(session, { keepTemp });
    throw new ExtensionTestsError(`the workbench did not appear: ${err.message}; artifacts in ${artifactsDir}`, { artifactsDir });
  }
  return {
    page: session.page,
    server: session.server,
    browser: session.browser,
    url: session.url,
    userDataDir: session.userDataDir,
    serverDataDir: session.serverDataDir,
    saveArtifacts: save,
    close: async ({ failed = false } = {}) => {
      if (failed) await save();
      await closeSession(session, { keepTemp });
    },
  };
}
