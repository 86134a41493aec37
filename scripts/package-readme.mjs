#!/usr/bin/env node
// The README that goes into the .vsix (`vsce package --readme-path <file>`), made from README.md.
//
// VS Code's extension page (inside VS Code) shows only `https:` and `data:` images, and we package
// with --no-rewrite-relative-links (the repository URL is a placeholder), so the repository
// README's relative screenshots would be broken images there. The package README instead:
//   - drops every image whose source is not https: or data: (a line holding only images goes
//     away; an image inside text leaves its alt text), or, with --image-base-url, points relative
//     images at that https: URL, or, with --embed-images, inlines those up to --max-image-bytes
//     as data: URIs (PNG/JPEG/GIF/WebP, never SVG);
//   - turns relative links into their text (they lead nowhere on the extension page);
//   - leaves out what lies between `<!-- package-readme:omit -->` and `<!-- package-readme:end -->`
//     (or the end of the file): the developers' part.
//
//   node scripts/package-readme.mjs OUT [--src README.md] [--image-base-url https://...]
//                                       [--embed-images] [--max-image-bytes N]
//
// Note: `vsce publish` (and `vsce package` without --no-rewrite-relative-links) rejects data: images
// ("Images must come from an HTTPS source"); for the Marketplace use the default (no images) or
// --image-base-url once the repository is public.
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const OMIT_START = '<!-- package-readme:omit -->';
export const OMIT_END = '<!-- package-readme:end -->';

const MIME = { '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.gif': 'image/gif', '.webp': 'image/webp' };

/** True for a source the extension page shows: https:, or a data: image that is not SVG. */
export function isAllowedImageSource(src) {
  const s = String(src).trim();
  if (/^https:\/\//i.test(s)) return true;
  return /^data:image\//i.test(s) && !/^data:image\/svg/i.test(s);
}

const isAbsoluteUrl = (s) => /^[a-z][a-z0-9+.-]*:/i.test(s) || s.startsWith('//');

/** Cuts the omitted regions (each from OMIT_START to OMIT_END or the end of the text). */
function omitRegions(text) {
  let out = '';
  let rest = text;
  for (;;) {
    const i = rest.indexOf(OMIT_START);
    if (i < 0) return out + rest;
    out += rest.slice(0, i);
    const j = rest.indexOf(OMIT_END, i + OMIT_START.length);
    if (j < 0) return out;
    rest = rest.slice(j + OMIT_END.length);
  }
}

/** Splits text into fenced code blocks (left alone) and the rest. */
function splitFences(text) {
  const parts = [];
  const re = /^( {0,3})(`{3,}|~{3,})[^\n]*\n[\s\S]*?(?:^\1?\2[`~]*[ \t]*$|(?![\s\S]))/gm;
  let last = 0;
  for (const m of text.matchAll(re)) {
    if (m.index > last) parts.push({ code: false, text: text.slice(last, m.index) });
    parts.push({ code: true, text: m[0] });
    last = m.index + m[0].length;
  }
  if (last < text.length) parts.push({ code: false, text: text.slice(last) });
  return parts;
}

/**
 * The package README for `srcText` (the repository README). Every image left in the result has
 * an https: or data: source.
 * @param {string} srcText
 * @param {{ baseDir?: string, imageBaseUrl?: string, embedImages?: boolean, maxImageBytes?: number }} [options]
 *   baseDir: where relative paths are resolved (default: the repository root);
 *   imageBaseUrl: an https: URL that relative images are resolved against;
 *   embedImages: inline relative images up to maxImageBytes (default 300,000) as data: URIs.
 * @returns {string}
 */
export function packageReadme(srcText, { baseDir = ROOT, imageBaseUrl, embedImages = false, maxImageBytes = 300_000 } = {}) {
  if (imageBaseUrl !== undefined && !/^https:\/\//i.test(imageBaseUrl)) throw new Error(`imageBaseUrl must be an https: URL, got ${imageBaseUrl}`);

  /** The source to use for an image, or null to drop it. */
  const imageSource = (src) => {
    const s = src.trim().replace(/^<(.*)>$/, '$1');
    if (isAllowedImageSource(s)) return s;
    if (isAbsoluteUrl(s) || s.startsWith('#')) return null; // http:, file:, ... : not shown
    const rel = decodeURI(s.split(/[?#]/)[0]);
    if (imageBaseUrl) {
      const url = new URL(rel.replace(/^\.?\//, ''), imageBaseUrl.endsWith('/') ? imageBaseUrl : `${imageBaseUrl}/`);
      return url.href;
    }
    if (embedImages) {
      const file = path.resolve(baseDir, rel);
      const mime = MIME[path.extname(file).toLowerCase()];
      if (mime && existsSync(file) && statSync(file).size <= maxImageBytes) {
        return `data:${mime};base64,${readFileSync(file).toString('base64')}`;
      }
    }
    return null;
  };

  // ![alt](src "title") with one level of nested brackets in alt
  const mdImage = /!\[((?:[^\[\]\\]|\\.|\[[^\[\]]*\])*)\]\(\s*(<[^>\n]*>|[^\s)]+)(\s+(?:"[^"\n]*"|'[^'\n]*'|\([^)\n]*\)))?\s*\)/g;
  const htmlImage = /<img\b[^>]*?\bsrc\s*=\s*(["']?)([^"'\s>]+)\1[^>]*>/gi;
  // [text](target) that is not an image
  const mdLink = /(?<!!)\[((?:[^\[\]\\]|\\.|\[[^\[\]]*\])*)\]\(\s*(<[^>\n]*>|[^\s)]+)(\s+(?:"[^"\n]*"|'[^'\n]*'|\([^)\n]*\)))?\s*\)/g;
  // [label]: target   (reference definitions, used by ![alt][label] and [text][label])
  const refDef = /^ {0,3}\[([^\]\n]+)\]:[ \t]*(<[^>\n]*>|\S+)(?:[ \t]+(?:"[^"\n]*"|'[^'\n]*'|\([^)\n]*\)))?[ \t]*$/gm;

  const fixProse = (prose) => {
    // inline code spans are left as they are
    const spans = [];
    const text = prose.replace(/(`+)(?!`)[\s\S]*?(?<!`)\1(?!`)/g, (m) => `\u0001${spans.push(m) - 1}\u0001`);
    const refs = new Map();
    for (const m of text.matchAll(refDef)) refs.set(m[1].trim().toLowerCase(), m[2].replace(/^<(.*)>$/, '$1'));

    let out = text.replace(mdImage, (_all, alt, src, title = '') => {
      const s = imageSource(src);
      return s ? `![${alt}](${s}${title})` : `\u0000IMG${alt}\u0000`;
    });
    // ![alt][label], ![alt][] and ![alt]
    out = out.replace(/!\[((?:[^\[\]\\]|\\.)*)\](?:\[([^\]\n]*)\]|(?!\())/g, (all, alt, label) => {
      const key = (label || alt).trim().toLowerCase();
      if (!refs.has(key)) return all;
      const s = imageSource(refs.get(key));
      return s ? `![${alt}](${s})` : `\u0000IMG${alt}\u0000`;
    });
    out = out.replace(htmlImage, (all, _q, src) => {
      const s = imageSource(src);
      if (!s) {
        const alt = /\balt\s*=\s*(["'])(.*?)\1/i.exec(all)?.[2] ?? '';
        return `\u0000IMG${alt}\u0000`;
      }
      return all.replace(src, s);
    });
    out = out.replace(mdLink, (all, text, target) => {
      const t = target.replace(/^<(.*)>$/, '$1');
      return isAbsoluteUrl(t) || t.startsWith('#') ? all : text;
    });
    // definitions of relative targets go (their images were resolved above)
    out = out.replace(refDef, (all, _label, target) => {
      const t = target.replace(/^<(.*)>$/, '$1');
      return isAbsoluteUrl(t) || t.startsWith('#') ? all : '';
    });
    // A line that held only dropped images goes; elsewhere a dropped image leaves its alt text.
    out = out.replace(/^[ \t]*(?:\u0000IMG[^\u0000]*\u0000[ \t]*)+$\n?/gm, '');
    out = out.replace(/\u0000IMG([^\u0000]*)\u0000/g, (_a, alt) => alt);
    return out.replace(/\u0001(\d+)\u0001/g, (_a, i) => spans[Number(i)]);
  };

  const text = omitRegions(srcText.replace(/\r\n/g, '\n'));
  const out = splitFences(text)
    .map((p) => (p.code ? p.text : fixProse(p.text)))
    .join('');
  return `${out.replace(/\n{3,}/g, '\n\n').trimEnd()}\n`;
}

function main(argv) {
  const usage = 'usage: node scripts/package-readme.mjs OUT [--src README.md] [--image-base-url https://...] [--embed-images] [--max-image-bytes N]';
  const opts = {};
  let src = path.join(ROOT, 'README.md');
  let out;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value\n${usage}`);
      return v;
    };
    if (a === '--help' || a === '-h') {
      console.log(usage);
      return 0;
    } else if (a.startsWith('--src')) src = path.resolve(value());
    else if (a.startsWith('--image-base-url')) opts.imageBaseUrl = value();
    else if (a === '--embed-images') opts.embedImages = true;
    else if (a.startsWith('--max-image-bytes')) opts.maxImageBytes = Number(value());
    else if (a.startsWith('--')) throw new Error(`unknown option ${a}\n${usage}`);
    else if (out === undefined) out = path.resolve(a);
    else throw new Error(usage);
  }
  if (!out) throw new Error(usage);
  const text = packageReadme(readFileSync(src, 'utf8'), { baseDir: path.dirname(src), ...opts });
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, text);
  console.log(`[package-readme] ${path.relative(process.cwd(), out) || out}: ${text.length} characters from ${path.relative(process.cwd(), src) || src}`);
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (err) {
    console.error(`[package-readme] ${err.message}`);
    process.exitCode = 2;
  }
}
