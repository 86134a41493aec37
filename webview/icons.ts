/**
 * Small glyphs for the training views' buttons, drawn as SVG (the codicon font would need the
 * host to ship it and widen the CSP). They go in a `vscode-button`'s `content-before` slot.
 */
const SVG = 'http://www.w3.org/2000/svg';

const PATHS = {
  play: 'M4.5 2.8v10.4a.5.5 0 0 0 .77.42l8.1-5.2a.5.5 0 0 0 0-.84l-8.1-5.2a.5.5 0 0 0-.77.42Z',
  stop: 'M4 3.5h8a.5.5 0 0 1 .5.5v8a.5.5 0 0 1-.5.5H4a.5.5 0 0 1-.5-.5V4a.5.5 0 0 1 .5-.5Z',
  // Three bars of different heights.
  compare: 'M2.5 13.5v-5h2.5v5h-2.5Zm4.25 0v-11h2.5v11h-2.5Zm4.25 0v-8h2.5v8h-2.5Z',
} as const;

export type IconName = keyof typeof PATHS;

export function icon(name: IconName, slot = 'content-before'): SVGSVGElement {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '0 0 16 16');
  svg.setAttribute('class', `btn-icon icon-${name}`);
  svg.setAttribute('aria-hidden', 'true');
  if (slot) svg.setAttribute('slot', slot);
  const path = document.createElementNS(SVG, 'path');
  path.setAttribute('d', PATHS[name]);
  path.setAttribute('fill', 'currentColor');
  svg.appendChild(path);
  return svg;
}

/** A `vscode-button` with an optional glyph before its text. */
export function button(text: string, options: { icon?: IconName; secondary?: boolean; className?: string } = {}): HTMLElement & { disabled: boolean; secondary: boolean } {
  const b = document.createElement('vscode-button');
  if (options.className) b.className = options.className;
  b.secondary = options.secondary ?? false;
  if (options.icon) b.appendChild(icon(options.icon));
  b.append(text);
  return b;
}
