/**
 * The "Runs" tab: the model's past runs (newest first) with their settings and test metrics;
 * tick up to two to overlay their per-epoch curves (drawn here from each run's history); delete
 * a run after an in-panel confirmation.
 */
import type { RunInfo } from '../src/protocol/training';
import { LineChart, type Series, type Tone } from './charts';
import { epochCurve, metricNames } from './curves';
import { el, trashIcon } from './dom';
import { describeEpochs, formatDate, formatDuration, formatInteger, formatLearningRate, formatMetric, formatRate, formatValue, isAccuracy, metricLabel, metricTitle, percentTick, testMetricEntries } from './format';
import { card } from './widgets';

export interface RunsActions {
  deleteRun(id: string): void;
  /** Open the Memory tab on this run. */
  inspect(id: string): void;
  /** The ticked runs changed (to remember them). */
  selectionChanged(ids: string[]): void;
}

/** How long "Confirm delete" waits before turning back into the trash button. */
const CONFIRM_MS = 6000;
const MAX_SELECTED = 2;
const TONES: Tone[] = ['blue', 'orange'];
const LETTERS = ['A', 'B'];

export class RunsView {
  readonly element: HTMLElement;
  private runs: RunInfo[] = [];
  private received = false;
  private confirming: string | null = null;
  private confirmTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly deleting = new Set<string>();
  private readonly list = el('div', { class: 'run-list', attrs: { role: 'list', 'aria-label': 'Runs of this model, newest first' } });
  private readonly overlayBox = el('div', { class: 'run-overlay' });
  private overlay: { legend: HTMLElement; loss: LineChart; metric: LineChart; metricCard: HTMLElement; metricName: string } | null = null;

  constructor(
    private readonly actions: RunsActions,
    private selected: string[],
  ) {
    this.element = el('div', { class: 'runs' }, this.list, this.overlayBox);
    this.render();
  }

  update(runs: RunInfo[]): void {
    this.runs = runs;
    this.received = true;
    const ids = new Set(runs.map((r) => r.id));
    for (const id of this.deleting) if (!ids.has(id)) this.deleting.delete(id);
    if (this.confirming && !ids.has(this.confirming)) this.confirming = null;
    this.render();
  }

  private setSelected(ids: string[]): void {
    this.selected = ids;
    this.actions.selectionChanged(ids);
    this.render();
  }

  private toggle(id: string, on: boolean): void {
    const rest = this.selected.filter((s) => s !== id);
    // A third tick replaces the oldest of the two.
    this.setSelected(on ? [...rest, id].slice(-MAX_SELECTED) : rest);
  }

  private render(): void {
    const focused = (document.activeElement as HTMLElement | null)?.closest<HTMLElement>('[data-control]')?.dataset.control;
    const known = new Set(this.runs.map((r) => r.id));
    const selected = this.selected.filter((id) => known.has(id));
    if (!this.received) {
      this.list.replaceChildren(el('div', { class: 'placeholder', text: 'Waiting for the runs…' }));
    } else if (this.runs.length === 0) {
      this.list.replaceChildren(
        el('div', { class: 'empty runs-empty' }, el('strong', { text: 'No runs yet. ' }), 'Each training run is saved in a folder under runs/ beside the model file, with its weights, curves and metrics; it will be listed here.'),
      );
    } else {
      this.list.replaceChildren(...this.runs.map((run, i) => this.item(run, i === 0, selected.indexOf(run.id))));
    }
    this.renderOverlay(selected.map((id) => this.runs.find((r) => r.id === id)!));
    if (focused) focusControl(this.element.querySelector<HTMLElement>(`[data-control="${CSS.escape(focused)}"]`));
  }

  private item(run: RunInfo, newest: boolean, slot: number): HTMLElement {
    const box = document.createElement('vscode-checkbox');
    box.dataset.control = `compare:${run.id}`;
    box.className = 'run-compare';
    box.label = slot >= 0 ? `Compare (${LETTERS[slot]})` : 'Compare';
    box.checked = slot >= 0;
    box.setAttribute('aria-label', `Compare the run of ${formatDate(run.date)}`);
    box.addEventListener('change', () => this.toggle(run.id, box.checked));

    const metrics = testMetricEntries(run.testMetrics);
    const deleting = this.deleting.has(run.id);
    const tags = [newest && 'newest', run.stoppedEarly && 'stopped early', run.cancelled && 'cancelled', run.importedFrom && 'imported'].filter((t): t is string => !!t);
    const s = run.settings;
    const chips: [string, string][] = [
      ['cells', s.cells.join(', ') || '–'],
      ['params', formatInteger(s.params)],
      ['optimizer', s.optimizer || '–'],
      ['lr', formatLearningRate(s.learningRate)],
      ['batch', s.batchSize ? String(s.batchSize) : '–'],
      ['backend', run.backend || '–'],
      ['speed', formatRate(run.samplesPerSecond)],
      ['time', formatDuration(run.durationMs / 1000)],
    ];
    return el(
      'div',
      { class: ['run-item', slot >= 0 && `is-selected is-${LETTERS[slot].toLowerCase()}`, deleting && 'is-deleting'], attrs: { role: 'listitem', 'data-run-id': run.id } },
      el(
        'div',
        { class: 'run-head' },
        box,
        el('span', { class: 'run-date', text: formatDate(run.date) }),
        el('span', { class: 'run-epochs', text: describeEpochs(run) }),
        ...tags.map((t) => el('span', { class: ['run-tag', `tag-${t.replace(' ', '-')}`], text: t, attrs: { title: t === 'imported' ? `Trained in Keras, imported from ${run.importedFrom}` : undefined } })),
        el('span', { class: 'spacer' }),
        deleting ? el('span', { class: 'run-deleting', text: 'Deleting…' }) : this.actionsFor(run),
      ),
      el(
        'div',
        { class: 'run-metrics' },
        metrics.length === 0 && el('span', { class: 'run-metric muted', text: 'not tested' }),
        ...metrics.map(([key, value]) => el('span', { class: ['run-metric', `metric-${key}`] }, el('span', { class: 'run-metric-key', text: `test ${metricLabel(key)}` }), el('span', { class: 'run-metric-value', text: formatMetric(key, value) }))),
        run.baseline && el('span', { class: 'run-metric metric-baseline' }, el('span', { class: 'run-metric-key', text: 'naive MAE' }), el('span', { class: 'run-metric-value', text: formatValue(run.baseline.mae) })),
      ),
      el('div', { class: 'run-settings' }, ...chips.map(([k, v]) => el('span', { class: 'chip' }, el('span', { class: 'chip-key', text: k }), el('span', { class: 'chip-value', text: v })))),
    );
  }

  /** Inspect, and delete with its confirmation step. */
  private actionsFor(run: RunInfo): HTMLElement {
    const inspect = document.createElement('vscode-button');
    inspect.secondary = true;
    inspect.className = 'run-inspect';
    inspect.dataset.control = `inspect:${run.id}`;
    inspect.textContent = 'Memory view';
    inspect.title = 'Open this run in the Memory tab';
    inspect.addEventListener('click', () => this.actions.inspect(run.id));

    if (this.confirming === run.id) {
      const confirm = document.createElement('vscode-button');
      confirm.className = 'run-confirm-delete';
      confirm.dataset.control = `confirm:${run.id}`;
      confirm.textContent = 'Confirm delete';
      confirm.addEventListener('click', () => {
        this.confirming = null;
        clearTimeout(this.confirmTimer);
        this.deleting.add(run.id);
        if (this.selected.includes(run.id)) this.setSelected(this.selected.filter((s) => s !== run.id));
        else this.render();
        this.actions.deleteRun(run.id);
      });
      const cancel = document.createElement('vscode-button');
      cancel.secondary = true;
      cancel.className = 'run-cancel-delete';
      cancel.dataset.control = `cancel:${run.id}`;
      cancel.textContent = 'Cancel';
      cancel.addEventListener('click', () => this.cancelConfirm(run.id));
      const group = el('span', { class: 'run-actions is-confirming', attrs: { role: 'group', 'aria-label': 'Delete this run and its folder?' } }, el('span', { class: 'confirm-text', text: 'Delete run folder?' }), confirm, cancel);
      group.addEventListener('keydown', (e) => {
        if (e.key === 'Escape') this.cancelConfirm(run.id);
      });
      return group;
    }
    const del = document.createElement('vscode-toolbar-button');
    del.className = 'run-delete';
    del.dataset.control = `delete:${run.id}`;
    del.label = `Delete the run of ${formatDate(run.date)}`;
    del.title = 'Delete run';
    del.appendChild(trashIcon());
    del.addEventListener('click', () => {
      this.confirming = run.id;
      clearTimeout(this.confirmTimer);
      this.confirmTimer = setTimeout(() => this.cancelConfirm(run.id), CONFIRM_MS);
      this.render();
      focusControl(this.list.querySelector<HTMLElement>('.run-confirm-delete'));
    });
    return el('span', { class: 'run-actions' }, inspect, del);
  }

  private cancelConfirm(id: string): void {
    if (this.confirming !== id) return;
    const hadFocus = this.list.querySelector('.run-actions.is-confirming')?.contains(document.activeElement) ?? false;
    this.confirming = null;
    clearTimeout(this.confirmTimer);
    this.render();
    if (hadFocus) focusControl(this.list.querySelector<HTMLElement>(`[data-control="delete:${CSS.escape(id)}"]`));
  }

  /** The ticked runs' per-epoch loss and metric, overlaid (A solid blue, B orange; train dashed, validation solid). */
  private renderOverlay(runs: RunInfo[]): void {
    if (runs.length === 0) {
      this.overlay?.loss.destroy();
      this.overlay?.metric.destroy();
      this.overlay = null;
      this.overlayBox.replaceChildren(this.runs.length ? el('p', { class: 'hint', text: 'Tick one or two runs to see their curves here, overlaid.' }) : '');
      return;
    }
    const metricName = metricNames(...runs.flatMap((r) => r.history))[0] ?? '';
    if (!this.overlay || this.overlay.metricName !== metricName) {
      this.overlay?.loss.destroy();
      this.overlay?.metric.destroy();
      const loss = new LineChart({ label: 'Loss per epoch of the ticked runs', yTitle: 'loss', x: 'epochs', xFrom: 1 });
      const metric = new LineChart({ label: `${metricTitle(metricName)} per epoch of the ticked runs`, yTitle: metricLabel(metricName), x: 'epochs', xFrom: 1, format: isAccuracy(metricName) ? percentTick : undefined });
      const legend = el('div', { class: 'overlay-legend' });
      const metricCard = card(metricTitle(metricName), metric.element);
      metricCard.hidden = !metricName;
      this.overlay = { legend, loss, metric, metricCard, metricName };
      this.overlayBox.replaceChildren(card('Curves of the ticked runs', legend, el('div', { class: 'chart-grid' }, card('Loss', loss.element), metricCard)));
    }
    const series = (key: string): Series[] =>
      runs.flatMap((run, i) => [
        { key: `${LETTERS[i]}:${key}`, label: `${LETTERS[i]} train`, data: epochCurve(run.history, key), tone: TONES[i], look: 'dashed' as const },
        { key: `${LETTERS[i]}:val_${key}`, label: `${LETTERS[i]} validation`, data: epochCurve(run.history, `val_${key}`), tone: TONES[i], look: 'epoch' as const },
      ]).filter((s) => s.data.length > 0);
    const xMax = Math.max(1, ...runs.map((r) => r.history.length));
    this.overlay.loss.update(series('loss'), { xMax });
    if (metricName) this.overlay.metric.update(series(metricName), { xMax });
    this.overlay.legend.replaceChildren(
      ...runs.map((run, i) =>
        el('span', { class: ['overlay-run', `overlay-${LETTERS[i].toLowerCase()}`] }, el('span', { class: 'overlay-swatch', attrs: { 'aria-hidden': 'true' } }), el('strong', { text: LETTERS[i] }), ` ${formatDate(run.date)} · ${describeEpochs(run)}`),
      ),
    );
  }
}

/**
 * Focuses a rebuilt control once it has rendered. A toolbar button's host is not focusable (its
 * inner <button> is), so focus goes inside it.
 */
function focusControl(node: HTMLElement | null): void {
  if (!node) return;
  const focus = () => (node.tabIndex < 0 ? (node.shadowRoot?.querySelector<HTMLElement>('button, input, [tabindex]') ?? node) : node).focus();
  const rendered = (node as HTMLElement & { updateComplete?: Promise<unknown> }).updateComplete;
  if (rendered) void rendered.then(focus);
  else focus();
}
