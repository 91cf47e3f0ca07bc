"""Build the tabular benchmark: train every architecture of a space with several seeds.

NAS-Bench-101/201 made NAS research reproducible by training a whole space once and
shipping the table of results. ``build_table`` does the same for nasbook's default space
on the ``synthetic`` task: for each architecture and each training seed it records the
validation loss at a few checkpoints (a learning curve), the training loss of every epoch,
the parameter count, the measured training time and a CPU inference latency.

The protocol is the article's own (:data:`BENCH_PROTOCOL`: full batch, 10 epochs, the
budget its RL and EA searches use) with validation checkpoints at epochs 1, 2, 5 and 10.
Rebuild with ``nasbook bench build`` (about half an hour on 2 CPU cores, see docs/bench.md).
"""
from __future__ import annotations

import json
import math
import os
import time
from typing import Any, Callable

import numpy as np
import torch

from torch import nn

from nasbook.evaluation.protocols import Protocol
from nasbook.evaluation.training import Evaluator
from nasbook.spaces.space import SearchSpace, as_space
from nasbook.trial import STATUSES

BENCH_PROTOCOL = Protocol("bench", epochs=10, batch_size=None, checkpoints=(1, 2, 5, 10))
BENCH_SEEDS = (0, 1, 2)
FORMAT_VERSION = 1


def empty_arrays(n_archs: int, seeds: tuple[int, ...], protocol: Protocol) -> dict[str, np.ndarray]:
    """The table's columns, filled with NaN / zeros; row i is architecture ``space.index == i``."""
    s, c, e = len(seeds), len(protocol.checkpoints), protocol.epochs
    return {
        "val_curve": np.full((n_archs, s, c), np.nan),  # validation loss at each checkpoint
        "train_curve": np.full((n_archs, s, e), np.nan),  # training loss of each epoch
        "status": np.zeros((n_archs, s), dtype=np.int8),  # index into trial.STATUSES
        "seconds": np.zeros((n_archs, s), dtype=np.float32),  # measured training time
        "steps": np.zeros((n_archs, s), dtype=np.int32),
        "params": np.zeros(n_archs, dtype=np.int64),
        "latency": np.zeros(n_archs, dtype=np.float32),  # CPU seconds for one forward pass
        "done": np.zeros(n_archs, dtype=bool),
    }


@torch.no_grad()
def measure_latency(model: nn.Module, input_shape: tuple[int, ...], rows: int = 200,
                    repeats: int = 20) -> float:
    """Median seconds of one forward pass of ``model`` over ``rows`` inputs on the CPU (eval mode)."""
    model = model.eval()
    x = torch.zeros(rows, *input_shape)
    model(x)  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        model(x)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def build_table(space: "SearchSpace | None" = None, task: str = "synthetic",
                protocol: Protocol = BENCH_PROTOCOL, seeds: tuple[int, ...] = BENCH_SEEDS,
                indices: "list[int] | None" = None, arrays: "dict[str, np.ndarray] | None" = None,
                on_arch: Callable[[int, dict[str, np.ndarray]], None] | None = None) -> dict[str, np.ndarray]:
    """Train the architectures at ``indices`` (default: all) with every seed; return the arrays.

    ``arrays`` continues a partial build (rows already ``done`` are skipped); ``on_arch`` is
    called after each architecture (progress bars, periodic saves).
    """
    space = as_space(space)
    evaluator = Evaluator(task=task, protocol=protocol, device="cpu", cache=False, family=space.family)
    archs = list(space.enumerate())
    arrays = empty_arrays(len(archs), tuple(seeds), protocol) if arrays is None else arrays
    for i in (range(len(archs)) if indices is None else indices):
        if arrays["done"][i]:
            continue
        arch = space.complete(archs[i])
        for j, seed in enumerate(seeds):
            trial = evaluator.evaluate(arch, seed)
            arrays["status"][i, j] = STATUSES.index(trial.status)
            arrays["seconds"][i, j] = trial.seconds
            arrays["steps"][i, j] = trial.steps
            arrays["train_curve"][i, j, :len(trial.train_curve)] = trial.train_curve
            for k, epoch in enumerate(protocol.checkpoints):
                arrays["val_curve"][i, j, k] = trial.val_curve.get(str(epoch), math.nan)
            arrays["params"][i] = trial.params or arrays["params"][i]
        network = space.family.build(arch, evaluator.task, seed=0)
        arrays["latency"][i] = measure_latency(network, evaluator.task.input_shape)
        arrays["done"][i] = True
        if on_arch is not None:
            on_arch(i, arrays)
    return arrays


def metadata(space: SearchSpace, task: str, protocol: Protocol, seeds: tuple[int, ...],
             **extra: Any) -> dict[str, Any]:
    """What the table was built from, stored next to the arrays (as a JSON string)."""
    return {"format": FORMAT_VERSION, "space": space.to_dict(), "task": task,
            "protocol": {"name": protocol.name, "epochs": protocol.epochs, "batch_size": protocol.batch_size,
                         "checkpoints": list(protocol.checkpoints)},
            "seeds": list(seeds), "torch": torch.__version__, "threads": torch.get_num_threads(), **extra}


def save_table(path: str, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
    """Write the arrays plus a JSON metadata string to a compressed ``.npz`` (no pickle)."""
    tmp = f"{path}.tmp.npz"
    np.savez_compressed(tmp, meta=np.array(json.dumps(meta)), **arrays)
    os.replace(tmp, path)


def load_arrays(path: str) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Read a table written by :func:`save_table` (``allow_pickle=False``: data, never code)."""
    with np.load(path, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files if k != "meta"}
        meta = json.loads(str(data["meta"]))
    return arrays, meta
