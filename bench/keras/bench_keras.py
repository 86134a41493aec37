#!/usr/bin/env python3
"""Keras 3 (TensorFlow backend) training throughput, the reference for RNN Studio's `bench/trainCell.ts`.

The same model, data shape and measurement as trainCell.ts, one configuration per process (so the
peak memory is its own):

    Input(T, int32) -> Embedding(10000, 64) -> CELL(128) [or Bidirectional(CELL(128))] -> Dense(1, sigmoid)
    Adam(0.001), binary cross-entropy, batch 64, synthetic tokens in [1, 10000) and 0/1 labels.

Two warm-up batches (the first traces and compiles the train function), then BATCHES timed calls of
`train_on_batch` (each returns the loss, so each waits for its batch, as tfjs' trainOnBatch does).
Keras' defaults everywhere: GRU reset_after=True, `jit_compile="auto"` (no XLA on a CPU-only machine).

Usage (from the repository root, with the venv of the offline notes):

    .venv-keras/bin/python bench/keras/bench_keras.py CELL [TIMESTEPS] [BATCHES] [bidirectional]

CELL is LSTM, GRU or SimpleRNN. Prints one JSON line like trainCell.js:
    {"bench": "train", "impl": "keras", "cell": "LSTM", "units": 128, "timesteps": 200, "batch": 64,
     "samples_per_s": ..., "backend": "tensorflow-2.21.0/keras-3.15.1", "peak_rss_mb": ..., "params": ...}
"""

import json
import os
import resource
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    cell = args[0] if len(args) > 0 else "LSTM"
    timesteps = int(args[1]) if len(args) > 1 else 200
    batches = int(args[2]) if len(args) > 2 else 8
    wrapper = args[3] if len(args) > 3 else ""
    batch = 64
    units = 128
    layer_class = {"LSTM": keras.layers.LSTM, "GRU": keras.layers.GRU, "SimpleRNN": keras.layers.SimpleRNN}[cell]

    keras.utils.set_random_seed(1)
    recurrent = layer_class(units)
    model = keras.Sequential([
        keras.Input(shape=(timesteps,), dtype="int32"),
        keras.layers.Embedding(10000, 64),
        keras.layers.Bidirectional(recurrent) if wrapper == "bidirectional" else recurrent,
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(0.001), loss="binary_crossentropy")
    rng = np.random.default_rng(1)
    x = rng.integers(1, 10000, size=(batch, timesteps), dtype=np.int32)
    y = rng.integers(0, 2, size=(batch, 1)).astype(np.float32)
    for _ in range(2):  # warm-up: tracing, graph optimisation, allocations
        model.train_on_batch(x, y)
    t0 = time.perf_counter()
    for _ in range(batches):
        model.train_on_batch(x, y)
    seconds = time.perf_counter() - t0
    result = {
        "bench": "train",
        "impl": "keras",
        "cell": f"Bidirectional({cell})" if wrapper == "bidirectional" else cell,
        "units": units,
        "timesteps": timesteps,
        "batch": batch,
        "samples_per_s": round(batches * batch / seconds, 1),
        "backend": f"tensorflow-{tf.__version__}/keras-{keras.__version__}",
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "params": model.count_params(),
    }
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
