"""Weight sharing, judged: do inherited weights rank architectures the way training does?

Random search with weight sharing (Li & Talwalkar, 2019) trains one supernet on uniformly
sampled single paths (:func:`nasbook.oneshot.weight_sharing.train_supernet`), scores ``n``
random architectures with the weights they inherit, and keeps the best. It is only as good as
that ranking. Sciuto et al. (2019) found it poor: the shared weights were trained for the
average path, not for any one of them.

:func:`judge_weight_sharing` measures it on any space with a supernet (the MLP space, a cell
space): the same ``n`` architectures are scored by ``truth`` (a table, real training, or a fake
in tests) and by one supernet per seed; per seed it records Spearman's ρ and Kendall's τ between
the two, and the true loss of the pick (the supernet's favourite) next to the best of the ``n``.
The seeds' spread is the point: :class:`SharingJudgement` carries a bootstrap interval of the
median of each (:func:`nasbook.experiments.stats.median_interval`).

A search needs the *best* cells ranked right, so the correlations are also computed within the
best ``top_fraction`` of the ``n`` by truth (``spearman_top``, ``kendall_top``); given the
``optimum`` of the whole space (a table's), the pick is also measured against it
(``regret_optimum``), not only against the best of the ``n``.

**At equal cost** (:func:`equal_cost_evaluations`, :func:`random_search_regrets`): the supernet's
training steps and its scoring of the candidates, counted in stand-alone trainings (the table's
recorded steps per run), buy plain random search that many evaluations on the table; its regrets
over seeds are what weight sharing's pick must beat.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from nasbook.experiments.proxies import rank_correlation
from nasbook.experiments.stats import Interval, median_interval
from nasbook.oneshot.weight_sharing import inherited_scores, train_supernet
from nasbook.spaces.space import SearchSpace, as_space
from nasbook.tasks import Task, make_task
from nasbook.validation import check_float, check_int, fail


@dataclass(frozen=True)
class SharingJudgement:
    """Per supernet seed (``frame``) and over seeds (the intervals)."""

    archs: list[dict[str, Any]]  # the n candidates, in the order of ``true_scores``
    true_scores: list[float]
    frame: Any  # pandas DataFrame: seed, spearman, kendall, pick_loss, best_loss, regret
    spearman: Interval
    kendall: Interval
    regret: Interval  # true loss of the pick minus the best true loss of the n
    spearman_top: Interval | None = None  # within the best top_fraction of the n by truth
    kendall_top: Interval | None = None
    regret_optimum: Interval | None = None  # true loss of the pick minus the given optimum of the space

    def __str__(self) -> str:
        text = (f"weight sharing over {len(self.frame)} supernet seeds, {len(self.archs)} architectures: "
                f"Spearman {self.spearman}; Kendall {self.kendall}; regret of the pick {self.regret}")
        if self.spearman_top is not None:
            text += f"; within the top: Spearman {self.spearman_top}, Kendall {self.kendall_top}"
        if self.regret_optimum is not None:
            text += f"; regret against the optimum {self.regret_optimum}"
        return text


def distinct_sample(space: SearchSpace, n: int, seed: int) -> list[dict[str, Any]]:
    """``n`` different architectures drawn uniformly from ``space``."""
    n = check_int("n", n, 3, space.size)
    rng = np.random.default_rng([seed, 17])
    archs: dict[tuple, dict[str, Any]] = {}
    while len(archs) < n:
        arch = space.sample(rng)
        archs.setdefault(tuple(arch.values()), arch)
    return list(archs.values())


def trained_sample(table: Any, n: int, seed: int) -> list[dict[str, Any]]:
    """``n`` architectures drawn uniformly from those a (partial) ``table`` has trained, one per
    table row (no two isomorphic cells): the candidates when that table is the truth."""
    cells = np.flatnonzero(np.asarray(table.built))
    if table.representative is not None:  # a cell table: the first trained cell of each class
        cells = cells[np.unique(np.asarray(table.representative)[cells], return_index=True)[1]]
    n = check_int("n", n, 3, len(cells))
    picks = np.sort(np.random.default_rng([seed, 17]).choice(cells, size=n, replace=False))
    return [table.space.at(int(i)) for i in picks]


def table_score(table: Any) -> Callable[[Mapping[str, Any]], float]:
    """``arch -> table.mean_val_loss`` of its class: a table's truth as :func:`judge_weight_sharing` wants it."""
    return table.score


def judge_weight_sharing(space: "SearchSpace | Mapping[str, list[Any]]", truth: Callable[[Mapping[str, Any]], float],
                         task: "str | Task", n: int = 20, seeds: Sequence[int] = (0, 1, 2), steps: int = 500,
                         batch_size: int = 64, arch_seed: int = 0, device: Any = "cpu",
                         archs: Sequence[Mapping[str, Any]] | None = None, optimum: float | None = None,
                         top_fraction: float = 0.1) -> SharingJudgement:
    """Score ``n`` random architectures of ``space`` (or the given ``archs``: e.g.
    :func:`trained_sample` of a table) by ``truth`` and by a supernet per seed (see module).
    The frame has a row per seed: ``spearman``, ``kendall`` (all ``n``), ``spearman_top``,
    ``kendall_top`` (the best ``top_fraction`` of them by truth, at least 3), ``pick_loss``,
    ``best_loss``, ``regret`` (pick minus best of the ``n``), ``regret_optimum`` (pick minus
    ``optimum``; NaN without one), ``train_seconds`` (training the supernet) and ``seconds`` (plus
    scoring the ``n``)."""
    import pandas as pd

    space, task = as_space(space), make_task(task)
    top_fraction = check_float("top_fraction", top_fraction, 0.0, 1.0)
    if len(seeds) < 1:
        raise fail("seeds", seeds, "at least one supernet seed")
    archs = distinct_sample(space, n, arch_seed) if archs is None else [dict(a) for a in archs]
    true_scores = [float(truth(arch)) for arch in archs]
    best = float(np.nanmin(true_scores))
    top = np.argsort(true_scores, kind="stable")[: max(3, round(top_fraction * len(archs)))]
    rows = []
    for seed in seeds:
        start = time.perf_counter()
        net = train_supernet(space, task=task, steps=steps, batch_size=batch_size, seed=seed, device=device)
        shared = inherited_scores(net, archs, task=task)
        pick = true_scores[int(np.argmin(shared))]
        mine, theirs = [shared[i] for i in top], [true_scores[i] for i in top]
        rows.append({"seed": seed, "spearman": rank_correlation(shared, true_scores),
                     "kendall": rank_correlation(shared, true_scores, "kendall"),
                     "spearman_top": rank_correlation(mine, theirs), "kendall_top": rank_correlation(mine, theirs, "kendall"),
                     "pick_loss": pick, "best_loss": best, "regret": pick - best,
                     "regret_optimum": math.nan if optimum is None else pick - float(optimum),
                     "train_seconds": net.seconds, "seconds": time.perf_counter() - start})
    frame = pd.DataFrame(rows)
    over = {c: median_interval(frame[c].to_numpy()) for c in ("spearman", "kendall", "regret", "spearman_top",
                                                               "kendall_top")}
    if optimum is not None:
        over["regret_optimum"] = median_interval(frame["regret_optimum"].to_numpy())
    return SharingJudgement(archs, true_scores, frame, **over)


def steps_to_evaluations(steps: int, table: Any) -> int:
    """How many stand-alone trainings ``steps`` supernet steps cost: divided by the mean number of
    steps a run of ``table`` took (same batch size; rounded up, at least 1)."""
    steps = check_int("steps", steps, 1)
    per_run = float(np.asarray(table.arrays["steps"], dtype=float)[np.asarray(table.done_runs)].mean())
    return max(1, math.ceil(steps / per_run))


def equal_cost_evaluations(judged: SharingJudgement, steps: int, table: Any) -> int:
    """What one weight-sharing search of ``judged`` cost, in trainings of ``table``: its ``steps``
    supernet steps, plus scoring the candidates counted as the steps the same seconds would have
    trained (the median over seeds of ``seconds / train_seconds``), by :func:`steps_to_evaluations`."""
    steps = check_int("steps", steps, 1)
    ratio = float((judged.frame["seconds"] / judged.frame["train_seconds"]).median())
    return steps_to_evaluations(round(steps * ratio), table)


def random_search_regrets(table: Any, evaluations: int, seeds: int = 30) -> np.ndarray:
    """Regret (true score of the pick minus the table's optimum) of plain random search with
    ``evaluations`` evaluations on ``table``, one per search seed ``0..seeds-1``."""
    from nasbook.experiments.proxy_judge import search_regret
    from nasbook.strategies import make_strategy

    evaluations, seeds = check_int("evaluations", evaluations, 1), check_int("seeds", seeds, 1)
    return np.array([search_regret(make_strategy("random"), table, evaluations, s)[-1] for s in range(seeds)])
