"""Measure the default parallel rule's choices: one batch trained here, on the shared pool, or stacked.

    python benchmarks/parallel_rule.py [--json] [--fast] [--batch 8]

For batches of ``--batch`` architectures at the ``default`` protocol (mini-batches of 64),
from tiny (1×8) to wide (5×512) and a mixed batch from the article's space, it times:

* ``here``    – one by one in this process (``executor=SERIAL``), one torch thread;
* ``pool``    – the shared pool of ``usable_cores()`` processes, already warm (its start-up
  is timed once, apart);
* ``stacked`` – same-shape stacking in this process (``batched=True``; not bit-identical to
  one by one, so never the default on a CPU: a figure for comparison).

and what :func:`nasbook.evaluation.auto.choose` picks for each, with its estimate. The
rule's thresholds (``PARALLEL_MIN_SECONDS``, ``POOL_START_SECONDS``, ``STEP_SECONDS``) are
confirmed when the pool wins wherever the rule picks it and loses where it does not.
``--fast`` (or NASBOOK_FAST=1): 3 epochs, batches of 4.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from default_protocol import fast_requested  # noqa: E402
from nasbook import Evaluator, SearchSpace  # noqa: E402
from nasbook.evaluation import auto  # noqa: E402
from nasbook.evaluation.cores import usable_cores  # noqa: E402
from nasbook.evaluation.executors import SERIAL  # noqa: E402
from nasbook.evaluation.training import Protocol  # noqa: E402

SHAPES = {"tiny 1x8": (1, 8), "small 2x64": (2, 64), "mid 3x256": (3, 256), "wide 5x512": (5, 512)}


def batch_of(name: str, n: int) -> list[dict]:
    if name == "mixed":
        rng = np.random.default_rng(7)
        return [SearchSpace().sample(rng) for _ in range(n)]
    layers, width = SHAPES[name]
    return [{"num_hidden_layers": layers, "hidden_layer_size": width, "learning_rate": 10.0 ** -(1 + i % 3),
             "optimizer": ("Adam", "SGD")[i % 2], "dropout_rate": 0.0} for i in range(n)]


def seconds(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--fast", action="store_true")
    parser.add_argument("--batch", type=int, default=8)
    args = parser.parse_args(argv)
    fast = fast_requested(args.fast)
    protocol = Protocol("default", epochs=3, batch_size=64) if fast else "default"
    n = 4 if fast else args.batch
    torch.set_num_threads(1)
    cores = usable_cores()
    start = seconds(lambda: [f.result() for f in [auto.shared_pool(max(cores, 2)).submit(int) for _ in range(cores)]])
    pool = auto.shared_pool(max(cores, 2))
    here = Evaluator(protocol=protocol, device="cpu", cache=False, executor=SERIAL)
    pooled = Evaluator(protocol=protocol, device="cpu", cache=False, executor=pool)
    stacked = Evaluator(protocol=protocol, device="cpu", cache=False, batched=True, executor=SERIAL)
    auto_ev = Evaluator(protocol=protocol, device="cpu", cache=False)
    here.evaluate_many(batch_of("tiny 1x8", 2))  # this process's first trial: warm it like the pool
    print(f"{cores} usable core(s); pool of {pool.workers} started in {start:.1f} s (spawn + import + warm-up)")
    rows = {}
    for name in list(SHAPES) + ["mixed"]:
        archs = batch_of(name, n)
        work = [(auto_ev.check_arch(a), 0) for a in archs]
        estimate = sum(auto.estimate_seconds(a, auto_ev.protocol, 800) for a, _ in work)
        pick = auto.choose(auto_ev, work, len(work))
        row = {"estimate_s": estimate, "rule": "pool" if pick is not None else "here",
               "here_s": seconds(lambda: here.evaluate_many(archs)),
               "pool_s": seconds(lambda: pooled.evaluate_many(archs)),
               "stacked_s": seconds(lambda: stacked.evaluate_many(archs))}
        row["best"] = min(("here", "pool", "stacked"), key=lambda k: row[k + "_s"])
        rows[name] = row
        print(f"{name:11s} x{n}: here {row['here_s']:6.2f} s  pool {row['pool_s']:6.2f} s  stacked "
              f"{row['stacked_s']:6.2f} s  | estimate {estimate:5.2f} s, rule picks {row['rule']}, fastest {row['best']}")
    auto.close_pool()
    figures = {"cores": cores, "pool_start_s": start, "batch": n, "rows": rows}
    if args.json:
        print(json.dumps(figures))
    return figures


if __name__ == "__main__":
    main()
