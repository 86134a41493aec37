/**
 * A heatmap of a recurrent layer's state over time, drawn on a canvas: one column per timestep
 * (the token under it), one row per unit, a diverging colour scale around 0 (blue below, red
 * above, stronger with the magnitude). Hovering, or moving a cursor with the arrow keys once the
 * map has focus, reads out unit, token and value.
 */
import { el } from './dom';
import { formatValue } from './format';
import { onThemeChange, themeColors, withAlpha, type ThemeColors } from './theme';

export interface HeatmapSpec {
  /** For screen readers and the caption: `lstm hidden state`. */
  label: string;
  /** `values[t][u]`: unit u after timestep t. */
  values: number[][];
  /** The timesteps drawn as columns, in order (padding left out). */
  steps: number[];
  /** The token of each timestep. */
  tokens: string[];
  /** Bidirectional: the first backward unit (forward units come first). */
  split?: number;
  /** The magnitude drawn at full colour. */
  scale: number;
}

const MARGIN = { left: 46, top: 2, right: 4 };
const MAX_GRID_HEIGHT = 224;
const LEVELS = 24;
const LABEL_CHARS = 12;

export class Heatmap {
  readonly element: HTMLElement;
  readonly canvas: HTMLCanvasElement;
  private readonly tip = el('div', { class: 'heatmap-tip', attrs: { 'aria-hidden': 'true' } });
  private readonly live = el('div', { class: 'sr-only', attrs: { 'aria-live': 'polite' } });
  private readonly tokens = el('div', { class: 'heatmap-tokens', attrs: { 'aria-hidden': 'true' } });
  private readonly base = document.createElement('canvas');
  private colors: ThemeColors = themeColors();
  private geometry: Geometry | null = null;
  private cursor: { col: number; unit: number } | null = null;
  private width = 0;
  private readonly resize: ResizeObserver;
  private readonly stopWatchingTheme: () => void;

  constructor(private readonly spec: HeatmapSpec) {
    const units = spec.values[0]?.length ?? 0;
    this.canvas = el('canvas', {
      class: 'heatmap-canvas',
      attrs: {
        tabindex: 0,
        role: 'img',
        'aria-label': `${spec.label}: ${units} units over ${spec.steps.length} tokens (${spec.steps
          .slice(0, 40)
          .map((t) => spec.tokens[t])
          .join(' ')}). Use the arrow keys to read values.`,
      },
    });
    this.element = el('div', { class: 'heatmap' }, this.canvas, this.tokens, this.tip, this.live);
    this.canvas.addEventListener('mousemove', (e) => this.hover(e));
    this.canvas.addEventListener('mouseleave', () => this.point(null));
    this.canvas.addEventListener('keydown', (e) => this.key(e));
    this.canvas.addEventListener('focus', () => this.point(this.cursor ?? { col: 0, unit: 0 }));
    this.canvas.addEventListener('blur', () => this.point(null, false));
    this.resize = new ResizeObserver(() => {
      const width = Math.floor(this.element.clientWidth);
      if (width > 0 && width !== this.width) {
        this.width = width;
        this.draw();
      }
    });
    this.resize.observe(this.element);
    this.stopWatchingTheme = onThemeChange(() => {
      this.colors = themeColors();
      this.draw();
    });
  }

  destroy(): void {
    this.resize.disconnect();
    this.stopWatchingTheme();
  }

  /** Lays out and paints the map into the offscreen `base`, then shows it. */
  private draw(): void {
    const { spec, colors: c } = this;
    const units = spec.values[0]?.length ?? 0;
    const cols = spec.steps.length;
    if (!units || !cols || !this.width) return;
    const ratio = window.devicePixelRatio || 1;
    const gridWidth = Math.max(cols, this.width - MARGIN.left - MARGIN.right);
    const cellW = gridWidth / cols;
    const cellH = Math.max(2, Math.min(16, Math.floor(MAX_GRID_HEIGHT / units)));
    const gridH = cellH * units;
    const ctx = this.base.getContext('2d');
    if (!ctx) return;
    ctx.font = `11px ${c.mono}`; // as .heatmap-token
    // Tokens upright, shortened to their column, when a column holds a few characters; else slanted (and every
    // k-th one when columns are narrower than a line of text).
    const charW = Math.max(1, ctx.measureText('abcdefghij').width / 10);
    const fit = Math.floor((cellW - 6) / charW);
    const upright = fit >= 5 || spec.steps.every((t) => (spec.tokens[t] ?? '').length <= fit);
    const labels = spec.steps.map((t) => truncate(spec.tokens[t] ?? '', upright ? fit : LABEL_CHARS));
    const widest = Math.max(0, ...labels.map((l) => ctx.measureText(l).width));
    const every = upright ? 1 : Math.max(1, Math.ceil(13 / cellW));
    const labelH = upright ? 18 : Math.min(widest, 84) * Math.sin(ANGLE) + 14;
    const height = Math.ceil(MARGIN.top + gridH + 1);
    this.geometry = { cellW, cellH, gridH, units, cols, height };

    for (const canvas of [this.base, this.canvas]) {
      canvas.width = Math.round(this.width * ratio);
      canvas.height = Math.round(height * ratio);
    }
    this.canvas.style.width = `${this.width}px`;
    this.canvas.style.height = `${height}px`;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, this.width, height);

    // Cells: colour buckets, so a map of 200 x 128 is a few thousand cheap fills.
    const pos = Array.from({ length: LEVELS + 1 }, (_, i) => withAlpha(c.red, i / LEVELS));
    const neg = Array.from({ length: LEVELS + 1 }, (_, i) => withAlpha(c.blue, i / LEVELS));
    spec.steps.forEach((t, col) => {
      const row = spec.values[t];
      const x = MARGIN.left + col * cellW;
      for (let u = 0; u < units; u++) {
        const v = row[u];
        if (!Number.isFinite(v) || v === 0) continue;
        const level = Math.min(LEVELS, Math.round((Math.abs(v) / spec.scale) * LEVELS));
        if (level === 0) continue;
        ctx.fillStyle = v > 0 ? pos[level] : neg[level];
        // Snap to whole device pixels so neighbouring cells meet without hairline seams.
        ctx.fillRect(x, MARGIN.top + u * cellH, cellW + 0.5, cellH);
      }
    });

    // Frame, the forward/backward split, unit numbers.
    ctx.strokeStyle = c.grid;
    ctx.lineWidth = 1;
    ctx.strokeRect(MARGIN.left - 0.5, MARGIN.top - 0.5, gridWidth + 1, gridH + 1);
    ctx.fillStyle = c.muted;
    ctx.textBaseline = 'middle';
    ctx.textAlign = 'right';
    ctx.font = `10px ${c.font}`;
    const unitLabel = (u: number) => ctx.fillText(String(u), MARGIN.left - 5, MARGIN.top + u * cellH + cellH / 2);
    const split = spec.split && spec.split > 0 && spec.split < units ? spec.split : undefined;
    if (split) {
      ctx.strokeStyle = c.fg;
      ctx.beginPath();
      ctx.moveTo(MARGIN.left - 4, MARGIN.top + split * cellH);
      ctx.lineTo(MARGIN.left + gridWidth, MARGIN.top + split * cellH);
      ctx.stroke();
      ctx.textAlign = 'left';
      ctx.fillText('fwd', 2, MARGIN.top + (split * cellH) / 2);
      ctx.fillText('bwd', 2, MARGIN.top + split * cellH + ((units - split) * cellH) / 2);
      ctx.textAlign = 'right';
      if (cellH * units >= 40) [0, split - 1, split, units - 1].forEach(unitLabel);
    } else {
      const step = Math.max(1, Math.ceil(14 / cellH));
      for (let u = 0; u < units; u += step) if (u + step <= units - 1 || u === 0) unitLabel(u);
      unitLabel(units - 1);
    }

    // Tokens under their columns, as text (readable, selectable, and found by tests), placed over the canvas' columns.
    this.tokens.classList.toggle('is-slanted', !upright);
    this.tokens.style.height = `${Math.ceil(labelH)}px`;
    this.tokens.replaceChildren(
      ...labels.flatMap((label, col) => {
        if (col % every !== 0) return [];
        const t = spec.steps[col];
        const token = el('span', { class: 'heatmap-token', title: spec.tokens[t], attrs: { 'data-step': t } }, el('span', { class: 'heatmap-token-text', text: label }));
        token.style.left = `${(MARGIN.left + (col + 0.5) * cellW).toFixed(1)}px`;
        return [token];
      }),
    );
    this.paint();
  }

  /** Copies the base image and outlines the cell under the cursor. */
  private paint(): void {
    const ctx = this.canvas.getContext('2d');
    const g = this.geometry;
    if (!ctx || !g) return;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    ctx.drawImage(this.base, 0, 0);
    if (!this.cursor) return;
    const ratio = window.devicePixelRatio || 1;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.strokeStyle = this.colors.fg;
    ctx.lineWidth = 1.5;
    ctx.strokeRect(MARGIN.left + this.cursor.col * g.cellW, MARGIN.top + this.cursor.unit * g.cellH, Math.max(2, g.cellW), Math.max(2, g.cellH));
  }

  private hover(event: MouseEvent): void {
    const g = this.geometry;
    if (!g) return;
    const rect = this.canvas.getBoundingClientRect();
    const col = Math.floor((event.clientX - rect.left - MARGIN.left) / g.cellW);
    const unit = Math.floor((event.clientY - rect.top - MARGIN.top) / g.cellH);
    this.point(col >= 0 && col < g.cols && unit >= 0 && unit < g.units ? { col, unit } : null);
  }

  private key(event: KeyboardEvent): void {
    const g = this.geometry;
    if (!g) return;
    const at = this.cursor ?? { col: 0, unit: 0 };
    const moves: Record<string, [number, number]> = {
      ArrowLeft: [-1, 0],
      ArrowRight: [1, 0],
      ArrowUp: [0, -1],
      ArrowDown: [0, 1],
      PageUp: [0, -8],
      PageDown: [0, 8],
      Home: [-g.cols, 0],
      End: [g.cols, 0],
    };
    if (event.key === 'Escape') return this.point(null);
    const move = moves[event.key];
    if (!move) return;
    event.preventDefault();
    this.point({ col: clamp(at.col + move[0], 0, g.cols - 1), unit: clamp(at.unit + move[1], 0, g.units - 1) });
  }

  /** Moves the cursor (null: none) and updates the readout. */
  private point(cursor: { col: number; unit: number } | null, announce = true): void {
    this.cursor = cursor;
    this.paint();
    const g = this.geometry;
    if (!cursor || !g) {
      this.tip.classList.remove('is-shown');
      return;
    }
    const t = this.spec.steps[cursor.col];
    const value = this.spec.values[t]?.[cursor.unit];
    const split = this.spec.split;
    const unit = split && cursor.unit >= split ? `unit ${cursor.unit - split} (backward)` : split ? `unit ${cursor.unit} (forward)` : `unit ${cursor.unit}`;
    const text = `${unit} · step ${t + 1} “${this.spec.tokens[t] ?? ''}” · ${value === undefined ? '–' : formatValue(value)}`;
    this.tip.textContent = text;
    this.tip.classList.add('is-shown');
    // Beside the cell, kept inside the map's box.
    const x = MARGIN.left + (cursor.col + 1) * g.cellW + 8;
    const y = MARGIN.top + cursor.unit * g.cellH;
    const tipWidth = this.tip.offsetWidth;
    const left = x + tipWidth > this.width ? Math.max(0, MARGIN.left + cursor.col * g.cellW - tipWidth - 8) : x;
    this.tip.style.left = `${Math.round(left)}px`;
    this.tip.style.top = `${Math.round(Math.max(0, Math.min(y, g.height - 24)))}px`;
    if (announce && document.activeElement === this.canvas) this.live.textContent = text;
  }
}

interface Geometry {
  cellW: number;
  cellH: number;
  gridH: number;
  units: number;
  cols: number;
  height: number;
}

const ANGLE = (50 * Math.PI) / 180;

const clamp = (n: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, n));

function truncate(token: string, chars: number): string {
  return token.length > chars ? `${token.slice(0, Math.max(1, chars - 1))}…` : token;
}

/** The colour key of a map: blue for negative, red for positive, its range in numbers. */
export function heatLegend(scale: number): HTMLElement {
  const v = formatValue(scale);
  return el(
    'div',
    { class: 'heat-legend', attrs: { 'aria-label': `Colour scale from −${v} (blue) through 0 to +${v} (red)` } },
    el('span', { class: 'heat-legend-value', text: `−${v}` }),
    el('span', { class: 'heat-legend-bar', attrs: { 'aria-hidden': 'true' } }),
    el('span', { class: 'heat-legend-value', text: `+${v}` }),
  );
}
