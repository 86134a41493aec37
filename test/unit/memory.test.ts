import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { analyzeModel, memoryProblem, WASM32_MEMORY_BYTES } from '../../src/core';
import { cgroupMemoryLimit } from '../../src/runner/memory';
import { modelText } from './helpers';

/** The memory estimate before training (src/core/memory.ts) and the limits it is checked against. */

describe('training memory estimate', () => {
  it('counts weights, gradients, Adam slots and the activations one batch keeps (LSTM: 7 saved sections per step)', () => {
    const a = analyzeModel(modelText([{ type: 'LSTM', units: 5 }, { type: 'Dense', units: 1 }], { training: { batch_size: 2 } }, { shape: [10, 3] }));
    const m = a.trainingMemory;
    const params = 4 * (5 * (3 + 5) + 5) + (5 + 1); // Keras' LSTM and Dense counts
    assert.equal(a.totalParams, params);
    assert.deepEqual([m.batchSize, m.optimizer, m.weights, m.gradients, m.optimizerSlots], [2, 'adam', params * 4, params * 4, 2 * params * 4]);
    const outputs = 2 * (2 * 5 + 2 * 1) * 4; // each output and its gradient
    const saved = 7 * 2 * 10 * 5 * 4; // what the fused LSTM kernel saves per step for backward
    assert.equal(m.activations, outputs + saved);
    assert.equal(m.total, m.weights + m.gradients + m.optimizerSlots + m.activations);
  });

  it('follows the batch size, the optimizer and a Bidirectional wrapper (two cells)', () => {
    const layers = [{ type: 'Bidirectional', layer: { type: 'GRU', units: 4 } }, { type: 'Dense', units: 1 }];
    const base = analyzeModel(modelText(layers, {}, { shape: [6, 2] })).trainingMemory;
    const sgd = analyzeModel(modelText(layers, { compile: { optimizer: 'sgd', loss: 'mse' }, training: { batch_size: 64 } }, { shape: [6, 2] })).trainingMemory;
    assert.equal(base.batchSize, 32);
    assert.equal(sgd.optimizerSlots, 0);
    assert.equal(sgd.activations, base.activations * 2, 'activations scale with the batch');
    const single = analyzeModel(modelText([{ type: 'GRU', units: 4 }, { type: 'Dense', units: 1 }], {}, { shape: [6, 2] })).trainingMemory;
    const savedPerCell = 5 * 32 * 6 * 4 * 4; // GRU with reset_after: 5 sections
    assert.equal(base.activations - single.activations, savedPerCell + 2 * 32 * 4 * 4, 'a second saved cell, and an output twice as wide');
  });

  it('assumes data.maxlen for a variable time axis, and says so when nothing tells', () => {
    const layers = [{ type: 'Embedding', input_dim: 100, output_dim: 8 }, { type: 'LSTM', units: 4 }, { type: 'Dense', units: 1, activation: 'sigmoid' }];
    const known = analyzeModel(modelText(layers, { data: { kind: 'text', source: 'builtin', dataset: 'long_range_memory', vocab_size: 100, maxlen: 50 } }, { shape: [null], dtype: 'int32' })).trainingMemory;
    assert.equal(known.assumedTimesteps, undefined);
    const unknown = analyzeModel(modelText(layers, {}, { shape: [null], dtype: 'int32' })).trainingMemory;
    assert.equal(unknown.assumedTimesteps, 1);
    assert.ok(known.activations > unknown.activations * 40);
  });

  it('refuses with the figures and the override; the portable kernels are held to 4 GiB', () => {
    const huge = analyzeModel(modelText([{ type: 'LSTM', units: 100_000 }, { type: 'Dense', units: 1 }], {}, { shape: [20, 4] })).trainingMemory;
    const problem = memoryProblem(huge, { bytes: 64 * 1024 ** 3, source: 'the cgroup limit in /sys/fs/cgroup/memory.max' }, false);
    assert.match(problem ?? '', /^Training needs about [\d.]+ GB for one batch of 32 with adam \(weights 149\.0\d GB, .*\), more than the 64\.00 GB available \(the cgroup limit in \/sys\/fs\/cgroup\/memory\.max\)\. .*--no-memory-check/);
    const model = analyzeModel(modelText([{ type: 'Embedding', input_dim: 1000, output_dim: 8 }, { type: 'Bidirectional', layer: { type: 'GRU', units: 50_000 } }, { type: 'Dense', units: 1 }], {}, { shape: [20], dtype: 'int32' }));
    assert.equal(model.trainingMemory.largest?.index, 1, 'the Bidirectional GRU holds most of it');
    assert.match(memoryProblem(model.trainingMemory, { bytes: 1024 ** 3, source: 'x' }, false, model.layers) ?? '', /\. Most of it goes to layer 2 "bidirectional" \(Bidirectional, layer\.units 50,000\): [\d.]+ GB\. Use fewer units/);
    // A model that fits the machine but whose kernels would not fit a wasm32 memory.
    const wide = analyzeModel(modelText([{ type: 'LSTM', units: 1024 }, { type: 'Dense', units: 1 }], { training: { batch_size: 512 } }, { shape: [400, 8] })).trainingMemory;
    assert.ok(wide.kernelMemory > WASM32_MEMORY_BYTES);
    const machine = { bytes: 1024 ** 4, source: "the machine's physical memory" };
    assert.equal(memoryProblem(wide, machine, false), undefined, 'native kernels: fits');
    assert.match(memoryProblem(wide, machine, true) ?? '', /portable \(WebAssembly\) kernels would hold [\d.]+ GB .* more than the 4\.00 GB a WebAssembly memory can address/);
    const small = analyzeModel(modelText([{ type: 'LSTM', units: 8 }, { type: 'Dense', units: 1 }], {}, { shape: [7, 4] })).trainingMemory;
    assert.equal(memoryProblem(small, { bytes: 1024 ** 3, source: 'x' }, true), undefined);
  });
});

describe('memory available', () => {
  function fakeCgroup(files: Record<string, string>, proc: string): { root: string; proc: string } {
    const root = mkdtempSync(path.join(tmpdir(), 'rnn-cgroup-'));
    for (const [file, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
      writeFileSync(path.join(root, file), text);
    }
    writeFileSync(path.join(root, 'self-cgroup'), proc);
    return { root, proc: path.join(root, 'self-cgroup') };
  }

  it('reads the tightest cgroup v2 memory.max of the process and its ancestors; "max" is no limit', () => {
    const { root, proc } = fakeCgroup({ 'memory.max': 'max\n', 'user.slice/memory.max': '2147483648\n', 'user.slice/job/memory.max': 'max\n' }, '0::/user.slice/job\n');
    assert.deepEqual(cgroupMemoryLimit(root, proc), { bytes: 2147483648, source: `the cgroup limit in ${path.join(root, 'user.slice/memory.max')}` });
  });

  it('reads cgroup v1 memory.limit_in_bytes, where the huge "unlimited" value is no limit', () => {
    const limited = fakeCgroup({ 'memory/docker/abc/memory.limit_in_bytes': '536870912\n' }, '4:memory:/docker/abc\n0::/\n');
    assert.equal(cgroupMemoryLimit(limited.root, limited.proc)?.bytes, 536870912);
    const unlimited = fakeCgroup({ 'memory/memory.limit_in_bytes': '9223372036854771712\n' }, '4:memory:/\n');
    assert.equal(cgroupMemoryLimit(unlimited.root, unlimited.proc), undefined);
  });
});
