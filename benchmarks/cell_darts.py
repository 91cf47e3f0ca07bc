"""DARTS' collapse and weight sharing's ranking on the cell space (digits as images), measured.

    python benchmarks/cell_darts.py collapse [--table PATH] [--seeds 3] [--epochs 5 10 20 30] [--batch 128]
    python benchmarks/cell_darts.py collapse --record [--recording PATH] [--first-seed 3] [--seeds 12] [--epochs 64]
    python benchmarks/cell_darts.py collapse --recorded [--recording PATH] [--first-seed 3] [--max-free-edges 1]
    python benchmarks/cell_darts.py sharing  [--table PATH] [--seeds 3] [--n 20] [--steps 1000]

The truth of a cell is its validation loss from the cell table when ``--table`` is given
(``collapse``: ``nasbook.tabular.TabularEvaluator``; ``sharing``: the table's true score, its mean
validation loss over the seeds it trained, of ``n`` cells of distinct isomorphism classes,
:func:`~nasbook.experiments.sharing.trained_sample`), otherwise from really training it
(``Evaluator``, the default protocol: 20 epochs, batch 64, seed 0). With a table, ``sharing``
also measures the pick against the table's optimum and, at equal cost (the supernet's steps
plus its scoring, counted in the table's trainings), plain random search on the table
(``--random-seeds`` seeds; the first ``--seeds`` of them paired with the supernet seeds for a
verdict, :func:`nasbook.experiments.stats.compare`).
``collapse`` prints one row per (seed, epochs, DARTS / DARTS+), the medians and the verdict on
DARTS+ (:mod:`nasbook.experiments.collapse`); ``sharing`` prints Spearman/Kendall per supernet
seed with intervals (:mod:`nasbook.experiments.sharing`). ``--fast``: tiny settings that only
check the script runs.

``--record`` extends the recorded measurement (``nasbook/data/cell_collapse.json`` unless
``--recording``): one supernet of ``max(--epochs)`` epochs per seed it lacks, seeds
``--first-seed`` on, saved after each seed, so an interrupted run resumes. ``--recorded`` reads
it against the cell table (seeds ``--first-seed`` on) and prints the rows, what the picks are worth and the verdicts
(:func:`~nasbook.experiments.collapse.collapse_from_recording`): no training at all.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import pandas as pd
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout
from nasbook import Evaluator, SearchSpace
from nasbook.evaluation import Protocol
from nasbook.experiments.collapse import (RECORDING_PATH, collapse, collapse_from_recording, collapse_verdicts,
                                          extend_recording, summary, truth_from, worth)
from nasbook.experiments.sharing import judge_weight_sharing
from nasbook.spaces.cell import CELL_SPACE


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["collapse", "sharing"])
    parser.add_argument("--table", default=None, help="a cell table (.npz) for the truth; default: train")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--epochs", type=int, nargs="+", default=[5, 10, 20, 30])
    parser.add_argument("--batch", type=int, default=128, help="the supernet's mini-batch (DARTS)")
    parser.add_argument("--order", default="first", choices=["first", "second"])
    parser.add_argument("--n", type=int, default=20, help="random cells ranked by weight sharing")
    parser.add_argument("--steps", type=int, default=1000, help="single-path supernet steps (weight sharing)")
    parser.add_argument("--max-skips", type=int, default=2, help="DARTS+'s threshold (remedy 1)")
    parser.add_argument("--max-free-edges", type=int, default=1, help="the parameter-free-edge threshold (remedy 2)")
    parser.add_argument("--record", action="store_true", help="extend the recording (collapse)")
    parser.add_argument("--recorded", action="store_true", help="judge the recording against the cell table")
    parser.add_argument("--recording", default=str(RECORDING_PATH))
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--random-seeds", type=int, default=30, help="plain random search at equal cost (--table)")
    parser.add_argument("--fast", action="store_true")
    args = parser.parse_args()
    if args.fast:
        args.seeds, args.epochs, args.n, args.steps = 2, [1, 2], 4, 10
    pd.set_option("display.width", 200)
    if args.recorded:
        return print_recorded(args)
    if args.record:
        torch.set_num_threads(1)  # the recording's setting (2 shared cores)
        search = Evaluator(task="digits_images", family="cell", device="cpu",
                           protocol=Protocol("search", epochs=20, batch_size=args.batch))
        seeds = range(args.first_seed, args.first_seed + args.seeds)
        for seed in seeds:  # one seed per call: each saved (and printed) as soon as it is done
            run = extend_recording(args.recording, search, [seed], max(args.epochs), order=args.order)["runs"][-1]
            print(f"seed {run['seed']}: {run['epochs']} epochs in {run['seconds']:.0f} s", flush=True)
        return None
    if args.table:
        from nasbook.tabular import TabularEvaluator

        truth = truth_from(TabularEvaluator(args.table))
    else:
        epochs = 1 if args.fast else 20
        truth = truth_from(Evaluator(task="digits_images", family="cell", device="cpu",
                                     protocol=Protocol("truth", epochs=epochs, batch_size=64)))
    start = time.perf_counter()
    if args.what == "collapse":
        search = Evaluator(task="digits_images", family="cell", device="cpu",
                           protocol=Protocol("search", epochs=20, batch_size=args.batch))
        frame = collapse(truth, search, epochs=args.epochs, seeds=range(args.seeds), order=args.order,
                         max_skips=args.max_skips, max_free_edges=args.max_free_edges)
        print(frame.to_string(), summary(frame), *collapse_verdicts(frame), sep="\n\n")
    elif not args.table:
        judged = judge_weight_sharing(SearchSpace(CELL_SPACE), truth, "digits_images", n=args.n,
                                      seeds=range(args.seeds), steps=args.steps)
        print(judged.frame.to_string(), judged, sep="\n\n")
    else:
        sharing_on_table(args)
    print(f"\n{time.perf_counter() - start:.0f} s")


def print_recorded(args: argparse.Namespace) -> None:
    """The recorded measurement against the cell table: rows, medians, worth, verdicts."""
    from nasbook.tabular import CELLS_PATH, load_table

    table = load_table(args.table or CELLS_PATH)
    runs = json.loads(Path(args.recording).read_text())["runs"]
    frame = collapse_from_recording(args.recording, table, seeds=[r["seed"] for r in runs if r["seed"] >= args.first_seed],
                                    max_skips=args.max_skips, max_free_edges=args.max_free_edges)
    seconds = [run["seconds"] / run["epochs"] for run in runs]
    print(frame.to_string(), summary(frame), worth(frame, table).to_string(), *collapse_verdicts(frame), sep="\n\n")
    print(f"\n{len(seconds)} seeds, {sum(seconds) / len(seconds):.2f} s per supernet epoch (median "
          f"{sorted(seconds)[len(seconds) // 2]:.2f})")


def sharing_on_table(args: argparse.Namespace) -> None:
    """Weight sharing judged by the cell table, and against plain random search at equal cost."""
    import numpy as np

    from nasbook.experiments import stats
    from nasbook.experiments.sharing import equal_cost_evaluations, random_search_regrets, table_score, trained_sample
    from nasbook.tabular.table import load_table

    table = load_table(args.table)
    archs = trained_sample(table, args.n, seed=0)
    judged = judge_weight_sharing(SearchSpace(CELL_SPACE), table_score(table),
                                  "digits_images", seeds=range(args.seeds), steps=args.steps, archs=archs,
                                  optimum=table.optimum)
    print(judged.frame.round(4).to_string(), judged, sep="\n\n")
    frame = judged.frame
    cost = args.steps * float((frame["seconds"] / frame["train_seconds"]).median())  # scoring, in supernet steps
    k = equal_cost_evaluations(judged, args.steps, table)
    plain = random_search_regrets(table, k, seeds=max(args.random_seeds, args.seeds))
    print(f"\nequal cost: {args.steps} supernet steps + scoring {args.n} cells = {cost:.0f} step-equivalents = "
          f"{k} trainings of the table ({table.arrays['steps'][table.done_runs].mean():.0f} steps each)")
    print(f"random search with weight sharing: regret against the optimum {judged.regret_optimum}")
    print(f"plain random search, {k} evaluations, {len(plain)} seeds: regret {stats.median_interval(plain)}")
    print(stats.compare(frame["regret_optimum"].to_numpy(), plain[: len(frame)],
                        f"random search with weight sharing has lower regret than random search at {k} evaluations"))
    print(f"plain random search at {args.n} evaluations (as many cells as weight sharing ranked, trained): "
          f"regret {stats.median_interval(random_search_regrets(table, args.n, seeds=args.random_seeds))}")


if __name__ == "__main__":
    main()
