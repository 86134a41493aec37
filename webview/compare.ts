/**
 * The "Compare" tab: train the same architecture with SimpleRNN, LSTM and GRU cells (and, if
 * asked, Bidirectional variants) on the same data and seed, one after another, and compare them:
 * a table (params, train time, validation and test metric, status) and the rows' validation
 * curves overlaid.
 */
import type { ComparisonRow } from '../src/protocol/training';
import { LineChart, type Tone } from './charts';
import { bestOf, comparisonKey, epochCurve, isRegressionComparison } from './curves';
import { el, severityIcon } from './dom';
import { formatDuration, formatInteger, formatPercent, formatValue, isAccuracy, metricLabel, percentTick } from './format';
import { button } from './icons';
import { card } from './widgets';

export interface CompareActions {
  compare(bidirectional: boolean): void;
  /** The "also Bidirectional" box changed (to remember it). */
  bidirectionalChanged(on: boolean): void;
}

const CELL_TONES: Record<string, Tone> = { SimpleRNN: 'purple', LSTM: 'blue', GRU: 'green' };
const STATUS_TEXT: Record<ComparisonRow['status'], string> = { waiting: 'waiting', running: 'running…', done: 'done', failed: 'failed' };

export class CompareView {
  readonly element: HTMLElement;
  private rows: ComparisonRow[] = [];
  private running = false;
  private training = false;
  private canTrain = true;
  private reason: string | undefined;
  private readonly start = button('Compare SimpleRNN / LSTM / GRU', { icon: 'compare', className: 'compare-start' });
  private readonly bidirectional = document.createElement('vscode-checkbox');
  private readonly why = el('span', { class: 'train-why' });
  private readonly table = el('div', { class: 'compare-table-box' });
  private readonly curves = el('div', { class: 'compare-curves' });
  private chart: LineChart | null = null;
  private chartKey = '';
  /** Below this width six columns clip their words ("Simp", "Par…"): each row becomes a card. */
  private static readonly NARROW_PX = 520;
  private narrow = false;

  constructor(
    private readonly actions: CompareActions,
    bidirectional: boolean,
  ) {
    this.bidirectional.label = 'also Bidirectional';
    this.bidirectional.className = 'compare-bidirectional';
    this.bidirectional.checked = bidirectional;
    this.bidirectional.addEventListener('change', () => this.actions.bidirectionalChanged(this.bidirectional.checked));
    this.start.addEventListener('click', () => {
      if (this.start.disabled) return;
      this.actions.compare(this.bidirectional.checked);
    });
    this.element = el(
      'div',
      { class: 'compare' },
      el('div', { class: 'train-bar' }, this.start, this.bidirectional, el('span', { class: 'spacer' }), this.why),
      el('p', { class: 'hint', text: 'Trains this architecture once per cell type, on the same data and seed, one after another; the Training tab shows each one live.' }),
      this.table,
      this.curves,
    );
    new ResizeObserver(([entry]) => {
      const narrow = entry.contentRect.width > 0 && entry.contentRect.width < CompareView.NARROW_PX;
      if (narrow === this.narrow) return;
      this.narrow = narrow;
      if (this.rows.length > 0) this.table.replaceChildren(this.renderTable());
    }).observe(this.element);
    this.render();
  }

  setPermission(canTrain: boolean, reason: string | undefined): void {
    this.canTrain = canTrain;
    this.reason = reason;
    this.renderControls();
  }

  setTraining(active: boolean): void {
    if (this.training === active) return;
    this.training = active;
    this.renderControls();
  }

  update(rows: ComparisonRow[], running: boolean): void {
    this.rows = rows;
    this.running = running;
    this.render();
  }

  private renderControls(): void {
    this.start.disabled = !this.canTrain || this.training || this.running;
    this.bidirectional.disabled = this.start.disabled;
    this.why.textContent = !this.canTrain
      ? this.reason || 'Training is off in Restricted Mode: trust this workspace to train.'
      : this.running
        ? 'Comparing… each cell trains in turn.'
        : this.training
          ? 'Wait for the current training to finish.'
          : '';
    this.why.classList.toggle('is-restricted', !this.canTrain);
  }

  private render(): void {
    this.renderControls();
    if (this.rows.length === 0) {
      this.table.replaceChildren(el('div', { class: 'empty', text: 'No comparison yet. The table and the validation curves of each cell appear here as they train.' }));
      this.chart?.destroy();
      this.chart = null;
      this.curves.replaceChildren();
      return;
    }
    this.table.replaceChildren(this.renderTable());
    this.renderCurves();
  }

  private renderTable(): HTMLElement {
    const regression = isRegressionComparison(this.rows);
    const { key, higherIsBetter } = comparisonKey(this.rows);
    const valOf = (r: ComparisonRow) => (regression ? bestOf(r.history, key, higherIsBetter) : (r.valAccuracy ?? bestOf(r.history, key, true)));
    const testOf = (r: ComparisonRow) => (regression ? r.testMae : r.testAccuracy);
    const fmt = (v: number | undefined) => (v === undefined ? '–' : regression ? formatValue(v) : formatPercent(v));
    const done = this.rows.filter((r) => r.status === 'done' && testOf(r) !== undefined);
    const best = done.length > 1 ? done.reduce((a, b) => ((regression ? testOf(b)! < testOf(a)! : testOf(b)! > testOf(a)!) ? b : a)) : undefined;
    const metricName = regression ? 'MAE' : 'accuracy';
    const parts = (r: ComparisonRow) => ({
      name: el('span', { class: 'compare-cell-name' }, el('span', { class: ['cell-swatch', `tone-${toneOf(r)}`, r.bidirectional && 'is-dashed'], attrs: { 'aria-hidden': 'true' } }), cellName(r)),
      values: [
        ['Params', formatInteger(r.params)],
        ['Train time', r.trainSeconds === undefined ? '–' : formatDuration(r.trainSeconds)],
        [`Val ${metricName}`, fmt(valOf(r))],
      ] as const,
      test: el('span', { class: 'compare-test' }, fmt(testOf(r)), r === best && el('span', { class: 'best-badge', text: 'best' })),
      status: el(
        'span',
        { class: ['compare-status', `is-${r.status}`] },
        r.status === 'failed' ? severityIcon('error') : el('span', { class: 'status-dot', attrs: { 'aria-hidden': 'true' } }),
        STATUS_TEXT[r.status],
        r.error && el('span', { class: 'compare-error', text: r.error, title: r.error }),
      ),
    });
    if (this.narrow) {
      // One card per row: the same values, labelled, wrapping instead of clipping.
      return el(
        'div',
        { class: 'compare-cards' },
        ...this.rows.map((r) => {
          const p = parts(r);
          const item = (label: string, value: string | HTMLElement) => el('div', { class: 'compare-card-item' }, el('dt', { text: label }), el('dd', {}, value));
          return el(
            'section',
            { class: ['compare-card', 'compare-row', `status-${r.status}`, r === best && 'is-best'] },
            el('div', { class: 'compare-card-head' }, p.name, p.status),
            el('dl', { class: 'compare-card-values' }, ...p.values.map(([label, value]) => item(label, value)), item(`Test ${metricName}`, p.test)),
          );
        }),
      );
    }

    const table = document.createElement('vscode-table');
    table.className = 'compare-table';
    table.zebra = true;
    table.borderedRows = true;
    table.columns = ['22%', '13%', '14%', '15%', '15%', '21%'];
    const header = document.createElement('vscode-table-header');
    header.slot = 'header';
    header.append(headerCell('Cell'), headerCell('Params', 'num'), headerCell('Train time', 'num'), headerCell(`Val ${metricName}`, 'num'), headerCell(`Test ${metricName}`, 'num'), headerCell('Status'));
    const body = document.createElement('vscode-table-body');
    body.slot = 'body';
    for (const r of this.rows) {
      const row = document.createElement('vscode-table-row');
      row.className = `compare-row status-${r.status}${r === best ? ' is-best' : ''}`;
      const p = parts(r);
      row.append(cell(p.name), ...p.values.map(([, value]) => cell(value, 'num')), cell(p.test, 'num'), cell(p.status));
      body.appendChild(row);
    }
    table.append(header, body);
    return table;
  }

  private renderCurves(): void {
    const { key } = comparisonKey(this.rows);
    if (!this.chart || this.chartKey !== key) {
      this.chart?.destroy();
      this.chartKey = key;
      this.chart = new LineChart({ label: `Validation ${metricLabel(key.replace(/^val_/, ''))} per epoch of each cell`, x: 'epochs', xFrom: 1, yTitle: metricLabel(key), format: isAccuracy(key) ? percentTick : undefined });
      this.curves.replaceChildren(card(`Validation ${metricLabel(key.replace(/^val_/, ''))} per epoch`, this.chart.element));
    }
    const series = this.rows
      .map((r) => ({ key: `${r.cell}:${r.bidirectional}`, label: cellName(r), data: epochCurve(r.history, key), tone: toneOf(r), look: r.bidirectional ? ('dashed' as const) : ('epoch' as const) }))
      .filter((s) => s.data.length > 0);
    this.chart.update(series, { xMax: Math.max(1, ...this.rows.map((r) => r.history.length)) });
  }
}

function cellName(r: ComparisonRow): string {
  return r.bidirectional ? `Bidirectional ${r.cell}` : r.cell;
}

function toneOf(r: ComparisonRow): Tone {
  return CELL_TONES[r.cell] ?? 'yellow';
}

function cell(content: string | HTMLElement, cls?: string): HTMLElement {
  const c = document.createElement('vscode-table-cell');
  if (cls) c.className = cls;
  c.append(content);
  return c;
}

function headerCell(text: string, cls?: string): HTMLElement {
  const c = document.createElement('vscode-table-header-cell');
  if (cls) c.className = cls;
  c.textContent = text;
  return c;
}
