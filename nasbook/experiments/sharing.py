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
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from nasbook.experiments.proxies import rank_correlation
from nasbook.experiments.stats import Interval, median_interval
from nasbook.oneshot.weight_sharing import inherited_scores, train_supernet
from nasbook.spaces.space import SearchSpace, as_space
from nasbook.tasks import Task, make_task
from nasbook.validation import check_int, fail


@dataclass(frozen=True)
class SharingJudgement:
    """Per supernet seed (``frame``) and over seeds (the intervals)."""

    archs: list[dict[str, Any]]  # the n candidates, in the order of ``true_scores``
    true_scores: list[float]
    frame: Any  # pandas DataFrame: seed, spearman, kendall, pick_loss, best_loss, regret
    spearman: Interval
    kendall: Interval
    regret: Interval  # true loss of the pick minus the best true loss of the n

    def __str__(self) -> str:
        return (f"weight sharing over {len(self.frame)} supernet seeds, {len(self.archs)} architectures: "
                f"Spearman {self.spearman}; Kendall {self.kendall}; regret of the pick {self.regret}")


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
    sizes = [len(v) for v in table.space.choices.values()]
    return [table.space.decode(np.unravel_index(int(i), sizes)) for i in picks]


def judge_weight_sharing(space: "SearchSpace | Mapping[str, list[Any]]", truth: Callable[[Mapping[str, Any]], float],
                         task: "str | Task", n: int = 20, seeds: Sequence[int] = (0, 1, 2), steps: int = 500,
                         batch_size: int = 64, arch_seed: int = 0, device: Any = "cpu",
                         archs: Sequence[Mapping[str, Any]] | None = None) -> SharingJudgement:
    """Score ``n`` random architectures of ``space`` (or the given ``archs``: e.g.
    :func:`trained_sample` of a partial table) by ``truth`` and by a supernet per seed (see module)."""
    import pandas as pd

    space, task = as_space(space), make_task(task)
    if len(seeds) < 1:
        raise fail("seeds", seeds, "at least one supernet seed")
    archs = distinct_sample(space, n, arch_seed) if archs is None else [dict(a) for a in archs]
    true_scores = [float(truth(arch)) for arch in archs]
    best = float(np.nanmin(true_scores))
    rows = []
    for seed in seeds:
        net = train_supernet(space, task=task, steps=steps, batch_size=batch_size, seed=seed, device=device)
        shared = inherited_scores(net, archs, task=task)
        pick = true_scores[int(np.argmin(shared))]
        rows.append({"seed": seed, "spearman": rank_correlation(shared, true_scores),
                     "kendall": rank_correlation(shared, true_scores, "kendall"),
                     "pick_loss": pick, "best_loss": best, "regret": pick - best})
    frame = pd.DataFrame(rows)
    return SharingJudgement(archs, true_scores, frame, *(median_interval(frame[c].to_numpy())
                                                          for c in ("spearman", "kendall", "regret")))
