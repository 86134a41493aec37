#!/usr/bin/env node
// The Debian packages RNN Studio's set-up and tests need: the one list, used by `npm install`
// (first step of the postinstall), by `npm test` (test/run.mjs, once before any suite) and by the
// VS Code server harness (test/harness/vscode-server.mjs).
//
//   node scripts/system-packages.mjs [--for install|test|all] [--dry-run] [--strict] [--quiet]
//
//   --for install  (default) what `npm install` needs: clang-19 and lld-19 (the native and WebAssembly
//                  builds of the fused kernels run later in the same postinstall)
//   --for test     what the tests need: chromium, ripgrep, libkrb5-dev, make, g++, python3
//   --dry-run      print what is missing and the exact apt-get commands, change nothing
//   --strict       exit 1 when something is still missing (default: exit 0, so npm install goes on)
//
// Missing packages are installed with apt-get when running as root (`apt-get install -y
// --no-install-recommends ...`; `apt-get update` first when the package lists are empty, or after
// a failed install, then once more). Otherwise it prints the exact command to run and continues.
// RNN_STUDIO_SKIP_SYSTEM_PACKAGES=1 skips the whole thing.
import { spawnSync } from 'node:child_process';
import { accessSync, constants as fsConstants, existsSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Looks a command up on $PATH (no shell); its absolute path, or null. */
export function which(cmd, envPath = process.env.PATH) {
  for (const dir of (envPath || '').split(path.delimiter)) {
    if (!dir) continue;
    const p = path.join(dir, cmd);
    try {
      accessSync(p, fsConstants.X_OK);
      return p;
    } catch {
      /* not here */
    }
  }
  return null;
}

/**
 * Every system package the project needs. `for`: when it is needed, 'install' (by `npm install`
 * itself) or 'test' (by `npm test`, `npm start` and the harness). `present()` tells whether the
 * part we use is there (not whether dpkg knows the package, so a clang built from source counts).
 */
export const SYSTEM_PACKAGES = [
  // clang 16 or later: the relaxed-SIMD WebAssembly build needs it, and clang 14's WebAssembly code is slower.
  {
    pkg: 'clang-19',
    for: 'install',
    why: 'compiles the fused kernels: clang++ for the native addon, clang --target=wasm32 for WebAssembly',
    present: () => ['clang-19', 'clang-18', 'clang-17', 'clang-16'].some((c) => which(c)),
  },
  { pkg: 'lld-19', for: 'install', why: 'wasm-ld, the linker of the WebAssembly build', present: () => ['wasm-ld-19', 'wasm-ld-18', 'wasm-ld-17', 'wasm-ld-16'].some((c) => which(c)) },
  {
    pkg: 'libkrb5-dev',
    for: 'test',
    why: 'headers to build the kerberos native module of the VS Code server',
    present: () => existsSync('/usr/include/gssapi/gssapi.h') || existsSync('/usr/include/krb5.h'),
  },
  { pkg: 'ripgrep', for: 'test', why: 'rg, used by VS Code search (replaces the @vscode/ripgrep download)', present: () => !!which('rg') },
  {
    pkg: 'chromium',
    for: 'test',
    why: 'headless browser for the webview tests and the workbench',
    // the executables test/harness/browser.mjs looks for
    present: () => [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].some((p) => p && existsSync(p)),
  },
  { pkg: 'make', for: 'test', why: 'node-gyp (VS Code server native modules)', present: () => !!which('make') },
  { pkg: 'g++', for: 'test', why: 'node-gyp (VS Code server native modules)', present: () => !!which('g++') },
  { pkg: 'python3', for: 'test', why: 'node-gyp (VS Code server native modules)', present: () => !!which('python3') },
];

/** The entries for `group` ('install' | 'test' | 'all') or for the named packages. */
export function packagesFor({ group = 'all', packages } = {}) {
  if (packages) {
    const unknown = packages.filter((p) => !SYSTEM_PACKAGES.some((s) => s.pkg === p));
    if (unknown.length) throw new Error(`unknown system package(s): ${unknown.join(', ')} (the list is in scripts/system-packages.mjs)`);
    return SYSTEM_PACKAGES.filter((s) => packages.includes(s.pkg));
  }
  if (group === 'all') return SYSTEM_PACKAGES;
  if (group !== 'install' && group !== 'test') throw new Error(`unknown group ${group}: install, test or all`);
  return SYSTEM_PACKAGES.filter((s) => s.for === group);
}

/** The names of the missing packages among `entries`. */
export function missingPackages(entries = SYSTEM_PACKAGES) {
  return entries.filter((p) => !p.present()).map((p) => p.pkg);
}

/** The command a user without root runs: exactly what is printed or thrown. */
export function installCommand(missing) {
  return `sudo apt-get update && sudo apt-get install -y ${missing.join(' ')}`;
}

/** Error whose message is the command to run; `.missing` lists the packages. */
export class MissingSystemPackagesError extends Error {
  constructor(missing, command = installCommand(missing)) {
    super(command);
    this.name = 'MissingSystemPackagesError';
    this.missing = missing;
  }
}

function aptListsEmpty() {
  try {
    return !readdirSync('/var/lib/apt/lists').some((f) => f.endsWith('_Packages') || f.endsWith('_Packages.lz4') || f.endsWith('_Packages.gz'));
  } catch {
    return true;
  }
}

function runApt(aptGet, args, { log, dryRun }) {
  // Wait (up to 10 min) for another apt-get / dpkg instead of failing at once on its lock.
  const full = ['-o', 'DPkg::Lock::Timeout=600', ...args];
  log(`${dryRun ? 'would run' : 'running'}: ${aptGet} ${full.join(' ')}`);
  if (dryRun) return true;
  const r = spawnSync(aptGet, full, {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) {
    const tail = `${r.stdout || ''}${r.stderr || ''}${r.error ? String(r.error) : ''}`.trimEnd().split('\n').slice(-12).join('\n');
    log(`apt-get ${args[0]} failed (${r.status ?? r.signal}):\n${tail}`);
  }
  return r.status === 0;
}

/**
 * Makes sure the packages exist. As root with apt-get it installs the missing ones; otherwise (or
 * when apt-get could not install them) it throws a MissingSystemPackagesError whose message is the
 * command to run. Returns the names of the packages it installed.
 * @param {{ group?: 'install'|'test'|'all', packages?: string[], log?: (line: string) => void, dryRun?: boolean }} [options]
 * @returns {string[]}
 */
export function ensureSystemPackages({ group = 'all', packages, log = (l) => console.error(`[system-packages] ${l}`), dryRun = false } = {}) {
  const wanted = packagesFor({ group, packages });
  const missing = missingPackages(wanted);
  if (missing.length === 0) return [];
  for (const p of wanted.filter((w) => missing.includes(w.pkg))) log(`missing: ${p.pkg} (${p.why})`);
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const aptGet = which('apt-get');
  if (!isRoot || !aptGet) {
    const why = !aptGet ? 'no apt-get on PATH' : 'not root';
    log(`cannot install them here (${why})`);
    throw new MissingSystemPackagesError(missing, aptGet ? installCommand(missing) : `install ${missing.join(' ')} with your system's package manager (Debian/Ubuntu: ${installCommand(missing)})`);
  }
  const t0 = Date.now();
  log(`${dryRun ? 'dry run, would install' : 'installing'} system packages: ${missing.join(' ')} (apt-get)`);
  const install = ['install', '-y', '--no-install-recommends', ...missing];
  let ok = false;
  if (aptListsEmpty()) {
    runApt(aptGet, ['update'], { log, dryRun });
    ok = runApt(aptGet, install, { log, dryRun });
  } else {
    ok = runApt(aptGet, install, { log, dryRun });
    if (!ok) {
      log('apt-get install failed; running apt-get update first');
      runApt(aptGet, ['update'], { log, dryRun });
      ok = runApt(aptGet, install, { log, dryRun });
    }
  }
  if (dryRun) return [];
  const still = missingPackages(wanted);
  if (still.length) throw new MissingSystemPackagesError(still, `apt-get install -y ${still.join(' ')}`);
  log(`system packages installed in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${missing.join(' ')}`);
  return missing;
}

// ---------------------------------------------------------------------------------------------
// CLI (the postinstall's first step): never fails `npm install` unless --strict.

function main(argv) {
  const forIdx = argv.indexOf('--for');
  const group = forIdx >= 0 ? argv[forIdx + 1] : argv.find((a) => a.startsWith('--for='))?.slice(6) ?? 'install';
  const dryRun = argv.includes('--dry-run');
  const strict = argv.includes('--strict');
  const quiet = argv.includes('--quiet');
  const log = (line) => console.log(`[rnn-studio:system-packages] ${line}`);
  if (process.env.RNN_STUDIO_SKIP_SYSTEM_PACKAGES === '1') {
    if (!quiet) log('skipped (RNN_STUDIO_SKIP_SYSTEM_PACKAGES=1)');
    return 0;
  }
  let wanted;
  try {
    wanted = packagesFor({ group });
  } catch (err) {
    console.error(`[rnn-studio:system-packages] ${err.message}`);
    return 2;
  }
  try {
    const installed = ensureSystemPackages({ group, log, dryRun });
    if (!installed.length && !dryRun && !quiet) log(`all present: ${wanted.map((p) => p.pkg).join(' ')}`);
    if (dryRun && !missingPackages(wanted).length) log(`all present: ${wanted.map((p) => p.pkg).join(' ')}`);
    return 0;
  } catch (err) {
    if (!(err instanceof MissingSystemPackagesError)) throw err;
    console.error(`[rnn-studio:system-packages] still missing: ${err.missing.join(' ')}. Run:\n\n    ${err.message}\n`);
    if (group === 'install' || group === 'all') {
      console.error('[rnn-studio:system-packages] then `npm install` again. Going on without them.');
    }
    return strict ? 1 : 0;
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
