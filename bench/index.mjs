// `npm run bench [-- --json] [-- --quick]`: every benchmark, one after another, the arguments passed to each.
// 1. the core (parse + shapes + diagnostics) and the data pipeline (out/bench/run.js), and the core
//    on hostile 1 MB model files, to show linear growth (out/bench/hostile.js);
// 2. training throughput per cell, ours and Keras' back to back, with ratios and peak memory, and
//    PyTorch's fp32 and bf16 autocast once per configuration (out/bench/keras/compare.js; Keras and
//    PyTorch from .venv-keras when it has them), and the kernels' GFLOP/s beside this machine's fp32
//    matrix-product peak (out/bench/kernels.js);
// 3. editor responsiveness in the real VS Code extension host (bench/editor/run.mjs);
// 4. the README's training results: the examples trained to their targets (out/bench/examples.js);
// 5. the exported Keras project on one and two worker processes (out/bench/keras/workers.js).
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
let failed = false;
for (const script of [path.join(root, 'out', 'bench', 'run.js'), path.join(root, 'out', 'bench', 'hostile.js'), path.join(root, 'out', 'bench', 'keras', 'compare.js'), path.join(root, 'out', 'bench', 'kernels.js'), path.join(root, 'bench', 'editor', 'run.mjs'), path.join(root, 'out', 'bench', 'examples.js'), path.join(root, 'out', 'bench', 'keras', 'workers.js')]) {
  const r = spawnSync(process.execPath, [script, ...args], { cwd: root, stdio: 'inherit' });
  failed ||= r.status !== 0;
}
process.exitCode = failed ? 1 : 0;
