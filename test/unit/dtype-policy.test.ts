import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, describe, it, type TestContext } from 'node:test';
import { pathToFileURL } from 'node:url';
import { analyzeModel, formatSummary } from '../../src/core';
import { analyzePython } from '../../src/core/python/analyze';
import { toJson } from '../../src/cli/main';
import { exportKerasProject, importModel } from '../../src/interop';
import { kerasModelCode } from '../../src/interop/exportKeras';
import { fusedAddonStatus } from '../../src/trainer/layers/fused/addon';
import { RUN_FILES } from '../../src/runner/runs';
import { trainingPrecision } from '../../src/trainer/precision';
import { applyFix, only, repoRoot, textAt } from './helpers';

/**
 * Keras' global dtype policy as the model file's top-level `dtype_policy` ("float32" | "mixed_bfloat16"):
 * the schema and its diagnostic, the summary, Python source (`set_global_policy`), the Keras export run
 * in real Keras, and the trainer, which trains mixed_bfloat16 in float32 and says why.
 */

const NO_BF16_HARDWARE = 'mixed_bfloat16: this CPU has no AVX512-BF16 or AMX; training in float32';

const work = mkdtempSync(path.join(tmpdir(), 'rnn-dtype-policy-'));
after(() => rmSync(work, { recursive: true, force: true }));

function weather(extra: Record<string, unknown> = {}): string {
  return JSON.stringify(
    {
      name: 'tiny-weather',
      ...extra,
      input: { shape: [7, 4] },
      layers: [{ type: 'LSTM', units: 8 }, { type: 'Dense', units: 1 }],
      compile: { optimizer: 'adam', learning_rate: 0.003, loss: 'mae', metrics: ['mae'] },
      data: { kind: 'timeseries', source: 'builtin', dataset: 'seattle_weather', columns: ['temp_max', 'temp_min', 'precipitation', 'wind'], target: 'temp_max', window: 7 },
      training: { epochs: 1, batch_size: 32 },
    },
    null,
    2,
  );
}

/** The CPU's bf16 matrix features as Linux reports them (for the cpuid detection), or undefined elsewhere. */
function cpuinfoBf16(): string | undefined {
  if (!existsSync('/proc/cpuinfo')) return undefined;
  const flags = new Set(/^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1].trim().split(/\s+/) ?? []);
  const avx512bf16 = flags.has('avx512_bf16') && flags.has('avx512f');
  const amx = flags.has('amx_bf16') && flags.has('amx_tile');
  return avx512bf16 && amx ? 'avx512bf16+amx' : amx ? 'amx' : avx512bf16 ? 'avx512bf16' : '';
}

describe('dtype_policy in the model file', () => {
  it('absent: Keras default float32, and the summary says nothing more', () => {
    const a = analyzeModel(weather());
    assert.equal(a.dtypePolicy, 'float32');
    assert.deepEqual(a.diagnostics, []);
    assert.doesNotMatch(formatSummary(a), /Dtype policy/);
  });

  it('"mixed_bfloat16" is valid, shown in the summary and in summary --json', () => {
    const a = analyzeModel(weather({ dtype_policy: 'mixed_bfloat16' }));
    assert.deepEqual(a.diagnostics, []);
    assert.equal(a.dtypePolicy, 'mixed_bfloat16');
    assert.match(formatSummary(a), /^ Dtype policy: mixed_bfloat16 \(bfloat16 products with float32 accumulation, float32 weights\)$/m);
    assert.equal(toJson('m.rnn.json', a).dtype_policy, 'mixed_bfloat16');
    assert.equal(toJson('m.rnn.json', analyzeModel(weather({ dtype_policy: 'float32' }))).dtype_policy, 'float32');
  });

  it('a bad name: an error on the exact property, with the values allowed and a fix', () => {
    const text = weather({ dtype_policy: 'mixed_float16' });
    const a = analyzeModel(text);
    const d = only(a, 'invalid-value');
    assert.deepEqual(d.path, ['dtype_policy']);
    assert.equal(textAt(text, d), '"mixed_float16"');
    assert.equal(d.message, '"dtype_policy" must be one of "float32", "mixed_bfloat16"; got "mixed_float16". Did you mean "mixed_bfloat16"?');
    assert.equal(a.dtypePolicy, 'float32', 'a bad value trains as the default');
    const fixed = applyFix(text, d.fixes![0]);
    assert.equal(analyzeModel(fixed).dtypePolicy, 'mixed_bfloat16');
    assert.deepEqual(analyzeModel(fixed).diagnostics, []);
  });

  it('a value of the wrong type: an error on the property', () => {
    const text = weather({ dtype_policy: 16 });
    const d = only(analyzeModel(text), 'invalid-type');
    assert.deepEqual(d.path, ['dtype_policy']);
    assert.equal(textAt(text, d), '16');
  });
});

describe('dtype_policy from Python source', () => {
  const model = `model = keras.Sequential([keras.Input(shape=(20,), dtype="int32"), layers.Embedding(100, 8), layers.LSTM(4), layers.Dense(1)])`;

  it('keras.mixed_precision.set_global_policy before the model sets it; one after it does not', async () => {
    const text = `import keras\nfrom keras import layers\nkeras.mixed_precision.set_global_policy("mixed_bfloat16")\n${model}\nkeras.mixed_precision.set_global_policy("float32")\n`;
    const [m] = await analyzePython(text);
    assert.equal(m.dtypePolicy, 'mixed_bfloat16');
    assert.equal(m.model.dtype_policy, 'mixed_bfloat16');
    assert.deepEqual(m.diagnostics, []);
  });

  it('the other spellings: an imported mixed_precision, a Policy object, keras.config.set_dtype_policy, tf.keras', async () => {
    const spellings = [
      `from keras import mixed_precision\nmixed_precision.set_global_policy('mixed_bfloat16')`,
      `from keras.mixed_precision import set_global_policy, Policy\nset_global_policy(Policy('mixed_bfloat16'))`,
      `keras.config.set_dtype_policy(policy="mixed_bfloat16")`,
      `import tensorflow as tf\nPOLICY = "mixed_bfloat16"\ntf.keras.mixed_precision.set_global_policy(POLICY)`,
    ];
    for (const s of spellings) {
      const [m] = await analyzePython(`import keras\nfrom keras import layers\n${s}\n${model}\n`);
      assert.equal(m.dtypePolicy, 'mixed_bfloat16', s);
    }
  });

  it('a policy RNN Studio does not train: the error on the argument, the fix in Python', async () => {
    const text = `import keras\nfrom keras import layers\nkeras.mixed_precision.set_global_policy("mixed_float16")\n${model}\n`;
    const [m] = await analyzePython(text);
    const d = m.diagnostics.find((x) => x.code === 'invalid-value')!;
    assert.ok(d, JSON.stringify(m.diagnostics));
    assert.equal(textAt(text, d), '"mixed_float16"');
    assert.match(applyFix(text, d.fixes![0]), /set_global_policy\('mixed_bfloat16'\)/);
  });

  it('a policy computed at run time: a note, and float32 assumed', async () => {
    const text = `import keras, os\nfrom keras import layers\nkeras.mixed_precision.set_global_policy(os.environ["POLICY"])\n${model}\n`;
    const [m] = await analyzePython(text);
    assert.equal(m.dtypePolicy, 'float32');
    const note = m.diagnostics.find((x) => x.code === 'not-evaluated');
    assert.ok(note && /assumes Keras' default dtype policy float32/.test(note.message), JSON.stringify(m.diagnostics));
  });
});

describe('dtype_policy in the trainer: float32 with a notice', () => {
  it('says why, for each kind of kernels', () => {
    assert.deepEqual(trainingPrecision('float32', { loaded: true, isa: 'avx2', bf16: '' }), { compute: 'float32' });
    assert.deepEqual(trainingPrecision('mixed_bfloat16', { loaded: true, isa: 'avx2', bf16: '' }), { compute: 'float32', notice: NO_BF16_HARDWARE });
    assert.match(trainingPrecision('mixed_bfloat16', { loaded: true, isa: 'avx512', bf16: 'avx512bf16+amx' }).notice!, /this CPU has AVX512-BF16 and AMX, but RNN Studio's bf16 kernels are not built yet; training in float32/);
    assert.match(trainingPrecision('mixed_bfloat16', { loaded: true, isa: 'wasm-simd128' }).notice!, /portable \(WebAssembly\) kernels compute in float32 only/);
  });

  it("the native kernels' cpuid detection agrees with /proc/cpuinfo", (t: TestContext) => {
    const status = fusedAddonStatus();
    const expected = cpuinfoBf16();
    if (expected === undefined) return t.skip('no /proc/cpuinfo');
    if (!status.loaded || status.isa?.startsWith('wasm')) return t.skip(`native kernels not loaded (${status.error ?? status.isa})`);
    if (status.bf16 === undefined) return t.skip('the native kernels were built before bf16 detection: node src/trainer/layers/fused/native/build.mjs');
    assert.equal(status.bf16, expected);
  });

  it('rnn-studio train says it once, and trains', () => {
    writeFileSync(path.join(work, 'mixed.rnn.json'), weather({ dtype_policy: 'mixed_bfloat16' }));
    const r = spawnSync(process.execPath, [path.join(repoRoot, 'bin/rnn-studio.js'), 'train', 'mixed.rnn.json', '--max-samples', '200'], { cwd: work, encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, r.stderr);
    const notices = r.stderr.split('\n').filter((l) => l.includes('mixed_bfloat16'));
    assert.equal(notices.length, 1, r.stderr);
    // What the trainer's kernels found (the CPU's bf16 hardware, or the portable kernels).
    const expected = trainingPrecision('mixed_bfloat16').notice;
    assert.equal(notices[0], `notice: ${expected}`);
    if (cpuinfoBf16() === '' && !process.env.RNN_STUDIO_KERNELS) assert.equal(notices[0], `notice: ${NO_BF16_HARDWARE}`);
    assert.match(r.stdout, /Run saved to /);
    const run = JSON.parse(readFileSync(path.join(work, /Run saved to (.*)$/m.exec(r.stdout)![1].trim(), RUN_FILES.metrics), 'utf8'));
    assert.deepEqual([run.dtypePolicy, run.compute], ['mixed_bfloat16', 'float32']);
  });
});

// ---- the Keras export, run in Keras ------------------------------------------------------------

interface Venv {
  python?: string;
  reason?: string;
}
const dynamicImport = new Function('url', 'return import(url)') as (url: string) => Promise<{ ensureKerasVenv(o?: object): Promise<Venv> }>;

async function python(t: TestContext): Promise<string | undefined> {
  const v = await dynamicImport(pathToFileURL(path.join(repoRoot, 'scripts', 'keras-venv.mjs')).href)
    .then((m) => m.ensureKerasVenv())
    .catch((e: Error) => ({ reason: `scripts/keras-venv.mjs failed: ${e.message}` }) as Venv);
  if (!v.python) t.skip(`no Python with TensorFlow: ${v.reason}`);
  return v.python;
}

/** Imports the exported train.py, builds its model, trains one short epoch, and reports what Keras made. */
const PROBE = `
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("train", sys.argv[1])
train = importlib.util.module_from_spec(spec)
spec.loader.exec_module(train)
import keras
model = train.build_model()
report = {
    "global_policy": keras.mixed_precision.global_policy().name,
    "layers": [[l.name, l.dtype_policy.name, l.compute_dtype, sorted({w.dtype for w in l.weights})] for l in model.layers],
    "json": model.to_json(),
}
code = train.main(["--epochs", "1", "--max-samples", "128"])
report["exit"] = code
print("REPORT " + json.dumps(report))
`;

describe('dtype_policy in the Keras export, run in Keras', () => {
  it('train.py sets the global policy: bfloat16 compute, float32 weights; it trains, and imports back', async (t) => {
    const py = await python(t);
    if (!py) return;
    const file = path.join(work, 'mixed-export.rnn.json');
    writeFileSync(file, weather({ name: 'mixed-weather', dtype_policy: 'mixed_bfloat16' }));
    const outDir = path.join(work, 'mixed-keras');
    const exported = await exportKerasProject(file, { outDir });
    assert.deepEqual(exported.diagnostics, []);
    const script = path.join(outDir, 'train.py');
    assert.match(readFileSync(script, 'utf8'), /^keras\.mixed_precision\.set_global_policy\("mixed_bfloat16"\)$/m);
    assert.match(kerasModelCode(readFileSync(file, 'utf8')).code, /^import keras\n\n# .*\nkeras\.mixed_precision\.set_global_policy\("mixed_bfloat16"\)\n/);
    writeFileSync(path.join(work, 'probe.py'), PROBE);
    const r = spawnSync(py, [path.join(work, 'probe.py'), script], { cwd: outDir, encoding: 'utf8', timeout: 300_000, env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3', CUDA_VISIBLE_DEVICES: '' } });
    assert.equal(r.status, 0, r.stderr.slice(-3000));
    const report = JSON.parse(/^REPORT (.*)$/m.exec(r.stdout)![1]);
    assert.equal(report.global_policy, 'mixed_bfloat16');
    assert.deepEqual(report.layers, [
      ['lstm', 'mixed_bfloat16', 'bfloat16', ['float32']],
      ['dense', 'mixed_bfloat16', 'bfloat16', ['float32']],
    ]);
    assert.ok(!report.exit, `train.py main() returned ${report.exit}`);
    assert.match(r.stdout, /^test: .*\bloss \d/m, 'trained and tested');
    // Keras' own description of the model imports back with the policy.
    const back = importModel(report.json);
    assert.deepEqual(back.diagnostics, []);
    assert.equal(analyzeModel(back.modelText).dtypePolicy, 'mixed_bfloat16');
    // And a float32 model's export sets no policy.
    assert.doesNotMatch(kerasModelCode(weather()).code, /set_global_policy/);
  });
});
