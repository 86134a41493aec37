import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { readRepoFile, repoRoot } from './helpers';

/**
 * scripts/package-readme.mjs: the README packed into the .vsix. VS Code's extension page shows only
 * https: and data: images, so no image in its output may have any other source.
 */
interface PackageReadme {
  packageReadme(src: string, options?: { baseDir?: string; imageBaseUrl?: string; embedImages?: boolean; maxImageBytes?: number }): string;
  isAllowedImageSource(src: string): boolean;
}
const dynamicImport = new Function('url', 'return import(url)') as (url: string) => Promise<PackageReadme>;
const script = path.join(repoRoot, 'scripts', 'package-readme.mjs');
const load = () => dynamicImport(pathToFileURL(script).href);

/** Every image source the Markdown renders to, as VS Code (markdown-it, HTML allowed) renders it. */
function renderedImageSources(markdown: string): string[] {
  // markdown-it is what vsce itself renders READMEs with: resolve it from there.
  const requireFromVsce = createRequire(require.resolve('@vscode/vsce/package.json'));
  const MarkdownIt = requireFromVsce('markdown-it') as new (o: object) => { render(s: string): string };
  const html = new MarkdownIt({ html: true }).render(markdown);
  return [...html.matchAll(/<img\b[^>]*?\bsrc\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/gi)].map((m) => m[1] ?? m[2] ?? m[3]);
}

/** Markdown image syntax that survives in the text, rendered or not. */
function markdownImageSources(markdown: string): string[] {
  return [...markdown.matchAll(/!\[[^\]]*\]\(\s*<?([^\s)>]+)/g)].map((m) => m[1]);
}

const bad = (srcs: string[], ok: (s: string) => boolean) => srcs.filter((s) => !ok(s));
const httpsOrData = (s: string) => /^https:\/\//i.test(s) || (/^data:image\//i.test(s) && !/^data:image\/svg/i.test(s));

const TRICKY = [
  '# Title',
  '',
  '![hero](media/screenshot-designer.png)',
  '',
  'Inline ![an icon](./media/icon.png "the icon") in text, a [relative link](scripts/README-native.md), [a web link](https://example.com/x).',
  '',
  '![kept](https://example.com/shot.png) ![data](data:image/png;base64,iVBORw0KGgo=) ![svg data](data:image/svg+xml;base64,PHN2Zz4=) ![plain http](http://example.com/a.png)',
  '',
  '<img src="media/screenshot-training.png" alt="html image" width="600">',
  "<p align=\"center\"><img src='file:///etc/x.png'></p>",
  '',
  '![by reference][shot] and ![collapsed][]',
  '',
  '[shot]: media/screenshot-memory.png',
  '[collapsed]: <media/screenshot-designer-error.png> "title"',
  '',
  '```md',
  '![inside a fence](stays/as-is.png)',
  '```',
  '',
  'Code span: `![not an image](x.png)`.',
  '',
  '<!-- package-readme:omit -->',
  '## For developers',
  '![dev](media/dev.png)',
  '<!-- package-readme:end -->',
  '',
  '## Last',
  '',
].join('\n');

describe('package README (scripts/package-readme.mjs)', () => {
  it('the real README: every image left has an https: or data: source', async () => {
    const { packageReadme } = await load();
    const src = readRepoFile('README.md');
    assert.ok(renderedImageSources(src).some((s) => !httpsOrData(s)), 'the repository README has relative screenshots (else this test checks nothing)');
    const out = packageReadme(src);
    assert.deepEqual(bad(renderedImageSources(out), httpsOrData), []);
    assert.deepEqual(bad(markdownImageSources(out), httpsOrData), []);
    assert.match(out, /^# RNN Studio\n/);
    // the text stays: every heading of the user's part is still there
    const userPart = src.split('<!-- package-readme:omit -->')[0];
    for (const h of userPart.match(/^#{1,3} .+$/gm) ?? []) assert.ok(out.includes(h), `heading ${h} kept`);
  });

  it('drops relative, http:, file: and SVG images; keeps https: and data: ones; leaves fences and code spans', async () => {
    const { packageReadme } = await load();
    const out = packageReadme(TRICKY);
    assert.deepEqual(bad(renderedImageSources(out), httpsOrData), []);
    assert.deepEqual(renderedImageSources(out), ['https://example.com/shot.png', 'data:image/png;base64,iVBORw0KGgo=']);
    assert.ok(!out.includes('hero'), 'a line holding only an image goes');
    assert.match(out, /Inline an icon in text, a relative link, \[a web link\]\(https:\/\/example\.com\/x\)\./);
    assert.ok(out.includes('![inside a fence](stays/as-is.png)'), 'fenced code untouched');
    assert.ok(out.includes('`![not an image](x.png)`'), 'code span untouched');
    assert.ok(!out.includes('For developers') && !out.includes('dev.png'), 'omitted region gone');
    assert.match(out, /## Last\n$/);
    assert.ok(!/\n{3,}/.test(out), 'no runs of blank lines');
  });

  it('--image-base-url points relative images at https:, --embed-images inlines small files as data:', async () => {
    const { packageReadme } = await load();
    const base = packageReadme(TRICKY, { imageBaseUrl: 'https://example.com/repo/raw/main' });
    assert.deepEqual(bad(renderedImageSources(base), httpsOrData), []);
    assert.ok(renderedImageSources(base).includes('https://example.com/repo/raw/main/media/screenshot-designer.png'));
    assert.ok(renderedImageSources(base).includes('https://example.com/repo/raw/main/media/screenshot-training.png'), 'html img');
    assert.ok(renderedImageSources(base).includes('https://example.com/repo/raw/main/media/screenshot-memory.png'), 'reference image');
    assert.throws(() => packageReadme(TRICKY, { imageBaseUrl: 'http://example.com/' }), /https/);

    const embedded = packageReadme(TRICKY, { baseDir: repoRoot, embedImages: true, maxImageBytes: 1000 });
    const srcs = renderedImageSources(embedded);
    assert.deepEqual(bad(srcs, httpsOrData), []);
    const icon = `data:image/png;base64,${readFileSync(path.join(repoRoot, 'media/icon.png')).toString('base64')}`;
    assert.ok(srcs.includes(icon), 'the small icon is inlined');
    assert.equal(srcs.filter((s) => s.startsWith('data:')).length, 2, 'the screenshots are above the limit: dropped');
  });

  it('CLI: node scripts/package-readme.mjs OUT writes the package README', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rnn-package-readme-'));
    const src = path.join(dir, 'SRC.md');
    writeFileSync(src, TRICKY);
    const out = path.join(dir, 'out', 'README.md');
    const r = spawnSync(process.execPath, [script, out, '--src', src], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(bad(renderedImageSources(readFileSync(out, 'utf8')), httpsOrData), []);
    const usage = spawnSync(process.execPath, [script], { encoding: 'utf8' });
    assert.equal(usage.status, 2);
    assert.match(usage.stderr, /usage: node scripts\/package-readme\.mjs OUT/);
  });
});

