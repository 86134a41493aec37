/**
 * How the training views write numbers, metric names, durations and dates. No DOM, so it is
 * tested in plain Node.
 */
import type { Logs } from '../src/protocol/trainer';
import type { RunInfo } from '../src/protocol/training';

const ACCURACY = /(^|_)acc(uracy)?$/;

/** `accuracy`, `acc`, `binary_accuracy`, `val_accuracy`...: shown as percentages. */
export function isAccuracy(key: string): boolean {
  return ACCURACY.test(key);
}

const NAMES: Record<string, string> = {
  loss: 'loss',
  mae: 'MAE',
  mse: 'MSE',
  rmse: 'RMSE',
  mape: 'MAPE',
  mae_original_units: 'MAE (original units)',
  auc: 'AUC',
};

/** `val_binary_accuracy` -> `val accuracy`, `mae` -> `MAE`. */
export function metricLabel(key: string): string {
  if (key.startsWith('val_')) return `val ${metricLabel(key.slice(4))}`;
  if (key.startsWith('test_')) return metricLabel(key.slice(5));
  if (isAccuracy(key)) return 'accuracy';
  return NAMES[key] ?? key.replace(/_/g, ' ');
}

/** Metric names with a capital, for titles: `Accuracy`, `MAE`, `Loss`. */
export function metricTitle(key: string): string {
  const label = metricLabel(key);
  return label.charAt(0).toUpperCase() + label.slice(1);
}

/** A metric value: accuracies as percentages, the rest with three decimals (or fewer when large). */
export function formatMetric(key: string, value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '–';
  if (isAccuracy(key)) return `${(value * 100).toFixed(1)}%`;
  return formatValue(value);
}

export function formatValue(value: number): string {
  if (!Number.isFinite(value)) return '–';
  const abs = Math.abs(value);
  if (abs >= 10_000) return Math.round(value).toLocaleString('en-US');
  if (abs >= 100) return value.toFixed(1);
  return value.toFixed(3);
}

export function formatPercent(p: number): string {
  return Number.isFinite(p) ? `${(p * 100).toFixed(1)}%` : '–';
}

export function formatInteger(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–';
}

/** `12.3 s`, `42 s`, `3 min 05 s`, `1 h 02 min`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '–';
  if (seconds < 10) return `${seconds.toFixed(1)} s`;
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const s = Math.round(seconds);
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

export function formatRate(samplesPerSecond: number): string {
  if (!Number.isFinite(samplesPerSecond) || samplesPerSecond <= 0) return '–';
  const n = samplesPerSecond < 10 ? samplesPerSecond.toFixed(1) : formatInteger(samplesPerSecond);
  return `${n} samples/s`;
}

/** `2026-11-21T05:58:51.609Z` -> `Nov 21, 2026, 05:58` in the user's time zone; anything else as is. */
export function formatDate(iso: string): string {
  const date = new Date(iso);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(iso) || Number.isNaN(date.getTime())) return iso;
  return date.toLocaleString('en-US', { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
}

/** `adam`, 0.001 -> `adam · lr 0.001`. */
export function formatLearningRate(rate: number): string {
  if (!Number.isFinite(rate)) return '–';
  return rate >= 0.001 ? String(Number(rate.toPrecision(3))) : rate.toExponential(0);
}

/** The epochs line of a run: `5 epochs · best 4 · stopped early`. */
export function describeEpochs(run: Pick<RunInfo, 'epochs' | 'bestEpoch' | 'stoppedEarly' | 'cancelled'>): string {
  const parts = [`${run.epochs} epoch${run.epochs === 1 ? '' : 's'}`];
  if (run.bestEpoch !== undefined) parts.push(`best ${run.bestEpoch}`);
  if (run.stoppedEarly) parts.push('stopped early');
  if (run.cancelled) parts.push('cancelled');
  return parts.join(' · ');
}

/**
 * The test metrics worth a tile: loss and each metric, with MAE in original units in place of the
 * normalised one when both are there (that is the one to hold against the naive baseline).
 */
export function testMetricEntries(metrics: Logs | undefined): [string, number][] {
  if (!metrics) return [];
  const entries = Object.entries(metrics).map(([k, v]) => [k.replace(/^test_/, ''), v] as [string, number]);
  const hasOriginal = entries.some(([k]) => k === 'mae_original_units');
  return entries.filter(([k]) => !(hasOriginal && k === 'mae')).sort(([a], [b]) => rank(a) - rank(b));
}

function rank(key: string): number {
  if (isAccuracy(key)) return 0;
  if (key.startsWith('mae')) return 1;
  if (key === 'loss') return 9;
  return 5;
}

/** How the model's MAE compares with the naive baseline's: `18% better than`, `1% worse than`. */
export function versusBaseline(mae: number, baselineMae: number): string {
  if (!Number.isFinite(mae) || !Number.isFinite(baselineMae) || baselineMae <= 0) return '';
  const change = (baselineMae - mae) / baselineMae;
  const pct = Math.abs(change * 100);
  if (pct < 0.5) return 'as good as';
  return `${pct.toFixed(pct < 10 ? 1 : 0)}% ${change > 0 ? 'better' : 'worse'} than`;
}

/** Accuracy as an axis tick or tooltip: 0.87 -> `87%`, 0.875 -> `87.5%`. */
export function percentTick(v: number): string {
  if (!Number.isFinite(v)) return '–';
  const pct = v * 100;
  return `${Math.abs(pct - Math.round(pct)) < 1e-6 ? Math.round(pct) : pct.toFixed(1)}%`;
}
