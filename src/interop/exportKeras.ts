import { parse } from 'jsonc-parser';
import { analyzeModel } from '../core/analyze';
import { LAYER_TYPES } from '../core/schema';
import type { Diagnostic, LayerInfo, ModelAnalysis } from '../core/types';
import { DEFAULTS } from '../data/config';
import { labelEncodingForLoss } from '../data/labels';
import { PY_COMMON } from './python/common';
import { PY_MAIN, PY_PREDICT_SERIES, PY_PREDICT_TEXT, PY_WEIGHTS, PY_WORKERS } from './python/main';
import { PY_SERIES } from './python/series';
import { PY_LONG_RANGE, PY_SPAM, PY_TEXT, PY_TEXT_FILES } from './python/text';

/**
 * Model file -> a self-contained Keras 3 project folder: `train.py` (the Sequential model with the
 * same layers, options and names, so `model.summary()` shows RNN Studio's shapes and counts; the
 * compile settings; the data pipeline of `src/data/` written out in Python, with the same tokenizer,
 * padding, windows, normalisation and seeded splits; training with the same callbacks, in one process
 * or data-parallel on several worker processes), `requirements.txt`, `README.md`, the data files it
 * reads (copied into `data/`) and, from a run, its trained weights (in `run/`).
 *
 * Pure: no file system, no TensorFlow, no vscode. It says which files to copy; `files.ts` copies
 * them. What the script cannot express is returned as a diagnostic (and what Keras would refuse is
 * still written as in the file, so Keras says so too).
 */

export interface ExportKerasOptions {
  /** The model file's path (only its name is used: the folder holds no path of this machine). */
  modelPath: string;
  /** The text of the run's `model.json`, when the run's weights go with the export (into `run/`). */
  runModelJson?: string;
  /** The run's sample cap, the default of `--max-samples` with `--run` (same tokenizer, same splits). */
  runMaxSamples?: number;
}

/** A data file to copy into the project's `data/` folder. */
export interface DataCopy {
  /** A path of the model file (relative to its folder), or with `builtin` the name of a built-in data file. */
  source: string;
  builtin?: boolean;
  /** Its path inside `data/`. */
  target: string;
  /** The model-file key it came from (for messages). */
  key: string;
}

export interface ExportKerasResult {
  /** train.py; empty when the text is not a model at all. */
  code: string;
  /** requirements.txt and README.md. */
  requirements: string;
  readme: string;
  /** The data files train.py reads. */
  dataCopies: DataCopy[];
  /** What the script cannot express, or what Keras will refuse, one sentence each. */
  diagnostics: string[];
}

/** Tested with TensorFlow 2.21 / Keras 3.15; both have wheels for Linux and macOS (arm64), Python 3.10+. */
export const REQUIREMENTS = `# Keras 3 on TensorFlow (CPU or GPU); tested with tensorflow 2.21.0 and keras 3.15.1.
tensorflow>=2.16,<3
keras>=3.3,<4
numpy>=1.26
`;

type Json = Record<string, unknown>;

export function exportKeras(modelText: string, options: ExportKerasOptions): ExportKerasResult {
  const analysis = analyzeModel(modelText);
  const diagnostics: string[] = [];
  if (!analysis.parsed || analysis.diagnostics.some((d) => d.code === 'json-syntax')) {
    return { code: '', requirements: '', readme: '', dataCopies: [], diagnostics: analysis.diagnostics.filter((d) => d.severity === 'error').map(describe) };
  }
  const model = (parse(modelText, [], { allowTrailingComma: true }) ?? {}) as Json;
  for (const d of analysis.diagnostics) {
    if (d.severity === 'error' || d.code === 'unknown-key') diagnostics.push(describe(d));
  }
  const dataCopies = planDataCopies(model);
  const ctx: Context = { diagnostics, analysis, model, options, dataCopies };
  const code = [header(ctx), settings(ctx), buildModelCode(ctx), compileCode(ctx), callbacksCode(ctx), dataCode(ctx), PY_WEIGHTS, predictCode(ctx), PY_WORKERS, mainCode(ctx)].join('\n');
  if (options.runModelJson !== undefined) checkRunWeights(ctx, options.runModelJson);
  return { code: code.replace(/[ \t]+\n/g, '\n').replace(/\n{4,}/g, '\n\n\n'), requirements: REQUIREMENTS, readme: projectReadme(ctx), dataCopies, diagnostics };
}

/**
 * The model alone as Keras code to paste into a script or a notebook (*Copy as Keras code*):
 * `model = keras.Sequential([...])` with the same layers, options and names as the full export,
 * and its `model.compile(...)` when the file has one. Assumes `import keras`.
 */
export function kerasModelCode(modelText: string): { code: string; diagnostics: string[] } {
  const analysis = analyzeModel(modelText);
  if (!analysis.parsed || analysis.diagnostics.some((d) => d.code === 'json-syntax')) {
    return { code: '', diagnostics: analysis.diagnostics.filter((d) => d.severity === 'error').map(describe) };
  }
  const model = (parse(modelText, [], { allowTrailingComma: true }) ?? {}) as Json;
  const diagnostics = analysis.diagnostics.filter((d) => d.severity === 'error' || d.code === 'unknown-key').map(describe);
  const ctx: Context = { diagnostics, analysis, model, options: {} as ExportKerasOptions, dataCopies: [] };
  const items = modelItems(ctx, '        ');
  if (!items) return { code: '', diagnostics };
  const lines = ['import keras', ...policyCode(analysis).split('\n').slice(0, -1), '', 'model = keras.Sequential(', '    [', ...items.map((i) => `        ${i},`), '    ],', `    name=${py(analysis.name)},`, ')'];
  const compile = model.compile as Json | undefined;
  if (compile && typeof compile === 'object') {
    const args = ['optimizer', 'loss', 'metrics'].filter((k) => compile[k] !== undefined).map((k) => `${k}=${py(compile[k])}`);
    if (args.length) lines.push(`model.compile(${args.join(', ')})`);
  }
  return { code: lines.join('\n') + '\n', diagnostics };
}

/** `keras.Input(...)` and each layer's expression; undefined when a layer cannot be written. */
function modelItems(ctx: Context, indent: string): string[] | undefined {
  const { analysis, model } = ctx;
  const rawLayers = Array.isArray(model.layers) ? (model.layers as unknown[]) : [];
  const input = (model.input ?? {}) as Json;
  const shape = Array.isArray(input.shape) ? input.shape : [];
  const dtype = typeof input.dtype === 'string' ? input.dtype : undefined;
  const items = [call('keras.Input', [`shape=${py(shape, true)}`, ...(dtype ? [`dtype=${py(dtype)}`] : [])], indent)];
  for (const [index, raw] of rawLayers.entries()) {
    const info = analysis.layers[index];
    if (!raw || typeof raw !== 'object' || Array.isArray(raw) || !info) return undefined;
    const expr = layerExpr(ctx, raw as Json, info.type, info.name, info.inner, `layers[${index}]`, indent);
    if (expr === undefined) return undefined;
    items.push(expr);
  }
  return items;
}

interface Context {
  diagnostics: string[];
  analysis: ModelAnalysis;
  model: Json;
  options: ExportKerasOptions;
  dataCopies: DataCopy[];
}

const BUILTIN_FILES: Record<string, string> = { spam_assassin: 'spam-assassin.json.gz', seattle_weather: 'seattle-weather.csv' };

/** The files the data section reads, and where they go in data/ (by their own names). */
function planDataCopies(model: Json): DataCopy[] {
  const data = model.data && typeof model.data === 'object' ? (model.data as Json) : undefined;
  if (!data) return [];
  if (data.source === 'builtin') {
    const file = BUILTIN_FILES[String(data.dataset)];
    return file ? [{ source: file, builtin: true, target: file, key: 'data.dataset' }] : [];
  }
  const copies: DataCopy[] = [];
  for (const key of ['path', 'test_path'] as const) {
    const p = data[key];
    if (typeof p !== 'string' || !p) continue;
    let target = baseName(p.replace(/[\\/]+$/, '')) || key;
    if (copies.some((c) => c.target === target)) target = `${key === 'test_path' ? 'test-' : ''}${target}`;
    copies.push({ source: p, target, key: `data.${key}` });
  }
  return copies;
}

function describe(d: Diagnostic): string {
  const where = d.path.length ? ` at ${d.path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('')}` : '';
  return `${d.severity} ${d.code}${where}: ${d.message}`;
}

// ---- Python literals ---------------------------------------------------------------------------

/** A JSON value as a Python literal (lists stay lists unless `tuple`). */
export function py(value: unknown, tuple = false): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : value > 0 ? 'float("inf")' : value < 0 ? 'float("-inf")' : 'float("nan")';
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) {
    const items = value.map((v) => py(v));
    return tuple ? `(${items.join(', ')}${items.length === 1 ? ',' : ''})` : `[${items.join(', ')}]`;
  }
  return `{${Object.entries(value as Json).map(([k, v]) => `${JSON.stringify(k)}: ${py(v)}`).join(', ')}}`;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const PYTHON_KEYWORDS = new Set(['False', 'None', 'True', 'and', 'as', 'assert', 'async', 'await', 'break', 'class', 'continue', 'def', 'del', 'elif', 'else', 'except', 'finally', 'for', 'from', 'global', 'if', 'import', 'in', 'is', 'lambda', 'nonlocal', 'not', 'or', 'pass', 'raise', 'return', 'try', 'while', 'with', 'yield']);

/** `f(a, b=1)` on one line when it fits in `width`, else one argument per line. */
function call(fn: string, args: string[], indent: string, width = 100): string {
  const flat = `${fn}(${args.join(', ')})`;
  if (indent.length + flat.length <= width && !flat.includes('\n')) return flat;
  const inner = indent + '    ';
  return `${fn}(\n${args.map((a) => inner + a).join(',\n')},\n${indent})`;
}

function docText(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/"""/g, '\\"\\"\\"');
}

// ---- sections ----------------------------------------------------------------------------------

function baseName(p: string): string {
  return p.split(/[\\/]/).pop() ?? p;
}

function header(ctx: Context): string {
  const { analysis, model, options } = ctx;
  const description = typeof model.description === 'string' ? `\n\n${wrap(docText(model.description), 96)}` : '';
  const hasRun = options.runModelJson !== undefined;
  const predictWhat = dataKindOf(model) === 'timeseries' ? 'recent.csv' : '"some text"';
  return `#!/usr/bin/env python3
"""${docText(analysis.name)}: a Keras 3 project exported by RNN Studio from ${docText(baseName(options.modelPath))}.${description}

It builds the same model RNN Studio shows (same layers, options and names, so model.summary()
prints the same shapes and parameter counts), compiles it the same way and trains it on the same
data (in data/): the pipeline below reproduces RNN Studio's (tokenizer, padding, windows,
normalisation, and the train / validation / test splits with the same seeded shuffle).

Usage (README.md says more):
  python train.py                                 train as the model file says; saves model.keras
  python train.py --epochs 1 --max-samples 512    a quick run
  python train.py --workers HOST:PORT,HOST:PORT --worker-index I
                                                  one of several data-parallel workers (0 saves)${hasRun ? `
  python train.py --run                           the RNN Studio run's weights (run/): test metrics
  python train.py --run --predict ${predictWhat}` : ''}
  python train.py --summary-only                  print model.summary() and exit
"""

import argparse
import csv
import io
import json
import math
import os
import re
import signal
import socket
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np  # noqa: E402
import keras  # noqa: E402
import tensorflow as tf  # noqa: E402
${policyCode(analysis)}`;
}

/** Keras' global dtype policy of the file's `dtype_policy`, set before any layer is made; nothing for float32. */
function policyCode(analysis: ModelAnalysis): string {
  return analysis.dtypePolicy === 'float32' ? '' : `\n# The model file's dtype_policy: computations in bfloat16, variables (weights) in float32.\nkeras.mixed_precision.set_global_policy(${py(analysis.dtypePolicy)})\n`;
}

function wrap(text: string, width: number): string {
  return text
    .split('\n')
    .map((para) => {
      const out: string[] = [];
      let line = '';
      for (const w of para.split(/ +/)) {
        if (line && line.length + w.length + 1 > width) {
          out.push(line);
          line = w;
        } else line = line ? `${line} ${w}` : w;
      }
      out.push(line);
      return out.join('\n');
    })
    .join('\n');
}

function dataKindOf(model: Json): 'text' | 'timeseries' | undefined {
  const data = model.data as Json | undefined;
  if (!data || typeof data !== 'object') return undefined;
  const implied = data.dataset === 'seattle_weather' ? 'timeseries' : data.dataset ? 'text' : undefined;
  if (data.kind === 'text' || data.kind === 'timeseries') return data.kind;
  return implied ?? (data.window !== undefined || data.target !== undefined ? 'timeseries' : 'text');
}

function settings(ctx: Context): string {
  const { model, options } = ctx;
  const input = (model.input ?? {}) as Json;
  const shape = Array.isArray(input.shape) ? input.shape : [];
  const data = model.data && typeof model.data === 'object' ? (model.data as Json) : undefined;
  const training = model.training && typeof model.training === 'object' ? (model.training as Json) : {};
  const compile = model.compile && typeof model.compile === 'object' ? (model.compile as Json) : {};
  const trainingSettings = {
    epochs: training.epochs ?? 10,
    batch_size: training.batch_size ?? 32,
    validation_split: training.validation_split ?? 0,
    shuffle: training.shuffle ?? true,
    seed: training.seed ?? null,
  };
  const seed = data?.seed ?? training.seed ?? DEFAULTS.seed;
  const encoding = labelEncodingForLoss(typeof compile.loss === 'string' ? compile.loss : undefined);
  const lines = [
    '# ---- Settings of the model file ---------------------------------------------------------------',
    '',
    'HERE = os.path.dirname(os.path.abspath(__file__))',
    'DATA_DIR = os.path.join(HERE, "data")  # the data files; paths in DATA are relative to it (--data-dir)',
    `RUN_DIR = ${options.runModelJson !== undefined ? 'os.path.join(HERE, "run")' : 'None'}  # --run without a value loads this run's weights`,
    '',
    `INPUT_SHAPE = ${py(shape, true)}`,
    `INPUT_DTYPE = ${py(typeof input.dtype === 'string' ? input.dtype : 'float32')}`,
    '',
    data ? '# "data": absent keys take RNN Studio\'s defaults (those of Keras\' Tokenizer and pad_sequences).' : '# The model file has no "data" section: the script builds the model but has nothing to train on.',
    `DATA = ${pyDict(portableData(ctx, data), '')}`,
    `SEED = ${py(seed)}  # data.seed, else training.seed, else ${DEFAULTS.seed}: the seed of the data shuffle and splits`,
    `LABEL_ENCODING = ${py(encoding)}  # how labels become y, from the loss`,
    '',
    '# "training", with RNN Studio\'s defaults.',
    `TRAINING = ${pyDict(trainingSettings, '')}`,
  ];
  return lines.join('\n') + '\n';
}

/** The data section with its file paths as copied into data/. */
function portableData(ctx: Context, data: Json | undefined): Json {
  const out: Json = { ...(data ?? {}) };
  for (const copy of ctx.dataCopies) if (!copy.builtin) out[copy.key.slice('data.'.length)] = copy.target;
  return out;
}

/** A dict literal, one key per line when long. */
function pyDict(value: Json, indent: string): string {
  const flat = py(value);
  if (flat.length + indent.length + 10 <= 100) return flat;
  const inner = indent + '    ';
  return `{\n${Object.entries(value).map(([k, v]) => `${inner}${JSON.stringify(k)}: ${py(v)},`).join('\n')}\n${indent}}`;
}

// ---- the model ---------------------------------------------------------------------------------

function buildModelCode(ctx: Context): string {
  const { analysis, model } = ctx;
  const rawLayers = Array.isArray(model.layers) ? (model.layers as unknown[]) : [];
  const input = (model.input ?? {}) as Json;
  const shape = Array.isArray(input.shape) ? input.shape : [];
  const dtype = typeof input.dtype === 'string' ? input.dtype : undefined;
  const indent = ' '.repeat(12);
  const items: string[] = [call('keras.Input', [`shape=${py(shape, true)}`, ...(dtype ? [`dtype=${py(dtype)}`] : [])], indent)];
  const problems: string[] = [];
  rawLayers.forEach((raw, index) => {
    const info = analysis.layers[index];
    if (!raw || typeof raw !== 'object' || Array.isArray(raw) || !info) {
      problems.push(`layers[${index}] is not a layer object`);
      ctx.diagnostics.push(`error not-a-layer at layers[${index}]: the entry is not a layer object, so the script cannot build it.`);
      return;
    }
    const expr = layerExpr(ctx, raw as Json, info.type, info.name, info.inner, `layers[${index}]`, indent);
    if (expr === undefined) problems.push(`layers[${index}] ("${info.type}") is not a Keras layer class`);
    else items.push(expr);
  });
  const name = analysis.name;
  const body = problems.length
    ? `    raise NotImplementedError(${py(`The model file has layers this script cannot build: ${problems.join('; ')}.`)})`
    : `    return keras.Sequential(\n        [\n${items.map((i) => `${indent}${i},`).join('\n')}\n        ],\n        name=${py(name)},\n    )`;
  return `
def build_model():
    """The model of the file: the same layers, options and names as RNN Studio shows."""
${body}
`;
}

/** One layer as `keras.layers.Type(...)`, or undefined when its type is not a Python name. */
function layerExpr(ctx: Context, raw: Json, type: string, name: string, inner: LayerInfo['inner'], where: string, indent: string): string | undefined {
  if (!IDENTIFIER.test(type) || PYTHON_KEYWORDS.has(type)) {
    ctx.diagnostics.push(`error unsupported-layer at ${where}: layer type ${JSON.stringify(type)} is not a Keras layer class; the script cannot build it.`);
    return undefined;
  }
  if (!LAYER_TYPES.includes(type)) {
    ctx.diagnostics.push(`warning outside-schema at ${where}: layer type "${type}" is not in schema v1; exported as keras.layers.${type}(...) as written, unchecked.`);
  }
  const args: string[] = [];
  if ((type === 'Bidirectional' || type === 'TimeDistributed') && raw.layer && typeof raw.layer === 'object' && !Array.isArray(raw.layer)) {
    const innerRaw = raw.layer as Json;
    const innerType = typeof innerRaw.type === 'string' ? innerRaw.type : '?';
    const innerName = inner?.name ?? (typeof innerRaw.name === 'string' ? innerRaw.name : undefined);
    const expr = layerExpr(ctx, innerRaw, innerType, innerName ?? snake(innerType), undefined, `${where}.layer`, indent + '    ');
    if (expr === undefined) return undefined;
    args.push(expr);
  }
  const extra: string[] = [];
  for (const [key, value] of Object.entries(raw)) {
    if (key === 'type' || key === 'name' || (key === 'layer' && args.length)) continue;
    const literal = py(value, key === 'target_shape');
    if (IDENTIFIER.test(key) && !PYTHON_KEYWORDS.has(key)) args.push(`${key}=${literal}`);
    else extra.push(`${JSON.stringify(key)}: ${literal}`);
  }
  // The GRU default changed between Keras 2 (reset_after=False) and Keras 3 (True): say it.
  if (type === 'GRU' && !('reset_after' in raw)) args.push('reset_after=True');
  if (extra.length) args.push(`**{${extra.join(', ')}}`);
  args.push(`name=${py(name)}`);
  return call(`keras.layers.${type}`, args, indent);
}

function snake(type: string): string {
  return type.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

const OPTIMIZERS: Record<string, string> = { adam: 'Adam', rmsprop: 'RMSprop', sgd: 'SGD', adagrad: 'Adagrad', adamw: 'AdamW' };

function compileCode(ctx: Context): string {
  const compile = ctx.model.compile && typeof ctx.model.compile === 'object' ? (ctx.model.compile as Json) : {};
  const name = typeof compile.optimizer === 'string' ? compile.optimizer : 'adam';
  const optimizerArgs: string[] = [];
  if (compile.learning_rate !== undefined) optimizerArgs.push(`learning_rate=${py(compile.learning_rate)}`);
  if (compile.clipnorm !== undefined) optimizerArgs.push(`clipnorm=${py(compile.clipnorm)}`);
  const cls = OPTIMIZERS[name];
  const optimizer = cls ? `keras.optimizers.${cls}(${optimizerArgs.join(', ')})` : `keras.optimizers.get(${py(name)})`;
  const lossNote = compile.loss === undefined ? '  # the file names no loss: RNN Studio trains with mse' : '';
  const loss = typeof compile.loss === 'string' ? compile.loss : 'mse';
  const metrics = Array.isArray(compile.metrics) ? compile.metrics : [];
  return `
def compile_model(model):
    """The file's compile settings${compile.learning_rate === undefined ? ' (absent learning_rate: the optimizer\'s Keras default)' : ''}."""
    model.compile(
        optimizer=${optimizer},
        loss=${py(loss)},${lossNote}
        metrics=${py(metrics)},
    )
`;
}

function callbacksCode(ctx: Context): string {
  const training = ctx.model.training && typeof ctx.model.training === 'object' ? (ctx.model.training as Json) : {};
  const es = training.early_stopping && typeof training.early_stopping === 'object' ? (training.early_stopping as Json) : undefined;
  if (!es) {
    return `
def make_callbacks():
    """The file sets no training.early_stopping: no callbacks."""
    return []
`;
  }
  const args = ['monitor', 'patience', 'min_delta', 'mode', 'restore_best_weights'].filter((k) => es[k] !== undefined).map((k) => `${k}=${py(es[k])}`);
  if (es.monitor === undefined) args.unshift('monitor="val_loss"');
  return `
def make_callbacks():
    """training.early_stopping as Keras' EarlyStopping."""
    return [${call('keras.callbacks.EarlyStopping', args, '    ', 92)}]
`;
}

// ---- data --------------------------------------------------------------------------------------

function dataCode(ctx: Context): string {
  const data = ctx.model.data && typeof ctx.model.data === 'object' ? (ctx.model.data as Json) : undefined;
  if (!data) {
    return `
def load_data(max_samples=None):
    raise DataError('The model file has no "data" section, so there is nothing to train on. Add one in RNN '
                    'Studio and export again, or replace load_data() with your own.')


class DataError(Exception):
    pass
`;
  }
  const kind = dataKindOf(ctx.model)!;
  const implied = data.dataset === 'seattle_weather' ? 'timeseries' : data.dataset ? 'text' : undefined;
  if (data.kind && implied && data.kind !== implied) {
    ctx.diagnostics.push(`error data-kind at data.kind: data.kind is "${String(data.kind)}" but the built-in data set ${String(data.dataset)} is ${implied === 'text' ? 'text' : 'a time series'}; the script follows the data set.`);
  }
  const blocks = [PY_COMMON];
  let body: string;
  const capLine = `    caps = [c for c in (max_samples, DATA.get("max_samples")) if c]\n    cap = min(caps) if caps else None\n    validation_split = TRAINING["validation_split"]`;
  if (kind === 'timeseries' || implied === 'timeseries') {
    blocks.push(PY_SERIES);
    body = `${capLine}
    if LABEL_ENCODING != "regression":
        raise DataError("Time-series targets are numbers, but the loss is a classification loss. Use mse, mae or huber.")
    return load_series(DATA, cap, validation_split)`;
  } else {
    blocks.push(PY_TEXT);
    if (data.dataset === 'long_range_memory' && data.source === 'builtin') {
      blocks.push(PY_LONG_RANGE);
      body = `${capLine}
    return load_long_range_memory(DATA, LABEL_ENCODING, SEED, cap, validation_split)`;
    } else if (data.source === 'builtin') {
      blocks.push(PY_SPAM);
      body = `${capLine}
    parts, labels = load_spam_assassin(DATA, LABEL_ENCODING, SEED, cap, validation_split)
    check_encoding(LABEL_ENCODING, labels)
    return finish_text(parts, labels, DATA, LABEL_ENCODING)`;
    } else {
      blocks.push(PY_TEXT_FILES);
      body = `${capLine}
    parts, labels = load_text_files(DATA, LABEL_ENCODING, SEED, cap, validation_split)
    check_encoding(LABEL_ENCODING, labels)
    return finish_text(parts, labels, DATA, LABEL_ENCODING)`;
    }
  }
  const source = data.source === 'builtin' ? `the built-in data set ${String(data.dataset)}` : `${String(data.source)} ${JSON.stringify(data.path ?? '')}`;
  return `${blocks.join('\n')}

def load_data(max_samples=None):
    """The file's data (${source}), prepared as RNN Studio prepares it. Returns
    ({"train": (x, y), "validation": (x, y) or None, "test": (x, y) or None}, preprocessor)."""
${body}
`;
}

function predictCode(ctx: Context): string {
  const kind = dataKindOf(ctx.model);
  if (kind === 'timeseries') return PY_PREDICT_SERIES;
  if (kind === 'text') return PY_PREDICT_TEXT;
  return `

def predict(model, preprocessor, inputs):
    raise DataError('The model file has no "data" section, so the script does not know how to encode inputs.')
`;
}

function mainCode(ctx: Context): string {
  const kind = dataKindOf(ctx.model);
  const data = (ctx.model.data ?? {}) as Json;
  const series = kind === 'timeseries';
  const identity = data.dataset === 'long_range_memory';
  const replacements: Record<string, string> = {
    RUN_HELP: ctx.options.runModelJson !== undefined ? ' (without a value: run/, exported with this project); evaluates, or trains on with --epochs' : '',
    RUN_EPOCHS: '; 0 with --run',
    RUN_SAMPLES: ctx.options.runMaxSamples !== undefined ? `; with --run: the run's ${ctx.options.runMaxSamples}` : '',
    PREDICT_METAVAR: py(series ? 'CSV' : 'TEXT'),
    PREDICT_HELP: py(series
      ? 'CSV files with at least the last window rows of the input columns: print the forecast'
      : identity
        ? 'token id sequences such as "3 1 4 1 5": print the label and its probability'
        : 'texts to classify: print the label and its probability'),
  };
  return PY_MAIN.replace(/\{\{(\w+)\}\}/g, (_m, key: string) => replacements[key] ?? '');
}

// ---- run weights -------------------------------------------------------------------------------

/** Checks that a run's model.json has weights for exactly this model's layers, with the right sizes. */
function checkRunWeights(ctx: Context, runModelJson: string): void {
  let specs: { name: string; shape: number[] }[];
  try {
    const json = JSON.parse(runModelJson) as { weightsManifest?: { weights?: { name: string; shape: number[] }[] }[] };
    specs = (json.weightsManifest ?? []).flatMap((g) => g.weights ?? []);
  } catch (e) {
    ctx.diagnostics.push(`error run-weights: the run's model.json is not JSON (${(e as Error).message}).`);
    return;
  }
  const sizes = new Map<string, number>();
  for (const s of specs) {
    const layer = s.name.split('/')[0];
    sizes.set(layer, (sizes.get(layer) ?? 0) + s.shape.reduce((a, b) => a * b, 1));
  }
  const problems: string[] = [];
  for (const l of ctx.analysis.layers) {
    const expected = l.trainableParams + l.nonTrainableParams;
    const got = sizes.get(l.name) ?? 0;
    sizes.delete(l.name);
    if (got !== expected) problems.push(`${l.type} "${l.name}" has ${expected.toLocaleString('en-US')} weights, the run ${got.toLocaleString('en-US')}`);
  }
  if (sizes.size) problems.push(`the run has layers this model does not: ${[...sizes.keys()].map((n) => `"${n}"`).join(', ')}`);
  if (problems.length) {
    ctx.diagnostics.push(`error run-weights: the run's weights do not fit this model (was it trained from another model?): ${problems.join('; ')}.`);
  }
}

// ---- the project's README ----------------------------------------------------------------------

function projectReadme(ctx: Context): string {
  const { analysis, options } = ctx;
  const hasRun = options.runModelJson !== undefined;
  const data = ctx.dataCopies.length
    ? ctx.dataCopies.map((c) => `- \`data/${c.target}\`: ${c.builtin ? 'the built-in data set, as RNN Studio ships it' : `\`${c.key}\` of the model file`}`).join('\n')
    : '- none: the data are generated by `train.py` (or the model file has no data section)';
  return `# ${analysis.name}: a Keras 3 project exported by RNN Studio

From \`${baseName(options.modelPath)}\`. Nothing here refers to the machine it was exported on: copy
the folder anywhere (Linux or macOS, Python 3.10 or later).

## Contents

- \`train.py\`: the model (\`build_model\`), its compile settings, the data pipeline (RNN Studio's
  tokenizer, padding, windows, normalisation and seeded splits, bit for bit) and training.
- \`requirements.txt\`: TensorFlow and Keras 3 from PyPI.
${data}${hasRun ? `
- \`run/\`: the trained weights of an RNN Studio run (\`model.json\`, \`weights.bin\`), its tokenizer or
  scaling (\`preprocessor.json\`) and the settings that produced them (\`settings.json\`: sample cap,
  seed, test metrics).` : ''}

## Train

\`\`\`
python3 -m venv .venv && . .venv/bin/activate
pip install -r requirements.txt
python train.py                                # as the model file says; saves model.keras
python train.py --epochs 1 --max-samples 512   # a quick run
python train.py --summary-only                 # model.summary() only
${hasRun ? `python train.py --run                          # the run's weights: its test metrics again
python train.py --run --predict ${dataKindOf(ctx.model) === 'timeseries' ? 'recent.csv' : '"some text"'}
` : ''}\`\`\`

\`--save PATH\` (default \`model.keras\`) and \`--log PATH\` (default \`training-log.csv\`) say where the
model and the epoch log go; \`python train.py --help\` lists every option.

## Several workers (data parallel)

Every worker runs the same command with the same \`--workers\` list and its own \`--worker-index\`;
worker 0 is the chief, the only one that prints the log and saves the model. Each worker trains on
its share of every batch (\`--batch-size\` is the global batch), so the result matches one process.
On one machine:

\`\`\`
python train.py --workers 127.0.0.1:12345,127.0.0.1:12346 --worker-index 0 &
python train.py --workers 127.0.0.1:12345,127.0.0.1:12346 --worker-index 1
\`\`\`

A worker that cannot reach its peers gives up after \`--timeout\` seconds (default 120) with a message
naming them; SIGTERM stops a worker at any time.

Slurm (one task per node):

\`\`\`
#SBATCH --nodes=2 --ntasks-per-node=1
WORKERS=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | sed 's/$/:12345/' | paste -sd, -)
srun bash -c "python train.py --workers $WORKERS --worker-index \\$SLURM_PROCID"
\`\`\`

Kubernetes (an indexed Job with a headless Service \`train\` so pods have stable names):

\`\`\`yaml
apiVersion: batch/v1
kind: Job
metadata: { name: train }
spec:
  completions: 2
  parallelism: 2
  completionMode: Indexed
  template:
    spec:
      subdomain: train
      restartPolicy: Never
      containers:
        - name: worker
          image: python:3.12
          workingDir: /project          # this folder, mounted or baked into the image
          command: ["bash", "-c", "pip install -r requirements.txt && python train.py --workers train-0.train:12345,train-1.train:12345 --worker-index $JOB_COMPLETION_INDEX --save /out/model.keras"]
\`\`\`

Why this engine: Keras 3's \`model.fit\` fails under TensorFlow's \`MultiWorkerMirroredStrategy\` with more
than one worker (keras-team/keras#20585). A short custom training step under the same strategy works
(tested: two workers end with the same weights as one) and keeps one backend and one dependency,
TensorFlow, whose wheels cover Linux and macOS. Each worker computes the gradient of its share of the
batch and the Keras optimizer all-reduces the gradients over gRPC, so every worker applies the same
update. With one process, \`train.py\` uses plain \`model.fit\` with the
model file's callbacks; with several workers, every epoch runs (no early stopping).
`;
}
