// A real VS Code server (VS Code 1.100.3, from the `code-server@4.100.3` npm package), cached
// under <repo>/.vscode-test/code-server/, for running extension tests in a real extension host.
// See README.md beside this file and shared/notes/offline-setup.md section 3.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as http from 'node:http';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureSystemPackages as ensureSystemPackagesFromList, which } from '../../scripts/system-packages.mjs';

export const CODE_SERVER_VERSION = '4.100.3';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(HERE, '..', '..');
export const CACHE_DIR = path.join(REPO_ROOT, '.vscode-test', 'code-server');
const STATE_FILE = path.join(CACHE_DIR, 'install-state.json');
const CODE_SERVER_DIR = path.join(CACHE_DIR, 'node_modules', 'code-server');
const VSCODE_DIR = path.join(CODE_SERVER_DIR, 'lib', 'vscode');
const SERVER_MAIN = path.join(VSCODE_DIR, 'out', 'server-main.js');

const NATIVE_MODULES = ['node-pty', '@vscode/spdlog', 'native-watchdog', 'kerberos', '@vscode/deviceid'];

const defaultLog = (line) => process.stderr.write(`[vscode-server] ${line}\n`);

// ---------------------------------------------------------------------------------------------
// small process helpers

// Processes this module started (servers, npm / node-gyp trees): killed, with their process
// groups, if the driver exits or is interrupted without cleaning up.
const liveServers = new Set();
const liveChildren = new Set();
let signalHandlersInstalled = false;
function installSignalHandlers() {
  if (signalHandlersInstalled) return;
  signalHandlersInstalled = true;
  for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]]) {
    // Exit (running the 'exit' cleanup below) only when nobody else handles the signal: a driver
    // with its own handler (e.g. one that calls server.stop()) keeps control.
    process.on(sig, () => {
      if (process.listenerCount(sig) <= 1) process.exit(code);
    });
  }
  process.once('exit', () => {
    for (const child of [...liveServers, ...liveChildren]) {
      try {
        if (process.platform !== 'win32') process.kill(-child.pid, 'SIGKILL');
        else child.kill('SIGKILL');
      } catch {
        /* gone */
      }
    }
  });
}

/** Runs a command, collecting output; rejects with the tail of the output on a non-zero exit. */
function run(cmd, args, { cwd, env, quiet = false } = {}) {
  return new Promise((resolve, reject) => {
    // Own process group, so an interrupted install can end the whole npm / node-gyp / make tree.
    const child = spawn(cmd, args, { cwd, env: env || process.env, stdio: ['ignore', 'pipe', 'pipe'], detached: process.platform !== 'win32' });
    liveChildren.add(child);
    installSignalHandlers();
    child.once('exit', () => liveChildren.delete(child));
    let out = '';
    const onData = (d) => {
      out += d.toString();
      if (out.length > 200_000) out = out.slice(-100_000);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve(out);
      else {
        const err = new Error(
          `${cmd} ${args.join(' ')} (in ${cwd || process.cwd()}) failed with ${signal || `exit code ${code}`}` +
            (quiet ? '' : `:\n${out.split('\n').slice(-40).join('\n')}`),
        );
        err.output = out;
        reject(err);
      }
    });
  });
}

/**
 * Environment for the npm child processes: when the harness itself runs under `npm test`, npm
 * exports settings such as npm_config_prefix / npm_config_global that must not redirect or change
 * our installs into the cache folder.
 */
function npmEnv(extra = {}) {
  const env = { ...process.env };
  for (const key of Object.keys(env)) {
    const k = key.toLowerCase();
    if (
      k.startsWith('npm_config_') &&
      /^npm_config_(prefix|global|local_prefix|dry_run|omit|include|production|only|also|save.*|workspaces?|include_workspace_root|ignore_scripts|package_lock(_only)?|lockfile_version|install_strategy|global_style|legacy_bundling|link)$/.test(k)
    ) {
      delete env[key];
    }
    if (k.startsWith('npm_package_') || k === 'npm_lifecycle_event' || k === 'npm_lifecycle_script') delete env[key];
  }
  env.npm_config_yes = 'true';
  env.npm_config_audit = 'false';
  env.npm_config_fund = 'false';
  env.npm_config_update_notifier = 'false';
  if (!env.JOBS) env.JOBS = 'max'; // node-gyp: make -j<cores>
  // node-gyp must build against the running Node's headers; downloading them is impossible offline.
  if (!env.npm_config_nodedir && !env.NPM_CONFIG_NODEDIR) {
    const prefix = path.resolve(path.dirname(process.execPath), '..');
    if (existsSync(path.join(prefix, 'include', 'node', 'node.h'))) env.npm_config_nodedir = prefix;
  }
  return { ...env, ...extra };
}

const npmCmd = process.platform === 'win32' ? 'npm.cmd' : 'npm';

// ---------------------------------------------------------------------------------------------
// system packages

/**
 * Makes sure the system packages the harness needs exist (the 'test' group of the one list in
 * scripts/system-packages.mjs, or the named `packages` of it); installs them with apt-get when
 * running as root, else throws an Error whose message is exactly the command to run.
 * @param {{ log?: (line: string) => void, packages?: string[] }} [options]
 * @returns {Promise<string[]>} the packages it installed
 */
export async function ensureSystemPackages({ log = defaultLog, packages } = {}) {
  return ensureSystemPackagesFromList({ group: 'test', packages, log });
}

// ---------------------------------------------------------------------------------------------
// the VS Code server install

async function readState() {
  try {
    return JSON.parse(await fs.readFile(STATE_FILE, 'utf8'));
  } catch {
    return null;
  }
}

async function writeState(state) {
  const tmp = `${STATE_FILE}.${process.pid}.tmp`;
  await fs.writeFile(tmp, JSON.stringify(state, null, 2));
  await fs.rename(tmp, STATE_FILE);
}

async function readVSCodeVersion() {
  const pkg = JSON.parse(await fs.readFile(path.join(VSCODE_DIR, 'package.json'), 'utf8'));
  return pkg.version;
}

// Each step is re-run (after undoing whatever a half-finished earlier run left behind) unless the
// state file records it as completed, for this code-server version and this Node ABI, after every
// step before it.
const STEPS = [
  {
    name: 'npm install code-server',
    async clean() {
      await fs.rm(path.join(CACHE_DIR, 'node_modules'), { recursive: true, force: true });
      await fs.rm(path.join(CACHE_DIR, 'package-lock.json'), { force: true });
    },
    async run() {
      // A package.json of its own so npm never walks up to the repository's package.json.
      await fs.writeFile(
        path.join(CACHE_DIR, 'package.json'),
        JSON.stringify(
          { name: 'rnn-studio-vscode-server-cache', private: true, dependencies: { 'code-server': CODE_SERVER_VERSION } },
          null,
          2,
        ) + '\n',
      );
      await run(
        npmCmd,
        ['install', '--ignore-scripts', '--prefix', CACHE_DIR],
        { cwd: CACHE_DIR, env: npmEnv() },
      );
      if (!existsSync(SERVER_MAIN)) throw new Error(`${SERVER_MAIN} missing after npm install`);
    },
  },
  {
    name: 'npm install lib/vscode production deps',
    async clean() {
      await fs.rm(path.join(VSCODE_DIR, 'node_modules'), { recursive: true, force: true });
      await fs.rm(path.join(VSCODE_DIR, 'node_modules.asar'), { force: true });
    },
    async run() {
      await run(npmCmd, ['install', '--omit=dev', '--ignore-scripts', '--prefix', VSCODE_DIR], {
        cwd: VSCODE_DIR,
        env: npmEnv(),
      });
    },
  },
  {
    name: `npm rebuild ${NATIVE_MODULES.join(' ')}`,
    async clean() {},
    async run() {
      await run(npmCmd, ['rebuild', '--prefix', VSCODE_DIR, ...NATIVE_MODULES], { cwd: VSCODE_DIR, env: npmEnv() });
    },
  },
  {
    name: 'ripgrep binary',
    async clean() {},
    async run() {
      const rg = which('rg');
      if (!rg) throw new Error('apt-get install -y ripgrep');
      const binDir = path.join(VSCODE_DIR, 'node_modules', '@vscode', 'ripgrep', 'bin');
      await fs.mkdir(binDir, { recursive: true });
      const dest = path.join(binDir, 'rg');
      await fs.rm(dest, { force: true });
      await fs.copyFile(await fs.realpath(rg), dest);
      await fs.chmod(dest, 0o755);
    },
  },
  {
    name: 'node_modules.asar symlink',
    async clean() {},
    async run() {
      const link = path.join(VSCODE_DIR, 'node_modules.asar');
      await fs.rm(link, { force: true, recursive: true });
      await fs.symlink('node_modules', link);
    },
  },
  {
    name: 'npm install lib/vscode/extensions deps',
    async clean() {
      await fs.rm(path.join(VSCODE_DIR, 'extensions', 'node_modules'), { recursive: true, force: true });
    },
    async run() {
      const dir = path.join(VSCODE_DIR, 'extensions');
      await run(npmCmd, ['install', '--omit=dev', '--ignore-scripts', '--prefix', dir], { cwd: dir, env: npmEnv() });
    },
  },
  {
    name: 'check: native modules load, server prints its version',
    async clean() {},
    async run() {
      const script = NATIVE_MODULES.map((m) => `require(${JSON.stringify(m)});`).join('');
      await run(process.execPath, ['-e', script], { cwd: VSCODE_DIR });
      const out = await run(process.execPath, [SERVER_MAIN, '--version'], { cwd: VSCODE_DIR });
      if (!/\d+\.\d+\.\d+/.test(out)) throw new Error(`unexpected server --version output: ${out}`);
    },
  },
];

let ensurePromise = null;


/**
 * Makes sure a runnable VS Code server exists under <repo>/.vscode-test/code-server/.
 * Idempotent and cheap once done (one small JSON read). Safe after an interrupted install.
 * @param {{ log?: (line: string) => void, systemPackages?: boolean }} [options]
 * @returns {Promise<{ serverRoot: string, vscodeVersion: string }>}
 *   serverRoot is the VS Code folder (the one holding out/server-main.js).
 */
export async function ensureVSCodeServer({ log = defaultLog, systemPackages = true } = {}) {
  // Concurrent callers in one process share one install.
  if (!ensurePromise) ensurePromise = doEnsure({ log, systemPackages }).finally(() => (ensurePromise = null));
  return ensurePromise;
}

function pidAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

/** A cross-process lock (mkdir is atomic) so two test processes never install at once. */
async function withInstallLock(log, fn) {
  const lockDir = `${CACHE_DIR}.lock`;
  await fs.mkdir(path.dirname(lockDir), { recursive: true });
  const deadline = Date.now() + 15 * 60_000;
  let announced = false;
  for (;;) {
    try {
      await fs.mkdir(lockDir);
      await fs.writeFile(path.join(lockDir, 'pid'), String(process.pid));
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      const pid = Number(await fs.readFile(path.join(lockDir, 'pid'), 'utf8').catch(() => '0'));
      const age = Date.now() - (await fs.stat(lockDir).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs;
      if ((pid && !pidAlive(pid)) || (!pid && age > 10_000)) {
        await fs.rm(lockDir, { recursive: true, force: true }); // left by a killed install
        continue;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for the install lock ${lockDir} (held by pid ${pid})`);
      if (!announced) log(`waiting for another process (pid ${pid}) installing the VS Code server`);
      announced = true;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    return await fn();
  } finally {
    await fs.rm(lockDir, { recursive: true, force: true });
  }
}

async function doEnsure({ log, systemPackages }) {
  const want = { codeServer: CODE_SERVER_VERSION, nodeAbi: process.versions.modules, platform: `${process.platform}-${process.arch}` };
  const fast = await readState();
  if (fast && fast.complete && fast.codeServer === want.codeServer && fast.nodeAbi === want.nodeAbi && fast.platform === want.platform && existsSync(SERVER_MAIN)) {
    if (systemPackages) await ensureSystemPackages({ log });
    return { serverRoot: VSCODE_DIR, vscodeVersion: fast.vscodeVersion };
  }
  if (systemPackages) await ensureSystemPackages({ log });
  return withInstallLock(log, () => install({ log, want }));
}

async function install({ log, want }) {
  const t0 = Date.now();
  let state = await readState(); // again: another process may have finished while we waited
  const sameTarget =
    state && state.codeServer === want.codeServer && state.nodeAbi === want.nodeAbi && state.platform === want.platform;
  if (sameTarget && state.complete && existsSync(SERVER_MAIN)) {
    return { serverRoot: VSCODE_DIR, vscodeVersion: state.vscodeVersion };
  }
  await fs.mkdir(CACHE_DIR, { recursive: true });
  if (!sameTarget || !existsSync(SERVER_MAIN)) state = { ...want, steps: [], complete: false };
  state.complete = false;
  log(`preparing VS Code server (code-server@${CODE_SERVER_VERSION}) in ${path.relative(REPO_ROOT, CACHE_DIR)}`);

  let redoRest = false;
  for (let i = 0; i < STEPS.length; i++) {
    const step = STEPS[i];
    if (!redoRest && state.steps[i] === step.name) {
      log(`  [${i + 1}/${STEPS.length}] ${step.name}: done before, skipped`);
      continue;
    }
    redoRest = true; // every later step depends on this one
    state.steps = state.steps.slice(0, i);
    await writeState(state);
    const ts = Date.now();
    try {
      await step.clean();
      await step.run();
    } catch (err) {
      // One retry from a clean slate (npm and node-gyp occasionally trip over leftovers).
      log(`  [${i + 1}/${STEPS.length}] ${step.name} failed (${err.message.split('\n')[0]}); retrying once`);
      await step.clean();
      await step.run();
    }
    state.steps.push(step.name);
    await writeState(state);
    log(`  [${i + 1}/${STEPS.length}] ${step.name}: ${((Date.now() - ts) / 1000).toFixed(1)} s`);
  }
  state.vscodeVersion = await readVSCodeVersion();
  state.complete = true;
  await writeState(state);
  log(`VS Code server ${state.vscodeVersion} ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return { serverRoot: VSCODE_DIR, vscodeVersion: state.vscodeVersion };
}

// ---------------------------------------------------------------------------------------------
// running the server

function waitForExit(child, ms) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve(true);
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

function httpOk(url) {
  return new Promise((resolve) => {
    const req = http.get(url, (res) => {
      res.resume();
      resolve(res.statusCode !== undefined && res.statusCode < 500);
    });
    req.on('error', () => resolve(false));
    req.setTimeout(2000, () => {
      req.destroy();
      resolve(false);
    });
  });
}

/** Reads the log file from `from` until `re` matches; returns the match. */
async function waitForLogLine(logFile, re, { child, timeoutMs }) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const text = await fs.readFile(logFile, 'utf8').catch(() => '');
    const m = re.exec(text);
    if (m) return m;
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`VS Code server exited (${child.exitCode ?? child.signalCode}) before listening; log ${logFile}:\n${text.slice(-4000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`VS Code server did not start listening within ${timeoutMs} ms; see ${logFile}`);
}

/**
 * Installs .vsix files (or gallery ids, which fail offline) into extensionsDir with the server CLI.
 */
export async function installExtensionsIntoServer({ serverRoot, extensionsDir, userDataDir, serverDataDir, vsixPaths, env = {} }) {
  if (!vsixPaths.length) return '';
  const args = [path.join(serverRoot, 'out', 'server-main.js'), '--accept-server-license-terms'];
  if (userDataDir) args.push('--user-data-dir', userDataDir);
  if (serverDataDir) args.push('--server-data-dir', serverDataDir);
  if (extensionsDir) args.push('--extensions-dir', extensionsDir);
  for (const v of vsixPaths) args.push('--install-extension', path.resolve(v));
  args.push('--force');
  return run(process.execPath, args, { cwd: serverRoot, env: { ...process.env, ...env } });
}

/**
 * Starts the VS Code server. The extension host it starts inherits this process's environment
 * plus `env` (verified: a variable set here is visible as process.env.X inside the extension host).
 *
 * workspaceTrust: false (default) passes --disable-workspace-trust, so every folder is trusted.
 * workspaceTrust: true leaves workspace trust on; a folder opened by a fresh browser profile is then
 * NOT trusted, i.e. the window is in restricted mode (vscode.workspace.isTrusted === false) until
 * someone trusts it. See README.md.
 *
 * @param {{
 *   userDataDir: string, serverDataDir: string, extensionsDir: string,
 *   port?: number, env?: Record<string,string>, installExtensions?: string[],
 *   workspaceTrust?: boolean, logFile?: string, extraArgs?: string[],
 *   log?: (line: string) => void, logLevel?: 'trace'|'debug'|'info'|'warn'|'error'|'off', startTimeoutMs?: number,
 * }} options
 * @returns {Promise<{ port: number, baseUrl: string, logFile: string, pid: number, serverRoot: string, stop: () => Promise<void> }>}
 */
export async function startServer({
  userDataDir,
  serverDataDir,
  extensionsDir,
  port = 0,
  env = {},
  installExtensions = [],
  workspaceTrust = false,
  logFile,
  extraArgs = [],
  log = defaultLog,
  logLevel = 'info',
  startTimeoutMs = 60_000,
} = {}) {
  if (!userDataDir || !serverDataDir || !extensionsDir) {
    throw new Error('startServer needs userDataDir, serverDataDir and extensionsDir');
  }
  const { serverRoot } = await ensureVSCodeServer({ log, systemPackages: false });
  for (const d of [userDataDir, serverDataDir, extensionsDir]) await fs.mkdir(d, { recursive: true });
  logFile = logFile || path.join(serverDataDir, 'server.log');
  await fs.mkdir(path.dirname(logFile), { recursive: true });

  const serverEnv = { ...process.env, ...env };
  // Never let the host be mistaken for an Electron main/renderer or a VS Code CLI child.
  delete serverEnv.ELECTRON_RUN_AS_NODE;
  delete serverEnv.VSCODE_IPC_HOOK_CLI;

  if (installExtensions.length) {
    const t = Date.now();
    await installExtensionsIntoServer({ serverRoot, extensionsDir, userDataDir, serverDataDir, vsixPaths: installExtensions, env });
    log(`installed ${installExtensions.length} extension(s) in ${Date.now() - t} ms`);
  }

  const args = [
    path.join(serverRoot, 'out', 'server-main.js'),
    '--host', '127.0.0.1',
    '--port', String(port),
    '--without-connection-token',
    '--accept-server-license-terms',
    '--telemetry-level', 'off',
    '--user-data-dir', userDataDir,
    '--server-data-dir', serverDataDir,
    '--extensions-dir', extensionsDir,
    '--log', logLevel,
  ];
  if (!workspaceTrust) args.push('--disable-workspace-trust');
  args.push(...extraArgs);

  const out = await fs.open(logFile, 'a');
  const t0 = Date.now();
  // detached: own process group, so stop() also ends the extension host, pty host, file watcher...
  const child = spawn(process.execPath, args, {
    cwd: serverRoot,
    env: serverEnv,
    stdio: ['ignore', out.fd, out.fd],
    detached: process.platform !== 'win32',
  });
  await out.close();
  child.unref();
  // Safety net: a driver that exits (or crashes) without stop() must not leave servers behind.
  liveServers.add(child);
  installSignalHandlers();
  child.once('exit', () => liveServers.delete(child));
  const spawnError = new Promise((_, reject) => child.once('error', reject));

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    const kill = (sig) => {
      try {
        if (process.platform !== 'win32') process.kill(-child.pid, sig);
        else child.kill(sig);
      } catch {
        /* already gone */
      }
    };
    kill('SIGTERM');
    if (!(await waitForExit(child, 5000))) kill('SIGKILL');
    await waitForExit(child, 2000);
    // Anything left in the group (an extension host that ignored SIGTERM)
    kill('SIGKILL');
  };

  try {
    const m = await Promise.race([
      waitForLogLine(logFile, /Extension host agent listening on (\d+)/, { child, timeoutMs: startTimeoutMs }),
      spawnError,
    ]);
    const actualPort = Number(m[1]);
    const baseUrl = `http://127.0.0.1:${actualPort}`;
    while (!(await httpOk(`${baseUrl}/`))) {
      if (Date.now() - t0 > startTimeoutMs) throw new Error(`VS Code server at ${baseUrl} does not answer HTTP; see ${logFile}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    log(`server listening on ${baseUrl} (pid ${child.pid}) after ${Date.now() - t0} ms; log ${logFile}`);
    return { port: actualPort, baseUrl, logFile, pid: child.pid, serverRoot, stop, process: child };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * The workbench URL that opens `folder` and passes the extension under development and the test
 * entry to the browser client (which hands them to the remote extension host).
 * All paths are absolute paths on the server machine (here: this machine).
 */
export function workbenchUrl({ baseUrl, port, folder, extensionDevelopmentPath, extensionTestsPath, payload = [] }) {
  if (!baseUrl) baseUrl = `http://127.0.0.1:${port}`;
  const authority = new URL(baseUrl).host;
  const remote = (p) => `vscode-remote://${authority}${encodePath(path.resolve(p))}`;
  const pairs = [];
  const devPaths = Array.isArray(extensionDevelopmentPath) ? extensionDevelopmentPath : extensionDevelopmentPath ? [extensionDevelopmentPath] : [];
  for (const p of devPaths) pairs.push(['extensionDevelopmentPath', remote(p)]);
  if (extensionTestsPath) pairs.push(['extensionTestsPath', remote(extensionTestsPath)]);
  pairs.push(...payload);
  const params = new URLSearchParams();
  if (folder) params.set('folder', path.resolve(folder));
  if (pairs.length) params.set('payload', JSON.stringify(pairs));
  const query = params.toString();
  return `${baseUrl.replace(/\/$/, '')}/${query ? `?${query}` : ''}`;
}

function encodePath(p) {
  return p.split('/').map(encodeURIComponent).join('/');
}
