// runExtensionTests for machines that can download VS Code: desktop VS Code (Electron) through
// @vscode/test-electron. Selected by RNN_STUDIO_TEST_HOST=electron (see run-extension-tests.mjs).
// Same signature and results as the VS Code server + Chromium host; there is no screenshot here.
// On Linux without a display, run under xvfb-run.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const RESULTS_ENV = 'RNN_STUDIO_TEST_RESULTS';
const defaultLog = (line) => process.stderr.write(`[harness:electron] ${line}\n`);

/**
 * @param {{
 *   extensionDevelopmentPath: string|string[], extensionTestsPath: string, workspaceFolder?: string,
 *   resultsFile?: string, timeoutMs?: number, artifactsDir?: string, env?: Record<string,string>,
 *   workspaceTrust?: boolean, installExtensions?: string[], vscodeVersion?: string, vscodeExecutablePath?: string,
 *   log?: (line: string) => void, keepTemp?: boolean,
 * }} options
 * @returns {Promise<{ passed: number, failed: number, tests: { title: string, state: string, error: string|null }[] }>}
 */
export async function runExtensionTests({
  extensionDevelopmentPath,
  extensionTestsPath,
  workspaceFolder,
  resultsFile,
  timeoutMs = 300_000,
  artifactsDir = path.join(REPO_ROOT, 'test-artifacts', 'extension-tests'),
  env = {},
  workspaceTrust = false,
  installExtensions = [],
  vscodeVersion = process.env.RNN_STUDIO_VSCODE_VERSION || 'stable',
  vscodeExecutablePath = process.env.RNN_STUDIO_VSCODE_PATH || undefined,
  log = defaultLog,
  keepTemp = false,
}) {
  const { runTests, downloadAndUnzipVSCode, resolveCliArgsFromVSCodeExecutablePath } = await import('@vscode/test-electron');
  if (!vscodeExecutablePath) {
    // Cached in <repo>/.vscode-test/vscode-<platform>-<version>, as test-electron does by default.
    vscodeExecutablePath = await downloadAndUnzipVSCode({ version: vscodeVersion, cachePath: path.join(REPO_ROOT, '.vscode-test') });
  }

  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'rnn-studio-electron-'));
  const userDataDir = path.join(tmp, 'user-data');
  const extensionsDir = path.join(tmp, 'extensions');
  resultsFile = path.resolve(resultsFile || path.join(tmp, 'results.json'));
  await fs.rm(resultsFile, { force: true });
  const profileArgs = [`--user-data-dir=${userDataDir}`, `--extensions-dir=${extensionsDir}`];

  try {
    if (installExtensions.length) {
      // reuseMachineInstall: true returns the bare CLI; we add our own profile folders.
      const [cli, ...cliArgs] = resolveCliArgsFromVSCodeExecutablePath(vscodeExecutablePath, { reuseMachineInstall: true });
      for (const vsix of installExtensions) {
        await spawnAndWait(cli, [...cliArgs, ...profileArgs, '--install-extension', path.resolve(vsix), '--force'], { env: process.env });
      }
    }

    const launchArgs = [
      ...(workspaceFolder ? [path.resolve(workspaceFolder)] : []),
      ...profileArgs,
      '--disable-telemetry',
    ];
    const extensionTestsEnv = { ...env, [RESULTS_ENV]: resultsFile };
    const devPaths = [].concat(extensionDevelopmentPath).map((p) => path.resolve(p));

    let run;
    if (!workspaceTrust) {
      run = runTests({ vscodeExecutablePath, extensionDevelopmentPath: devPaths, extensionTestsPath: path.resolve(extensionTestsPath), launchArgs, extensionTestsEnv });
    } else {
      // runTests always adds --disable-workspace-trust; for restricted-mode tests start VS Code
      // ourselves with the same arguments minus that one (the trust prompt is refused in test
      // mode, so the folder stays untrusted).
      const args = [
        ...launchArgs,
        '--no-sandbox', '--disable-gpu-sandbox', '--disable-updates', '--skip-welcome', '--skip-release-notes',
        `--extensionTestsPath=${path.resolve(extensionTestsPath)}`,
        ...devPaths.map((p) => `--extensionDevelopmentPath=${p}`),
      ];
      run = spawnAndWait(vscodeExecutablePath, args, { env: { ...process.env, ...extensionTestsEnv }, inherit: true });
    }

    let timer;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no results after ${timeoutMs} ms (timeout)`)), timeoutMs);
    });
    let runError = null;
    try {
      await Promise.race([run, timeout]);
    } catch (err) {
      runError = err; // a non-zero exit (failed tests) is expected; the results file says more
    } finally {
      clearTimeout(timer);
    }

    const results = existsSync(resultsFile) ? JSON.parse(await fs.readFile(resultsFile, 'utf8')) : null;
    if (!results || results.failed > 0) await saveLogs(userDataDir, artifactsDir, log);
    if (!results) {
      throw new Error(`VS Code exited without writing ${resultsFile}: ${runError ? runError.message : 'no error'}; logs in ${artifactsDir}`);
    }
    log(`results: ${results.passed} passed, ${results.failed} failed`);
    return results;
  } finally {
    if (!keepTemp) await fs.rm(tmp, { recursive: true, force: true }).catch(() => {});
  }
}

async function saveLogs(userDataDir, artifactsDir, log) {
  const logs = path.join(userDataDir, 'logs');
  if (!existsSync(logs)) return;
  await fs.mkdir(artifactsDir, { recursive: true });
  await fs.cp(logs, path.join(artifactsDir, 'logs'), { recursive: true, force: true }).catch(() => {});
  log(`VS Code logs saved to ${artifactsDir}`);
}

function spawnAndWait(cmd, args, { env, inherit = false }) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: inherit ? 'inherit' : ['ignore', 'inherit', 'inherit'], shell: process.platform === 'win32' });
    child.on('error', reject);
    child.on('exit', (code, signal) => (code === 0 ? resolve(0) : reject(new Error(`${path.basename(cmd)} exited with ${signal || code}`))));
  });
}
