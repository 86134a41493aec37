/**
 * Pieces the training views share: a titled card, a notice banner, number tiles, a probability bar.
 */
import { el, severityIcon } from './dom';

export function card(title: string | HTMLElement, ...children: (Node | null | false | undefined)[]): HTMLElement {
  return el('section', { class: 'card' }, typeof title === 'string' ? el('h3', { class: 'card-title', text: title }) : title, ...children);
}

/** A banner like the designer's (stale/detached), for notices, errors and hints. */
export function notice(kind: 'error' | 'warning' | 'info', ...body: (Node | string | null | false | undefined)[]): HTMLElement {
  return el('div', { class: ['banner', `banner-${kind}`], attrs: { role: kind === 'error' ? 'alert' : null } }, severityIcon(kind), el('div', { class: 'banner-body' }, ...body));
}

export interface Tile {
  label: string;
  value: string;
  note?: string;
  cls?: string;
}

/** Big numbers with a caption, laid out like the designer's parameter totals. */
export function tiles(items: Tile[], label: string): HTMLElement {
  return el(
    'div',
    { class: 'totals metric-tiles', attrs: { role: 'group', 'aria-label': label } },
    ...items.map((t) =>
      el(
        'div',
        { class: ['total', t.cls] },
        el('span', { class: 'total-label', text: t.label }),
        el('span', { class: 'total-value', text: t.value }),
        t.note && el('span', { class: 'total-note', text: t.note }),
      ),
    ),
  );
}

/** A labelled horizontal bar for a probability (a native <meter>: accessible, no inline style). */
export function probabilityBar(label: string, p: number, chosen: boolean): HTMLElement {
  const meter = el('meter', { class: 'prob-meter', attrs: { min: 0, max: 1, value: Number.isFinite(p) ? p : 0, 'aria-label': `${label} probability` } });
  return el(
    'div',
    { class: ['prob-row', chosen && 'is-chosen'] },
    el('span', { class: 'prob-label', text: label }),
    meter,
    el('span', { class: 'prob-value', text: Number.isFinite(p) ? `${(p * 100).toFixed(1)}%` : '–' }),
  );
}

/** The host answers later: a small spinner with what is happening. */
export function busy(text: string): HTMLElement {
  const ring = document.createElement('vscode-progress-ring');
  ring.className = 'busy-ring';
  ring.setAttribute('aria-label', text);
  return el('div', { class: 'busy' }, ring, el('span', { text }));
}
