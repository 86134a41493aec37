import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { readRepoFile, repoRoot } from './helpers';

/**
 * scripts/system-packages.mjs: the one list of Debian packages, installed by `npm install` (clang-19,
 * lld-19) and `npm test` (chromium, ripgrep, libkrb5-dev...). Run here with a fake PATH: a fake
 * apt-get that records its arguments and "installs" clang-19 and wasm-ld-19 into the same folder.
 */
interface SystemPackages {
  packagesFor(o?: { group?: string; packages?: string[] }): { pkg: string; for: string }[];
  SYSTEM_PACKAGES: { pkg: string; for: string }[];
}
const dynamicImport = new Function('url', 'return import(url)') as (url: string) => Promise<SystemPackages>;
const script = path.join(repoRoot, 'scripts', 'system-packages.mjs');
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

function fakeBin(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'rnn-fake-apt-'));
  symlinkSync(process.execPath, path.join(dir, 'node'));
  const apt = path.join(dir, 'apt-get');
  writeFileSync(
    apt,
    [
      '#!/bin/sh',
      `echo "$*" >> '${dir}/apt.log'`,
      'case " $* " in *" install "*)',
      `  for a in "$@"; do case "$a" in clang-19) printf '#!/bin/sh\\n' > '${dir}/clang-19'; /bin/chmod +x '${dir}/clang-19';; lld-19) printf '#!/bin/sh\\n' > '${dir}/wasm-ld-19'; /bin/chmod +x '${dir}/wasm-ld-19';; esac; done;;`,
      'esac',
      'exit 0',
      '',
    ].join('\n'),
  );
  chmodSync(apt, 0o755);
  return dir;
}

function cli(bin: string, ...args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: bin };
  delete env.RNN_STUDIO_SKIP_SYSTEM_PACKAGES;
  const r = spawnSync(path.join(bin, 'node'), [script, ...args], { env, encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}
const aptLog = (bin: string) => (existsSync(path.join(bin, 'apt.log')) ? readFileSync(path.join(bin, 'apt.log'), 'utf8') : '');

describe('system packages (scripts/system-packages.mjs)', () => {
  it('one list: clang-19 and lld-19 for npm install, chromium, ripgrep and libkrb5-dev for the tests', async () => {
    const m = await dynamicImport(pathToFileURL(script).href);
    assert.deepEqual(m.packagesFor({ group: 'install' }).map((p) => p.pkg), ['clang-19', 'lld-19']);
    const test = m.packagesFor({ group: 'test' }).map((p) => p.pkg);
    for (const p of ['chromium', 'ripgrep', 'libkrb5-dev']) assert.ok(test.includes(p), p);
    assert.throws(() => m.packagesFor({ packages: ['nope'] }), /unknown system package/);
    // the harness uses this list and keeps no copy of its own
    const harness = readRepoFile('test/harness/vscode-server.mjs');
    assert.match(harness, /from '\.\.\/\.\.\/scripts\/system-packages\.mjs'/);
    assert.doesNotMatch(harness, /pkg: '/);
    assert.match(readRepoFile('test/run.mjs'), /ensureSystemPackages\(\{ group: 'test'/);
    // npm install runs it first, before any build
    const postinstall = JSON.parse(readRepoFile('package.json')).scripts.postinstall as string;
    assert.match(postinstall, /^node scripts\/system-packages\.mjs && /);
  });

  it('--dry-run prints the exact apt-get command and changes nothing', () => {
    const bin = fakeBin();
    const r = cli(bin, '--dry-run');
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /missing: clang-19/);
    assert.match(r.out, /missing: lld-19/);
    if (isRoot) assert.ok(r.out.includes(`would run: ${bin}/apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends clang-19 lld-19`), r.out);
    else assert.ok(r.out.includes('sudo apt-get update && sudo apt-get install -y clang-19 lld-19'), r.out);
    assert.equal(aptLog(bin), '');
    assert.ok(!existsSync(path.join(bin, 'clang-19')));
  });

  it('as root installs what is missing with apt-get, then finds it; never fails npm install', { skip: !isRoot && 'needs root' }, () => {
    const bin = fakeBin();
    const r = cli(bin);
    assert.equal(r.code, 0, r.out);
    assert.match(aptLog(bin), /install -y --no-install-recommends clang-19 lld-19/);
    assert.match(r.out, /system packages installed in [\d.]+ s: clang-19 lld-19/);
    const again = cli(bin);
    assert.match(again.out, /all present: clang-19 lld-19/);
    assert.equal(aptLog(bin).match(/ install /g)?.length, 1, 'nothing installed the second time');
  });

  it('when apt-get cannot install them: prints the command and exits 0 (1 with --strict)', { skip: !isRoot && 'needs root' }, () => {
    const bin = fakeBin();
    writeFileSync(path.join(bin, 'apt-get'), `#!/bin/sh\necho "$*" >> '${bin}/apt.log'\nexit 100\n`);
    const r = cli(bin);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /still missing: clang-19 lld-19/);
    assert.match(r.out, /apt-get install -y clang-19 lld-19/);
    assert.match(aptLog(bin), /^-o DPkg::Lock::Timeout=600 update$/m, 'apt-get update after a failed install');
    assert.equal(cli(bin, '--strict').code, 1);
  });
});
