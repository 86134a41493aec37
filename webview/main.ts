/**
 * Entry of the designer webview: builds the page once, then redraws the picture from each
 * `model` message the host sends. Everything the user changes goes back to the host as a
 * message; the panel never edits the model itself.
 */
import './designer.css';
import './training.css';
import './components';
import { isToDesignerMessage, type FromDesignerMessage, type LayerEdit, type ToDesignerMessage } from '../src/protocol/designer';
import { formatTotalParams, partialNote } from '../src/core/summary';
import { el, severityIcon } from './dom';
import { countBySeverity, plural } from './describe';
import { palette, type InsertTarget, type Palette } from './edits';
import { attachNavigation, blocks } from './navigation';
import { renderGlobalDiagnostics, renderPicture, renderTotals, type RenderContext } from './render';
import { connectHost, TABS, type Host, type TabId, type UiState } from './state';
import { renderSummary } from './summary';
import { CompareView } from './compare';
import { MemoryView } from './memory';
import { RunsView } from './runs';
import { readComparison, readMemory, readPredictions, readRuns, readTrainingState } from './sanitize';
import { TrainingView } from './training';

type ModelMessage = Extract<ToDesignerMessage, { type: 'model' }>;

/** How long a focus request made by a move or delete waits for the host's new model. */
const PENDING_FOCUS_MS = 3000;

class Designer {
  private state: UiState;
  private model: ModelMessage | null = null;
  private detached: string | null = null;
  private highlighted: number | null = null;
  private pendingFocus: { index: number; until: number } | null = null;

  private readonly header = el('div', { class: 'topbar' });
  private readonly banners = el('div', { class: 'banners', attrs: { role: 'status', 'aria-live': 'polite' } });
  private readonly layersRoot = el('div', { class: 'layers-root' });
  private readonly summaryRoot = el('div', { class: 'summary-root' });
  private readonly tabs = document.createElement('vscode-tabs');
  private readonly layersBadge = document.createElement('vscode-badge');
  private readonly trainingBadge = document.createElement('vscode-badge');
  private readonly runsBadge = document.createElement('vscode-badge');
  private palette: Palette | null = null;
  private readonly training: TrainingView;
  private readonly runs: RunsView;
  private readonly memory: MemoryView;
  private readonly compare: CompareView;

  constructor(private readonly host: Host) {
    this.state = host.load();
    this.training = new TrainingView({
      train: () => {
        this.showTab('training');
        this.post({ type: 'train' });
      },
      stop: () => this.post({ type: 'stop' }),
    });
    this.runs = new RunsView(
      {
        deleteRun: (runId) => this.post({ type: 'deleteRun', runId }),
        inspect: (runId) => {
          this.memory.pick(runId);
          this.showTab('memory');
        },
        selectionChanged: (ids) => {
          this.state.compareRuns = ids;
          this.save();
        },
      },
      this.state.compareRuns,
    );
    this.memory = new MemoryView(
      {
        inspect: (runId, input) => this.post({ type: 'inspect', runId, ...input }),
        predict: (runId, text) => this.post({ type: 'predict', runId, text }),
        pickRun: (runId) => {
          this.state.run = runId;
          this.save();
        },
      },
      this.state.run,
    );
    this.compare = new CompareView(
      {
        compare: (bidirectional) => this.post({ type: 'compareCells', bidirectional }),
        bidirectionalChanged: (on) => {
          this.state.bidirectional = on;
          this.save();
        },
      },
      this.state.bidirectional,
    );
  }

  mount(container: HTMLElement): void {
    const layersTab = el('vscode-tab-header', { class: 'tab-layers' }, 'Layers');
    this.layersBadge.variant = 'counter';
    this.layersBadge.hidden = true;
    layersTab.appendChild(this.layersBadge);
    this.trainingBadge.hidden = true;
    this.runsBadge.variant = 'counter';
    this.runsBadge.hidden = true;
    // In the order of TABS.
    this.tabs.append(
      layersTab,
      el('vscode-tab-panel', { class: 'panel-layers' }, this.layersRoot),
      el('vscode-tab-header', { class: 'tab-summary' }, 'Summary'),
      el('vscode-tab-panel', { class: 'panel-summary' }, this.summaryRoot),
      el('vscode-tab-header', { class: 'tab-training' }, 'Training', this.trainingBadge),
      el('vscode-tab-panel', { class: 'panel-training' }, this.training.element),
      el('vscode-tab-header', { class: 'tab-runs' }, 'Runs', this.runsBadge),
      el('vscode-tab-panel', { class: 'panel-runs' }, this.runs.element),
      el('vscode-tab-header', { class: 'tab-memory' }, 'Memory'),
      el('vscode-tab-panel', { class: 'panel-memory' }, this.memory.element),
      el('vscode-tab-header', { class: 'tab-compare' }, 'Compare'),
      el('vscode-tab-panel', { class: 'panel-compare' }, this.compare.element),
    );
    this.tabs.selectedIndex = TABS.indexOf(this.state.tab);
    this.tabs.addEventListener('vsc-tabs-select', (event) => {
      this.state.tab = TABS[event.detail.selectedIndex] ?? 'layers';
      this.save();
    });
    container.append(this.header, this.banners, this.tabs);
    letTabHeadersWrap(this.tabs);
    this.layersRoot.appendChild(el('div', { class: 'placeholder', text: 'Waiting for the model…' }));

    attachNavigation(this.layersRoot, {
      activate: (i) => {
        this.select(i);
        this.post({ type: 'reveal', layerIndex: i });
      },
      focusMoved: (i) => this.select(i),
      move: (from, to) => {
        this.requestFocus(to);
        this.edit({ kind: 'move', from, to });
      },
      remove: (i) => {
        const count = this.model?.analysis.layers.length ?? 0;
        this.requestFocus(Math.min(i, count - 2));
        this.edit({ kind: 'delete', index: i });
      },
    });

    window.addEventListener('message', (event: MessageEvent) => this.receive(event.data));
    this.post({ type: 'ready' });
  }

  /** Messages are validated on arrival: the webview trusts nothing it did not check. */
  private receive(data: unknown): void {
    if (!isToDesignerMessage(data)) return;
    switch (data.type) {
      case 'model':
        this.model = data;
        this.detached = null;
        if (this.state.uri !== data.uri) {
          this.state.uri = data.uri;
          this.save();
        }
        this.render();
        return;
      case 'highlight':
        this.highlight(data.layerIndex);
        return;
      case 'detached':
        this.detached = data.reason;
        this.renderBanners();
        return;
      case 'training': {
        const state = readTrainingState(data.state);
        if (!state) return;
        const wasActive = this.training.active;
        this.training.update(state);
        this.compare.setTraining(this.training.active);
        // A run started from the editor (CodeLens, command): show it, unless the user is on a training view.
        if (this.training.active && !wasActive && (this.state.tab === 'layers' || this.state.tab === 'summary')) this.showTab('training');
        this.trainingBadge.hidden = !this.training.active;
        this.trainingBadge.textContent = state.epochs > 0 ? `${Math.max(1, state.epoch)}/${state.epochs}` : '…';
        return;
      }
      case 'runs': {
        const runs = readRuns(data.runs);
        const reason = typeof data.reason === 'string' ? data.reason : undefined;
        this.training.setPermission(data.canTrain, reason);
        this.compare.setPermission(data.canTrain, reason);
        this.runs.update(runs);
        this.memory.setRuns(runs);
        this.runsBadge.textContent = String(runs.length);
        this.runsBadge.hidden = runs.length === 0;
        return;
      }
      case 'memory':
        this.memory.showMemory(data.runId, readMemory(data.result), typeof data.error === 'string' ? data.error : undefined);
        return;
      case 'prediction':
        this.memory.showPrediction(readPredictions(data.predictions), typeof data.error === 'string' ? data.error : undefined);
        return;
      case 'comparison':
        this.compare.update(readComparison(data.rows), data.running);
        this.training.setComparing(data.running);
        return;
      default: {
        const unreachable: never = data;
        return unreachable;
      }
    }
  }

  private showTab(tab: TabId): void {
    this.tabs.selectedIndex = TABS.indexOf(tab);
    if (this.state.tab === tab) return;
    this.state.tab = tab;
    this.save();
  }

  private post(message: FromDesignerMessage): void {
    this.host.post(message);
  }

  private edit(edit: LayerEdit): void {
    if (!this.model || this.model.stale) return; // an edit against a broken text would be guesswork
    this.post({ type: 'edit', version: this.model.version, edit });
  }

  private save(): void {
    this.host.save(this.state);
  }

  private requestFocus(index: number): void {
    this.pendingFocus = index >= 0 ? { index, until: Date.now() + PENDING_FOCUS_MS } : null;
    if (index >= 0) this.state.selected = index;
  }

  private select(index: number | null): void {
    if (this.state.selected === index) return;
    this.state.selected = index;
    this.save();
    for (const block of blocks(this.layersRoot)) {
      const on = Number(block.dataset.layerIndex) === index;
      block.classList.toggle('is-selected', on);
      if (on) block.setAttribute('aria-current', 'true');
      else block.removeAttribute('aria-current');
    }
    this.palette?.update();
  }

  /** The editor's cursor moved: mark that block and bring it into view, without taking focus. */
  private highlight(index: number | null): void {
    this.highlighted = index;
    let target: HTMLElement | null = null;
    for (const block of blocks(this.layersRoot)) {
      const on = Number(block.dataset.layerIndex) === index;
      block.classList.toggle('is-highlighted', on);
      if (on) target = block;
    }
    if (index !== null && target) {
      this.select(index);
      if (this.state.tab === 'layers') target.scrollIntoView({ block: 'nearest' });
    }
  }

  private render(): void {
    const model = this.model;
    if (!model) return;
    const { analysis } = model;
    const count = analysis.layers.length;
    if (this.state.selected !== null && this.state.selected >= count) this.state.selected = count > 0 ? count - 1 : null;
    if (this.highlighted !== null && this.highlighted >= count) this.highlighted = null;

    const focus = captureFocus(this.layersRoot);
    this.renderHeader(model);
    this.renderBanners();

    const ctx: RenderContext = {
      analysis,
      selected: this.state.selected,
      highlighted: this.highlighted,
      edit: (e) => this.edit(e),
      applyFix: (diagnosticIndex, fixIndex) => {
        if (this.model && !this.model.stale) this.post({ type: 'applyFix', version: this.model.version, diagnosticIndex, fixIndex });
      },
    };
    this.palette = palette(() => this.insertTarget(), this.state.palette, (item) => {
      this.state.palette = item;
      this.save();
    }, (e) => this.edit(e));
    const toolbar = el('div', { class: 'toolbar' }, this.palette.element, legend());
    const content = el('div', { class: ['layers-content', model.stale && 'is-stale'] }, renderGlobalDiagnostics(ctx), renderPicture(ctx), renderTotals(analysis));
    // Greyed and inert while the text does not parse: the picture is the last good one, and edits against it would be guesses.
    content.inert = model.stale;
    toolbar.inert = model.stale;
    toolbar.classList.toggle('is-stale', model.stale);
    this.layersRoot.replaceChildren(toolbar, content);

    const summary = renderSummary(analysis, () => this.post({ type: 'copySummary' }));
    summary.classList.toggle('is-stale', model.stale);
    this.summaryRoot.replaceChildren(summary);

    const counts = countBySeverity(analysis);
    const problems = counts.error + counts.warning;
    this.layersBadge.textContent = String(problems);
    this.layersBadge.hidden = problems === 0;

    this.restoreFocus(focus);
  }

  /** Where the palette inserts: after the selected layer, else at the end. */
  private insertTarget(): InsertTarget {
    const layers = this.model?.analysis.layers ?? [];
    const sel = this.state.selected;
    const after = sel !== null && sel < layers.length ? layers[sel] : null;
    return after ? { index: after.index + 1, afterName: after.name } : { index: layers.length, afterName: null };
  }

  private renderHeader(model: ModelMessage): void {
    const { analysis } = model;
    const counts = countBySeverity(analysis);
    const pill = (severity: 'error' | 'warning' | 'info', n: number) =>
      n > 0 && el('span', { class: ['pill', `pill-${severity}`], title: plural(n, severity === 'info' ? 'hint' : severity) }, severityIcon(severity), String(n));
    this.header.replaceChildren(
      el('div', { class: 'title' }, el('span', { class: 'model-name', text: analysis.name }), el('span', { class: 'file-name', text: model.fileName })),
      el('span', { class: 'spacer' }),
      el('span', { class: 'pills' }, pill('error', counts.error), pill('warning', counts.warning), pill('info', counts.info)),
      el('span', { class: 'header-params', title: partialNote(analysis) ?? 'Total parameters' }, `${formatTotalParams(analysis)} params`),
    );
  }

  private renderBanners(): void {
    const items: HTMLElement[] = [];
    if (this.model?.stale) {
      items.push(
        el(
          'div',
          { class: 'banner banner-stale' },
          severityIcon('error'),
          el('div', { class: 'banner-body' }, el('strong', { text: 'The model file does not parse. ' }), 'Showing the last good version until it does.', this.model.parseError && el('code', { class: 'banner-detail', text: this.model.parseError })),
        ),
      );
    }
    if (this.detached !== null) {
      items.push(el('div', { class: 'banner banner-detached' }, severityIcon('info'), el('div', { class: 'banner-body', text: this.detached })));
    }
    this.banners.replaceChildren(...items);
  }

  private restoreFocus(focus: FocusMemo | null): void {
    const pending = this.pendingFocus;
    if (pending && Date.now() <= pending.until) {
      this.pendingFocus = null;
      const block = blocks(this.layersRoot)[pending.index];
      if (block) {
        block.focus();
        this.save();
        return;
      }
    }
    if (!focus) return;
    const target = this.layersRoot.querySelector<HTMLElement>(focus.selector);
    if (!target) return;
    // A number the user was typing survives a redraw caused by an unrelated change.
    if (focus.value !== undefined && 'value' in target) (target as HTMLInputElement).value = focus.value;
    // A new component has no inner input to take focus until its first render (a microtask away).
    const rendered = (target as HTMLElement & { updateComplete?: Promise<unknown> }).updateComplete;
    if (rendered) void rendered.then(() => target.focus());
    else target.focus();
  }
}

interface FocusMemo {
  selector: string;
  value?: string;
}

/** Remembers which block or control had focus, to put it back after the redraw. */
function captureFocus(root: HTMLElement): FocusMemo | null {
  const active = document.activeElement as HTMLElement | null;
  if (!active || !root.contains(active)) return null;
  const control = active.closest<HTMLElement>('[data-control]');
  if (control) {
    const memo: FocusMemo = { selector: `[data-control="${CSS.escape(control.dataset.control ?? '')}"]` };
    if (control.tagName === 'VSCODE-TEXTFIELD') {
      const field = control as HTMLElement & { value: string };
      if (field.value !== field.dataset.rendered) memo.value = field.value;
    }
    return memo;
  }
  const block = active.closest<HTMLElement>('.layer-block');
  return block ? { selector: `.layer-block[data-layer-index="${block.dataset.layerIndex}"]` } : null;
}

function legend(): HTMLElement {
  const item = (kind: string, text: string) => el('span', { class: ['legend-item', `legend-${kind}`] }, el('span', { class: 'legend-wire', attrs: { 'aria-hidden': 'true' } }), text);
  return el('div', { class: 'legend', attrs: { 'aria-label': 'Edge styles' } }, item('sequence', 'sequence (time axis)'), item('vector', 'vector'));
}

// The host's page has an empty `#app`; fall back to the body for any other page.
new Designer(connectHost()).mount(document.getElementById('app') ?? document.body);

/**
 * vscode-tabs lays its headers out in one flex row that cannot shrink below their width, so in a
 * narrow designer (a 350 px side panel) the last tabs fall past the edge, out of reach. Let the row
 * wrap instead.
 */
function letTabHeadersWrap(tabs: HTMLElement): void {
  void customElements.whenDefined('vscode-tabs').then(() => {
    const root = tabs.shadowRoot;
    if (!root) return;
    const sheet = new CSSStyleSheet();
    sheet.replaceSync('.tablist { min-width: 0; flex-wrap: wrap; }');
    root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
  });
}
