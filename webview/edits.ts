/**
 * The panel's editing controls. Each one turns a user gesture into a `LayerEdit`; the host
 * applies it as a text edit of the JSON (the text stays the single source of truth), and the
 * next `model` message redraws the picture. Controls never change the picture themselves.
 */
import { CELL_TYPES, PALETTE, type CellType, type LayerEdit, type PaletteItem } from '../src/protocol/designer';
import { el, trashIcon } from './dom';

export type EditSink = (edit: LayerEdit) => void;

const MERGE_MODES = ['concat', 'sum', 'mul', 'ave'] as const;
/** Same bound as the protocol's validator: anything larger is a typo, not a layer size. */
const MAX_UNITS = 999_999;

/** Parses a units field: a whole number from 1 up, or null. */
export function parseUnits(text: string): number | null {
  if (!/^\s*\d+\s*$/.test(text)) return null;
  const n = Number(text);
  return n >= 1 && n <= MAX_UNITS ? n : null;
}

/** Parses a dropout rate: Keras accepts 0 <= rate < 1. */
export function parseRate(text: string): number | null {
  if (!/^\s*(\d+\.?\d*|\.\d+)\s*$/.test(text)) return null;
  const n = Number(text);
  return n >= 0 && n < 1 ? n : null;
}

/**
 * Final index of the layer at `from` when it is dropped into `slot` (0 = before the first
 * layer, `count` = after the last); null when it would not move. `move.to` is the index the
 * layer has once moved, as in `splice(from, 1)` then `splice(to, 0, layer)`.
 */
export function dropSlot(from: number, slot: number): number | null {
  const to = slot > from ? slot - 1 : slot; // the layer leaves its old slot first
  return to === from ? null : to;
}

/** Marks an element as a control, so clicks on it do not also select and reveal the block. */
function control<T extends HTMLElement>(node: T, key: string): T {
  node.dataset.control = key;
  return node;
}

function labelled(text: string, field: HTMLElement): HTMLElement {
  return el('label', { class: 'ctl' }, el('span', { class: 'ctl-label', text }), field);
}

function numberField(key: string, label: string, value: unknown, parse: (text: string) => number | null, hint: string, commit: (n: number) => void): HTMLElement {
  const field = control(document.createElement('vscode-textfield'), key);
  field.className = `num-field field-${key.split(':')[0]}`;
  field.value = value === undefined ? '' : String(value);
  // What the picture showed, so a redraw can tell text the user is still typing from a stale value.
  field.dataset.rendered = field.value;
  field.label = label;
  field.title = hint;
  field.addEventListener('change', () => {
    const n = parse(field.value);
    field.invalid = n === null;
    if (n === null) return; // keep the typed text so it can be corrected; nothing is sent
    if (n !== value) commit(n);
  });
  return labelled(label, field);
}

export function unitsField(index: number, units: unknown, sink: EditSink, label = 'units'): HTMLElement {
  return numberField(`units:${index}`, label, units, parseUnits, 'A whole number, 1 or more', (n) => sink({ kind: 'setOption', index, key: 'units', value: n }));
}

export function rateField(index: number, rate: unknown, sink: EditSink): HTMLElement {
  return numberField(`rate:${index}`, 'rate', rate, parseRate, 'A fraction from 0 up to (not including) 1', (n) => sink({ kind: 'setOption', index, key: 'rate', value: n }));
}

function checkbox(key: string, label: string, checked: boolean, onToggle: (checked: boolean) => void): HTMLElement {
  const box = control(document.createElement('vscode-checkbox'), key);
  box.label = label;
  box.checked = checked;
  box.addEventListener('change', () => onToggle(box.checked));
  return box;
}

/** On a Bidirectional block `index` is the wrapper's: the host applies it to the wrapped layer. */
export function returnSequencesBox(index: number, value: boolean, sink: EditSink): HTMLElement {
  return checkbox(`return_sequences:${index}`, 'return_sequences', value, (checked) => sink({ kind: 'setOption', index, key: 'return_sequences', value: checked }));
}

export function bidirectionalBox(index: number, wrapped: boolean, sink: EditSink): HTMLElement {
  return checkbox(`bidirectional:${index}`, 'Bidirectional', wrapped, (checked) => sink(checked ? { kind: 'wrapBidirectional', index } : { kind: 'unwrapBidirectional', index }));
}

function select<T extends string>(key: string, label: string, options: readonly T[], current: string, onPick: (value: T) => void, visibleLabel = true): HTMLElement {
  const sel = control(document.createElement('vscode-single-select'), key);
  sel.className = `select-${key.split(':')[0]}`;
  sel.setAttribute('aria-label', label);
  for (const value of options) {
    const option = document.createElement('vscode-option');
    option.value = value;
    option.textContent = value;
    if (value === current) option.selected = true;
    sel.appendChild(option);
  }
  let last = current;
  sel.addEventListener('change', () => {
    const value = sel.value as T;
    if (value === last || !options.includes(value)) return;
    last = value;
    onPick(value);
  });
  return visibleLabel ? labelled(label, sel) : sel;
}

export function cellTypeSelect(index: number, cell: CellType, sink: EditSink): HTMLElement {
  return select(`cell:${index}`, 'cell', CELL_TYPES, cell, (value) => sink({ kind: 'setCellType', index, cell: value }));
}

export function mergeModeSelect(index: number, mode: string, sink: EditSink): HTMLElement {
  // Drawn inside the merge bracket, which says what it is; the label is for screen readers.
  return select(`merge_mode:${index}`, 'merge_mode', MERGE_MODES, mode, (value) => sink({ kind: 'setOption', index, key: 'merge_mode', value }), false);
}

/** A toolbar (icon) button, like the actions on a VS Code list row. */
export function deleteButton(index: number, name: string, sink: EditSink): HTMLElement {
  const button = control(document.createElement('vscode-toolbar-button'), `delete:${index}`);
  button.className = 'delete';
  button.label = `Delete layer ${name}`;
  button.title = 'Delete layer (Delete)';
  button.appendChild(trashIcon());
  button.addEventListener('click', (event) => {
    event.stopPropagation();
    sink({ kind: 'delete', index });
  });
  return button;
}

/** Where the palette inserts: `index` is the position the new layer will have. */
export interface InsertTarget {
  index: number;
  /** The layer it goes after, or null for "at the end". */
  afterName: string | null;
}

export interface Palette {
  element: HTMLElement;
  /** Re-reads the target after the selection changed (only the button's text depends on it). */
  update(): void;
}

/** The palette: pick a layer type and insert it after the selected block (or at the end). */
export function palette(target: () => InsertTarget, choice: PaletteItem, onChoice: (item: PaletteItem) => void, sink: EditSink): Palette {
  let current = choice;
  const picker = select('palette', 'Add layer', PALETTE, choice, (item) => {
    current = item;
    onChoice(item);
  });
  const button = control(document.createElement('vscode-button'), 'palette-insert');
  button.className = 'palette-insert';
  const update = () => {
    const { afterName } = target();
    button.textContent = afterName === null ? 'Insert at end' : `Insert after ${afterName}`;
  };
  update();
  button.addEventListener('click', () => sink({ kind: 'insert', index: target().index, layer: current }));
  return { element: el('div', { class: 'palette', attrs: { role: 'group', 'aria-label': 'Layer palette' } }, picker, button), update };
}
