"""Peak resident memory of each notebook's kernel at full budget (Binder gives about 2 GB).

    python benchmarks/memory.py [--json] [--fast] [NOTEBOOK ...]

Each notebook runs in a fresh kernel (:mod:`notebook_runs`); the kernel reports its own
peak resident set and that of the largest process it started and waited for (a training
pool worker, a subprocess). The target is every kernel at most 1.2 GB. ``--fast`` (or NASBOOK_FAST=1) runs the CI budgets, to check that it
works; the figures to quote come from full budgets.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from notebook_runs import run_chosen  # noqa: E402

LIMIT_MB = 1200


def show(path: Path, run: dict) -> None:
    if run["ok"]:
        verdict = "ok" if run["kernel_peak_mb"] <= LIMIT_MB else f"OVER {LIMIT_MB} MB"
        print(f"{path.name:40s} kernel {run['kernel_peak_mb']:7.0f} MB  largest child "
              f"{run['workers_peak_mb']:6.0f} MB  {verdict}", flush=True)
    else:
        print(f"{path.name:40s} FAILED: {run['error'][-200:]}", flush=True)


def main(argv: list[str] | None = None) -> list[dict]:
    args, fast, runs = run_chosen(__doc__.split("\n")[0], argv, show)
    worst = max((r["kernel_peak_mb"] for r in runs if r["ok"]), default=0.0)
    print(f"largest kernel peak {worst:.0f} MB ({'fast' if fast else 'full'} budgets; target <= {LIMIT_MB} MB)")
    if args.json:
        print(json.dumps({"fast": fast, "largest_kernel_mb": worst, "limit_mb": LIMIT_MB, "notebooks": runs}))
    return runs


if __name__ == "__main__":
    main()
