"""The showdown: every strategy, many seeds, one table — medians instead of anecdotes.

A single search run says little: the same strategy with another seed may finish first or
last. On the tabular benchmark a search costs milliseconds, so each strategy runs with
30 seeds and we compare the *distribution* of its **regret**: the true score (mean over
training seeds, :attr:`BenchTable.mean_val_loss`) of the architecture it would pick —
its best-scoring trial so far — minus the best true score in the whole space.

Budget is counted in evaluations — in *evaluation-equivalents* when a strategy trains at
a fidelity (``k`` of ``E`` epochs cost ``k / E``; :mod:`nasbook.experiments.anytime`): regret
curves are read against compute, so full- and multi-fidelity strategies meet at equal
compute, and a full-fidelity strategy's curve is what it always was (one evaluation, one
unit). A strategy that spends compute outside the evaluator (DARTS' supernet, in its
``prepare`` phase: the result's ``charged_evaluations``) is charged for it up front: its k-th
trial counts as evaluation ``charged + k``, and before its first trial its regret is ``inf``
(``null`` in JSON).

Each run's **pick** (its best-by-validation trial at the end: architecture index and the
table's training seed it drew) is kept too, so :mod:`nasbook.experiments.heldout` can score
it on the task's held-out test split.

**Which table.** Any: the seed-protocol table (``load_table()``, the article's inner loop) for
the article's own comparison, the learning-curve table (``load_table(CURVE_PATH)``, the
``default`` protocol, every epoch 1..20) as the truth for everything else, where the
multi-fidelity strategies (:data:`MULTI_FIDELITY`) can ask for any epoch. DARTS replays its
recorded runs on any table of the article's space (:func:`nasbook.tabular.recorded.scorable`);
they were recorded under the seed-protocol table's protocol, so on the learning-curve table
their *proposals* are scored under the default protocol at the recorded charge — DARTS as
recorded, judged by the better truth, not DARTS run with mini-batches — and ``"notes"`` says so.
"""
from __future__ import annotations

import math
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Iterable

import numpy as np
import torch

from nasbook.experiments.anytime import regret_by_compute
from nasbook.experiments.stats import Verdict, compare, judge
from nasbook.loop.result import SearchResult
from nasbook.loop.outer import search
from nasbook.strategies import STRATEGIES, check_mode, make_strategy
from nasbook.validation import check_int, fail
from nasbook.tabular import recorded
from nasbook.tabular.evaluator import TabularEvaluator
from nasbook.tabular.table import BenchTable, load_table

SHOWDOWN = ("random", "local", "rl/article", "rl/default", "evolution/article", "evolution/default",
            "darts/article", "darts/default", "optuna-tpe")
MULTI_FIDELITY = ("sh", "hyperband", "bohb", "asha", "optuna-hyperband")  # ask for fewer epochs (Proposal)
EVERY = SHOWDOWN + MULTI_FIDELITY  # full- and multi-fidelity, met at equal compute
CHECKPOINTS = (10, 25, 50, 100)


def split_name(name: str) -> tuple[str, str]:
    """``"rl/article"`` -> ("rl", "article"); a name without a mode runs in the default mode
    (``"rl/seed"``, the old name, runs ``"article"``)."""
    strategy, _, mode = name.partition("/")
    return strategy, check_mode(mode or "default")


def plans_with_budget(name: str) -> bool:
    """True for a strategy whose proposals depend on the budget it is given (DARTS)."""
    return STRATEGIES[split_name(name)[0]].plans_with_budget


def available(names: Iterable[str]) -> tuple[list[str], dict[str, str]]:
    """The names that can run here, and why the others cannot."""
    ok, missing = [], {}
    for name in names:
        strategy, _ = split_name(name)
        if strategy not in STRATEGIES:
            missing[name] = f"strategy {strategy!r} is not in this nasbook (have {sorted(STRATEGIES)})"
        elif strategy.startswith("optuna"):
            try:
                import optuna  # noqa: F401
            except ImportError:
                missing[name] = "Optuna is not installed (pip install 'nasbook[peers]')"
                continue
            ok.append(name)
        else:
            ok.append(name)
    return ok, missing


NO_PICK = (-1, -1)  # a run that never finished a trial: nothing to pick


def pick_of(result: SearchResult, table: BenchTable) -> tuple[int, int]:
    """(architecture index, table training seed) of the run's pick (``result.best``: its
    best-scoring trial, among the longest-trained in a multi-fidelity run), or NO_PICK."""
    best = result.best
    return NO_PICK if best is None else (table.index(best.arch), int(best.seed))


def regret_curve(result: SearchResult, table: BenchTable, budget: int) -> np.ndarray:
    """Regret after 1, 2, ..., ``budget`` evaluation-equivalents (index n-1 = after n; for a
    full-fidelity run, after n evaluations): :func:`~nasbook.experiments.anytime.regret_by_compute`."""
    return regret_by_compute(result, table, budget)


def x_label(names: Iterable[str]) -> str:
    """What a showdown's curves are plotted against: ``"evaluation-equivalents"`` when a
    strategy trains at a fidelity, ``"evaluations"`` otherwise (the same unit, by another name)."""
    uses = any(STRATEGIES[split_name(name)[0]].multi_fidelity for name in names)
    return "evaluation-equivalents" if uses else "evaluations"


def run_one(name: str, seed: int, budget: int, table: BenchTable | None = None,
            records: dict[str, Any] | None = None) -> tuple[np.ndarray, float, float, tuple[int, int]]:
    """One search on the table: its regret curve, simulated training seconds, wall seconds, pick.

    DARTS replays its recorded run for (mode, budget, seed) when ``records`` has one.
    """
    table = table or _WORKER["table"]
    records = _WORKER["records"] if records is None else records
    start = time.perf_counter()
    strategy, mode = split_name(name)
    run = make_strategy(strategy, mode=mode)
    if strategy == "darts" and recorded.key(mode, budget, seed) in records:  # the real run, recorded
        run = recorded.RecordedRun(records[recorded.key(mode, budget, seed)], mode=mode)
    evaluator = TabularEvaluator(table)
    result = search(run, space=table.space, budget=budget, seed=seed,
                    evaluator=evaluator, progress=False)
    return (regret_curve(result, table, budget), evaluator.clock, time.perf_counter() - start,
            pick_of(result, table))


_WORKER: dict[str, Any] = {"table": None, "records": {}}  # inherited by forked worker processes


def in_workers(function: Any, jobs: list[tuple], workers: int, on_result: Any = None, **shared: Any) -> list[Any]:
    """``[function(*job) for job in jobs]``, in ``workers`` forked processes when more than one.

    Each worker uses one torch thread (two threads per process on two shared cores only
    fight each other). ``on_result(result)`` sees every result as it arrives, in order.
    """
    _WORKER.update(shared)
    if workers <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        results = []
        for job in jobs:
            results.append(function(*job))
            if on_result is not None:
                on_result(results[-1])
        return results
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"),
                             initializer=torch.set_num_threads, initargs=(1,)) as pool:
        results = []
        for result in pool.map(function, *zip(*jobs)):
            results.append(result)
            if on_result is not None:
                on_result(result)
        return results


def summarise(curves: np.ndarray, checkpoints: Iterable[int]) -> dict[str, dict[str, float | None]]:
    """Median and inter-quartile range of regret over seeds at each checkpoint (NaN = no run)."""
    median, iqr = {}, {}
    for n in checkpoints:
        values = curves[:, n - 1]
        values = values[~np.isnan(values)]
        q1, q2, q3 = np.percentile(values, [25, 50, 75]) if len(values) else (np.inf,) * 3
        median[str(n)] = float(q2) if np.isfinite(q2) else None
        iqr[str(n)] = float(q3 - q1) if np.isfinite(q3 - q1) else None
    return {"median_regret": median, "iqr_regret": iqr}


def showdown(names: Iterable[str] = SHOWDOWN, seeds: int = 30, budget: int = 100,
             table: BenchTable | None = None, checkpoints: Iterable[int] = CHECKPOINTS,
             workers: int = 1, records: dict[str, Any] | None = None,
             train_missing: bool = True) -> dict[str, Any]:
    """Run every available strategy ``seeds`` times; return the summary plus the raw curves.

    The ``"strategies"`` entry is the JSON contract of ``benchmarks/showdown.py``; ``"curves"``
    (name -> (seeds, budget) array of regret after 1..budget evaluations, or
    evaluation-equivalents: ``"x"`` says which, :func:`x_label`), ``"seconds"``
    (summed wall time of a strategy's runs), ``"simulated"`` (median simulated training
    seconds per run), ``"picks"`` (name -> (seeds, 2) int array: each seed's pick at the full
    budget as (architecture index, table seed); :data:`NO_PICK` where it found nothing or
    did not run) and ``"missing"`` are for plots and reports. ``workers`` > 1 spreads
    the runs over forked processes; results do not depend on it.

    DARTS plans its supernet from the budget, so it is run once per checkpoint budget (10,
    25, 50, 100) and read at the end of each run; its curve holds values at the checkpoints
    only (NaN elsewhere). Those runs are replayed from ``records`` (default: the recording
    shipped in nasbook/data where ``table`` can score it, see :mod:`nasbook.tabular.recorded`); a run not recorded trains
    its supernet for real, or with ``train_missing=False`` is left out (``"runs"`` counts
    the seeds behind every number).
    """
    table = table or load_table()
    checkpoints = [n for n in checkpoints if n <= budget]
    names, missing = available(names)
    out: dict[str, Any] = {"budget": budget, "seeds": seeds, "x": x_label(names), "strategies": {}, "curves": {},
                           "runs": {}, "seconds": {}, "simulated": {}, "picks": {}, "missing": missing, "notes": {}}
    if records is None:
        records = recorded.load_records() if recorded.scorable(table) else {}
        note = recorded.replay_note(table) if records else ""
        out["notes"] = {name: note for name in names if note and split_name(name)[0] == "darts"}

    def wanted(name: str, seed: int, n: int) -> bool:
        strategy, mode = split_name(name)
        return not plans_with_budget(name) or train_missing or recorded.key(mode, n, seed) in records

    jobs = [(name, seed, n) for name in names for seed in range(seeds)
            for n in (checkpoints if plans_with_budget(name) else [budget]) if wanted(name, seed, n)]
    runs = dict(zip(jobs, in_workers(run_one, jobs, check_int("workers", workers, minimum=1),
                                     table=table, records=records)))
    for name in names:
        mine = [runs[job] for job in jobs if job[0] == name]
        picks = np.full((seeds, 2), NO_PICK[0])
        if plans_with_budget(name):  # one run per checkpoint budget, each read at its end
            curves = np.full((seeds, budget), np.nan)
            for (_, seed, n), (curve, _, _, pick) in ((job, runs[job]) for job in jobs if job[0] == name):
                curves[seed, n - 1] = curve[n - 1]
                if n == budget:
                    picks[seed] = pick
            mine = [runs[job] for job in jobs if job[0] == name and job[2] == budget] or mine
        else:
            curves = np.array([curve for curve, _, _, _ in mine]).reshape(seeds, budget)
            picks[:] = [pick for _, _, _, pick in mine]
        out["picks"][name] = picks
        out["strategies"][name] = summarise(curves, checkpoints)
        out["runs"][name] = {str(n): int((~np.isnan(curves[:, n - 1])).sum()) for n in checkpoints}
        out["curves"][name] = curves
        out["simulated"][name] = float(np.median([clock for _, clock, _, _ in mine])) if mine else math.nan
        out["seconds"][name] = float(sum(runs[job][2] for job in jobs if job[0] == name))
    return out


def against(out: dict[str, Any], baseline: str, at: int | None = None, alpha: float = 0.05,
            holm: bool = True) -> dict[str, Verdict]:
    """Each strategy of a showdown ``out`` against ``baseline``, seed by seed, at ``at``
    evaluation-equivalents (default: the full budget): the claim "its regret is lower than
    ``baseline``'s", judged by :func:`nasbook.experiments.stats.judge` (Wilcoxon, bootstrap
    interval of the median difference, Holm across all the strategies compared; with
    ``holm=False`` each pair alone, :func:`~nasbook.experiments.stats.compare`, as if it were
    the only comparison planned). Seeds where either did not run (DARTS without a
    recording: NaN) are left out of that pair."""
    at = out["budget"] if at is None else check_int("at", at, 1, out["budget"])
    if baseline not in out["curves"]:
        raise fail("baseline", baseline, f"a strategy of this showdown: one of {sorted(out['curves'])}")
    base = out["curves"][baseline][:, at - 1]
    pairs = {}
    for name, curves in out["curves"].items():
        mine = curves[:, at - 1]
        keep = ~(np.isnan(mine) | np.isnan(base))
        if name != baseline and keep.any():
            pairs[name] = (mine[keep], base[keep])
    claims = {f"{name} has lower regret than {baseline} at {at}": ab for name, ab in pairs.items()}
    if not holm:
        return {name: compare(*ab, claim, alpha=alpha) for name, (claim, ab) in zip(pairs, claims.items())}
    return dict(zip(pairs, judge(claims, alpha=alpha))) if claims else {}


def record_darts(table: BenchTable, seeds: int = 30, budgets: Iterable[int] = CHECKPOINTS,
                 modes: Iterable[str] = ("article", "default"), workers: int = 1,
                 on_run: Any = None, skip: Iterable[str] = ()) -> dict[str, Any]:
    """Run real DARTS for every (mode, budget, seed) not in ``skip`` (keys), cheapest first.

    ``on_run(run)`` sees each finished run (to save progress).

    Returns the JSON document :func:`recorded.load_records` reads.
    """
    done = set(skip)
    jobs = [(mode, n, seed) for n in budgets for mode in modes for seed in range(seeds)
            if recorded.key(mode, n, seed) not in done]
    jobs.sort(key=lambda job: job[1] * (1 if job[0] == "article" else 5))  # cheapest first (default's supernet is wider)
    start = time.perf_counter()
    runs = in_workers(_record, jobs, workers, on_result=on_run, table=table)
    return {"about": "DARTS runs on the tabular benchmark's task and protocol (nasbook.tabular.recorded)",
            "protocol": table.meta["protocol"], "wall_seconds": round(time.perf_counter() - start, 1),
            "workers": workers, "runs": runs}


def _record(mode: str, budget: int, seed: int) -> dict[str, Any]:
    return recorded.record_one(mode, budget, seed, _WORKER["table"])
