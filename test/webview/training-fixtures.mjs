// Hand-built host messages for the training views, shaped like what the host sends for the spam
// example: deterministic curves that look like a real run (loss falling, accuracy rising, noise).

const STEPS = 10;
const round = (x) => Math.round(x * 1e4) / 1e4;

/** Train logs at fractional epoch x (running averages look smooth with a little jitter). */
function logsAt(x, i) {
  return { loss: round(0.66 * Math.exp(-1.15 * x) + 0.07 + 0.025 * Math.sin(i * 1.7)), accuracy: round(Math.min(0.995, 0.99 - 0.47 * Math.exp(-1.6 * x) + 0.012 * Math.sin(i * 2.3))) };
}

/** Per-epoch logs: validation bottoms out at epoch 2 (early stopping keeps it). */
export const HISTORY = [
  { loss: 0.3748, accuracy: 0.8297, val_loss: 0.1667, val_accuracy: 0.9401 },
  { loss: 0.1033, accuracy: 0.9644, val_loss: 0.0759, val_accuracy: 0.9773 },
  { loss: 0.0598, accuracy: 0.9816, val_loss: 0.0868, val_accuracy: 0.9711 },
];

/** A snapshot after `steps` batches (of 3 x 10). */
export function trainingState(steps, extra = {}) {
  const batches = Array.from({ length: steps }, (_, i) => {
    const x = (i + 1) / STEPS;
    return { x: round(x), logs: logsAt(x, i) };
  });
  const epoch = Math.min(3, Math.floor((steps - 1) / STEPS) + 1);
  return {
    status: 'running',
    label: 'spam-lstm',
    backend: 'tensorflow (native)',
    dataSummary: 'SpamAssassin: 6,046 messages (4,352 train, 484 validation, 1,210 test; 4,150 ham, 1,896 spam), 10,000 words, maxlen 200, labels ham/spam',
    epochs: 3,
    stepsPerEpoch: STEPS,
    epoch,
    step: steps - (epoch - 1) * STEPS,
    batches,
    history: HISTORY.slice(0, Math.floor(steps / STEPS)),
    stoppedEarly: false,
    samplesPerSecond: 1284.6,
    etaSeconds: (30 - steps) * 1.9,
    runId: '2026-11-21T06-10-00-000Z',
    ...extra,
  };
}

export const DONE = trainingState(30, {
  status: 'done',
  step: 10,
  etaSeconds: 0,
  bestEpoch: 2,
  stoppedEarly: true,
  testMetrics: { loss: 0.0849, accuracy: 0.9719 },
});

const settings = (cells, params, extra = {}) => ({ cells, params, optimizer: 'adam', learningRate: 0.001, batchSize: 32, loss: 'binary_crossentropy', ...extra });

export const RUNS = [
  {
    id: '2026-11-21T06-10-00-000Z',
    date: '2026-11-21T06:10:00.000Z',
    epochs: 3,
    bestEpoch: 2,
    stoppedEarly: true,
    cancelled: false,
    history: HISTORY,
    testMetrics: { loss: 0.0849, accuracy: 0.9719 },
    backend: 'tensorflow',
    samplesPerSecond: 1284.6,
    durationMs: 41_200,
    settings: settings(['LSTM'], 1_338_049),
  },
  {
    id: '2026-11-20T17-42-13-102Z',
    date: '2026-11-20T17:42:13.102Z',
    epochs: 5,
    bestEpoch: 4,
    stoppedEarly: false,
    cancelled: false,
    history: [
      { loss: 0.5112, accuracy: 0.7521, val_loss: 0.3391, val_accuracy: 0.8702 },
      { loss: 0.2604, accuracy: 0.9013, val_loss: 0.1902, val_accuracy: 0.9318 },
      { loss: 0.1577, accuracy: 0.9467, val_loss: 0.1403, val_accuracy: 0.9525 },
      { loss: 0.1029, accuracy: 0.9671, val_loss: 0.1187, val_accuracy: 0.9587 },
      { loss: 0.0712, accuracy: 0.9779, val_loss: 0.1244, val_accuracy: 0.9566 },
    ],
    testMetrics: { loss: 0.1305, accuracy: 0.9545 },
    backend: 'tensorflow',
    samplesPerSecond: 1530.2,
    durationMs: 58_900,
    settings: settings(['GRU'], 1_321_729, { learningRate: 0.0005 }),
  },
  {
    id: '2026-11-20T09-05-44-871Z',
    date: '2026-11-20T09:05:44.871Z',
    epochs: 2,
    stoppedEarly: false,
    cancelled: true,
    history: [
      { loss: 0.6012, accuracy: 0.6911, val_loss: 0.4811, val_accuracy: 0.7893 },
      { loss: 0.4433, accuracy: 0.8102, val_loss: 0.4102, val_accuracy: 0.8264 },
    ],
    backend: 'cpu (pure JS)',
    samplesPerSecond: 61.3,
    durationMs: 154_000,
    settings: settings(['SimpleRNN'], 1_300_417, { batchSize: 64 }),
  },
];

export const RUNS_MESSAGE = { type: 'runs', runs: RUNS, canTrain: true };

const SENTENCE = 'congratulations you have won a free cruise call now to claim';
export const TOKENS = [...SENTENCE.split(' '), '<OOV>'];
const PADDED = ['', '', '', '', ...TOKENS];

/** `hidden[t][u]`: smooth, bounded, different per unit; padding steps stay near 0. */
function states(units, seed, bound = 1) {
  return PADDED.map((token, t) =>
    Array.from({ length: units }, (_, u) => (token === '' ? 0.01 * Math.sin(u) : round(bound * Math.tanh(Math.sin(seed + u * 0.9 + t * 0.55) * 1.6 * Math.min(1, (t - 3) / 5) + (u % 3 === 0 && ['won', 'free', 'cruise', 'claim'].includes(token) ? 0.8 : 0))))),
  );
}

export const MEMORY_TEXT = {
  type: 'memory',
  runId: RUNS[0].id,
  result: {
    kind: 'text',
    input: SENTENCE + ' zyzzyva',
    tokens: PADDED,
    layers: [
      { name: 'bidirectional', type: 'Bidirectional(GRU)', hidden: states(16, 0.3) },
      { name: 'lstm_1', type: 'LSTM', hidden: states(12, 1.7), cell: states(12, 2.1, 2.4) },
    ],
    perStep: PADDED.map((token, t) => (token === '' ? 0.31 : round(1 / (1 + Math.exp(-(t - 9) * 0.8))))),
    // `labels` (a name per class) is what the panel asks the host to add to Prediction; without it the other class is "class 0".
    prediction: { input: SENTENCE + ' zyzzyva', probabilities: [0.0372, 0.9628], label: 'spam', labels: ['ham', 'spam'] },
  },
};

const DAYS = 60;
const day = (i) => new Date(Date.UTC(2015, 9, 1 + i)).toISOString().slice(0, 10);
const actual = Array.from({ length: DAYS }, (_, i) => round(14 - i * 0.09 + 3.2 * Math.sin(i * 0.45) + 1.4 * Math.sin(i * 1.9)));
export const MEMORY_SERIES = {
  type: 'memory',
  runId: 'series-run',
  result: {
    kind: 'series',
    times: Array.from({ length: DAYS }, (_, i) => day(i)),
    actual,
    predicted: actual.map((v, i) => round(0.55 * (actual[i - 1] ?? v) + 0.45 * (14 - i * 0.09 + 3.2 * Math.sin(i * 0.45)))),
    baseline: actual.map((v, i) => actual[i - 1] ?? v),
    mae: 1.482,
    baselineMae: 1.913,
  },
};

export const SERIES_RUNS = {
  type: 'runs',
  canTrain: true,
  runs: [
    {
      id: 'series-run',
      date: '2026-11-21T05:59:53.972Z',
      epochs: 20,
      bestEpoch: 20,
      stoppedEarly: false,
      cancelled: false,
      history: Array.from({ length: 20 }, (_, i) => ({ loss: round(0.5 * Math.exp(-i / 5) + 0.15), mae: round(0.6 * Math.exp(-i / 6) + 0.3), val_loss: round(0.45 * Math.exp(-i / 5) + 0.17), val_mae: round(0.55 * Math.exp(-i / 6) + 0.32) })),
      testMetrics: { loss: 0.1607, mae: 0.3258, mae_original_units: 2.3897 },
      baseline: { name: 'naive "tomorrow = today"', mae: 2.361 },
      backend: 'tensorflow',
      samplesPerSecond: 566,
      durationMs: 37_888,
      settings: settings(['LSTM'], 4_513, { loss: 'mse' }),
    },
  ],
};

const curve = (final, speed) => Array.from({ length: 3 }, (_, i) => ({ loss: round(0.6 * Math.exp(-speed * (i + 1)) + 0.05), accuracy: round(final - 0.3 * Math.exp(-speed * (i + 1.5))), val_loss: round(0.55 * Math.exp(-speed * (i + 1)) + 0.09), val_accuracy: round(final - 0.02 - 0.28 * Math.exp(-speed * (i + 1.2))) }));

export const COMPARISON = {
  type: 'comparison',
  running: true,
  rows: [
    { cell: 'SimpleRNN', bidirectional: false, status: 'done', params: 1_300_417, trainSeconds: 31.4, valAccuracy: 0.8873, testAccuracy: 0.8802, history: curve(0.9, 0.7), runId: '2026-11-21T07-00-00-000Z' },
    { cell: 'LSTM', bidirectional: false, status: 'done', params: 1_338_049, trainSeconds: 74.9, valAccuracy: 0.9752, testAccuracy: 0.9719, history: curve(0.985, 1.1), runId: '2026-11-21T07-01-00-000Z' },
    { cell: 'GRU', bidirectional: false, status: 'running', params: 1_328_641, history: curve(0.98, 1.0).slice(0, 2) },
  ],
};

export const COMPARISON_DONE = {
  type: 'comparison',
  running: false,
  rows: [
    COMPARISON.rows[0],
    COMPARISON.rows[1],
    { ...COMPARISON.rows[2], status: 'done', trainSeconds: 61.2, valAccuracy: 0.9731, testAccuracy: 0.9688, history: curve(0.98, 1.0) },
    { cell: 'LSTM', bidirectional: true, status: 'failed', params: 1_392_897, history: [], error: 'Out of memory: the batch of 32 x 200 x 256 did not fit.' },
  ],
};

/** Three cells done, the Bidirectional LSTM half-way (for the screenshots). */
export const COMPARISON_LIVE = {
  type: 'comparison',
  running: true,
  rows: [...COMPARISON_DONE.rows.slice(0, 3), { cell: 'LSTM', bidirectional: true, status: 'running', params: 1_392_897, history: curve(0.992, 1.35).slice(0, 2) }],
};
