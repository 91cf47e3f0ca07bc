"""The article's results table, reproduced over several seeds, next to the careful versions.

The article reports one run each: RL 0.2744 (5 episodes), EA 0.1498 (population 10 × 5
generations), DARTS 3.6725 (50 supernet epochs). This script runs each strategy at those
budgets on the ``synthetic`` task with the article's inner loop (the ``article`` protocol: 10
full-batch epochs per evaluation), in ``article`` mode (the article's strategy) and in
``default`` mode (the careful one) at the same budget, over ``--seeds`` seeds, and prints
mean ± std of the best validation MSE and of the wall-clock seconds.

Budgets in evaluations: RL 5, EA 50 (10 × 5, elites re-evaluated from the cache), DARTS 11:
50 epochs × (1 weight + 1 architecture pass) = 100 passes = 10 evaluations of 10 steps,
plus the retraining of the chosen architecture. Default-mode DARTS spends the same 11:
half on the supernet (25 epochs), the rest on the chosen architecture and a follow-up
search of the keys DARTS cannot relax.

    nice -n 10 python benchmarks/seed_table.py [--seeds 5] [--threads 1] [--markdown]

One torch thread by default: these networks are tiny, and on a shared 2-core machine a
thread pool costs more than it saves.
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch

import nasbook
from nasbook import Evaluator
from nasbook.strategies import DARTS, Evolution, REINFORCE

ARTICLE = {"rl": 0.2744, "evolution": 0.1498, "darts": 3.6725}
BUDGETS = {"rl": (5, "5 episodes"), "evolution": (50, "10 x 5 generations"), "darts": (11, "50 epochs + retrain")}


def strategy(name: str, mode: str) -> nasbook.Strategy:
    if name == "rl":
        return REINFORCE(mode=mode)
    if name == "evolution":
        return Evolution(mode=mode, population_size=10)
    return DARTS(mode=mode, epochs=50) if mode == "article" else DARTS(mode=mode)


def fmt(values: list[float], digits: int = 4) -> str:
    std = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.mean(values):.{digits}f} ± {std:.{digits}f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rows = []
    start = time.perf_counter()
    for name, (budget, label) in BUDGETS.items():
        for mode in ("article", "default"):
            best, seconds, hits, evals, fails = [], [], [], [], []
            for seed in range(args.seeds):
                evaluator = Evaluator(task="synthetic", protocol="article", device="cpu")  # fresh cache per run
                result = nasbook.search(strategy(name, mode), budget=budget, seed=seed, evaluator=evaluator,
                                        progress=False)
                best.append(result.best_val_loss)
                seconds.append(result.seconds)
                hits.append(result.cache_hits)
                evals.append(result.evaluations)
                fails.append(result.failures)
            rows.append((name, mode, label if mode == "article" else "same budget", budget, fmt(best),
                         fmt(seconds, 2), statistics.mean(evals), statistics.mean(hits), sum(fails),
                         ARTICLE[name] if mode == "article" else None))
            print(f"  done {name}/{mode} ({time.perf_counter() - start:.0f} s so far)", flush=True)
    head = ("strategy", "mode", "article budget", "budget (evaluations)", "best val MSE (mean ± std)",
            "seconds (mean ± std)", "evaluations run", "cache hits", "failed trials", "article (1 run)")
    lines = []
    if args.markdown:
        lines.append("| " + " | ".join(head) + " |")
        lines.append("|" + "---|" * len(head))
    for name, mode, label, budget, best, secs, evals, hits, fails, article in rows:
        cells = (name, mode, label, str(budget), best, secs, f"{evals:g}", f"{hits:g}", str(fails),
                 "" if article is None else f"{article}")
        lines.append("| " + " | ".join(cells) + " |" if args.markdown else "  ".join(f"{c:<14}" for c in cells))
    print(f"\n{args.seeds} seeds, task synthetic, seed protocol (10 full-batch epochs per evaluation), "
          f"{torch.get_num_threads()} torch thread(s); total {time.perf_counter() - start:.0f} s")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
