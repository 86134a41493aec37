/**
 * Line charts on Chart.js, themed from VS Code's colours. Only the pieces used are registered (a
 * line controller, linear and category scales, legend, tooltip), which keeps the bundle small.
 * A chart is created once and then updated in place: series are matched by key, their data
 * replaced and the chart redrawn without animation, so a snapshot every 200 ms stays smooth.
 * Chart.js sizes its canvas through the CSSOM, which the panel's CSP allows (it forbids only
 * style attributes and unnonced style elements).
 */
import { CategoryScale, Chart, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip, type ChartDataset, type TooltipItem } from 'chart.js';
import type { Point } from './curves';
import { el } from './dom';
import { formatValue } from './format';
import { onThemeChange, themeColors, withAlpha, type ThemeColors } from './theme';

Chart.register(LineController, LineElement, PointElement, LinearScale, CategoryScale, Legend, Tooltip);

export type Tone = 'blue' | 'orange' | 'green' | 'red' | 'purple' | 'yellow' | 'fg' | 'muted';

/**
 * `batch`: a thin line without points (per-batch running averages). `epoch`: a line with points
 * (per-epoch logs). `line`: a plain line (long series). `dashed`: a dashed line with small points.
 * `guide`: a faint dashed line without points (baselines, thresholds).
 */
export type Look = 'batch' | 'epoch' | 'line' | 'dashed' | 'guide';

export interface Series {
  /** Stable across updates: the dataset with this key is updated in place. */
  key: string;
  label: string;
  data: Point[] | number[];
  tone: Tone;
  look: Look;
}

export interface ChartSpec {
  /** What the chart shows, for screen readers (the latest values are appended). */
  label: string;
  /** `epochs`: a linear x axis in epochs; `labels`: one category per data index (tokens, dates). */
  x: 'epochs' | 'labels';
  xTitle?: string;
  /** Epoch charts: where the x axis starts (0 when there are per-batch points, 1 for per-epoch logs only). */
  xFrom?: 0 | 1;
  yTitle?: string;
  /** Fixed y range (probabilities: 0..1). */
  yMin?: number;
  yMax?: number;
  /** Formats y values in ticks and tooltips (default: three decimals). */
  format?: (value: number) => string;
  /** A taller or shorter box than the default (CSS class `chart-box-<size>`). */
  size?: 'short' | 'tall';
  /** Legend hidden (a single obvious series). */
  noLegend?: boolean;
  /** Category labels stay horizontal (long ones, like dates: fewer of them are shown instead). */
  flatLabels?: boolean;
}

/** What changes with each update besides the series. */
export interface Frame {
  /** The x axis ends here (epochs: the planned number of epochs). */
  xMax?: number;
  /** Category labels (x: 'labels'). */
  labels?: string[];
  /** A vertical marker, e.g. the epoch early stopping kept. */
  marker?: { x: number; label: string } | null;
}

type LineData = (number | Point | null)[];
type LineChartJs = Chart<'line', LineData, string>;

export class LineChart {
  readonly element: HTMLElement;
  readonly canvas: HTMLCanvasElement;
  private readonly chart: LineChartJs;
  private series: Series[] = [];
  private marker: Frame['marker'] = null;
  private colors: ThemeColors = themeColors();
  private readonly stopWatchingTheme: () => void;

  constructor(private readonly spec: ChartSpec) {
    this.canvas = el('canvas', { attrs: { role: 'img', 'aria-label': spec.label } });
    this.element = el('div', { class: ['chart-box', spec.size && `chart-box-${spec.size}`] }, this.canvas);
    this.chart = new Chart<'line', LineData, string>(this.canvas, {
      type: 'line',
      data: { labels: [], datasets: [] },
      options: this.options(),
      plugins: [{ id: 'marker', afterDatasetsDraw: (chart) => this.drawMarker(chart as LineChartJs) }],
    });
    // For tests and the webview's developer tools: the live Chart.js instance of this canvas.
    Object.defineProperty(this.canvas, 'chart', { value: this.chart, configurable: true });
    this.stopWatchingTheme = onThemeChange(() => {
      this.colors = themeColors();
      this.chart.options = this.options();
      this.update(this.series);
    });
  }

  /** Replaces the series' data (in place, matched by key) and redraws without animation. */
  update(series: Series[], frame: Frame = {}): void {
    this.series = series;
    if (frame.marker !== undefined) this.marker = frame.marker;
    const byKey = new Map(this.chart.data.datasets.map((d) => [(d as KeyedDataset).key, d as KeyedDataset]));
    this.chart.data.datasets = series.map((s) => {
      const ds: KeyedDataset = byKey.get(s.key) ?? { key: s.key, data: [] };
      ds.data = s.data;
      ds.label = s.label;
      Object.assign(ds, this.look(s));
      return ds;
    });
    if (frame.labels) this.chart.data.labels = frame.labels;
    const x = this.chart.options.scales?.x as { min?: number; max?: number } | undefined;
    if (x && this.spec.x === 'epochs' && frame.xMax !== undefined) {
      const from = this.spec.xFrom ?? 0;
      // A single epoch on a per-epoch axis gets a little room either side.
      [x.min, x.max] = frame.xMax > from ? [from, frame.xMax] : [from - 0.5, from + 0.5];
    }
    this.element.dataset.marker = this.marker ? String(this.marker.x) : '';
    this.canvas.setAttribute('aria-label', this.describe());
    this.chart.update('none');
  }

  destroy(): void {
    this.stopWatchingTheme();
    this.chart.destroy();
  }

  private describe(): string {
    const format = this.spec.format ?? formatValue;
    const latest = this.series
      .filter((s) => s.look !== 'guide' && s.data.length > 0)
      .map((s) => {
        const last = s.data[s.data.length - 1];
        return `${s.label} ${format(typeof last === 'number' ? last : last.y)}`;
      });
    return latest.length ? `${this.spec.label}. Latest: ${latest.join(', ')}.` : `${this.spec.label}. No data yet.`;
  }

  private look(s: Series): Partial<ChartDataset<'line', LineData>> {
    const color = this.colors[s.tone];
    const base = { borderColor: color, backgroundColor: color, pointBackgroundColor: color, pointBorderColor: color, tension: 0, spanGaps: true, borderDash: [] as number[] };
    switch (s.look) {
      case 'batch':
        return { ...base, borderColor: withAlpha(color, this.colors.highContrast ? 0.9 : 0.5), borderWidth: 1, pointRadius: 0, pointHoverRadius: 2, pointStyle: 'line', order: 3 };
      case 'epoch':
        return { ...base, borderWidth: 2, pointRadius: 3.5, pointHoverRadius: 5, pointStyle: 'circle', order: 1 };
      case 'dashed':
        // Diamonds as well as dashes, so the legend (which shows the point style) tells it apart too.
        return { ...base, borderWidth: 1.5, borderDash: [5, 4], pointRadius: 3.5, pointHoverRadius: 5, pointStyle: 'rectRot', order: 2 };
      case 'guide':
        return { ...base, borderColor: withAlpha(color, 0.8), borderWidth: 1.25, borderDash: [3, 3], pointRadius: 0, pointHoverRadius: 0, pointStyle: 'line', order: 4 };
      case 'line':
      default:
        return { ...base, borderWidth: 1.75, pointRadius: 0, pointHoverRadius: 3, pointStyle: 'line', order: 2 };
    }
  }

  private options(): LineChartJs['options'] {
    const c = this.colors;
    const spec = this.spec;
    const format = spec.format ?? formatValue;
    const font = { family: c.font, size: 11 };
    const title = (text: string | undefined) => ({ display: !!text, text: text ?? '', color: c.muted, font, padding: 2 });
    const grid = { color: c.grid, tickColor: c.grid };
    const border = { color: c.axis };
    // Chart.js' option types want every nested field; the partial objects here are what it merges with its defaults.
    const x: Record<string, unknown> =
      spec.x === 'epochs'
        ? { type: 'linear', min: 0, max: 1, grid, border, title: title(spec.xTitle ?? 'epoch'), ticks: { color: c.muted, font, precision: 0, maxTicksLimit: 11 } }
        : { type: 'category', grid: { ...grid, display: false }, border, title: title(spec.xTitle), ticks: { color: c.muted, font, autoSkip: true, maxRotation: spec.flatLabels ? 0 : 60, minRotation: 0, autoSkipPadding: spec.flatLabels ? 16 : 6 } };
    return {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      normalized: true,
      interaction: { mode: 'nearest', axis: 'x', intersect: false },
      layout: { padding: { top: 6, right: 8 } },
      color: c.fg,
      font,
      scales: {
        x: x as never,
        // Ticks: the given format (percentages), else Chart.js' own, which writes round numbers briefly (0.2, not 0.200).
        y: { type: 'linear', min: spec.yMin, max: spec.yMax, grid, border, title: title(spec.yTitle), ticks: { color: c.muted, font, maxTicksLimit: 6, ...(spec.format ? { callback: (v: number | string) => spec.format!(Number(v)) } : {}) } },
      },
      plugins: {
        legend: {
          display: !spec.noLegend,
          position: 'bottom',
          align: 'start',
          labels: { color: c.fg, font, usePointStyle: true, boxWidth: 7, boxHeight: 7, padding: 10 },
        },
        tooltip: {
          backgroundColor: c.tooltipBackground,
          borderColor: c.tooltipBorder,
          borderWidth: 1,
          titleColor: c.fg,
          bodyColor: c.fg,
          titleFont: { ...font, weight: 'bold' },
          bodyFont: font,
          padding: 8,
          cornerRadius: 3,
          boxPadding: 4,
          usePointStyle: true,
          callbacks: {
            title: (items: TooltipItem<'line'>[]) => {
              const item = items[0];
              if (!item) return '';
              if (spec.x === 'labels') return item.label;
              const at = (item.raw as Point).x;
              return `epoch ${Number.isInteger(at) ? at : at.toFixed(2)}`;
            },
            label: (item: TooltipItem<'line'>) => ` ${item.dataset.label}: ${format(item.parsed.y ?? NaN)}`,
          },
        },
      },
    };
  }

  /** A dashed vertical line with a caption, e.g. at the epoch early stopping kept. */
  private drawMarker(chart: LineChartJs): void {
    const marker = this.marker;
    const scale = chart.scales.x;
    if (!marker || !scale) return;
    const { top, bottom, left, right } = chart.chartArea;
    const at = scale.getPixelForValue(marker.x);
    if (!Number.isFinite(at) || at < left - 1 || at > right + 1) return;
    const ctx = chart.ctx;
    const c = this.colors;
    ctx.save();
    ctx.strokeStyle = c.green;
    ctx.lineWidth = 1.5;
    ctx.setLineDash([4, 3]);
    ctx.beginPath();
    ctx.moveTo(at, top);
    ctx.lineTo(at, bottom);
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.font = `600 11px ${c.font}`;
    const width = ctx.measureText(marker.label).width;
    const toLeft = at + 6 + width > right;
    const textX = toLeft ? at - 6 - width : at + 6;
    ctx.fillStyle = withAlpha(c.background, 0.85);
    ctx.fillRect(textX - 3, top + 2, width + 6, 15);
    ctx.fillStyle = c.green;
    ctx.textBaseline = 'top';
    ctx.fillText(marker.label, textX, top + 4);
    ctx.restore();
  }
}

interface KeyedDataset extends ChartDataset<'line', LineData> {
  key: string;
}
