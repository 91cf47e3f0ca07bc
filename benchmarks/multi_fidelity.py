"""Issue 16's targets, printed (never asserted): the showdown on the learning-curve table.

    python benchmarks/multi_fidelity.py                 # (a) and (b): seconds
    python benchmarks/multi_fidelity.py --real          # and (c): trains for real (minutes)

(a) **Speed.** Every strategy, full- and multi-fidelity (``showdown.EVERY``), 30 seeds, 100
    evaluation-equivalents each on the learning-curve table (``nasbook.tabular.CURVE_PATH``):
    the wall time (target < 60 s), the median regret at each checkpoint, and each strategy
    against random search at the full budget (``showdown.against``: Wilcoxon, bootstrap
    interval, Holm across the strategies).
(b) **Against a standard tuner.** At 50 evaluation-equivalents, each nasbook strategy against
    Optuna TPE at full fidelity, seed by seed (the same showdown's runs, read at 50): which,
    if any, has a lower median regret with a test that says so (FOR). Printed whatever it says.
(c) **Real training.** A real Hyperband search (the ``synthetic`` task, the ``default``
    protocol: nothing looked up) and a real 50-evaluation random search with the same seed,
    one after the other in this process: the wall time at which Hyperband's pick first
    scores random search's best validation loss, as a fraction of random search's wall time
    (target at most 1/3); printed for its pick at any fidelity (what stopping then returns)
    and for a pick trained for the full 20 epochs. With one seed both searches draw the same
    first architectures (Hyperband's brackets then hold all of random search's): it measures how
    fast Hyperband finds the best of the same candidates; ``--band-seed`` makes them independent.

DARTS replays its recorded runs (recorded under the seed-protocol table's protocol; the
learning-curve table scores their proposals, as the printed note says).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

import nasbook  # noqa: E402
from nasbook.experiments.anytime import time_to_reach  # noqa: E402
from nasbook.experiments.showdown import CHECKPOINTS, EVERY, against, showdown, split_name  # noqa: E402
from nasbook.tabular.table import CURVE_PATH, load_table  # noqa: E402

TUNER = "optuna-tpe"


def print_verdicts(title: str, verdicts: dict, alone: dict | None = None) -> None:
    """One line per strategy: its verdict (Holm across the set) and, with ``alone``, the verdict
    of that comparison on its own (as if it were the only one planned)."""
    print(title)
    for name, v in sorted(verdicts.items(), key=lambda item: item[1].effect):
        print(f"  {name:<18} {v.outcome:<13} median difference {v.effect:+.4f} [{v.low:+.4f}, {v.high:+.4f}]  "
              f"p = {v.p:.2g} (Holm {v.p_adjusted:.2g}), {v.n} seeds"
              + (f"; alone: {alone[name].outcome}" if alone else ""))


def speed_and_tuner(args: argparse.Namespace) -> None:
    table = load_table(args.table)
    start = time.perf_counter()
    out = showdown(EVERY, seeds=args.seeds, budget=args.budget, table=table, workers=args.workers)
    wall = time.perf_counter() - start
    print(f"(a) {len(out['curves'])} strategies x {args.seeds} seeds x {args.budget} evaluation-equivalents on "
          f"{Path(args.table).name} ({table.size} architectures, seeds trained: "
          f"{int(table.done_runs.sum(axis=1).min())}-{int(table.done_runs.sum(axis=1).max())} each): "
          f"{wall:.1f} s wall with {args.workers} worker(s) (target < 60 s); summed per-strategy run time "
          f"{sum(out['seconds'].values()):.1f} s")
    marks = [n for n in CHECKPOINTS if n <= args.budget]
    print(f"  median regret [IQR] at {marks} evaluation-equivalents:")
    for name, summary in sorted(out["strategies"].items(), key=lambda item: item[1]["median_regret"][str(marks[-1])]
                                or np.inf):
        cells = [f"{summary['median_regret'][str(n)] or np.inf:.4f} [{summary['iqr_regret'][str(n)] or np.inf:.4f}]"
                 for n in marks]
        print(f"  {name:<18}" + "".join(f"{c:>20}" for c in cells) + f"{out['seconds'][name]:>8.1f} s")
    for name, note in out["notes"].items():
        print(f"  note {name}: {note}")
    for name, why in out["missing"].items():
        print(f"  not run {name}: {why}")
    print_verdicts(f"  against random at {args.budget}:", against(out, "random"))
    if TUNER not in out["curves"] or args.budget < 50:
        print(f"(b) skipped: needs {TUNER} and a budget of at least 50")
        return
    own = {name: curves for name, curves in out["curves"].items()
           if name == TUNER or not split_name(name)[0].startswith("optuna")}
    mine = {**out, "curves": own}  # the nasbook strategies and the tuner: Holm over those comparisons only
    verdicts, alone = against(mine, TUNER, at=50), against(mine, TUNER, at=50, holm=False)
    print_verdicts(f"(b) each nasbook strategy against {TUNER} (full fidelity) at 50 evaluation-equivalents "
                   f"({TUNER}'s median regret {np.median(out['curves'][TUNER][:, 49]):.4f}):", verdicts, alone)
    winners = [name for name, v in verdicts.items() if v.outcome == "FOR"]
    print(f"  lower median regret than {TUNER} with a test that says so (Holm across the {len(verdicts)}): "
          f"{', '.join(winners) or 'none'}; by its own test alone: "
          f"{', '.join(n for n, v in alone.items() if v.outcome == 'FOR') or 'none'}")


def real_race(args: argparse.Namespace) -> None:
    common = dict(task="synthetic", protocol="default", budget=args.real_budget, device="cpu", progress=False)
    random = nasbook.search("random", seed=args.real_seed, **common)
    target = random.best_val_loss
    band_seed = args.real_seed if args.band_seed is None else args.band_seed
    band = nasbook.search("hyperband", seed=band_seed, **common)
    print(f"(c) real searches on 'synthetic' (default protocol), seeds {args.real_seed} and {band_seed}: random search "
          f"{random.evaluations} evaluations in {random.seconds:.1f} s, best validation loss {target:.4f}; "
          f"hyperband {len(band.trials)} trials, {band.spent:.2f} evaluation-equivalents in {band.seconds:.1f} s, "
          f"best {band.best_val_loss:.4f}")
    for full, which in ((False, "pick (at any fidelity)"), (True, "pick trained for the full epochs")):
        reached = time_to_reach(band, target, full=full)
        if reached is None:
            print(f"  hyperband's {which} never reached random search's best (target: within 1/3 of its wall time)")
        else:
            print(f"  hyperband's {which} reached it after {reached:.1f} s = {reached / random.seconds:.2f} of "
                  "random search's wall time (target <= 0.33)")
    # what a reader needs to weigh that number: when random found its own best, and how many
    # architectures the two searches shared (one seed: both draw their first samples alike)
    mine = {nasbook.SearchSpace().index(t.arch) for t in random.trials}
    shared = {nasbook.SearchSpace().index(t.arch) for t in band.trials} & mine
    print(f"  random search found its best after {time_to_reach(random, target):.1f} s; "
          f"{len(shared)} of random search's {len(mine)} architectures were among hyperband's; "
          f"seconds per evaluation-equivalent: random {random.seconds / random.spent:.2f}, "
          f"hyperband {band.seconds / band.spent:.2f} (the machine's load moves both)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", default=str(CURVE_PATH))
    parser.add_argument("--seeds", type=int, default=30)
    parser.add_argument("--budget", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2, help="processes (results do not depend on it)")
    parser.add_argument("--real", action="store_true", help="also (c): real Hyperband vs real random search")
    parser.add_argument("--real-only", action="store_true", help="only (c)")
    parser.add_argument("--real-budget", type=int, default=50)
    parser.add_argument("--real-seed", type=int, default=0)
    parser.add_argument("--band-seed", type=int, default=None,
                        help="hyperband's seed (default: random search's; with the same seed hyperband's first "
                             "samples are random search's, another seed makes the two searches independent)")
    args = parser.parse_args()
    if not args.real_only:
        speed_and_tuner(args)
    if args.real or args.real_only:
        real_race(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
