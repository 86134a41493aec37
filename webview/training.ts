/**
 * The "Training" tab: Train and Stop, the run's status (epoch, step, throughput, ETA, backend,
 * notices), live loss and metric curves, the early-stopping point and the final test metrics.
 * The host sends full snapshots a few times a second; the view keeps its elements and charts
 * and updates them in place.
 */
import type { TrainingState } from '../src/protocol/training';
import { LineChart, type Series } from './charts';
import { batchCurve, epochCurve, metricNames } from './curves';
import { el } from './dom';
import { describeEpochs, formatDuration, formatMetric, formatRate, formatValue, isAccuracy, metricLabel, metricTitle, percentTick, testMetricEntries, versusBaseline } from './format';
import { button } from './icons';
import { card, notice, tiles, type Tile } from './widgets';

export interface TrainingActions {
  train(): void;
  stop(): void;
}

const STATUS_TEXT: Record<TrainingState['status'], string> = {
  starting: 'Starting',
  running: 'Training',
  done: 'Done',
  cancelled: 'Stopped',
  failed: 'Failed',
};

/** A click on Train waits this long for the first snapshot before the button is enabled again. */
const TRAIN_DEBOUNCE_MS = 1500;

export class TrainingView {
  readonly element: HTMLElement;
  private state: TrainingState | null = null;
  private canTrain = true;
  private reason: string | undefined;
  private comparing = false;
  private stopRequested = false;
  private trainClickedAt = 0;

  private readonly trainButton = button('Train', { icon: 'play', className: 'train-button' });
  private readonly stopButton = button('Stop', { icon: 'stop', secondary: true, className: 'stop-button' });
  private readonly pill = el('span', { class: 'run-pill', attrs: { role: 'status', 'aria-live': 'polite' } });
  private readonly label = el('span', { class: 'train-label' });
  private readonly why = el('span', { class: 'train-why' });
  private readonly progress = document.createElement('vscode-progress-bar');
  private readonly status = el('div', { class: 'train-status' });
  private readonly notices = el('div', { class: 'train-notices' });
  private readonly data = el('div', { class: 'train-data' });
  private readonly outcome = el('div', { class: 'train-outcome' });
  private outcomeKey = '';
  private readonly placeholder = el(
    'div',
    { class: 'placeholder train-empty' },
    el('strong', { text: 'Not trained in this session yet. ' }),
    'Press Train to train this model on its data, the text in the editor as it is (saved or not). The loss and metric curves appear here as it learns; past runs are under Runs.',
  );
  private readonly chartGrid = el('div', { class: 'chart-grid' });
  private loss: LineChart | null = null;
  private readonly metricCharts = new Map<string, { card: HTMLElement; chart: LineChart }>();

  constructor(private readonly actions: TrainingActions) {
    this.progress.className = 'train-progress';
    this.progress.setAttribute('aria-label', 'Training progress');
    this.progress.hidden = true;
    this.trainButton.addEventListener('click', () => {
      if (this.trainButton.disabled) return;
      this.trainClickedAt = Date.now();
      this.actions.train();
      this.renderControls();
      setTimeout(() => this.renderControls(), TRAIN_DEBOUNCE_MS + 50);
    });
    this.stopButton.addEventListener('click', () => {
      if (this.stopButton.disabled) return;
      this.stopRequested = true;
      this.actions.stop();
      this.renderControls();
    });
    this.element = el(
      'div',
      { class: 'training' },
      el('div', { class: 'train-bar' }, this.trainButton, this.stopButton, this.pill, this.label, el('span', { class: 'spacer' }), this.why),
      this.progress,
      this.status,
      this.notices,
      this.data,
      this.placeholder,
      this.outcome,
      this.chartGrid,
    );
    this.renderControls();
  }

  /** True while a run is starting or running. */
  get active(): boolean {
    return this.state?.status === 'starting' || this.state?.status === 'running';
  }

  setPermission(canTrain: boolean, reason: string | undefined): void {
    this.canTrain = canTrain;
    this.reason = reason;
    this.renderControls();
  }

  setComparing(comparing: boolean): void {
    this.comparing = comparing;
    this.renderControls();
  }

  update(state: TrainingState): void {
    const previous = this.state;
    this.state = state;
    // A Stop request lasts until its run ends (or another run starts).
    if (!this.active || (previous?.runId !== undefined && previous.runId !== state.runId)) this.stopRequested = false;
    this.trainClickedAt = 0;
    this.renderControls();
    this.renderStatus(state);
    this.renderNotices(state, previous);
    this.renderOutcome(state);
    this.renderCharts(state);
  }

  private renderControls(): void {
    const s = this.state;
    const waiting = Date.now() - this.trainClickedAt < TRAIN_DEBOUNCE_MS;
    this.trainButton.disabled = !this.canTrain || this.active || this.comparing || waiting;
    this.stopButton.disabled = !this.active || this.stopRequested;
    const stopText = this.stopRequested && this.active ? 'Stopping…' : 'Stop';
    if (this.stopButton.lastChild?.textContent !== stopText) this.stopButton.lastChild!.textContent = stopText;
    let why = '';
    if (!this.canTrain) why = this.reason || 'Training is off in Restricted Mode: trust this workspace to train.';
    else if (this.comparing && !this.active) why = 'A cell-type comparison is running (see Compare).';
    else if (this.stopRequested && this.active) why = 'Stopping after the current batch; the run keeps the best weights so far.';
    this.why.textContent = why;
    this.why.classList.toggle('is-restricted', !this.canTrain);
    this.trainButton.title = why || 'Train this model (its current text, saved or not)';
    if (!s) {
      this.pill.hidden = true;
      return;
    }
    this.pill.hidden = false;
    // Set only on a change: the pill is a live region, and rewriting it would repeat it to screen readers.
    if (this.pill.textContent !== STATUS_TEXT[s.status]) {
      this.pill.textContent = STATUS_TEXT[s.status];
      this.pill.className = `run-pill pill-${s.status}`;
    }
  }

  private renderStatus(s: TrainingState): void {
    this.label.textContent = s.label;
    const fraction = s.epochs > 0 && s.stepsPerEpoch > 0 ? (Math.max(0, s.epoch - 1) + Math.min(1, s.step / s.stepsPerEpoch)) / s.epochs : 0;
    this.progress.hidden = !this.active;
    this.progress.indeterminate = s.status === 'starting' || fraction === 0;
    this.progress.value = Math.round(fraction * 1000) / 10;

    const item = (label: string, value: string, cls: string) => el('span', { class: ['status-item', cls] }, el('span', { class: 'status-key', text: label }), el('span', { class: 'status-value', text: value }));
    const items: HTMLElement[] = [];
    if (s.epochs > 0) items.push(item('epoch', `${Math.max(s.epoch, s.status === 'starting' ? 0 : 1)}/${s.epochs}`, 'status-epoch'));
    if (this.active && s.stepsPerEpoch > 0) items.push(item('step', `${s.step}/${s.stepsPerEpoch}`, 'status-step'));
    if (s.samplesPerSecond > 0) items.push(item('speed', formatRate(s.samplesPerSecond), 'status-speed'));
    if (this.active && s.etaSeconds !== undefined && s.status === 'running') items.push(item('ETA', formatDuration(s.etaSeconds), 'status-eta'));
    if (s.backend) items.push(item('backend', s.backend, 'status-backend'));
    this.status.replaceChildren(...items);
    this.data.textContent = s.dataSummary ?? '';
    this.placeholder.hidden = true;
  }

  /** Rebuilt only when their text changes, so a banner does not flicker at 5 updates a second. */
  private renderNotices(s: TrainingState, previous: TrainingState | null): void {
    const key = (t: TrainingState | null) => JSON.stringify([t?.notice, t?.status === 'failed' ? t.error : '', t?.status === 'cancelled']);
    if (previous && key(previous) === key(s) && this.notices.childElementCount > 0) return;
    const items: HTMLElement[] = [];
    if (s.notice) items.push(notice('warning', el('span', { class: 'train-notice', text: s.notice })));
    if (s.status === 'failed') items.push(notice('error', el('strong', { text: 'Training failed. ' }), el('span', { class: 'train-error', text: s.error ?? 'The trainer stopped without saying why.' })));
    if (s.status === 'cancelled') items.push(notice('info', `Stopped at epoch ${s.epoch}, step ${s.step}. The run keeps the best weights so far${s.testMetrics ? ' and was tested with them' : ''}.`));
    this.notices.replaceChildren(...items);
  }

  private renderOutcome(s: TrainingState): void {
    const finished = s.status === 'done' || s.status === 'cancelled';
    if (!finished || (!s.testMetrics && s.bestEpoch === undefined)) {
      this.outcomeKey = '';
      this.outcome.replaceChildren();
      return;
    }
    const items: Tile[] = testMetricEntries(s.testMetrics).map(([key, value]) => ({ label: `Test ${metricLabel(key)}`, value: formatMetric(key, value), cls: `test-${key}` }));
    if (s.baseline) {
      const mae = s.testMetrics?.mae_original_units ?? s.testMetrics?.test_mae_original_units;
      items.push({ label: 'Naive baseline MAE', value: formatValue(s.baseline.mae), note: s.baseline.name, cls: 'test-baseline' });
      const versus = mae !== undefined ? versusBaseline(mae, s.baseline.mae) : '';
      if (versus) items.push({ label: 'Model vs baseline', value: versus.replace(/ than$/, ''), note: 'on test MAE', cls: 'test-versus' });
    }
    if (s.bestEpoch !== undefined) items.push({ label: 'Best epoch', value: `${s.bestEpoch} of ${s.history.length || s.epochs}`, note: describeEpochs({ epochs: s.history.length, bestEpoch: undefined, stoppedEarly: s.stoppedEarly, cancelled: s.status === 'cancelled' }), cls: 'test-best' });
    const key = JSON.stringify(items);
    if (key === this.outcomeKey) return; // the same snapshot again: keep the tiles as they are
    this.outcomeKey = key;
    this.outcome.replaceChildren(card('Test results', tiles(items, 'Test results')));
  }

  private renderCharts(s: TrainingState): void {
    const xMax = Math.max(s.epochs, s.history.length, 1);
    const marker = s.bestEpoch !== undefined ? { x: s.bestEpoch, label: `best · epoch ${s.bestEpoch}` } : null;
    const curves = (key: string): Series[] => [
      { key: `batch:${key}`, label: 'train (per batch)', data: batchCurve(s.batches, key), tone: 'blue', look: 'batch' },
      { key: `epoch:${key}`, label: 'train', data: epochCurve(s.history, key), tone: 'blue', look: 'epoch' },
      { key: `epoch:val_${key}`, label: 'validation', data: epochCurve(s.history, `val_${key}`), tone: 'orange', look: 'epoch' },
    ];
    const drop = (series: Series[]) => series.filter((x) => x.data.length > 0 || x.key.startsWith('batch:'));
    if (!this.loss) {
      this.loss = new LineChart({ label: 'Loss per epoch', yTitle: 'loss', x: 'epochs' });
      this.chartGrid.appendChild(card('Loss', this.loss.element));
    }
    this.loss.update(drop(curves('loss')), { xMax, marker });

    const names = metricNames(...s.batches.slice(-1).map((b) => b.logs), ...s.history).slice(0, 4);
    for (const [name, entry] of this.metricCharts) {
      if (names.includes(name)) continue;
      entry.chart.destroy();
      entry.card.remove();
      this.metricCharts.delete(name);
    }
    for (const name of names) {
      let entry = this.metricCharts.get(name);
      if (!entry) {
        const chart = new LineChart({ label: `${metricTitle(name)} per epoch`, yTitle: metricLabel(name), x: 'epochs', format: isAccuracy(name) ? percentTick : undefined });
        entry = { chart, card: card(metricTitle(name), chart.element) };
        entry.card.dataset.metric = name;
        this.chartGrid.appendChild(entry.card);
        this.metricCharts.set(name, entry);
      }
      entry.chart.update(drop(curves(name)), { xMax, marker });
    }
  }
}
