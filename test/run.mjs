// The project's test command (`npm test`): unit tests in plain Node, then the integration and
// end-to-end suites in a real VS Code, then the packages (`npm run package`, each .vsix installed
// alone and driven end to end). Ends with one line: `N passed, N failed`.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureSystemPackages, MissingSystemPackagesError } from '../scripts/system-packages.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const suites = process.argv.slice(2).length ? process.argv.slice(2) : ['unit', 'webview', 'integration', 'e2e', 'packages'];
let passed = 0;
let failed = 0;

function unitFiles(dir) {
  const abs = path.join(root, dir);
  return existsSync(abs) ? readdirSync(abs).filter((f) => f.endsWith('.test.js')).map((f) => path.join(abs, f)) : [];
}

function runNodeTests(name, files) {
  if (files.length === 0) return;
  mkdirSync(path.join(root, 'out'), { recursive: true });
  const tap = path.join(root, 'out', `${name}.tap`);
  console.log(`\n== ${name} tests (${files.length} files) ==`);
  const r = spawnSync(process.execPath, ['--test', '--test-concurrency=2', '--test-reporter=spec', '--test-reporter-destination=stdout', '--test-reporter=tap', `--test-reporter-destination=${tap}`, ...files], {
    cwd: root,
    stdio: 'inherit',
  });
  const text = existsSync(tap) ? readFileSync(tap, 'utf8') : '';
  const pass = Number(/^# pass (\d+)/m.exec(text)?.[1] ?? 0);
  const fail = Number(/^# fail (\d+)/m.exec(text)?.[1] ?? 0) + Number(/^# cancelled (\d+)/m.exec(text)?.[1] ?? 0);
  passed += pass;
  failed += fail || (r.status !== 0 && pass === 0 ? 1 : 0);
}

// The system packages the browser and VS Code suites need (Chromium, ripgrep, libkrb5-dev...):
// installed once here, before any suite, as root with apt-get (scripts/system-packages.mjs).
if (suites.some((s) => s !== 'unit') && process.env.RNN_STUDIO_SKIP_SYSTEM_PACKAGES !== '1') {
  try {
    ensureSystemPackages({ group: 'test', log: (line) => console.log(`[system-packages] ${line}`) });
  } catch (err) {
    if (!(err instanceof MissingSystemPackagesError)) throw err;
    // The suites that need them fail with the same command; the others still run.
    console.log(`\n[system-packages] missing: ${err.missing.join(' ')}. Run:\n\n    ${err.message}\n`);
  }
}

for (const suite of suites) {
  if (suite === 'unit') runNodeTests('unit', unitFiles('out/test/unit'));
  else {
    const runner = path.join(root, 'test', suite, 'run.mjs');
    if (!existsSync(runner)) continue;
    console.log(`\n== ${suite} tests ==`);
    const resultsFile = path.join(root, 'out', `${suite}-results.json`);
    rmSync(resultsFile, { force: true });
    const r = spawnSync(process.execPath, [runner], { cwd: root, stdio: ['inherit', 'inherit', 'inherit'], env: process.env });
    if (existsSync(resultsFile)) {
      const results = JSON.parse(readFileSync(resultsFile, 'utf8'));
      passed += results.passed;
      failed += results.failed;
    } else failed += 1;
    if (r.status !== 0 && !existsSync(resultsFile)) console.log(`${suite}: runner exited with ${r.status} and no results`);
  }
}

console.log(`\n${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;
