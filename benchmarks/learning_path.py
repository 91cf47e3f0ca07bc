"""The whole learning path: how long each notebook takes at full budget, and in all.

    python benchmarks/learning_path.py [--json] [--fast] [NOTEBOOK ...]

Each notebook runs in a fresh kernel, one after the other, as a learner would run them
(:mod:`notebook_runs`). ``--fast`` (or NASBOOK_FAST=1) runs the CI budgets instead, to
check that it works; the figures to quote come from full budgets on idle cores.
Name notebooks (``01 04``) to run only those.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from notebook_runs import run_chosen  # noqa: E402


def show(path: Path, run: dict) -> None:
    shown = f"{run['seconds']:8.1f} s" if run["ok"] else f"FAILED after {run['process_s']:.0f} s"
    print(f"{path.name:40s} {shown}", flush=True)


def main(argv: list[str] | None = None) -> list[dict]:
    args, fast, runs = run_chosen(__doc__.split("\n")[0], argv, show)
    total = sum(r.get("seconds", r["process_s"]) for r in runs)
    print(f"{'total (' + ('fast' if fast else 'full') + ' budgets)':40s} {total:8.1f} s"
          + ("" if all(r["ok"] for r in runs) else "  (some notebooks failed: see --json)"))
    if args.json:
        print(json.dumps({"fast": fast, "total_s": total, "notebooks": runs}))
    return runs


if __name__ == "__main__":
    main()
