// Runs INSIDE the VS Code extension host (which loads test entries with require(), so this file is
// CommonJS). A test entry (the module passed as extensionTestsPath) does:
//
//   exports.run = () => require('<repo>/test/harness/host-mocha.cjs').runMocha({ files: [...] });
//
// It runs the mocha files and writes
//   { "passed": N, "failed": N, "pending": N, "durationMs": N, "tests": [{ "title", "state", "error", "durationMs" }] }
// to the results file (argument, else $RNN_STUDIO_TEST_RESULTS), atomically (temp file + rename),
// so the driver never reads half a file. A file that throws while loading is reported as a failed
// test, not lost. run() rejects when something failed, so the host's exit code says so too.
'use strict';
const fs = require('fs');
const path = require('path');

function writeResults(file, results) {
  if (!file) {
    console.error('[host-mocha] no results file (set RNN_STUDIO_TEST_RESULTS); results:', JSON.stringify(results));
    return;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(results, null, 2));
  fs.renameSync(tmp, file);
}

function errorText(err) {
  if (!err) return null;
  const msg = err.stack || err.message || String(err);
  return msg.length > 4000 ? msg.slice(0, 4000) + '…' : msg;
}

/**
 * @param {{ files: string[], resultsFile?: string, timeout?: number, grep?: string|RegExp, ui?: string, bail?: boolean }} options
 * @returns {Promise<{ passed: number, failed: number, pending: number, tests: object[] }>}
 */
async function runMocha({ files, resultsFile = process.env.RNN_STUDIO_TEST_RESULTS, timeout = 20000, grep, ui = 'bdd', bail = false }) {
  const started = Date.now();
  const results = { passed: 0, failed: 0, pending: 0, durationMs: 0, tests: [] };
  let Mocha;
  try {
    Mocha = require('mocha');
  } catch (err) {
    results.failed = 1;
    results.tests.push({ title: 'load mocha', state: 'failed', error: errorText(err) });
    writeResults(resultsFile, results);
    throw err;
  }
  const mocha = new Mocha({ ui, timeout, color: false, bail, reporter: 'spec' });
  if (grep) mocha.grep(grep);
  for (const f of files) mocha.addFile(path.resolve(f));

  try {
    await mocha.loadFilesAsync();
  } catch (err) {
    results.failed = 1;
    results.tests.push({ title: 'load test files', state: 'failed', error: errorText(err) });
    results.durationMs = Date.now() - started;
    writeResults(resultsFile, results);
    throw err;
  }

  await new Promise((resolve) => {
    const runner = mocha.run(() => resolve());
    runner.on('pass', (t) => {
      results.passed++;
      results.tests.push({ title: t.fullTitle(), state: 'passed', error: null, durationMs: t.duration });
    });
    runner.on('fail', (t, err) => {
      results.failed++;
      results.tests.push({ title: t.fullTitle(), state: 'failed', error: errorText(err), durationMs: t.duration });
    });
    runner.on('pending', (t) => {
      results.pending++;
      results.tests.push({ title: t.fullTitle(), state: 'pending', error: null });
    });
  });
  results.durationMs = Date.now() - started;
  writeResults(resultsFile, results);
  if (results.failed > 0) throw new Error(`${results.failed} test(s) failed`);
  return results;
}

module.exports = { runMocha, writeResults };
