import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { DataConfig, PreparedData, PrepareOptions, SeriesPreprocessor, denormalize, prepareData, readSeriesRows, seriesInput } from '../../src/data';

const dir = mkdtempSync(path.join(os.tmpdir(), 'rnn-series-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function write(rel: string, text: string): string {
  const p = path.join(dir, rel);
  mkdirSync(path.dirname(p), { recursive: true });
  writeFileSync(p, text);
  return rel;
}

function prep(data: Partial<DataConfig>, o: Partial<PrepareOptions> = {}): Promise<PreparedData> {
  return prepareData({ kind: 'timeseries', source: 'csv', ...data } as DataConfig, { modelDir: dir, inputShape: [3, 1], labelEncoding: 'regression', validationSplit: 0, ...o });
}

const close = (a: number, b: number, eps = 1e-5) => assert.ok(Math.abs(a - b) <= eps * Math.max(1, Math.abs(b)), `${a} != ${b}`);

/** day,value,other: 20 rows, value = 10 + i*i, other = 100 - i. */
const days = Array.from({ length: 20 }, (_, i) => ({ day: `d${String(i).padStart(2, '0')}`, value: 10 + i * i, other: 100 - i }));
const csv = write('series.csv', 'day,value,other\n' + days.map((d) => `${d.day},${d.value},${d.other}`).join('\n') + '\n');

describe('time-series windows', () => {
  it('window, horizon, stride: sample i is rows [s, s+window) with s = i*stride; target horizon steps after its last row', async () => {
    const d = await prep({ path: csv, target: 'value', window: 3, horizon: 2, stride: 2, normalization: 'none', test_split: 0 });
    // floor((20 - 3 - 2) / 2) + 1 = 8 windows
    assert.deepEqual(d.train.x.shape, [8, 3, 1]);
    assert.ok(d.train.x.data instanceof Float32Array);
    assert.deepEqual(d.train.y.shape, [8, 1]);
    for (let i = 0; i < 8; i++) {
      const s = i * 2;
      assert.deepEqual(Array.from(d.train.x.data.subarray(i * 3, i * 3 + 3)), [days[s].value, days[s + 1].value, days[s + 2].value]);
      assert.equal(d.train.y.data[i], days[s + 2 + 2].value);
      assert.equal(d.train.times![i], days[s + 4].day, 'the time of the target row');
    }
    assert.equal((d.preprocessor as SeriesPreprocessor).timeColumn, 'day');
  });

  it('several feature columns: [N, window, F] in column order; the target need not be a feature', async () => {
    const d = await prep({ path: csv, columns: ['other', 'value'], target: 'value', window: 3, normalization: 'none', test_split: 0 }, { inputShape: [3, 2] });
    assert.deepEqual(d.train.x.shape, [17, 3, 2]);
    assert.deepEqual(Array.from(d.train.x.data.subarray(0, 6)), [100, 10, 99, 11, 98, 14]);
    const e = await prep({ path: csv, columns: ['other'], target: 'value', window: 3, normalization: 'none', test_split: 0 });
    assert.deepEqual(Array.from(e.train.x.data.subarray(0, 3)), [100, 99, 98]);
    assert.equal(e.train.y.data[0], days[3].value);
  });

  it('splits are chronological: test = the last test_split of the windows, validation = the last fraction of the rest', async () => {
    const d = await prep({ path: csv, target: 'value', window: 3, normalization: 'none', test_split: 0.25 }, { validationSplit: 0.2 });
    // 17 windows -> test 17 - floor(17 * 0.75) = 5; 12 -> validation 12 - floor(12 * 0.8) = 3
    assert.equal(d.train.x.shape[0], 9);
    assert.equal(d.validation!.x.shape[0], 3);
    assert.equal(d.test!.x.shape[0], 5);
    const times = [...d.train.times!, ...d.validation!.times!, ...d.test!.times!];
    assert.deepEqual(times, days.slice(3).map((x) => x.day), 'in time order, every window once');
  });

  it('test_split defaults to 0.2 for series', async () => {
    const d = await prep({ path: csv, target: 'value', window: 3 });
    assert.equal(d.test!.x.shape[0], 17 - Math.floor(17 * 0.8));
  });

  it('stride applies to the validation and test windows too', async () => {
    const d = await prep({ path: csv, target: 'value', window: 3, stride: 3, normalization: 'none', test_split: 0.4 });
    // floor((20-3-1)/3)+1 = 6 windows starting 0,3,..,15; test = 6 - floor(6*0.6) = 3
    assert.equal(d.test!.x.shape[0], 3);
    assert.equal(d.test!.x.data[0], days[9].value);
  });

  it('max_samples keeps the first windows', async () => {
    const d = await prep({ path: csv, target: 'value', window: 3, normalization: 'none', test_split: 0, max_samples: 4 });
    assert.equal(d.train.x.shape[0], 4);
  });
});

describe('normalisation, fitted on the training rows only', () => {
  function stats(values: number[]) {
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
    return { mean, std, min: Math.min(...values), max: Math.max(...values) };
  }

  it('zscore: mean and population std of the rows the training windows see (inputs and targets)', async () => {
    const d = await prep({ path: csv, target: 'value', window: 3, test_split: 0.25 }, { validationSplit: 0.2 });
    // 9 training windows: rows 0..8 as inputs, rows 3..11 as targets -> rows 0..11
    const s = stats(days.slice(0, 12).map((x) => x.value));
    const p = d.preprocessor as SeriesPreprocessor;
    close(p.targetScaling.offset, s.mean);
    close(p.targetScaling.scale, s.std);
    close(p.features[0].mean, s.mean);
    close(d.train.x.data[0], (days[0].value - s.mean) / s.std);
    close(d.test!.y.data[4], (days[19].value - s.mean) / s.std);
    // Changing only the test rows leaves the statistics alone.
    const changed = write('changed.csv', 'day,value,other\n' + days.map((x, i) => `${x.day},${i >= 15 ? 1e6 : x.value},${x.other}`).join('\n'));
    const e = await prep({ path: changed, target: 'value', window: 3, test_split: 0.25 }, { validationSplit: 0.2 });
    assert.deepEqual((e.preprocessor as SeriesPreprocessor).targetScaling, p.targetScaling);
  });

  it('minmax: training rows scaled into [0, 1]; later rows may fall outside', async () => {
    const d = await prep({ path: csv, target: 'value', window: 3, normalization: 'minmax', test_split: 0.25 });
    const p = d.preprocessor as SeriesPreprocessor;
    // 12 training windows -> rows 0..14
    close(p.targetScaling.offset, 10);
    close(p.targetScaling.scale, 14 * 14);
    for (const v of d.train.x.data) assert.ok(v >= 0 && v <= 1);
    assert.ok(d.test!.y.data[4] > 1);
  });

  it('a constant column gets scale 1 instead of a division by zero', async () => {
    const rel = write('const.csv', 'v,c\n' + Array.from({ length: 10 }, (_, i) => `${i},5`).join('\n'));
    const d = await prep({ path: rel, columns: ['c'], target: 'v', window: 3, test_split: 0 });
    const p = d.preprocessor as SeriesPreprocessor;
    assert.equal(p.features[0].scale, 1);
    assert.ok(Array.from(d.train.x.data).every((v) => v === 0));
  });

  it('denormalize: model outputs back to the target units (round trip of y)', async () => {
    for (const normalization of ['zscore', 'minmax', 'none'] as const) {
      const d = await prep({ path: csv, target: 'value', window: 3, normalization, test_split: 0.25 });
      const p = JSON.parse(JSON.stringify(d.preprocessor)) as SeriesPreprocessor;
      const back = denormalize(p, d.test!.y.data as Float32Array);
      back.forEach((v, i) => close(v, days[15 + i].value, 1e-5));
      assert.deepEqual(denormalize(p, [0]), [p.targetScaling.offset]);
    }
  });

  it('seriesInput: the last `window` rows -> the same sample training built', async () => {
    const d = await prep({ path: csv, columns: ['value', 'other'], target: 'value', window: 3, test_split: 0 }, { inputShape: [3, 2] });
    const p = JSON.parse(JSON.stringify(d.preprocessor)) as SeriesPreprocessor;
    const rows = days.slice(0, 5).map((x) => ({ value: x.value, other: x.other }));
    const m = seriesInput(p, rows);
    assert.deepEqual(m.shape, [1, 3, 2]);
    assert.deepEqual(Array.from(m.data), Array.from(d.train.x.data.subarray(2 * 6, 3 * 6)));
    const fromFile = readSeriesRows(path.join(dir, csv), p);
    assert.equal(fromFile.length, 20);
    assert.deepEqual(fromFile[1], Object.assign(Object.create(null), { value: 11, other: 99 }));
  });
});

describe('the naive baseline', () => {
  it('"tomorrow = today": mean |target at the window\'s last step - target horizon steps later| over the test windows, original units', async () => {
    const d = await prep({ path: csv, target: 'value', window: 3, horizon: 2, test_split: 0.25 });
    // 16 windows (starts 0..15), test = 16 - floor(16*0.75) = 4: starts 12..15
    let sum = 0;
    for (let s = 12; s < 16; s++) sum += Math.abs(days[s + 2 + 2].value - days[s + 2].value);
    assert.equal(d.test!.x.shape[0], 4);
    close(d.baseline!.mae, sum / 4);
    assert.match(d.baseline!.name, /naive/);
  });

  it('is computed on validation when there is no test split', async () => {
    const d = await prep({ path: csv, target: 'value', window: 3, test_split: 0 }, { validationSplit: 0.2 });
    assert.match(d.baseline!.name, /validation/);
  });

  it('test_path: a separate CSV for testing, normalised with the training statistics', async () => {
    const test = write('series-test.csv', 'day,value,other\n' + [1, 2, 3, 4, 6].map((v, i) => `t${i},${v},0`).join('\n'));
    const d = await prep({ path: csv, target: 'value', window: 3, test_path: test, normalization: 'none' });
    assert.equal(d.train.x.shape[0], 17);
    assert.deepEqual(d.test!.times, ['t3', 't4']);
    close(d.baseline!.mae, (1 + 2) / 2);
  });
});

describe('built-in: Seattle weather', () => {
  it('1,461 days; window 30 -> 1,431 windows: 1,029 train, 115 validation, 287 test; dates of the targets', async (t) => {
    const t0 = performance.now();
    const d = await prepareData(
      { kind: 'timeseries', source: 'builtin', dataset: 'seattle_weather', columns: ['temp_max'], target: 'temp_max', window: 30, horizon: 1, normalization: 'zscore', test_split: 0.2 },
      { modelDir: dir, inputShape: [30, 1], labelEncoding: 'regression', validationSplit: 0.1 },
    );
    t.diagnostic(`Seattle weather: read, window and normalise: ${(performance.now() - t0).toFixed(1)} ms`);
    assert.deepEqual(d.train.x.shape, [1029, 30, 1]);
    assert.deepEqual(d.validation!.x.shape, [115, 30, 1]);
    assert.deepEqual(d.test!.x.shape, [287, 30, 1]);
    assert.equal(d.train.times![0], '2012-01-31');
    assert.equal(d.test!.times![286], '2015-12-31');
    assert.match(d.summary, /^Seattle weather: 1,461 days, 1,431 windows/);
    const p = d.preprocessor as SeriesPreprocessor;
    assert.equal(p.timeColumn, 'date');
    // The first day is 12.8 degrees; normalised with the training statistics.
    close(d.train.x.data[0], (12.8 - p.targetScaling.mean) / p.targetScaling.std);
    assert.ok(d.baseline!.mae > 1.5 && d.baseline!.mae < 3.5, String(d.baseline!.mae));
  });

  it('several columns, and the target defaults', async () => {
    const d = await prepareData(
      { source: 'builtin', dataset: 'seattle_weather', columns: ['precipitation', 'temp_max', 'temp_min', 'wind'], window: 14 },
      { modelDir: dir, inputShape: [14, 4], labelEncoding: 'regression', validationSplit: 0 },
    );
    assert.equal(d.kind, 'timeseries');
    assert.equal((d.preprocessor as SeriesPreprocessor).target, 'temp_max');
    assert.deepEqual(d.train.x.shape.slice(1), [14, 4]);
  });
});
