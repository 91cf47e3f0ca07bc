"""nasbook's default-protocol search versus a careful user's plain loop, whole processes.

    python benchmarks/default_protocol.py [--json] [--fast] [--strategy evolution] [--budget 20]
                                          [--batch-size N] [--batched]

1. ``nasbook``: a fresh process runs ``nasbook.search(strategy, budget=...)`` with every
   setting at its default (the ``default`` protocol: 20 epochs of shuffled mini-batches of
   64; nasbook's own thread policy and default parallel rule). Its wall time, imports
   included, and the architectures it trained are recorded.
2. ``plain``: a fresh process retrains the same architectures the way a careful PyTorch user
   would: ``nn.Sequential``, ``torch.optim``, ``DataLoader``-style shuffled mini-batches of 64
   for 20 epochs, one by one, torch's default threads, then the validation loss.

``ratio_default`` = plain seconds / nasbook seconds (the target is ≥ 2 on 2 CPU cores).
Two options measure the bounds that docs/fast.md reasons about: ``--strategy random
--batch-size 20`` proposes all 20 architectures at once (every training can run in parallel:
the most the bit-identical default rule can gain), and ``--batched`` turns on same-shape
stacking (``Evaluator(batched=True)``: faster at mini-batches, but a trial's last digits then
depend on its batch-mates, which is why it is not the CPU default).
``--fast`` (or NASBOOK_FAST=1): budget 6 and 3 epochs, to check that it runs.
:mod:`benchmarks.throughput` prints these figures beside the seed-protocol ones, and
:mod:`benchmarks.neighbour` runs the same search beside a busy process.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

SEARCH = """
import json, sys
sys.path.insert(0, {root!r})
import nasbook
from nasbook.evaluation.training import Protocol
from nasbook.strategies import STRATEGIES
protocol = Protocol("default", epochs={epochs}, batch_size=64) if {epochs} != 20 else "default"
strategy = STRATEGIES[{strategy!r}](batch_size={batch_size}) if {batch_size} > 1 else {strategy!r}
evaluator = nasbook.Evaluator(protocol=protocol, batched=True) if {batched} else None
settings = dict(evaluator=evaluator) if {batched} else dict(protocol=protocol)
result = nasbook.search(strategy, budget={budget}, seed={seed}, progress=False, **settings)
print(json.dumps([t.arch for t in result.trials if not t.cached]))
"""

PLAIN = """
import json, sys, torch
from torch import nn
archs, epochs = json.loads(sys.argv[1]), int(sys.argv[2])
sys.path.insert(0, {root!r})
from nasbook.tasks import make_task  # the same data; the loop below is plain PyTorch
task = make_task("synthetic")
X, y, X_val, y_val = task.X_train, task.y_train, task.X_val, task.y_val
activations = {{"ReLU": nn.ReLU, "Tanh": nn.Tanh, "Sigmoid": nn.Sigmoid, "LeakyReLU": nn.LeakyReLU}}
losses = []
for seed, arch in enumerate(archs):
    torch.manual_seed(seed)
    layers, width = [], X.shape[1]
    for _ in range(arch["num_hidden_layers"]):
        layers += [nn.Linear(width, arch["hidden_layer_size"]), activations[arch["activation_function"]](),
                   nn.Dropout(arch["dropout_rate"])]
        width = arch["hidden_layer_size"]
    model = nn.Sequential(*layers, nn.Linear(width, y.shape[1]))
    optimizer = getattr(torch.optim, arch["optimizer"])(model.parameters(), lr=arch["learning_rate"])
    criterion = nn.MSELoss()
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(X))
        for lo in range(0, len(X), 64):
            rows = order[lo:lo + 64]
            optimizer.zero_grad()
            loss = criterion(model(X[rows]), y[rows])
            loss.backward()
            optimizer.step()
    model.eval()
    with torch.no_grad():
        losses.append(criterion(model(X_val), y_val).item())
print(json.dumps(losses))
"""


def timed_process(code: str, *args: str, env: dict[str, str] | None = None) -> tuple[float, Any]:
    """Run ``python -c code args`` in a fresh process; its wall seconds and its last line as JSON."""
    start = time.perf_counter()
    run = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                         env={**os.environ, **(env or {})})
    seconds = time.perf_counter() - start
    if run.returncode:
        raise RuntimeError(run.stderr[-2000:])
    return seconds, json.loads(run.stdout.strip().splitlines()[-1])


def nasbook_search(strategy: str, budget: int, epochs: int, seed: int = 0,
                   env: dict[str, str] | None = None, batch_size: int = 1,
                   batched: bool = False) -> tuple[float, list[dict[str, Any]]]:
    """Wall seconds of a whole process running a default search, and the architectures it trained."""
    code = SEARCH.format(root=str(ROOT), strategy=strategy, budget=budget, seed=seed, epochs=epochs,
                         batch_size=batch_size, batched=batched)
    return timed_process(code, env=env)


def plain_loop(archs: list[dict[str, Any]], epochs: int) -> float:
    """Wall seconds of a whole process retraining ``archs`` with the careful plain loop."""
    return timed_process(PLAIN.format(root=str(ROOT)), json.dumps(archs), str(epochs))[0]


def measure(strategy: str, budget: int, epochs: int, batch_size: int = 1, batched: bool = False) -> dict[str, Any]:
    """The default-protocol figures: both processes, same run, and ``ratio_default``."""
    load = os.getloadavg()[0]  # other jobs on the machine make every figure an upper bound
    t_nasbook, archs = nasbook_search(strategy, budget, epochs, batch_size=batch_size, batched=batched)
    t_plain = plain_loop(archs, epochs)
    return {"default_strategy": strategy, "default_budget": budget, "default_epochs": epochs,
            "default_batch_size": batch_size, "default_batched": batched, "load_average": load,
            "default_trained": len(archs), "default_nasbook_s": t_nasbook, "default_plain_s": t_plain,
            "ratio_default": t_plain / t_nasbook}


def report(f: dict[str, Any]) -> None:
    how = (f", {f['default_batch_size']} proposals at once" if f.get("default_batch_size", 1) > 1 else "") + \
          (", stacked (batched=True)" if f.get("default_batched") else "")
    print(f"default protocol ({f['default_epochs']} epochs, batch 64), {f['default_strategy']} search{how}, "
          f"{f['default_trained']} trainings, whole processes: nasbook {f['default_nasbook_s']:.1f} s, "
          f"plain loop {f['default_plain_s']:.1f} s, ratio_default {f['ratio_default']:.2f} (target >= 2; "
          f"load average {f.get('load_average', float('nan')):.1f} before)")


def fast_requested(flag: bool) -> bool:
    return flag or os.environ.get("NASBOOK_FAST", "0").strip().lower() in ("1", "true", "yes")


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    parser.add_argument("--fast", action="store_true", help="budget 6, 3 epochs (also NASBOOK_FAST=1)")
    parser.add_argument("--strategy", default="evolution")
    parser.add_argument("--budget", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=1, help="proposals per ask (random search's batch_size)")
    parser.add_argument("--batched", action="store_true", help="same-shape stacking (not bit-identical)")
    args = parser.parse_args(argv)
    fast = fast_requested(args.fast)
    figures = measure(args.strategy, 6 if fast else args.budget, 3 if fast else 20,
                      batch_size=args.batch_size, batched=args.batched)
    report(figures)
    if args.json:
        print(json.dumps(figures))
    return figures


if __name__ == "__main__":
    main()
