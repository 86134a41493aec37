/**
 * A prediction, drawn: the chosen label with a probability bar per class, or the forecast values.
 */
import { el } from './dom';
import { formatValue } from './format';
import type { PredictionView } from './sanitize';
import { probabilityBar } from './widgets';

/** Class names: the host's `labels` when it sends them, else the chosen label at its index and `class i` elsewhere. */
export function classNames(p: PredictionView): string[] {
  const probs = p.probabilities ?? [];
  const best = argmax(probs);
  return probs.map((_, i) => p.labels?.[i] ?? (i === best && p.label ? p.label : `class ${i}`));
}

export function argmax(values: number[]): number {
  let best = -1;
  values.forEach((v, i) => {
    if (Number.isFinite(v) && (best < 0 || v > values[best])) best = i;
  });
  return best;
}

export function renderPrediction(p: PredictionView): HTMLElement {
  if (p.forecast) {
    return el(
      'div',
      { class: 'prediction prediction-forecast' },
      el('div', { class: 'prediction-input', text: p.input }),
      el(
        'div',
        { class: 'forecast-values', attrs: { role: 'list', 'aria-label': 'Forecast' } },
        ...p.forecast.map((v, i) => el('span', { class: 'forecast-value', attrs: { role: 'listitem' } }, el('span', { class: 'forecast-step', text: `+${i + 1}` }), el('strong', { text: formatValue(v) }))),
      ),
    );
  }
  const probs = p.probabilities ?? [];
  const names = classNames(p);
  const best = argmax(probs);
  const label = p.label ?? names[best] ?? '?';
  return el(
    'div',
    { class: 'prediction' },
    el(
      'div',
      { class: 'prediction-head' },
      el('span', { class: 'prediction-label', text: label }),
      best >= 0 && el('span', { class: 'prediction-prob', text: `${(probs[best] * 100).toFixed(1)}%` }),
      el('span', { class: 'prediction-input', text: `“${p.input}”`, title: p.input }),
    ),
    probs.length > 0 && el('div', { class: 'prob-bars' }, ...probs.map((v, i) => probabilityBar(names[i], v, i === best))),
  );
}
