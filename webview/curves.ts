/**
 * Training curves as points, computed from the protocol's snapshots and run histories without
 * touching the DOM (tested in plain Node). The x axis is in epochs throughout: a batch point sits
 * at its fractional epoch, the logs of epoch e at x = e (the end of that epoch).
 */
import type { Logs } from '../src/protocol/trainer';
import type { BatchPoint, ComparisonRow, RunInfo } from '../src/protocol/training';
import { isAccuracy } from './format';

export interface Point {
  x: number;
  y: number;
}

/** The metrics in some logs besides the loss (`accuracy`, `mae`...), accuracies first. */
export function metricNames(...logs: (Logs | undefined)[]): string[] {
  const seen = new Set<string>();
  for (const l of logs) for (const key of Object.keys(l ?? {})) if (key !== 'loss' && !key.startsWith('val_')) seen.add(key);
  return [...seen].sort((a, b) => Number(isAccuracy(b)) - Number(isAccuracy(a)));
}

export function batchCurve(batches: BatchPoint[], key: string): Point[] {
  const out: Point[] = [];
  for (const b of batches) {
    const y = b.logs[key];
    if (y !== undefined) out.push({ x: b.x, y });
  }
  return out;
}

export function epochCurve(history: Logs[], key: string): Point[] {
  const out: Point[] = [];
  history.forEach((logs, i) => {
    const y = logs[key];
    if (y !== undefined) out.push({ x: i + 1, y });
  });
  return out;
}

/** A run trained a regression (a series forecast) rather than a classifier. */
export function isRegressionRun(run: Pick<RunInfo, 'baseline' | 'testMetrics' | 'history' | 'settings'>): boolean {
  if (run.baseline) return true;
  const keys = metricNames(run.testMetrics, ...run.history);
  if (keys.some(isAccuracy)) return false;
  if (keys.some((k) => k.startsWith('ma') || k.startsWith('ms'))) return true;
  return /^(mse|mae|huber|mean_|log_cosh)/.test(run.settings.loss);
}

/** The metric a comparison is judged on: validation accuracy for classifiers, else validation MAE, else loss. */
export function comparisonKey(rows: ComparisonRow[]): { key: string; higherIsBetter: boolean } {
  const names = metricNames(...rows.flatMap((r) => r.history));
  const accuracy = names.find(isAccuracy);
  if (accuracy) return { key: `val_${accuracy}`, higherIsBetter: true };
  if (names.includes('mae')) return { key: 'val_mae', higherIsBetter: false };
  return { key: 'val_loss', higherIsBetter: false };
}

/** A comparison row is a regression when it reports a test MAE and no accuracy. */
export function isRegressionComparison(rows: ComparisonRow[]): boolean {
  return rows.some((r) => r.testMae !== undefined) && !rows.some((r) => r.testAccuracy !== undefined || r.valAccuracy !== undefined);
}

/** The best value of `key` over a history (max or min). */
export function bestOf(history: Logs[], key: string, higherIsBetter: boolean): number | undefined {
  let best: number | undefined;
  for (const logs of history) {
    const v = logs[key];
    if (v === undefined) continue;
    if (best === undefined || (higherIsBetter ? v > best : v < best)) best = v;
  }
  return best;
}

/** Indices of the columns worth showing: the non-padding tokens (all of them if every token is padding). */
export function visibleSteps(tokens: string[]): number[] {
  const steps = tokens.flatMap((t, i) => (t === '' ? [] : [i]));
  return steps.length ? steps : tokens.map((_, i) => i);
}

/** The largest absolute finite value of a matrix (at least a tiny positive number). */
export function maxAbs(values: number[][]): number {
  let m = 0;
  for (const row of values) for (const v of row) if (Number.isFinite(v) && Math.abs(v) > m) m = Math.abs(v);
  return m || 1e-9;
}
