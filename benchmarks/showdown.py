"""Every strategy on the tabular benchmark, 30 seeds each: median and IQR of regret.

    python benchmarks/showdown.py --seeds 30 --budget 100 [--json]

Prints a table (regret at 10, 25, 50 and 100 evaluations: median [inter-quartile range]).
With --json the last stdout line is
{"budget": B, "seeds": S, "strategies": {name: {"median_regret": {...}, "iqr_regret": {...}}}}.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

from nasbook.tabular.recorded import RECORD_PATH, key, load_records  # noqa: E402
from nasbook.experiments.showdown import CHECKPOINTS, SHOWDOWN, record_darts, showdown  # noqa: E402
from nasbook.tabular.table import load_table  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=30)
    parser.add_argument("--budget", type=int, default=100)
    parser.add_argument("--strategies", default=",".join(SHOWDOWN), help="comma-separated names")
    parser.add_argument("--workers", type=int, default=2, help="processes (results do not depend on it)")
    parser.add_argument("--record-darts", action="store_true",
                        help="train DARTS' supernets for real for every seed and checkpoint budget and save "
                             "the runs to nasbook/data/darts_synthetic.json (the showdown replays them)")
    parser.add_argument("--darts-budgets", default="10,25,50,100",
                        help="budgets to record (runs already in the recording are kept and skipped)")
    parser.add_argument("--train-missing-darts", action="store_true",
                        help="train DARTS runs missing from the recording for real (slow) instead of leaving them out")
    parser.add_argument("--json", action="store_true", help="print the JSON summary as the last line")
    args = parser.parse_args()
    start = time.perf_counter()
    table = load_table()
    if args.record_darts:  # saved after every run, so a partial recording is usable
        runs, start = list(load_records().values()), time.perf_counter()
        budgets = [int(n) for n in args.darts_budgets.split(",")]

        def save(run: dict) -> None:
            runs.append(run)
            RECORD_PATH.write_text(json.dumps({"about": "real DARTS runs, replayed by nasbook.tabular.recorded",
                                               "protocol": table.meta["protocol"], "workers": args.workers,
                                               "wall_seconds": round(time.perf_counter() - start, 1),
                                               "runs": runs}) + "\n")
            print(f"{len(runs)} runs, {time.perf_counter() - start:.0f} s: darts/{run['mode']} budget "
                  f"{run['budget']} seed {run['seed']} ({run['seconds']} s)", flush=True)

        record_darts(table, seeds=args.seeds, budgets=budgets, workers=args.workers, on_run=save,
                     skip=[key(r["mode"], r["budget"], r["seed"]) for r in runs])
        return 0
    out = showdown(args.strategies.split(","), seeds=args.seeds, budget=args.budget, table=table,
                   workers=args.workers, train_missing=args.train_missing_darts)
    marks = [n for n in CHECKPOINTS if n <= args.budget]
    print(f"tabular benchmark: {table.size} architectures, optimum {table.optimum:.4f} "
          f"({table.optimum_arch}); {args.seeds} seeds, budget {args.budget}")
    print("regret = true score of the pick minus the optimum: median [inter-quartile range] over seeds")
    print(f"{'strategy':<18}" + "".join(f"{'@' + str(n):>20}" for n in marks) + f"{'sim. train s':>14}{'cpu s':>8}")
    for name, summary in out["strategies"].items():
        cells = []
        for n in marks:
            med, iqr = summary["median_regret"][str(n)], summary["iqr_regret"][str(n)]
            cells.append(f"{'inf' if med is None else f'{med:.4f}'} [{'-' if iqr is None else f'{iqr:.4f}'}]")
        print(f"{name:<18}" + "".join(f"{c:>20}" for c in cells)
              + f"{out['simulated'][name]:>14.1f}{out['seconds'][name]:>8.1f}")
    for name, runs in out["runs"].items():
        if any(count != args.seeds for count in runs.values()):
            print(f"{name:<18} seeds behind each number: {runs} (DARTS runs missing from the recording are left out)")
    for name, why in out["missing"].items():
        print(f"{name:<18} not run: {why}")
    print(f"total {time.perf_counter() - start:.1f} s")
    if args.json:
        print(json.dumps({"budget": args.budget, "seeds": args.seeds, "strategies": out["strategies"]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
