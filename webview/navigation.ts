/**
 * Mouse, keyboard and drag-and-drop on the layer blocks. Listeners are delegated from the
 * panel's root, which outlives the blocks (they are rebuilt on every `model` message).
 */
import { dropSlot } from './edits';

export interface NavigationHandlers {
  /** Click or Enter: select the layer and reveal its JSON in the editor. */
  activate(index: number): void;
  /** Focus moved to a block with the arrow keys: select it, without moving the editor. */
  focusMoved(index: number): void;
  move(from: number, to: number): void;
  remove(index: number): void;
}

const DRAG_TYPE = 'application/x-rnn-studio-layer';

function blockIndex(node: Element | null): number | null {
  const block = node?.closest<HTMLElement>('.layer-block');
  const i = block ? Number(block.dataset.layerIndex) : NaN;
  return Number.isInteger(i) ? i : null;
}

/** True when the event started on a control inside a block (a field, a checkbox, a button). */
function fromControl(event: Event): boolean {
  return event.composedPath().some((n) => n instanceof HTMLElement && n.dataset.control !== undefined);
}

export function blocks(root: ParentNode): HTMLElement[] {
  return [...root.querySelectorAll<HTMLElement>('.layer-block')];
}

export function attachNavigation(root: HTMLElement, h: NavigationHandlers): void {
  root.addEventListener('click', (event) => {
    if (fromControl(event)) return;
    const i = blockIndex(event.target as Element);
    if (i !== null) h.activate(i);
  });

  root.addEventListener('keydown', (event) => {
    const target = event.target as HTMLElement;
    // Keys typed into a field inside the block are the field's own.
    if (!target.classList?.contains('layer-block')) return;
    const i = blockIndex(target);
    if (i === null) return;
    const all = blocks(root);
    const focus = (j: number) => {
      const next = all[j];
      if (!next) return;
      next.focus();
      h.focusMoved(j);
    };
    const key = event.key;
    let handled = true;
    if (key === 'Enter' || key === ' ') h.activate(i);
    else if (event.altKey && key === 'ArrowUp') i > 0 && h.move(i, i - 1);
    else if (event.altKey && key === 'ArrowDown') i < all.length - 1 && h.move(i, i + 1);
    else if (key === 'ArrowUp') focus(i - 1);
    else if (key === 'ArrowDown') focus(i + 1);
    else if (key === 'Home') focus(0);
    else if (key === 'End') focus(all.length - 1);
    else if (key === 'Delete') h.remove(i);
    else handled = false;
    if (handled) event.preventDefault();
  });

  attachDragAndDrop(root, h);
}

/** HTML5 drag and drop: blocks are dragged by their header and dropped before/after another block or on an edge. */
function attachDragAndDrop(root: HTMLElement, h: NavigationHandlers): void {
  let from: number | null = null;
  let marked: HTMLElement | null = null;

  const clearMark = () => {
    marked?.classList.remove('drop-before', 'drop-after');
    marked = null;
  };

  /** The insertion slot (0..count) under the pointer, and the element to mark. */
  const slotAt = (event: DragEvent): { slot: number; mark: HTMLElement; cls: 'drop-before' | 'drop-after' } | null => {
    const node = event.target as Element;
    const block = node.closest<HTMLElement>('.layer-block');
    if (block) {
      const i = Number(block.dataset.layerIndex);
      const rect = block.getBoundingClientRect();
      const after = event.clientY > rect.top + rect.height / 2;
      return { slot: after ? i + 1 : i, mark: block, cls: after ? 'drop-after' : 'drop-before' };
    }
    const edge = node.closest<HTMLElement>('.edge[data-after]');
    if (edge) return { slot: Number(edge.dataset.after) + 1, mark: edge, cls: 'drop-before' };
    return null;
  };

  root.addEventListener('dragstart', (event) => {
    const head = (event.target as Element).closest?.('.block-head');
    const i = blockIndex(head);
    if (!head || i === null || !event.dataTransfer) return;
    from = i;
    event.dataTransfer.effectAllowed = 'move';
    event.dataTransfer.setData(DRAG_TYPE, String(i));
    event.dataTransfer.setData('text/plain', String(i));
    const block = head.closest<HTMLElement>('.layer-block');
    if (block) {
      event.dataTransfer.setDragImage(block, 16, 12);
      block.classList.add('is-dragging');
    }
  });

  root.addEventListener('dragover', (event) => {
    if (from === null) return;
    const target = slotAt(event);
    if (!target) return clearMark();
    event.preventDefault(); // allows the drop
    if (event.dataTransfer) event.dataTransfer.dropEffect = 'move';
    if (marked !== target.mark || !marked.classList.contains(target.cls)) {
      clearMark();
      target.mark.classList.add(target.cls);
      marked = target.mark;
    }
  });

  root.addEventListener('dragleave', (event) => {
    if (marked && !marked.contains(event.relatedTarget as Node | null)) clearMark();
  });

  root.addEventListener('drop', (event) => {
    const target = slotAt(event);
    const source = from;
    clearMark();
    if (source === null || !target) return;
    event.preventDefault();
    const to = dropSlot(source, target.slot);
    if (to !== null) h.move(source, to);
  });

  root.addEventListener('dragend', () => {
    from = null;
    clearMark();
    root.querySelectorAll('.is-dragging').forEach((b) => b.classList.remove('is-dragging'));
  });
}
