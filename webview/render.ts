/**
 * Builds the "Layers" picture from a `ModelAnalysis`: the input block, one block per layer with
 * the tensor shape on the edge below it, problems inline, totals at the bottom. Pure DOM
 * construction: no messaging and no state; the controller re-renders on every `model` message.
 */
import type { LayerInfo, ModelAnalysis } from '../src/core/types';
import { formatMemoryEstimate } from '../src/core/memory';
import { formatBytes, formatCount, formatShape } from '../src/core/shapes';
import { dtypePolicyNote, formatTotalParams, partialNote } from '../src/core/summary';
import { el, severityIcon } from './dom';
import {
  edges,
  groupDiagnostics,
  isCellType,
  keySettings,
  mergeView,
  params,
  worst,
  type EdgeView,
  type IndexedDiagnostic,
  type RelatedMark,
  type Setting,
} from './describe';
import { bidirectionalBox, cellTypeSelect, deleteButton, mergeModeSelect, rateField, returnSequencesBox, unitsField, type EditSink } from './edits';

export interface RenderContext {
  analysis: ModelAnalysis;
  selected: number | null;
  highlighted: number | null;
  edit: EditSink;
  applyFix(diagnosticIndex: number, fixIndex: number): void;
}

/** Problems that belong to no layer, listed above the picture. */
export function renderGlobalDiagnostics(ctx: RenderContext): HTMLElement | null {
  const { global } = groupDiagnostics(ctx.analysis);
  if (global.length === 0) return null;
  return el('ul', { class: 'diags global-diags', attrs: { 'aria-label': 'Model problems' } }, ...global.map((item) => diagnosticItem(item, ctx)));
}

export function renderPicture(ctx: RenderContext): HTMLElement {
  const { analysis } = ctx;
  const groups = groupDiagnostics(analysis);
  const edgeViews = edges(analysis);
  const list = el('div', { class: 'layer-list', attrs: { role: 'list', 'aria-label': `Layers of ${analysis.name}` } });
  analysis.layers.forEach((layer, i) => {
    list.appendChild(layerBlock(layer, analysis.layers.length, ctx, groups.own.get(i) ?? [], groups.related.get(i) ?? [], edgeViews[i + 1]));
    list.appendChild(edge(edgeViews[i + 1], i, i === analysis.layers.length - 1));
  });
  if (analysis.layers.length === 0) {
    list.appendChild(el('div', { class: 'empty', attrs: { role: 'listitem' }, text: 'No layers yet. Add one from the palette above.' }));
  }
  return el('div', { class: 'picture' }, inputBlock(analysis, edgeViews[0]), edge(edgeViews[0], -1, false), list);
}

function inputBlock(analysis: ModelAnalysis, out: EdgeView): HTMLElement {
  return el(
    'div',
    { class: 'block input-block', attrs: { 'aria-label': `Input ${formatShape(analysis.inputShape)}` } },
    el('div', { class: 'block-head' }, el('span', { class: 'layer-type', text: 'Input' }), el('span', { class: 'layer-name', text: inputKind(analysis, out) })),
  );
}

function inputKind(analysis: ModelAnalysis, out: EdgeView): string {
  if (out.kind === 'unknown') return 'shape unknown';
  if (analysis.layers[0]?.type === 'Embedding' && analysis.inputShape?.length === 2) return 'token ids';
  return out.kind;
}

/** The connector below a block: its style says whether the time axis is still there. */
/** `after` is the layer above the edge (-1: the input), so a drop on the edge lands below it. */
function edge(view: EdgeView, after: number, last: boolean): HTMLElement {
  return el(
    'div',
    { class: ['edge', `edge-${view.kind}`, view.transition && `edge-${view.transition}`, last && 'edge-output'], attrs: { 'aria-hidden': 'true', 'data-shape': view.shape, 'data-after': after } },
    el('span', { class: 'wire' }),
    el('code', { class: 'shape', text: view.shape }),
    el('span', { class: 'reading', text: view.reading }),
    view.transition === 'dropped' && el('span', { class: 'time-note', text: 'time axis dropped here' }),
    view.transition === 'added' && el('span', { class: 'time-note', text: 'time axis added here' }),
  );
}

function layerBlock(layer: LayerInfo, count: number, ctx: RenderContext, own: IndexedDiagnostic[], related: RelatedMark[], out: EdgeView): HTMLElement {
  const i = layer.index;
  const severity = worst(own);
  const relatedSeverity = worst(related);
  const p = params(layer);
  const problems = own.length ? `, ${own.length} problem${own.length === 1 ? '' : 's'}` : '';
  const block = el('div', {
    class: [
      'block',
      'layer-block',
      severity && `sev-${severity}`,
      !severity && relatedSeverity && `related-${relatedSeverity}`,
      out.kind === 'vector' && out.transition === 'dropped' && 'drops-time',
      ctx.selected === i && 'is-selected',
      ctx.highlighted === i && 'is-highlighted',
    ],
    attrs: {
      role: 'listitem',
      tabindex: 0,
      'data-layer-index': i,
      'aria-label': `Layer ${i + 1} of ${count}: ${layer.type} ${layer.name}, output ${formatShape(layer.outputShape)}, ${p.total} parameters${problems}`,
      'aria-current': ctx.selected === i ? 'true' : null,
    },
  });

  const head = el(
    'div',
    { class: 'block-head', attrs: { draggable: 'true', title: 'Drag to reorder (Alt+Up/Down)' } },
    el('span', { class: 'grip', attrs: { 'aria-hidden': 'true' } }),
    el('span', { class: 'layer-index', text: String(i) }),
    el('span', { class: 'layer-type', text: layer.type }),
    el('span', { class: 'layer-name', text: layer.name }),
    el('span', { class: 'spacer' }),
    el(
      'span',
      { class: 'params', title: p.formula ?? `${p.total} parameters` },
      el('span', { class: 'params-total', text: p.total }),
      el('span', { class: 'params-detail', text: p.detail }),
    ),
    deleteButton(i, layer.name, ctx.edit),
  );
  block.appendChild(head);

  const body = el('div', { class: 'block-body' });
  if (layer.type === 'Bidirectional') body.appendChild(bidirectionalHalves(layer, ctx.edit));
  if (layer.type === 'TimeDistributed' && layer.inner) {
    body.appendChild(el('div', { class: 'wraps' }, 'applies ', el('strong', { text: layer.inner.type }), ` ${layer.inner.name} to every time step`));
  }
  const settings = layer.type === 'Bidirectional' || layer.type === 'TimeDistributed' ? keySettings(layer.inner?.type ?? '', layer.inner?.config ?? {}) : keySettings(layer.type, layer.config);
  // Editable settings first, then the read-only ones, in one wrapping row.
  const row = controls(layer, ctx.edit);
  for (const chip of settingChips(settings)) row.appendChild(chip);
  if (row.childElementCount) body.appendChild(row);
  if (body.childElementCount) block.appendChild(body);

  if (own.length || related.length) {
    block.appendChild(
      el('ul', { class: 'diags' }, ...own.map((item) => diagnosticItem(item, ctx)), ...related.map((mark) => relatedItem(mark))),
    );
  }
  return block;
}

/** Forward and backward copies of the wrapped cell side by side, and how they are merged. */
function bidirectionalHalves(layer: LayerInfo, edit: EditSink): HTMLElement {
  const inner = layer.inner;
  const cell = inner?.type ?? '?';
  const units = inner?.config.units;
  const what = typeof units === 'number' ? `${cell} · ${formatCount(units)} units` : cell;
  const shape = formatShape(inner?.outputShape ?? null);
  const half = (dir: 'forward' | 'backward') =>
    el(
      'div',
      { class: ['half', `half-${dir}`] },
      el('div', { class: 'half-title' }, el('span', { class: 'arrow', attrs: { 'aria-hidden': 'true' }, text: dir === 'forward' ? '→' : '←' }), dir, dir === 'backward' && el('span', { class: 'reversed', text: 'reversed' })),
      el('div', { class: 'half-cell', text: what }),
      el('code', { class: 'half-shape', text: shape }),
    );
  const merge = mergeView(layer);
  return el(
    'div',
    { class: 'bidi', attrs: { role: 'group', 'aria-label': `Forward and backward ${cell}, merged by ${merge.mode}` } },
    el('div', { class: 'halves' }, half('forward'), half('backward')),
    el('div', { class: 'merge' }, merge.mode === 'none' ? el('span', { class: 'merge-mode', text: 'none' }) : mergeModeSelect(layer.index, merge.mode, edit), el('span', { class: 'merge-text', text: merge.text })),
  );
}

function settingChips(settings: Setting[]): HTMLElement[] {
  return settings.map((s) => el('span', { class: 'chip' }, el('span', { class: 'chip-key', text: s.key }), el('span', { class: 'chip-value', text: s.value })));
}

/** The editable settings of a layer, as controls. */
function controls(layer: LayerInfo, edit: EditSink): HTMLElement {
  const i = layer.index;
  const row = el('div', { class: 'controls' });
  const recurrentControls = (type: unknown, config: Record<string, unknown>, wrapped: boolean) => {
    if (!isCellType(type)) return;
    row.appendChild(cellTypeSelect(i, type, edit));
    row.appendChild(unitsField(i, config.units, edit));
    row.appendChild(returnSequencesBox(i, config.return_sequences === true, edit));
    row.appendChild(bidirectionalBox(i, wrapped, edit));
  };
  if (isCellType(layer.type)) recurrentControls(layer.type, layer.config, false);
  else if (layer.type === 'Bidirectional') {
    if (layer.inner && isCellType(layer.inner.type)) recurrentControls(layer.inner.type, layer.inner.config, true);
    else row.appendChild(bidirectionalBox(i, true, edit));
  } else if (layer.type === 'Dense') row.appendChild(unitsField(i, layer.config.units, edit));
  else if (layer.type === 'Dropout' || layer.type === 'SpatialDropout1D') row.appendChild(rateField(i, layer.config.rate, edit));
  return row;
}

function diagnosticItem({ index, diagnostic }: IndexedDiagnostic, ctx: RenderContext): HTMLElement {
  const fixes = (diagnostic.fixes ?? []).map((fix, fixIndex) => {
    const button = document.createElement('vscode-button');
    button.dataset.control = `fix:${index}:${fixIndex}`;
    button.className = 'fix';
    button.secondary = !fix.isPreferred;
    button.textContent = `Fix: ${fix.title}`;
    button.addEventListener('click', (event) => {
      event.stopPropagation();
      ctx.applyFix(index, fixIndex);
    });
    return button;
  });
  return el(
    'li',
    { class: ['diag', `diag-${diagnostic.severity}`], attrs: { 'data-diagnostic-index': index } },
    severityIcon(diagnostic.severity),
    el('div', { class: 'diag-body' }, el('span', { class: 'diag-message', text: diagnostic.message }), el('span', { class: 'diag-code', text: diagnostic.code }), fixes.length > 0 && el('div', { class: 'fixes' }, ...fixes)),
  );
}

/** A lighter note on a layer that another layer's problem involves. */
function relatedItem(mark: RelatedMark): HTMLElement {
  return el(
    'li',
    { class: ['diag', 'diag-related', `diag-related-${mark.diagnostic.severity}`], attrs: { 'data-diagnostic-index': mark.index } },
    el('span', { class: 'related-arrow', attrs: { 'aria-hidden': 'true' }, text: '↳' }),
    el('div', { class: 'diag-body' }, el('span', { class: 'diag-message', text: mark.related.message }), el('span', { class: 'diag-code', text: `see ${mark.diagnostic.code}` })),
  );
}

/** What training one batch needs (the same estimate the trainer checks before it starts); the breakdown in the tooltip. */
function trainingMemoryItem(analysis: ModelAnalysis): HTMLElement {
  const m = analysis.trainingMemory;
  return el(
    'div',
    { class: ['total', 'training-memory'], attrs: { title: `Training ${formatMemoryEstimate(m)}. Checked against this machine's memory before training.` } },
    el('span', { class: 'total-label', text: `Training (batch ${m.batchSize})` }),
    el('span', { class: 'total-value', text: formatBytes(m.total) }),
  );
}

export function renderTotals(analysis: ModelAnalysis): HTMLElement {
  const item = (label: string, value: string, cls: string) => el('div', { class: ['total', cls] }, el('span', { class: 'total-label', text: label }), el('span', { class: 'total-value', text: value }));
  const note = partialNote(analysis);
  return el(
    'div',
    { class: 'totals', attrs: { role: 'group', 'aria-label': 'Parameter totals' } },
    item('Total params', formatTotalParams(analysis), 'total-params'),
    item('Trainable', formatCount(analysis.trainableParams), 'trainable-params'),
    item('Non-trainable', formatCount(analysis.nonTrainableParams), 'non-trainable-params'),
    item('Weights', formatBytes(analysis.weightBytes), 'weight-bytes'),
    trainingMemoryItem(analysis),
    analysis.dtypePolicy !== 'float32' && el('div', { class: ['total', 'dtype-policy'], attrs: { title: dtypePolicyNote(analysis.dtypePolicy) ?? '' } }, el('span', { class: 'total-label', text: 'Dtype policy' }), el('span', { class: 'total-value', text: analysis.dtypePolicy })),
    note && el('div', { class: 'totals-partial', text: `Partial: ${note}` }),
  );
}
