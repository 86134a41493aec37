/**
 * The "Summary" tab: the same table Keras' `model.summary()` prints, as a `vscode-table`.
 * The host owns the text form (`summaryText`) and the clipboard, so Copy only asks for it.
 */
import type { ModelAnalysis } from '../src/core/types';
import { formatMemoryEstimate } from '../src/core/memory';
import { formatBytes, formatCount, formatShape } from '../src/core/shapes';
import { dtypePolicyNote, partialNote } from '../src/core/summary';
import { el } from './dom';

function cell(text: string, cls?: string): HTMLElement {
  const c = document.createElement('vscode-table-cell');
  if (cls) c.className = cls;
  c.textContent = text;
  return c;
}

function headerCell(text: string, cls?: string): HTMLElement {
  const c = document.createElement('vscode-table-header-cell');
  if (cls) c.className = cls;
  c.textContent = text;
  return c;
}

export function renderSummary(analysis: ModelAnalysis, onCopy: () => void): HTMLElement {
  const table = document.createElement('vscode-table');
  table.className = 'summary-table';
  table.zebra = true;
  table.borderedRows = true;
  table.columns = ['50%', '30%', '20%'];
  const header = document.createElement('vscode-table-header');
  header.slot = 'header';
  header.append(headerCell('Layer (type)'), headerCell('Output Shape'), headerCell('Param #', 'num'));
  const body = document.createElement('vscode-table-body');
  body.slot = 'body';
  for (const layer of analysis.layers) {
    const row = document.createElement('vscode-table-row');
    row.dataset.layerIndex = String(layer.index);
    row.append(
      cell(`${layer.name} (${layer.type})`, 'layer-col'),
      cell(formatShape(layer.outputShape), 'shape-col'),
      cell(layer.unknownReason ? '?' : formatCount(layer.trainableParams + layer.nonTrainableParams), 'num'),
    );
    body.appendChild(row);
  }
  table.append(header, body);

  const copy = document.createElement('vscode-button');
  copy.className = 'copy-summary';
  copy.secondary = true;
  copy.textContent = 'Copy as text';
  copy.addEventListener('click', onCopy);

  const withBytes = (n: number) => `${formatCount(n)} (${formatBytes(n * 4)})`;
  const line = (label: string, n: number) => el('div', { class: 'summary-total' }, el('span', { class: 'total-label', text: label }), el('span', { class: 'total-value', text: withBytes(n) }));
  return el(
    'div',
    { class: 'summary' },
    el('div', { class: 'summary-head' }, el('span', { class: 'summary-title' }, 'Model: ', el('strong', { text: `"${analysis.name}"` })), el('span', { class: 'spacer' }), copy),
    table,
    el(
      'div',
      { class: 'summary-totals' },
      line('Total params', analysis.totalParams),
      line('Trainable params', analysis.trainableParams),
      line('Non-trainable params', analysis.nonTrainableParams),
      el('div', { class: ['summary-total', 'summary-training-memory'] }, el('span', { class: 'total-label', text: 'Training memory' }), el('span', { class: 'total-value', text: formatMemoryEstimate(analysis.trainingMemory) })),
      dtypePolicyNote(analysis.dtypePolicy) && el('div', { class: ['summary-total', 'summary-dtype-policy'] }, el('span', { class: 'total-label', text: 'Dtype policy' }), el('span', { class: 'total-value', text: dtypePolicyNote(analysis.dtypePolicy)! })),
      partialNote(analysis) && el('div', { class: 'summary-partial', text: `Partial: ${partialNote(analysis)}` }),
    ),
  );
}
