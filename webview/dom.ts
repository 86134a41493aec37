/**
 * Tiny DOM helpers. The panel runs under a strict CSP (no inline styles or handlers), so every
 * element is created here with classes and attributes, never from HTML strings.
 */

type Child = Node | string | null | undefined | false;

export interface ElOptions {
  class?: string | (string | false | null | undefined)[];
  attrs?: Record<string, string | number | boolean | null | undefined>;
  text?: string;
  title?: string;
}

/** `el('div', { class: 'x' }, child, ...)`; falsy children are skipped so callers can write `cond && el(...)`. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, options: ElOptions = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  applyOptions(node, options);
  append(node, children);
  return node;
}

export function applyOptions(node: Element, options: ElOptions): void {
  const cls = Array.isArray(options.class) ? options.class.filter(Boolean).join(' ') : options.class;
  if (cls) node.setAttribute('class', cls);
  for (const [name, value] of Object.entries(options.attrs ?? {})) {
    if (value === false || value === null || value === undefined) continue;
    node.setAttribute(name, value === true ? '' : String(value));
  }
  if (options.text !== undefined) node.textContent = options.text;
  if (options.title !== undefined) node.setAttribute('title', options.title);
}

export function append(node: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
  }
}

const SVG = 'http://www.w3.org/2000/svg';

/**
 * Severity glyphs drawn as SVG: codicons would need the host to ship the codicon font and
 * widen the CSP, for three symbols.
 */
export function severityIcon(severity: 'error' | 'warning' | 'info'): SVGSVGElement {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '0 0 16 16');
  svg.setAttribute('class', `sev-icon icon-${severity}`);
  svg.setAttribute('aria-hidden', 'true');
  const path = document.createElementNS(SVG, 'path');
  path.setAttribute('fill', 'currentColor');
  path.setAttribute('fill-rule', 'evenodd');
  const d = {
    // Circle with a cross.
    error: 'M8 1a7 7 0 1 1 0 14A7 7 0 0 1 8 1Zm2.47 3.47L8 6.94 5.53 4.47 4.47 5.53 6.94 8l-2.47 2.47 1.06 1.06L8 9.06l2.47 2.47 1.06-1.06L9.06 8l2.47-2.47-1.06-1.06Z',
    // Triangle with an exclamation mark.
    warning: 'M8.9 1.5a1 1 0 0 0-1.8 0L.6 13.5A1 1 0 0 0 1.5 15h13a1 1 0 0 0 .9-1.5L8.9 1.5ZM7.25 5.5h1.5v4.5h-1.5V5.5Zm0 6h1.5V13h-1.5v-1.5Z',
    // Circle with an "i".
    info: 'M8 1a7 7 0 1 1 0 14A7 7 0 0 1 8 1Zm-.75 6v5h1.5V7h-1.5Zm0-3v1.5h1.5V4h-1.5Z',
  }[severity];
  path.setAttribute('d', d);
  svg.appendChild(path);
  return svg;
}

/** A trash can, stroked in the current colour. */
export function trashIcon(): SVGSVGElement {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '0 0 16 16');
  svg.setAttribute('class', 'trash-icon');
  svg.setAttribute('aria-hidden', 'true');
  const path = document.createElementNS(SVG, 'path');
  path.setAttribute('d', 'M2.5 4.5h11M6 4.5V2.5h4v2M4 4.5l.8 9.5h6.4l.8-9.5M6.8 7v4.5M9.2 7v4.5');
  path.setAttribute('fill', 'none');
  path.setAttribute('stroke', 'currentColor');
  path.setAttribute('stroke-width', '1.1');
  path.setAttribute('stroke-linejoin', 'round');
  svg.appendChild(path);
  return svg;
}
