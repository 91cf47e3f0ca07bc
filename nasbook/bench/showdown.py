"""The showdown: every strategy, many seeds, one table — medians instead of anecdotes.

A single search run says little: the same strategy with another seed may finish first or
last. On the tabular benchmark a search costs milliseconds, so each strategy runs with
30 seeds and we compare the *distribution* of its **regret**: the true score (mean over
training seeds, :attr:`BenchTable.mean_val_loss`) of the architecture it would pick —
its best-scoring trial so far — minus the best true score in the whole space.

Budget is counted in evaluations. A strategy that spends compute outside the evaluator
(DARTS' supernet, ``charged_evaluations``) is charged for it up front: its k-th trial
counts as evaluation ``charged + k``, and before its first trial its regret is ``inf``.
"""
from __future__ import annotations

import math
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Iterable

import numpy as np

from ..result import SearchResult
from ..search import search
from ..strategies import STRATEGIES
from ..validation import check_int
from .evaluator import TabularEvaluator
from .table import BenchTable, load_table

SHOWDOWN = ("random", "local", "rl/seed", "rl/default", "evolution/seed", "evolution/default",
            "darts/seed", "darts/default", "optuna-tpe")
CHECKPOINTS = (10, 25, 50, 100)


def split_name(name: str) -> tuple[str, str]:
    """``"rl/seed"`` -> ("rl", "seed"); a name without a mode runs in the default mode."""
    strategy, _, mode = name.partition("/")
    return strategy, mode or "default"


def available(names: Iterable[str]) -> tuple[list[str], dict[str, str]]:
    """The names that can run here, and why the others cannot."""
    ok, missing = [], {}
    for name in names:
        strategy, _ = split_name(name)
        if strategy not in STRATEGIES:
            missing[name] = f"strategy {strategy!r} is not in this nasbook (have {sorted(STRATEGIES)})"
        elif strategy == "optuna-tpe":
            try:
                import optuna  # noqa: F401
            except ImportError:
                missing[name] = "Optuna is not installed (pip install 'nasbook[peers]')"
                continue
            ok.append(name)
        else:
            ok.append(name)
    return ok, missing


def regret_curve(result: SearchResult, table: BenchTable, budget: int) -> np.ndarray:
    """Regret after 1, 2, ..., ``budget`` evaluations (index n-1 = after n)."""
    charged = int(math.ceil(result.charged_evaluations))
    curve = np.full(budget, np.inf)
    best_score, best_regret = math.inf, math.inf
    for k, trial in enumerate(result.trials):
        if trial.score < best_score:
            best_score, best_regret = trial.score, table.regret(trial.arch)
        at = charged + k  # this trial completes evaluation number at+1
        if at < budget:
            curve[at:] = best_regret
    return curve


def run_one(name: str, seed: int, budget: int, table: BenchTable | None = None) -> tuple[np.ndarray, float, float]:
    """One search on the table: its regret curve, simulated training seconds, wall seconds."""
    table = table or _WORKER_TABLE
    start = time.perf_counter()
    strategy, mode = split_name(name)
    evaluator = TabularEvaluator(table)
    result = search(strategy, mode=mode, space=table.space, budget=budget, seed=seed,
                    evaluator=evaluator, progress=False)
    return regret_curve(result, table, budget), evaluator.clock, time.perf_counter() - start


_WORKER_TABLE: BenchTable | None = None  # the table, inherited by forked worker processes


def run_all(jobs: list[tuple[str, int]], budget: int, table: BenchTable, workers: int) -> list[tuple]:
    """Run every (name, seed) job, in ``workers`` forked processes when more than one."""
    global _WORKER_TABLE
    if workers <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        return [run_one(name, seed, budget, table) for name, seed in jobs]
    _WORKER_TABLE = table
    try:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            return list(pool.map(run_one, *zip(*jobs), [budget] * len(jobs), chunksize=5))
    finally:
        _WORKER_TABLE = None


def summarise(curves: np.ndarray, checkpoints: Iterable[int]) -> dict[str, dict[str, float | None]]:
    """Median and inter-quartile range of regret over seeds at each checkpoint."""
    median, iqr = {}, {}
    for n in checkpoints:
        values = curves[:, n - 1]
        q1, q2, q3 = np.percentile(values, [25, 50, 75]) if np.isfinite(values).any() else (np.inf,) * 3
        median[str(n)] = float(q2) if np.isfinite(q2) else None
        iqr[str(n)] = float(q3 - q1) if np.isfinite(q3 - q1) else None
    return {"median_regret": median, "iqr_regret": iqr}


def showdown(names: Iterable[str] = SHOWDOWN, seeds: int = 30, budget: int = 100,
             table: BenchTable | None = None, checkpoints: Iterable[int] = CHECKPOINTS,
             workers: int = 1) -> dict[str, Any]:
    """Run every available strategy ``seeds`` times; return the summary plus the raw curves.

    The ``"strategies"`` entry is the JSON contract of ``benchmarks/showdown.py``; ``"curves"``
    (name -> (seeds, budget) array of regret after 1..budget evaluations), ``"seconds"``
    (summed wall time of a strategy's runs), ``"simulated"`` (median simulated training
    seconds per run) and ``"missing"`` are for plots and reports. ``workers`` > 1 spreads
    the runs over forked processes; results do not depend on it.
    """
    table = table or load_table()
    checkpoints = [n for n in checkpoints if n <= budget]
    names, missing = available(names)
    out: dict[str, Any] = {"budget": budget, "seeds": seeds, "strategies": {}, "curves": {},
                           "seconds": {}, "simulated": {}, "missing": missing}
    jobs = [(name, seed) for name in names for seed in range(seeds)]
    runs = run_all(jobs, budget, table, check_int("workers", workers, minimum=1))
    for k, name in enumerate(names):
        mine = runs[k * seeds:(k + 1) * seeds]
        curves = np.array([curve for curve, _, _ in mine]).reshape(seeds, budget)
        out["strategies"][name] = summarise(curves, checkpoints)
        out["curves"][name] = curves
        out["simulated"][name] = float(np.median([clock for _, clock, _ in mine]))
        out["seconds"][name] = float(sum(wall for _, _, wall in mine))
    return out
