"""DARTS' collapse and weight sharing's ranking on the cell space (digits as images), measured.

    python benchmarks/cell_darts.py collapse [--table PATH] [--seeds 3] [--epochs 5 10 20 30] [--batch 128]
    python benchmarks/cell_darts.py sharing  [--table PATH] [--seeds 3] [--n 20] [--steps 1000]

The truth of a cell is its validation loss from the cell table when ``--table`` is given
(``nasbook.tabular.TabularEvaluator``; a partial table refuses untrained cells), otherwise from
really training it (``Evaluator``, the default protocol: 20 epochs, batch 64, seed 0).
``collapse`` prints one row per (seed, epochs, DARTS / DARTS+), the medians and the verdict on
DARTS+ (:mod:`nasbook.experiments.collapse`); ``sharing`` prints Spearman/Kendall per supernet
seed with intervals (:mod:`nasbook.experiments.sharing`). ``--fast``: tiny settings that only
check the script runs.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout
from nasbook import Evaluator, SearchSpace
from nasbook.evaluation import Protocol
from nasbook.experiments.collapse import collapse, remedy_verdict, summary, truth_from
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
    parser.add_argument("--fast", action="store_true")
    args = parser.parse_args()
    if args.fast:
        args.seeds, args.epochs, args.n, args.steps = 2, [1, 2], 4, 10
    if args.table:
        from nasbook.tabular import TabularEvaluator

        truth = truth_from(TabularEvaluator(args.table))
    else:
        epochs = 1 if args.fast else 20
        truth = truth_from(Evaluator(task="digits_images", family="cell", device="cpu",
                                     protocol=Protocol("truth", epochs=epochs, batch_size=64)))
    start = time.perf_counter()
    pd.set_option("display.width", 200)
    if args.what == "collapse":
        search = Evaluator(task="digits_images", family="cell", device="cpu",
                           protocol=Protocol("search", epochs=20, batch_size=args.batch))
        frame = collapse(truth, search, epochs=args.epochs, seeds=range(args.seeds), order=args.order)
        print(frame.to_string(), summary(frame), remedy_verdict(frame), sep="\n\n")
    else:
        judged = judge_weight_sharing(SearchSpace(CELL_SPACE), truth, "digits_images", n=args.n,
                                      seeds=range(args.seeds), steps=args.steps)
        print(judged.frame.to_string(), judged, sep="\n\n")
    print(f"\n{time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
