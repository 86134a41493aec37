#!/usr/bin/env python3
"""PyTorch training throughput of the model `bench/trainCell.ts` and `bench_keras.py` measure.

    Embedding(10000, 64) -> nn.LSTM / nn.GRU / nn.RNN(128, batch_first=True) [bidirectional]
    -> last step's hidden state -> Linear(1) -> sigmoid, binary cross-entropy (BCEWithLogitsLoss),
    Adam(0.001), batch 64, synthetic tokens in [1, 10000) and 0/1 labels.

Measured twice in one process (one import of torch): fp32, then under
`torch.autocast('cpu', dtype=torch.bfloat16)` (bf16 products through oneDNN, fp32 weights).
Each precision: two warm-up batches, then as many timed batches as fit in BUDGET seconds (default 3,
judged by the first timed batch), at least 2 and at most BATCHES: PyTorch's fp32 CPU RNN backward is slow
(about 0.6 s a batch for the LSTM at T = 200), so a fixed count would dominate `npm run bench`.
nn.LSTM and nn.RNN have two bias vectors where Keras has one (512 or 128 more parameters).
A precision that fails (oneDNN has no bf16 LSTM on CPUs without AVX512-BF16) reports its error.

Usage (from the repository root, with .venv-keras and torch==2.13.0, see scripts/keras-venv.mjs):

    .venv-keras/bin/python bench/keras/bench_torch.py CELL [TIMESTEPS] [BATCHES] [bidirectional] [--budget=SECONDS]

Prints one JSON line:
    {"bench": "train", "impl": "pytorch", "cell": "LSTM", "timesteps": 200, "batch": 64,
     "backend": "torch-2.13.0+cpu/AVX2", "peak_rss_mb": ..., "params": ...,
     "fp32": {"samples_per_s": ..., "batches": ..., "loss": ...},
     "bf16": {"samples_per_s": ..., ...} or {"error": "..."}}
"""

import json
import math
import resource
import sys
import time

import torch
from torch import nn

CELLS = {"LSTM": nn.LSTM, "GRU": nn.GRU, "SimpleRNN": nn.RNN}


class Model(nn.Module):
    def __init__(self, cell: str, bidirectional: bool, units: int = 128):
        super().__init__()
        self.embedding = nn.Embedding(10000, 64)
        # nn.RNN's default nonlinearity is tanh, as SimpleRNN's; nn.GRU computes the reset gate
        # after the recurrent product, as Keras' GRU(reset_after=True) does.
        self.recurrent = CELLS[cell](64, units, batch_first=True, bidirectional=bidirectional)
        self.dense = nn.Linear(units * (2 if bidirectional else 1), 1)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        _, hidden = self.recurrent(self.embedding(tokens))
        h = hidden[0] if isinstance(hidden, tuple) else hidden  # LSTM: (h_n, c_n)
        # Keras' Bidirectional concatenates the forward and the backward layer's final outputs.
        last = torch.cat([h[-2], h[-1]], dim=1) if self.recurrent.bidirectional else h[-1]
        return self.dense(last.float())


def measure(cell: str, bidirectional: bool, timesteps: int, max_batches: int, budget: float, bf16: bool) -> dict:
    torch.manual_seed(1)
    batch = 64
    model = Model(cell, bidirectional)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.001)
    loss_fn = nn.BCEWithLogitsLoss()
    generator = torch.Generator().manual_seed(1)
    x = torch.randint(1, 10000, (batch, timesteps), generator=generator)
    y = torch.randint(0, 2, (batch, 1), generator=generator).float()

    def step() -> float:
        optimizer.zero_grad(set_to_none=True)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            logits = model(x)
        loss = loss_fn(logits.float(), y)
        loss.backward()
        optimizer.step()
        return loss.item()  # waits for the batch, as train_on_batch and trainOnBatch do

    for _ in range(2):  # warm-up: oneDNN primitives, allocations (the first two batches are slow)
        step()
    t0 = time.perf_counter()
    loss = step()  # the first timed batch says how many more fit in the budget
    batches = max(2, min(max_batches, math.floor(budget / (time.perf_counter() - t0))))
    for _ in range(batches - 1):
        loss = step()
    seconds = time.perf_counter() - t0
    return {"samples_per_s": round(batches * batch / seconds, 1), "batches": batches, "loss": round(loss, 4), "params": sum(p.numel() for p in model.parameters())}


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    options = dict(a[2:].split("=", 1) for a in sys.argv[1:] if a.startswith("--") and "=" in a)
    cell = args[0] if len(args) > 0 else "LSTM"
    timesteps = int(args[1]) if len(args) > 1 else 200
    max_batches = int(args[2]) if len(args) > 2 else 8
    bidirectional = len(args) > 3 and args[3] == "bidirectional"
    budget = float(options.get("budget", "3"))
    result = {
        "bench": "train",
        "impl": "pytorch",
        "cell": f"Bidirectional({cell})" if bidirectional else cell,
        "units": 128,
        "timesteps": timesteps,
        "batch": 64,
        "backend": f"torch-{torch.__version__}/{torch.backends.cpu.get_cpu_capability()}",
        "threads": torch.get_num_threads(),
    }
    for name, bf16 in (("fp32", False), ("bf16", True)):
        try:
            result[name] = measure(cell, bidirectional, timesteps, max_batches, budget, bf16)
        except RuntimeError as e:
            result[name] = {"error": str(e).strip().splitlines()[0]}
    result["params"] = result["fp32"].get("params")
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
