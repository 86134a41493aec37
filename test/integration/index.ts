import * as path from 'node:path';
import { readdirSync } from 'node:fs';

/** Test entry loaded by the VS Code extension host (extensionTestsPath): runs every *.test.js here with mocha. */
export function run(): Promise<unknown> {
  const { runMocha } = require(path.resolve(__dirname, '../../../test/harness/host-mocha.cjs')) as {
    runMocha(o: { files: string[]; timeout?: number }): Promise<unknown>;
  };
  const only = process.env.RNN_STUDIO_TEST_FILES?.split(',');
  const files = readdirSync(__dirname)
    .filter((f) => f.endsWith('.test.js') && (!only || only.includes(f)))
    .map((f) => path.join(__dirname, f));
  return runMocha({ files, timeout: 30_000 });
}
