"""Any-time performance against compute: what a search would pick if stopped after ``n`` units.

A full-fidelity search spends one evaluation per trial, so "after ``n`` trials" and "after
``n`` evaluations of compute" are the same thing. A multi-fidelity search is different: most
of its trials are cheap (``k`` of ``E`` epochs cost ``k / E``, a continued one only its extra
epochs, :func:`nasbook.fidelity.cost`), so counting trials would flatter it. Here the x-axis
is **compute in evaluation-equivalents** — the budget's own unit — and every strategy is
read at equal compute::

    spent, picks = incumbents(result)        # compute after each trial, and the pick then
    regret_by_compute(result, table, 50)     # regret after 1, 2, ..., 50 evaluation-equivalents

The pick after a prefix of trials is what :attr:`~nasbook.loop.result.SearchResult.best`
would return for that prefix: the best successful trial among those trained longest (a
2-epoch loss is not comparable with a 20-epoch one). For a full-fidelity search it is the
plain best so far, and one evaluation is one unit, exactly as before fidelity existed.
Compute the strategy charged itself up front (DARTS' supernet:
``result.charged_evaluations``) comes first, in whole units: nothing is picked before it is paid.
"""
from __future__ import annotations

import itertools
import math
from typing import Any, Callable

import numpy as np

from nasbook.fidelity import cost
from nasbook.loop.result import SearchResult
from nasbook.trial import Trial

ROUNDING = 1e-9  # twenty costs of 1/20 sum to 1.0000000000000002: still one unit


def picks(result: SearchResult) -> list["Trial | None"]:
    """The search's pick after each trial (None while nothing has succeeded)."""
    longest, best = -math.inf, None
    out: list[Trial | None] = []
    for trial in result.trials:
        if trial.ok:
            trained = result.trained_for(trial)
            if trained > longest or (trained == longest and trial.score < best.score):
                longest, best = trained, trial  # a longer training outranks every shorter one
        out.append(best)
    return out


def trial_compute(result: SearchResult) -> list[float]:
    """The evaluation-equivalents the trials had cost after each trial (without the charge)."""
    return list(itertools.accumulate(cost(trial, result.full_epochs) for trial in result.trials))


def incumbents(result: SearchResult) -> tuple[list[float], list["Trial | None"]]:
    """The compute spent after each trial (evaluation-equivalents, what the strategy charged
    itself included) and the search's pick then (None while nothing has succeeded)."""
    return [result.charged_evaluations + spent for spent in trial_compute(result)], picks(result)


def on_grid(result: SearchResult, units: int, value: Callable[[Trial], float]) -> np.ndarray:
    """``value(pick)`` after 1, 2, ..., ``units`` evaluation-equivalents (index ``n - 1``:
    after ``n``), ``inf`` before the first pick; the pick at ``n`` is the last one made by then.
    The strategy's own charge takes the first units, rounded up to whole ones."""
    curve = np.full(units, np.inf)
    first = math.ceil(result.charged_evaluations)
    for spent, pick in zip(trial_compute(result), picks(result)):
        at = first + max(0, math.ceil(spent - ROUNDING) - 1)  # this trial is done by unit at + 1
        if at >= units:
            break
        if pick is not None:
            curve[at:] = value(pick)
    return curve


def best_by_compute(result: SearchResult, units: int) -> np.ndarray:
    """The pick's validation loss after 1..``units`` evaluation-equivalents."""
    return on_grid(result, units, lambda trial: trial.score)


def regret_by_compute(result: SearchResult, table: Any, units: int) -> np.ndarray:
    """The pick's regret on the tabular benchmark ``table`` (its true score minus the best in
    the space, :meth:`~nasbook.tabular.table.BenchTable.regret`) after 1..``units`` evaluation-equivalents."""
    return on_grid(result, units, lambda trial: table.regret(trial.arch))


def time_to_reach(result: SearchResult, target: float, full: bool = False) -> float | None:
    """Wall seconds into the search (``trial.elapsed``) at which its pick — what stopping
    then would return — first scored ``target`` or lower (None if it never did): how long a
    user waited for as good a validation loss. With ``full=True`` only a pick trained for
    the full epochs counts (a short training's loss, however low, is not enough)."""
    for trial, pick in zip(result.trials, picks(result)):
        trained = pick is not None and result.trained_for(pick) >= (result.full_epochs or math.inf)
        if pick is not None and pick.score <= target and (trained or not full):
            return trial.elapsed
    return None


def uses_fidelity(result: Any) -> bool:
    """True for a search result with a trial trained at a fidelity (fewer epochs than full)."""
    return any(t.epochs is not None for t in getattr(result, "trials", ()))
