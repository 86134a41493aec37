import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';

/**
 * Training throughput of RNN Studio's recurrent layers against Keras 3 on the same machine, run back
 * to back: for every configuration, `runs` alternating pairs of measurements (RNN Studio, then Keras,
 * then Keras, then RNN Studio, ...), each in its own process (`bench/trainCell.ts`,
 * `bench/keras/bench_keras.py`: same model, batch, timesteps and measurement), then medians, the
 * ratio of the medians and the peak memory (max RSS) of each side.
 *
 * Usage (after `npx tsc -p .`, from anywhere):
 *   node out/bench/keras/compare.js [--json] [--runs=2] [--quick] [--sweep] [--configs=LSTM:200,GRU:200,...]
 *                                   [--tfjs-node] [--stock] [--cpu] [--python=PATH]
 *
 * - default configurations: LSTM, GRU, SimpleRNN at T=200 (the target), Bidirectional(LSTM) at
 *   T=200, and the three cells at T=50 and T=500; `--quick`: only the three cells at T=200. Medians of `--runs` (default 2) alternating rounds: the whole `npm run bench` stays within 20 minutes.
 *   A configuration is CELL:T or Bi-CELL:T (Bidirectional). `--sweep`: the three cells at T = 50,
 *   100, 150, 200, 300 and 500, each measurement at least 40 batches (a slowdown that grows during a
 *   run, as denormal floats cause, shows in its figure).
 * - RNN Studio is measured as it ships, on TensorFlow.js' JavaScript backend with the native kernels
 *   (the linux-x64 package) and the portable ones (RNN_STUDIO_KERNELS=portable: the universal
 *   package); `--tfjs-node` adds the native TensorFlow backend (development checkouts only),
 *   `--stock` the step-by-step reference path (RNN_STUDIO_FUSED=0).
 * - `--cpu` also measures the pure-JS backend (RNN_STUDIO_BACKEND=cpu): the fused kernels' addon,
 *   their tensor-op form and the step-by-step reference, for LSTM, GRU and SimpleRNN at T=50 with
 *   float inputs (T, 64) and one timed batch (the tensor-op and step-by-step forms take seconds a batch there).
 * - Keras runs with `--python`, else $RNN_STUDIO_KERAS_PYTHON, else `.venv-keras/bin/python` in the
 *   repository (see the offline notes); without it only RNN Studio is measured.
 * - PyTorch (`bench/keras/bench_torch.py`, the same model with nn.LSTM/GRU/RNN) runs with the same
 *   Python when it imports torch (`npm run keras-venv` installs torch==2.13.0), once per
 *   configuration after the alternating rounds, fp32 and bf16 autocast, about 3 s of timed batches
 *   each (its fp32 RNN backward is slow); otherwise the table says why it is skipped. `--no-torch`
 *   leaves it out.
 * Prints a table, or with `--json` one JSON line per configuration:
 *   {"bench":"train-vs-keras","cell":"LSTM","timesteps":200,"batch":64,"runs":3,
 *    "samples_per_s":..,"ratio":.. (native kernels),"keras_samples_per_s":..,"keras_peak_rss_mb":..,
 *    "sides":{"native":{"samples_per_s","ratio","peak_rss_mb",...},"portable":{...}},
 *    "pytorch":{"fp32":{"samples_per_s","batches"} or {"error"},"bf16":{...},"ratio_fp32","ratio_bf16"}
 *    (ratios: native / PyTorch) or {"skipped": reason}, ...}
 */

const root = path.resolve(__dirname, '../../..');
const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const option = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const json = flag('json');
const quick = flag('quick');
const sweep = flag('sweep');
const runs = Number(option('runs') ?? 2);

interface Config {
  cell: string;
  timesteps: number;
  bidirectional: boolean;
}

function parseConfig(s: string): Config {
  const [name, t] = s.split(':');
  const bidirectional = name.startsWith('Bi-');
  return { cell: bidirectional ? name.slice(3) : name, timesteps: Number(t ?? 200), bidirectional };
}

const defaultConfigs = sweep
  ? ['LSTM', 'GRU', 'SimpleRNN'].flatMap((cell) => [50, 100, 150, 200, 300, 500].map((t) => `${cell}:${t}`))
  : quick
  ? ['LSTM:200', 'GRU:200', 'SimpleRNN:200']
  : ['LSTM:200', 'GRU:200', 'SimpleRNN:200', 'Bi-LSTM:200', 'LSTM:50', 'GRU:50', 'SimpleRNN:50', 'LSTM:500', 'GRU:500', 'SimpleRNN:500'];
const configs = (option('configs')?.split(',') ?? defaultConfigs).map(parseConfig);

const python = option('python') ?? process.env.RNN_STUDIO_KERAS_PYTHON ?? path.join(root, '.venv-keras', 'bin', 'python');
const kerasScript = path.join(root, 'bench', 'keras', 'bench_keras.py');
const haveKeras = existsSync(python) && existsSync(kerasScript);
const torchScript = path.join(root, 'bench', 'keras', 'bench_torch.py');

/** Why PyTorch is not measured, or undefined when `python` imports torch. */
function torchSkipReason(): string | undefined {
  if (flag('no-torch')) return '--no-torch';
  if (!existsSync(python)) return `no Python at ${python}`;
  const r = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8', timeout: 120_000 });
  if (r.status === 0) return undefined;
  const last = (r.stderr || String(r.error ?? `exit ${r.status}`)).trim().split('\n').pop();
  return `${python} cannot import torch (${last}); npm run keras-venv installs torch==2.13.0`;
}
const torchSkipped = torchSkipReason();

interface Measurement {
  samples_per_s: number;
  peak_rss_mb: number;
  fused?: boolean;
  backend?: string;
  params?: number;
}

/**
 * About 2 s of timed batches per measurement on this machine kind, the same count for every side.
 * Shorter measurements time the JavaScript engine's warm-up more than training: V8 optimises
 * TensorFlow.js' code over the first few dozen batches, which run up to 20 % slower (an epoch of
 * the spam example is 95 batches).
 */
function batchesFor(c: Config, pureJs: boolean): number {
  if (pureJs) return 1;
  const atT200 = c.cell === 'SimpleRNN' ? 100 : 25;
  return Math.max(sweep ? 40 : 8, Math.min(200, Math.round((atT200 * 200) / c.timesteps / (c.bidirectional ? 2 : 1))));
}

function runOnce(command: string, argv: string[], env: NodeJS.ProcessEnv): Measurement | { error: string } {
  const r = spawnSync(command, argv, { encoding: 'utf8', env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2', ...env }, cwd: root, maxBuffer: 1 << 24 });
  const line = (r.stdout ?? '')
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .pop();
  if (r.status !== 0 || !line) return { error: ((r.stderr ?? '') || String(r.error ?? '')).trim().split('\n').pop() ?? `exit ${r.status}` };
  return JSON.parse(line) as Measurement;
}

function ours(c: Config, env: NodeJS.ProcessEnv = {}, pureJs = false) {
  const argv = [path.join(__dirname, '..', 'trainCell.js'), c.cell, String(c.timesteps), String(batchesFor(c, pureJs)), ...(c.bidirectional ? ['bidirectional'] : []), ...(pureJs ? ['float'] : [])];
  return runOnce(process.execPath, argv, env);
}

function keras(c: Config) {
  return runOnce(python, [kerasScript, c.cell, String(c.timesteps), String(batchesFor(c, false)), ...(c.bidirectional ? ['bidirectional'] : [])], {});
}

interface TorchPrecision {
  samples_per_s?: number;
  batches?: number;
  error?: string;
}

interface TorchMeasurement {
  fp32?: TorchPrecision;
  bf16?: TorchPrecision;
  backend?: string;
  peak_rss_mb?: number;
}

/** PyTorch's fp32 and bf16-autocast figures, one process: a few seconds of timed batches each. */
function pytorch(c: Config): TorchMeasurement | { error: string } {
  const budget = quick ? '1.5' : '3';
  return runOnce(python, [torchScript, c.cell, String(c.timesteps), String(batchesFor(c, false)), ...(c.bidirectional ? ['bidirectional'] : []), `--budget=${budget}`], {}) as TorchMeasurement | { error: string };
}

function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const round1 = (x: number) => Math.round(x * 10) / 10;
const label = (c: Config) => `${c.bidirectional ? `Bidirectional(${c.cell})` : c.cell} T=${c.timesteps}`;

interface Series {
  samples: number[];
  rss: number[];
  errors: string[];
  fused: boolean[];
  backend?: string;
}

function collect(): Series {
  return { samples: [], rss: [], errors: [], fused: [] };
}

function add(s: Series, m: Measurement | { error: string }): void {
  if ('error' in m) s.errors.push(m.error);
  else {
    s.samples.push(m.samples_per_s);
    s.rss.push(m.peak_rss_mb);
    if (m.fused !== undefined) s.fused.push(m.fused);
    s.backend ??= m.backend;
  }
}

// What is measured for RNN Studio: the shipped configuration (TensorFlow.js' JavaScript backend with
// our kernels), native (the linux-x64 package) and portable (WebAssembly: the universal package);
// with --tfjs-node also the native TensorFlow backend of a development checkout.
const sides: { name: string; env: NodeJS.ProcessEnv }[] = [
  { name: 'native', env: { RNN_STUDIO_BACKEND: 'cpu', RNN_STUDIO_KERNELS: 'native' } },
  { name: 'portable', env: { RNN_STUDIO_BACKEND: 'cpu', RNN_STUDIO_KERNELS: 'portable' } },
  ...(flag('tfjs-node') ? [{ name: 'tfjs-node', env: { RNN_STUDIO_BACKEND: 'tensorflow', RNN_STUDIO_KERNELS: 'native' } }] : []),
  ...(flag('stock') ? [{ name: 'step-by-step', env: { RNN_STUDIO_BACKEND: 'cpu', RNN_STUDIO_FUSED: '0' } }] : []),
];

if (!json) {
  console.log(`Training throughput, batch 64, Embedding(10000, 64) -> cell(128) -> Dense(1); samples/s, medians of ${runs} alternating runs; ratio = ours / Keras`);
  if (!haveKeras) console.log(`(Keras not found at ${python}: RNN Studio only. Pass --python=PATH or set RNN_STUDIO_KERAS_PYTHON.)`);
  if (torchSkipped) console.log(`(PyTorch skipped: ${torchSkipped}.)`);
  else console.log('PyTorch: one run per configuration, fp32 and bf16 autocast; vs PT = native / PyTorch fp32, vs bf16 = native / PyTorch bf16 autocast');
  const torchHeader = torchSkipped ? '' : ` ${'PT fp32'.padStart(8)} ${'PT bf16'.padStart(8)} ${'vs PT'.padStart(6)} ${'vs bf16'.padStart(7)}`;
  console.log(`${'configuration'.padEnd(26)} ${sides.map((x) => `${x.name.padStart(12)} ${'ratio'.padStart(6)}`).join(' ')} ${'Keras'.padStart(8)}${torchHeader}  peak MB (${sides.map((x) => x.name).join(' / ')} / Keras)`);
}

const ratioOf = (x: number, keras: number) => (haveKeras ? Math.round((x / keras) * 100) / 100 : null);
const ratioTo = (x: number, theirs: number | undefined) => (theirs ? Math.round((x / theirs) * 100) / 100 : null);
const torchCell = (p: TorchPrecision | undefined) => (p?.samples_per_s === undefined ? (p?.error ? 'fails' : '-') : String(p.samples_per_s));
const times = (x: number | null) => (x === null || Number.isNaN(x) ? '-' : `${x.toFixed(2)}x`);

for (const c of configs) {
  const mine = sides.map(collect);
  const theirs = collect();
  for (let r = 0; r < runs; r++) {
    // Rotate the order so no side always runs first after another.
    const order = [...sides.map((side, k) => () => add(mine[k], ours(c, side.env))), () => haveKeras && add(theirs, keras(c))];
    for (let k = 0; k < order.length; k++) order[(k + r) % order.length]();
  }
  const torch = torchSkipped ? undefined : pytorch(c);
  const kerasMedian = median(theirs.samples);
  const bySide = Object.fromEntries(
    sides.map((side, k) => [
      side.name,
      { samples_per_s: round1(median(mine[k].samples)), ratio: ratioOf(median(mine[k].samples), kerasMedian), peak_rss_mb: Math.round(median(mine[k].rss)), fused: mine[k].fused.every((f) => f), samples: mine[k].samples },
    ]),
  );
  const torchFigures = torch && !('error' in torch) ? torch : undefined;
  const errors = [
    ...sides.flatMap((side, k) => mine[k].errors.map((e) => `${side.name}: ${e}`)),
    ...theirs.errors.map((e) => `keras: ${e}`),
    ...(torch && 'error' in torch ? [`pytorch: ${torch.error}`] : []),
    ...(['fp32', 'bf16'] as const).flatMap((p) => (torchFigures?.[p]?.error ? [`pytorch ${p}: ${torchFigures[p]?.error}`] : [])),
  ];
  const pytorchResult = torchFigures && {
    backend: torchFigures.backend,
    peak_rss_mb: torchFigures.peak_rss_mb,
    fp32: torchFigures.fp32,
    bf16: torchFigures.bf16,
    // ours (native kernels) / PyTorch
    ratio_fp32: ratioTo(bySide.native.samples_per_s, torchFigures.fp32?.samples_per_s),
    ratio_bf16: ratioTo(bySide.native.samples_per_s, torchFigures.bf16?.samples_per_s),
  };
  const result = {
    bench: 'train-vs-keras',
    cell: c.bidirectional ? `Bidirectional(${c.cell})` : c.cell,
    units: 128,
    timesteps: c.timesteps,
    batch: 64,
    runs,
    // The linux-x64 package's figure first (as before), then every side.
    samples_per_s: bySide.native.samples_per_s,
    ratio: bySide.native.ratio,
    keras_samples_per_s: haveKeras ? round1(kerasMedian) : null,
    keras_peak_rss_mb: haveKeras ? Math.round(median(theirs.rss)) : null,
    keras_samples: theirs.samples,
    sides: bySide,
    pytorch: torchSkipped ? { skipped: torchSkipped } : pytorchResult ?? null,
    ...(errors.length ? { errors } : {}),
  };
  if (json) {
    // The training-throughput line of the training-engine issue, then the comparison.
    const { cell, units, timesteps, batch, samples_per_s } = result;
    console.log(JSON.stringify({ bench: 'train', cell, units, timesteps, batch, samples_per_s, backend: 'cpu', kernels: 'native', peak_rss_mb: bySide.native.peak_rss_mb }));
    console.log(JSON.stringify(result));
  } else {
    const cols = sides.map((side) => {
      const x = bySide[side.name];
      return `${String(x.samples_per_s).padStart(12)} ${(x.ratio === null || Number.isNaN(x.ratio) ? '-' : `${x.ratio.toFixed(2)}x`).padStart(6)}`;
    });
    const mem = [...sides.map((side) => bySide[side.name].peak_rss_mb), result.keras_peak_rss_mb ?? '-'].join(' / ');
    const torchCols = torchSkipped ? '' : ` ${torchCell(pytorchResult?.fp32).padStart(8)} ${torchCell(pytorchResult?.bf16).padStart(8)} ${times(pytorchResult?.ratio_fp32 ?? null).padStart(6)} ${times(pytorchResult?.ratio_bf16 ?? null).padStart(7)}`;
    console.log(`${label(c).padEnd(26)} ${cols.join(' ')} ${String(result.keras_samples_per_s ?? '-').padStart(8)}${torchCols}  ${mem}`);
    for (const e of errors) console.log(`  error: ${e}`);
  }
}

// The pure-JS backend (slow: one timed batch per measurement), float inputs.
if (flag('cpu')) {
  if (!json) console.log('\nPure-JS backend (RNN_STUDIO_BACKEND=cpu), input float (T, 64) -> cell(128) -> Dense(1), samples/s: fused addon / fused tensor ops / step by step');
  for (const c of ['LSTM:50', 'GRU:50', 'SimpleRNN:50'].map(parseConfig)) {
    const addon = collect();
    const ops = collect();
    const stock = collect();
    for (let r = 0; r < Math.min(runs, 2); r++) {
      add(addon, ours(c, { RNN_STUDIO_BACKEND: 'cpu', RNN_STUDIO_FUSED: 'addon' }, true));
      add(ops, ours(c, { RNN_STUDIO_BACKEND: 'cpu', RNN_STUDIO_FUSED: 'ops' }, true));
      add(stock, ours(c, { RNN_STUDIO_BACKEND: 'cpu', RNN_STUDIO_FUSED: '0' }, true));
    }
    const result = {
      bench: 'train-pure-js',
      cell: c.cell,
      timesteps: c.timesteps,
      batch: 64,
      input: 'float(T, 64)',
      addon_samples_per_s: addon.samples.length ? round1(median(addon.samples)) : null,
      ops_samples_per_s: round1(median(ops.samples)),
      stock_samples_per_s: round1(median(stock.samples)),
      peak_rss_mb: { addon: addon.rss.length ? Math.round(median(addon.rss)) : null, ops: Math.round(median(ops.rss)), stock: Math.round(median(stock.rss)) },
      ...(addon.errors.length || ops.errors.length || stock.errors.length ? { errors: [...addon.errors, ...ops.errors, ...stock.errors] } : {}),
    };
    if (json) console.log(JSON.stringify(result));
    else console.log(`${label(c).padEnd(26)} ${String(result.addon_samples_per_s ?? '-').padStart(8)} / ${result.ops_samples_per_s} / ${result.stock_samples_per_s}  (peak MB ${result.peak_rss_mb.addon ?? '-'} / ${result.peak_rss_mb.ops} / ${result.peak_rss_mb.stock})`);
  }
}
