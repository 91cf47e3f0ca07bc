"""What does the first trial of a process pay? Before and after nasbook's warm-up, and a pool's start.

    python benchmarks/first_trial.py [--json] [--fast]

Each figure comes from a fresh Python process (the cost is per process):

* ``cold``   – import torch and nasbook, then train the same small network three times
  (seeds 0, 1, 2): the first trial against the mean of the next two;
* ``warmed`` – the same after :func:`nasbook.evaluation.warmup.warm_up` (timed on its own);
* ``pool``   – start the shared 2-process pool (spawn + import + warm-up), time until both
  workers answered, then a batch of 4 trainings on it, then the same batch again (warm).

``--fast`` (or NASBOOK_FAST=1) trains 3 epochs instead of 20. Timings on a machine shared
with other jobs are noisy: run it on idle cores for figures to quote.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ARCH = {"num_hidden_layers": 2, "hidden_layer_size": 64, "activation_function": "ReLU",
        "learning_rate": 0.01, "optimizer": "Adam", "dropout_rate": 0.2}


def child(mode: str, epochs: int) -> dict:
    """Runs in the fresh process: the measurement of one mode."""
    start = time.perf_counter()
    import torch
    imported_torch = time.perf_counter() - start
    sys.path.insert(0, str(ROOT))
    from nasbook import Evaluator
    from nasbook.evaluation import auto
    from nasbook.evaluation.training import Protocol
    from nasbook.evaluation.warmup import warm_up
    out = {"import_torch_s": imported_torch, "import_all_s": time.perf_counter() - start}
    protocol = Protocol("bench", epochs=epochs, batch_size=64)
    if mode in ("cold", "warmed"):
        torch.set_num_threads(1)  # one thread: the figure is the one-off cost, not a thread storm
        if mode == "warmed":
            begin = time.perf_counter()
            warm_up()
            out["warm_up_s"] = time.perf_counter() - begin
        ev = Evaluator(protocol=protocol, device="cpu", cache=False)
        times = []
        for seed in range(3):
            begin = time.perf_counter()
            ev.train(ev.check_arch(ARCH), seed)
            times.append(time.perf_counter() - begin)
        out.update(first_s=times[0], next_s=sum(times[1:]) / 2)
    else:
        begin = time.perf_counter()
        pool = auto.shared_pool(2)
        for future in [pool.submit(int) for _ in range(2)]:
            future.result()
        out["pool_start_s"] = time.perf_counter() - begin
        ev = Evaluator(protocol=protocol, device="cpu", cache=False, executor=pool)
        archs = [dict(ARCH, learning_rate=lr) for lr in (0.1, 0.01, 0.001, 0.0001)]
        for name in ("first_batch_s", "warm_batch_s"):
            begin = time.perf_counter()
            ev.evaluate_many(archs)
            out[name] = time.perf_counter() - begin
        auto.close_pool()
    return out


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    parser.add_argument("--fast", action="store_true", help="3 epochs instead of 20 (also NASBOOK_FAST=1)")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    epochs = 3 if args.fast or os.environ.get("NASBOOK_FAST") == "1" else 20
    if args.child:
        print(json.dumps(child(args.child, epochs)))
        return {}
    figures = {}
    for mode in ("cold", "warmed", "pool"):
        run = subprocess.run([sys.executable, __file__, "--child", mode] + (["--fast"] if epochs == 3 else []),
                             capture_output=True, text=True, check=True)
        figures[mode] = json.loads(run.stdout.strip().splitlines()[-1])
    cold, warmed, pool = figures["cold"], figures["warmed"], figures["pool"]
    print(f"import torch {cold['import_torch_s']:.2f} s, torch + nasbook {cold['import_all_s']:.2f} s")
    print(f"cold:   first trial {cold['first_s']:.2f} s, next ones {cold['next_s']:.2f} s "
          f"(first pays {cold['first_s'] - cold['next_s']:+.2f} s)")
    print(f"warmed: warm_up() {warmed['warm_up_s']:.2f} s, then first trial {warmed['first_s']:.2f} s, "
          f"next ones {warmed['next_s']:.2f} s (first pays {warmed['first_s'] - warmed['next_s']:+.2f} s)")
    print(f"pool:   2 workers ready in {pool['pool_start_s']:.2f} s (spawn + import + warm-up, once per "
          f"process); a batch of 4: {pool['first_batch_s']:.2f} s, again {pool['warm_batch_s']:.2f} s")
    if args.json:
        print(json.dumps(figures))
    return figures


if __name__ == "__main__":
    main()
