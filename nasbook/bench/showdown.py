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
import time
from typing import Any, Iterable

import numpy as np

from ..result import SearchResult
from ..search import search
from ..strategies import STRATEGIES
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


def run_one(name: str, seed: int, budget: int, table: BenchTable) -> tuple[np.ndarray, float]:
    """One search on the table: its regret curve and its simulated training seconds."""
    strategy, mode = split_name(name)
    evaluator = TabularEvaluator(table)
    result = search(strategy, mode=mode, space=table.space, budget=budget, seed=seed,
                    evaluator=evaluator, progress=False)
    return regret_curve(result, table, budget), evaluator.clock


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
             table: BenchTable | None = None, checkpoints: Iterable[int] = CHECKPOINTS) -> dict[str, Any]:
    """Run every available strategy ``seeds`` times; return the summary plus the raw curves.

    The ``"strategies"`` entry is the JSON contract of ``benchmarks/showdown.py``; ``"curves"``
    (name -> (seeds, budget) array), ``"seconds"`` (wall time per strategy), ``"simulated"``
    (median simulated training seconds) and ``"missing"`` are for plots and reports.
    """
    table = table or load_table()
    checkpoints = [n for n in checkpoints if n <= budget]
    names, missing = available(names)
    out: dict[str, Any] = {"budget": budget, "seeds": seeds, "strategies": {}, "curves": {},
                           "seconds": {}, "simulated": {}, "missing": missing}
    for name in names:
        start = time.perf_counter()
        runs = [run_one(name, seed, budget, table) for seed in range(seeds)]
        curves = np.array([curve for curve, _ in runs])
        out["strategies"][name] = summarise(curves, checkpoints)
        out["curves"][name] = curves
        out["simulated"][name] = float(np.median([clock for _, clock in runs]))
        out["seconds"][name] = time.perf_counter() - start
    return out
