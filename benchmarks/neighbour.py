"""The same search on idle cores and beside a busy neighbour process: how much slower?

    python benchmarks/neighbour.py [--json] [--fast] [--strategy evolution] [--budget 20] [--neighbours 1]

A learner's laptop runs a browser; Binder and Colab share their cores with other users.
Here the neighbour is a process spinning on the CPU (``while True: pass``). The search is
:mod:`default_protocol`'s (a whole process, every setting at its default), run once on
idle cores and once beside the neighbour(s); the printed ``slowdown`` is the ratio of
their wall times (the target is at most 1.5 beside one neighbour). For contrast the plain
loop (torch's default threads) is timed the same two ways.

``--fast`` (or NASBOOK_FAST=1): budget 6, 3 epochs, to check that it runs. Run it on an
otherwise idle machine: other jobs are neighbours too, and make "idle" mean nothing.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import default_protocol  # noqa: E402

SPIN = "while True: pass"


def beside_neighbours(count: int, run: Any) -> Any:
    """``run()`` while ``count`` processes spin on the CPU; they are stopped afterwards."""
    spinners = [subprocess.Popen([sys.executable, "-c", SPIN]) for _ in range(count)]
    try:
        return run()
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    parser.add_argument("--fast", action="store_true", help="budget 6, 3 epochs (also NASBOOK_FAST=1)")
    parser.add_argument("--strategy", default="evolution")
    parser.add_argument("--budget", type=int, default=20)
    parser.add_argument("--neighbours", type=int, default=1, help="busy processes beside the search")
    args = parser.parse_args(argv)
    fast = default_protocol.fast_requested(args.fast)
    budget, epochs = (6, 3) if fast else (args.budget, 20)
    idle, archs = default_protocol.nasbook_search(args.strategy, budget, epochs)
    busy, _ = beside_neighbours(args.neighbours, lambda: default_protocol.nasbook_search(args.strategy, budget, epochs))
    plain_idle = default_protocol.plain_loop(archs, epochs)
    plain_busy = beside_neighbours(args.neighbours, lambda: default_protocol.plain_loop(archs, epochs))
    figures = {"strategy": args.strategy, "budget": budget, "epochs": epochs, "neighbours": args.neighbours,
               "idle_s": idle, "busy_s": busy, "slowdown": busy / idle,
               "plain_idle_s": plain_idle, "plain_busy_s": plain_busy, "plain_slowdown": plain_busy / plain_idle}
    print(f"{args.strategy} search, {budget} evaluations, {epochs} epochs, whole process:")
    print(f"  nasbook    idle {idle:6.1f} s, beside {args.neighbours} busy process(es) {busy:6.1f} s: "
          f"slowdown {figures['slowdown']:.2f} (target <= 1.5)")
    print(f"  plain loop idle {plain_idle:6.1f} s, beside {args.neighbours} busy process(es) {plain_busy:6.1f} s: "
          f"slowdown {figures['plain_slowdown']:.2f} (torch's default threads)")
    if args.json:
        print(json.dumps(figures))
    return figures


if __name__ == "__main__":
    main()
