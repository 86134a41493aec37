import type { Shape } from './types';

/** Shape arithmetic and formatting shared by the engine, hovers, the summary and the designer. */

export function formatShape(shape: Shape | null): string {
  if (!shape) return '?';
  const parts = shape.map((d) => (d === null ? 'None' : String(d)));
  return parts.length === 1 ? `(${parts[0]},)` : `(${parts.join(', ')})`;
}

export function formatCount(n: number): string {
  // Whole numbers by hand: toLocaleString costs microseconds, and a big model formats thousands.
  return Number.isSafeInteger(n) ? String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',') : n.toLocaleString('en-US');
}

/** Memory as Keras' summary prints it: `2.78 MB`, `0.00 B`. */
export function formatBytes(bytes: number): string {
  let value = bytes;
  for (const unit of ['B', 'KB', 'MB', 'GB', 'TB']) {
    if (value / 1024 < 1) return `${value.toFixed(2)} ${unit}`;
    value /= 1024;
  }
  return `${value.toFixed(2)} PB`;
}

/** Keras' default layer name for a class: `SimpleRNN` -> `simple_rnn`, `MaxPooling1D` -> `max_pooling1d`. */
export function snakeCase(className: string): string {
  return className
    .replace(/\W+/g, '')
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

/** Allocates Keras-style unique default names (`lstm`, `lstm_1`, ...) in creation order. */
export class LayerNamer {
  private readonly counts = new Map<string, number>();

  next(className: string): string {
    const base = snakeCase(className);
    const n = this.counts.get(base) ?? 0;
    this.counts.set(base, n + 1);
    return n === 0 ? base : `${base}_${n}`;
  }
}

export function product(dims: number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}
