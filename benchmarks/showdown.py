"""Every strategy on the tabular benchmark, 30 seeds each: median and IQR of regret.

    python benchmarks/showdown.py --seeds 30 --budget 100 [--json]

Prints a table (regret at 10, 25, 50 and 100 evaluations: median [inter-quartile range]) and,
beside it, the held-out truth: the median test loss of each seed's pick (retrained under the
table's protocol, scored on the task's test split; --no-test skips it).
With --json the last stdout line is
{"budget": B, "seeds": S, "strategies": {name: {"median_regret": {...}, "iqr_regret": {...}}},
 "test_loss": {name: median test loss of the picks}}   (test_loss only without --no-test).

    python benchmarks/showdown.py --record-subspace-darts   # DARTS on 07's smaller spaces, recorded
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

from nasbook.tabular.recorded import RECORD_PATH, key, load_records  # noqa: E402
from nasbook.experiments.showdown import CHECKPOINTS, SHOWDOWN, record_darts, showdown  # noqa: E402
from nasbook.experiments.heldout import distinct_picks, pick_test_losses  # noqa: E402
from nasbook.experiments.subspaces import record_subspace_darts  # noqa: E402
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
    parser.add_argument("--record-subspace-darts", action="store_true",
                        help="record real DARTS (default mode, budget 25) on 07's small and medium sub-spaces "
                             "for --seeds seeds into nasbook/data/darts_subspaces.json (kept runs are skipped)")
    parser.add_argument("--no-test", action="store_true", help="skip retraining the picks for their test loss")
    parser.add_argument("--json", action="store_true", help="print the JSON summary as the last line")
    args = parser.parse_args()
    start = time.perf_counter()
    table = load_table()
    if args.record_subspace_darts:
        record_subspace_darts(table, ["small", "medium"], seeds=args.seeds, budget=25)
        return 0
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
    test = {} if args.no_test else {name: float(np.median(losses)) for name, losses in pick_test_losses(out, table).items()
                                    if not np.isnan(losses).all()}
    marks = [n for n in CHECKPOINTS if n <= args.budget]
    print(f"tabular benchmark: {table.size} architectures, optimum {table.optimum:.4f} "
          f"({table.optimum_arch}); {args.seeds} seeds, budget {args.budget}")
    print("regret = true score of the pick minus the optimum: median [inter-quartile range] over seeds")
    if test:
        print(f"test loss = the pick's loss on the task's held-out test split (median over seeds; "
              f"{distinct_picks(out)} distinct picks retrained)")
    print(f"{'strategy':<18}" + "".join(f"{'@' + str(n):>20}" for n in marks)
          + (f"{'test loss':>11}" if test else "") + f"{'sim. train s':>14}{'cpu s':>8}")
    for name, summary in out["strategies"].items():
        cells = []
        for n in marks:
            med, iqr = summary["median_regret"][str(n)], summary["iqr_regret"][str(n)]
            cells.append(f"{'inf' if med is None else f'{med:.4f}'} [{'-' if iqr is None else f'{iqr:.4f}'}]")
        print(f"{name:<18}" + "".join(f"{c:>20}" for c in cells)
              + (f"{test.get(name, float('nan')):>11.4f}" if test else "")
              + f"{out['simulated'][name]:>14.1f}{out['seconds'][name]:>8.1f}")
    for name, runs in out["runs"].items():
        if any(count != args.seeds for count in runs.values()):
            print(f"{name:<18} seeds behind each number: {runs} (DARTS runs missing from the recording are left out)")
    for name, why in out["missing"].items():
        print(f"{name:<18} not run: {why}")
    print(f"total {time.perf_counter() - start:.1f} s")
    if args.json:
        print(json.dumps({"budget": args.budget, "seeds": args.seeds, "strategies": out["strategies"],
                          **({"test_loss": test} if test else {})}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
