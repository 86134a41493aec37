/**
 * The "Memory" tab: what a trained RNN remembers. Pick a run, type a message (or step through the
 * test samples) and see, for each recurrent layer, its hidden state over the tokens as a heatmap
 * (and an LSTM's cell state), and how the prediction builds token by token; or, for a series
 * model, actual vs predicted over the test range against the naive baseline. "Predict" asks for
 * the probabilities (or a forecast) only.
 */
import type { RunInfo } from '../src/protocol/training';
import { LineChart } from './charts';
import { isRegressionRun, maxAbs, visibleSteps } from './curves';
import { el } from './dom';
import { formatDate, formatMetric, formatValue, metricLabel, percentTick, testMetricEntries, versusBaseline } from './format';
import { Heatmap, heatLegend } from './heatmap';
import { button } from './icons';
import { renderPrediction } from './predict';
import type { MemoryData, PredictionView } from './sanitize';
import { busy, card, notice, tiles } from './widgets';

export interface MemoryActions {
  inspect(runId: string, input: { text?: string; sample?: number }): void;
  predict(runId: string, text: string): void;
  /** The user picked another run (to remember it). */
  pickRun(runId: string): void;
}

type TextResult = Extract<MemoryData, { kind: 'text' }>;
type SeriesResult = Extract<MemoryData, { kind: 'series' }>;

export class MemoryView {
  readonly element: HTMLElement;
  private runs: RunInfo[] = [];
  private received = false;
  private kind: 'text' | 'series' | null = null;
  private sample = 0;
  private readonly picker = el('div', { class: 'memory-picker' });
  private readonly controls = el('div', { class: 'memory-controls' });
  private readonly predictionBox = el('div', { class: 'prediction-box', attrs: { 'aria-live': 'polite' } });
  private readonly results = el('div', { class: 'memory-results', attrs: { 'aria-live': 'polite' } });
  private drawn: { destroy(): void }[] = [];

  constructor(
    private readonly actions: MemoryActions,
    private runId: string | undefined,
  ) {
    this.element = el('div', { class: 'memory' }, this.picker, this.controls, this.results);
    this.render();
  }

  /** The run inspected: the one picked, else the newest. */
  get run(): RunInfo | undefined {
    return this.runs.find((r) => r.id === this.runId) ?? this.runs[0];
  }

  setRuns(runs: RunInfo[]): void {
    this.runs = runs;
    this.received = true;
    this.render();
  }

  /** Picks a run (from the Runs tab's "Memory view"). */
  pick(id: string): void {
    if (!this.runs.some((r) => r.id === id)) return;
    this.runId = id;
    this.actions.pickRun(id);
    this.render();
  }

  showMemory(runId: string, result: MemoryData | undefined, error: string | undefined): void {
    this.clearDrawn();
    const run = this.runs.find((r) => r.id === runId);
    const from = run && run.id !== this.run?.id ? el('p', { class: 'hint', text: `From the run of ${formatDate(run.date)}.` }) : null;
    if (error || !result) {
      this.results.replaceChildren(notice('error', el('strong', { text: 'Could not show the memory view. ' }), el('span', { class: 'memory-error', text: error ?? 'The answer was not readable.' })));
      return;
    }
    this.results.replaceChildren(...[from, ...(result.kind === 'text' ? this.textResult(result) : this.seriesResult(result))].filter((n): n is HTMLElement => !!n));
  }

  showPrediction(predictions: PredictionView[] | undefined, error: string | undefined): void {
    if (error || !predictions?.length) {
      this.predictionBox.replaceChildren(notice('error', el('strong', { text: 'Prediction failed. ' }), el('span', { class: 'prediction-error', text: error ?? 'No prediction came back.' })));
      return;
    }
    this.predictionBox.replaceChildren(...predictions.map(renderPrediction));
  }

  private render(): void {
    const run = this.run;
    if (!this.received || !run) {
      this.picker.replaceChildren(
        el('div', { class: 'placeholder' }, !this.received ? 'Waiting for the runs…' : 'No trained runs yet. Train the model first (Training tab): the memory view reads a finished run.'),
      );
      this.controls.replaceChildren();
      this.kind = null;
      return;
    }
    this.renderPicker(run);
    const kind = isRegressionRun(run) ? 'series' : 'text';
    if (kind !== this.kind) {
      this.kind = kind;
      this.controls.replaceChildren(kind === 'text' ? this.textControls() : this.seriesControls());
      this.predictionBox.replaceChildren();
      this.clearDrawn();
      this.results.replaceChildren();
    }
  }

  private renderPicker(run: RunInfo): void {
    const select = document.createElement('vscode-single-select');
    select.className = 'memory-run';
    select.dataset.control = 'memory-run';
    select.setAttribute('aria-label', 'Run');
    for (const r of this.runs) {
      const option = document.createElement('vscode-option');
      option.value = r.id;
      const [key, value] = testMetricEntries(r.testMetrics)[0] ?? [];
      const metric = key ? ` · ${metricLabel(key).replace(' (original units)', '')} ${formatMetric(key, value)}` : '';
      option.textContent = `${formatDate(r.date)}${metric}${r === this.runs[0] ? ' (newest)' : ''}`;
      option.selected = r.id === run.id;
      select.appendChild(option);
    }
    select.addEventListener('change', () => {
      if (select.value && select.value !== this.run?.id) this.pick(select.value);
    });
    const focused = this.picker.contains(document.activeElement);
    this.picker.replaceChildren(el('label', { class: 'ctl' }, el('span', { class: 'ctl-label', text: 'Run' }), select), el('span', { class: 'memory-run-cells', text: run.settings.cells.join(' → ') }));
    if (focused) void select.updateComplete.then(() => select.focus());
  }

  private textControls(): HTMLElement {
    const text = field('memory-text', 'Type a message, e.g. “Congratulations! You won a free cruise, call now”');
    text.classList.add('memory-text');
    const show = button('Show memory', { className: 'memory-show' });
    const predict = button('Predict', { secondary: true, className: 'memory-predict' });
    const read = (): string | null => {
      const value = text.value.trim();
      text.invalid = value.length === 0;
      if (!value) text.focus();
      return value || null;
    };
    const inspect = () => {
      const value = read();
      const run = this.run;
      if (value === null || !run) return;
      this.pending(`Running the model over “${value}”…`);
      this.actions.inspect(run.id, { text: value });
    };
    show.addEventListener('click', inspect);
    predict.addEventListener('click', () => {
      const value = read();
      const run = this.run;
      if (value === null || !run) return;
      this.predictionBox.replaceChildren(busy('Predicting…'));
      this.actions.predict(run.id, value);
    });
    text.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') inspect();
    });
    text.addEventListener('input', () => (text.invalid = false));

    const sample = field('memory-sample', '0', 'number');
    sample.classList.add('memory-sample');
    sample.value = String(this.sample);
    sample.setAttribute('min', '0');
    sample.setAttribute('aria-label', 'Test sample number');
    const showSample = (index: number) => {
      const run = this.run;
      if (!run) return;
      this.sample = Math.max(0, Math.min(999_999, Math.floor(index) || 0));
      sample.value = String(this.sample);
      this.pending(`Reading test sample ${this.sample}…`);
      this.actions.inspect(run.id, { sample: this.sample });
    };
    const prev = button('‹', { secondary: true, className: 'sample-prev' });
    prev.setAttribute('aria-label', 'Previous test sample');
    const next = button('›', { secondary: true, className: 'sample-next' });
    next.setAttribute('aria-label', 'Next test sample');
    const go = button('Show sample', { secondary: true, className: 'sample-show' });
    prev.addEventListener('click', () => showSample(this.sample - 1));
    next.addEventListener('click', () => showSample(this.sample + 1));
    go.addEventListener('click', () => showSample(Number(sample.value)));
    sample.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') showSample(Number(sample.value));
    });

    return card(
      'Try a message',
      el('div', { class: 'memory-row' }, text, show, predict),
      el('div', { class: 'memory-row memory-samples' }, el('span', { class: 'ctl-label', text: 'or a test sample' }), prev, sample, next, go),
      this.predictionBox,
    );
  }

  private seriesControls(): HTMLElement {
    const show = button('Show actual vs predicted', { className: 'memory-show' });
    show.addEventListener('click', () => {
      const run = this.run;
      if (!run) return;
      this.pending('Predicting over the test range…');
      this.actions.inspect(run.id, {});
    });
    const file = field('memory-series-file', 'A CSV file with the latest rows, e.g. data/latest.csv');
    file.classList.add('memory-text');
    const forecast = button('Forecast', { secondary: true, className: 'memory-predict' });
    const go = () => {
      const value = file.value.trim();
      const run = this.run;
      file.invalid = !value;
      if (!value || !run) return;
      this.predictionBox.replaceChildren(busy('Forecasting…'));
      this.actions.predict(run.id, value);
    };
    forecast.addEventListener('click', go);
    file.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') go();
    });
    return card(
      'Series forecast',
      el('div', { class: 'memory-row' }, show, el('span', { class: 'hint', text: 'the test range in original units, with the naive “tomorrow = today” forecast' })),
      el('div', { class: 'memory-row' }, file, forecast),
      this.predictionBox,
    );
  }

  private pending(text: string): void {
    this.clearDrawn();
    this.results.replaceChildren(busy(text));
  }

  private clearDrawn(): void {
    for (const d of this.drawn) d.destroy();
    this.drawn = [];
  }

  private textResult(r: TextResult): HTMLElement[] {
    const steps = visibleSteps(r.tokens);
    const padding = r.tokens.length - steps.length;
    const tokens = steps.map((t) => r.tokens[t]);
    const out: HTMLElement[] = [el('div', { class: 'memory-prediction' }, renderPrediction(r.prediction))];

    if (r.perStep) {
      const label = r.prediction.label ?? 'the predicted class';
      const chart = new LineChart({ label: `Probability of ${label} after each token`, x: 'labels', yMin: 0, yMax: 1, format: percentTick, yTitle: `P(${label})`, size: 'short' });
      this.drawn.push(chart);
      const perStep = r.perStep;
      chart.update(
        [
          { key: 'perStep', label: `P(${label}) after the token`, data: steps.map((t) => perStep[t]), tone: 'orange', look: 'epoch' },
          { key: 'half', label: '50%', data: steps.map(() => 0.5), tone: 'muted', look: 'guide' },
        ],
        { labels: tokens },
      );
      out.push(card(el('h3', { class: 'card-title' }, 'How the prediction builds, token by token', el('span', { class: 'card-sub', text: ` · the output layer applied to the state after each token` })), chart.element));
    }

    for (const layer of r.layers) {
      const units = layer.hidden[0]?.length ?? 0;
      const split = layer.type.startsWith('Bidirectional') && units % 2 === 0 ? units / 2 : undefined;
      const map = (values: number[][], what: string) => {
        const scale = maxAbs(steps.map((t) => values[t]));
        const heatmap = new Heatmap({ label: `${layer.name} ${what}`, values, steps, tokens: r.tokens, split, scale });
        this.drawn.push(heatmap);
        return el('div', { class: ['heatmap-block', `heatmap-${what.replace(' ', '-')}`] }, el('div', { class: 'heatmap-head' }, el('span', { class: 'heatmap-what', text: what }), el('span', { class: 'spacer' }), heatLegend(scale)), heatmap.element);
      };
      out.push(
        card(
          el('h3', { class: 'card-title' }, el('span', { class: 'layer-memory-name', text: layer.name }), el('span', { class: 'card-sub', text: ` · ${layer.type} · ${split ? `${split} + ${split}` : units} units` })),
          map(layer.hidden, 'hidden state'),
          layer.cell && map(layer.cell, 'cell state'),
        ),
      );
    }
    if (r.layers.length === 0) out.push(notice('info', 'This model has no recurrent layer state to show.'));
    if (padding > 0) out.push(el('p', { class: 'hint memory-padding', text: `${padding} padding step${padding === 1 ? '' : 's'} not shown.` }));
    return out;
  }

  private seriesResult(r: SeriesResult): HTMLElement[] {
    const chart = new LineChart({ label: 'Actual vs predicted over the test range', x: 'labels', size: 'tall', flatLabels: true });
    this.drawn.push(chart);
    chart.update(
      [
        { key: 'actual', label: 'actual', data: r.actual, tone: 'blue', look: 'line' },
        { key: 'predicted', label: 'predicted', data: r.predicted, tone: 'orange', look: 'line' },
        ...(r.baseline.length ? [{ key: 'baseline', label: 'naive (tomorrow = today)', data: r.baseline, tone: 'muted' as const, look: 'guide' as const }] : []),
      ],
      { labels: r.times },
    );
    const versus = versusBaseline(r.mae, r.baselineMae);
    return [
      card(
        'Actual vs predicted',
        tiles(
          [
            { label: 'Model MAE', value: formatValue(r.mae), cls: 'series-mae' },
            { label: 'Naive baseline MAE', value: formatValue(r.baselineMae), note: 'tomorrow = today', cls: 'series-baseline' },
            ...(versus ? [{ label: 'Model vs baseline', value: versus.replace(/ than$/, ''), cls: 'series-versus' }] : []),
          ],
          'Mean absolute errors',
        ),
        chart.element,
      ),
    ];
  }
}

function field(control: string, placeholder: string, type: 'text' | 'number' = 'text') {
  const f = document.createElement('vscode-textfield');
  f.dataset.control = control;
  f.placeholder = placeholder;
  f.type = type;
  return f;
}
