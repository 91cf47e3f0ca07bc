"""The showdown on the cell table: every strategy but DARTS x 30 seeds x 100 evaluations, timed.

    python benchmarks/cells.py [--seeds 30] [--budget 100] [--table PATH] [--json]

Target (issue 17): the whole showdown in under 60 s. Prints what the table holds (cells
trained, seeds), the median regret [inter-quartile range] of each strategy at 10, 25, 50 and
100 evaluations, each strategy's wall seconds, the total wall time against the target, and the
verdicts: each strategy's median regret with a bootstrap interval, and each against random
search at 25 and at the full budget (``showdown.against``: Wilcoxon, bootstrap interval of the
median difference, Holm across the strategies).

**Which seed a trial reads.** The cell table holds seed 0 of every isomorphism class and seeds
0-2 of a 200-class sample (``table.covers_space``). The
:class:`~nasbook.tabular.evaluator.TabularEvaluator` draws a trial's seed only among the seeds
trained for that cell, so a cell outside the sample always answers seed 0 and a sampled cell
one of its three: no trial is a "not trained" failure, and no single-seed mode is needed. A
cell's true score is the mean over the seeds it has (one seed for most cells). The script says
so, and counts the runs whose pick is a sampled cell. On a table that does not cover the space
(a build under way) the untrained cells are failed trials and regret is measured against the
best cell trained so far: the script says that too. DARTS trains a supernet, so it is not a
lookup: it is left out here.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

from multi_fidelity import print_verdicts  # noqa: E402  (benchmarks/, on the path when run as a script)
from nasbook.experiments.showdown import CHECKPOINTS, NO_PICK, against, showdown  # noqa: E402
from nasbook.experiments.stats import median_interval  # noqa: E402
from nasbook.strategies import STRATEGIES  # noqa: E402
from nasbook.tabular.table import CELLS_PATH, BenchTable  # noqa: E402

TARGET_SECONDS = 60.0
NAMES = tuple(name for name in STRATEGIES if name != "darts")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=30)
    parser.add_argument("--budget", type=int, default=100)
    parser.add_argument("--table", default=str(CELLS_PATH), help="the cell table (default: the shipped one)")
    parser.add_argument("--strategies", default=",".join(NAMES), help="comma-separated names")
    parser.add_argument("--workers", type=int, default=1, help="processes (results do not depend on it)")
    parser.add_argument("--json", action="store_true", help="print the JSON summary as the last line")
    args = parser.parse_args()
    table = BenchTable.load(args.table)
    rows = table.rows["done"]
    print(f"cell table {args.table}: {int(rows.any(axis=1).sum())} of {len(rows)} cell classes trained "
          f"({int(table.built.sum())} of {table.size} cells answered), {int(rows.sum())} runs, "
          f"{int(rows.all(axis=1).sum())} classes with all {len(table.seeds)} seeds; protocol "
          f"{table.protocol.name!r} ({table.epochs} epochs, batch {table.protocol.batch_size}); "
          f"optimum {table.optimum:.4f}")
    start = time.perf_counter()
    out = showdown(args.strategies.split(","), seeds=args.seeds, budget=args.budget, table=table,
                   workers=args.workers)
    wall = time.perf_counter() - start
    marks = [n for n in CHECKPOINTS if n <= args.budget]
    print(f"regret = true score of the pick minus the optimum: median [IQR] over {args.seeds} seeds")
    print(f"{'strategy':<18}" + "".join(f"{'@' + str(n):>20}" for n in marks) + f"{'wall s':>8}")
    for name, summary in out["strategies"].items():
        cells = []
        for n in marks:
            med, iqr = summary["median_regret"][str(n)], summary["iqr_regret"][str(n)]
            cells.append(f"{'inf' if med is None else f'{med:.4f}'} [{'-' if iqr is None else f'{iqr:.4f}'}]")
        print(f"{name:<18}" + "".join(f"{c:>20}" for c in cells) + f"{out['seconds'][name]:>8.1f}")
    for name, why in out["missing"].items():
        print(f"{name:<18} not run: {why}")
    several = table.done_runs.sum(axis=1) > 1
    if table.covers_space:
        picks = [p for picks in out["picks"].values() for p, _ in picks if p != NO_PICK[0]]
        print(f"every cell answers (table.covers_space): no trial is a 'not trained' failure; trials of the "
              f"{int((table.rows['done'].sum(axis=1) > 1).sum())} classes with several seeds draw one of them, "
              f"every other cell seed 0; {sum(bool(several[p]) for p in picks)} of {len(picks)} picks are such cells")
    else:
        print(f"the table does not cover the space: {int((~table.built).sum())} cells are failed trials and "
              "regret is measured against the best cell trained so far")
    print(f"median regret at {args.budget} with a 95 % bootstrap interval over {args.seeds} seeds:")
    for name, curves in sorted(out["curves"].items(), key=lambda item: np.median(item[1][:, -1])):
        print(f"  {name:<18} {median_interval(curves[:, -1])}")
    for at in sorted({min(25, args.budget), args.budget}):
        print_verdicts(f"each strategy against random at {at} evaluations (Holm across {len(out['curves']) - 1}):",
                       against(out, "random", at=at))
    verdict = "met" if wall < TARGET_SECONDS else "MISSED"
    print(f"showdown on the cell table: {len(out['strategies'])} strategies x {args.seeds} seeds x "
          f"{args.budget} evaluations in {wall:.1f} s wall (target < {TARGET_SECONDS:.0f} s: {verdict})")
    if args.json:
        print(json.dumps({"budget": args.budget, "seeds": args.seeds, "wall_seconds": round(wall, 2),
                          "strategies": out["strategies"]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
