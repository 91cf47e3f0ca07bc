"""Does aging help? Regularized evolution against "kill the worst", on the tabular benchmark.

Real et al. (2019) remove the *oldest* member of the population; the obvious alternative
removes the *worst*. The two strategies here differ in that one line only
(:class:`~nasbook.strategies.evolution.Evolution` and
:class:`~nasbook.strategies.evolution.KillTheWorst`), run with the same seeds, budget,
population and tournament sizes on the same table, so each seed gives a *pair* of regrets
(true score of the pick minus the best in the space, :func:`~nasbook.experiments.showdown.regret_curve`).
The verdict at each checkpoint comes from :func:`nasbook.experiments.stats.judge`
(Wilcoxon on the pairs, Holm across the checkpoints, a bootstrap interval of the median
difference): FOR, AGAINST or INCONCLUSIVE — whatever the data say.

    study = aging_vs_worst(seeds=30, budget=100)
    for verdict in study.verdicts: print(verdict)
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

import numpy as np

from nasbook.experiments.showdown import regret_curve
from nasbook.experiments.stats import Verdict, judge
from nasbook.loop.outer import search
from nasbook.strategies.base import Strategy
from nasbook.strategies.evolution import Evolution, KillTheWorst
from nasbook.tabular.evaluator import TabularEvaluator
from nasbook.tabular.table import BenchTable, load_table
from nasbook.validation import check_int

AGING, WORST = "aging", "kill-the-worst"


@dataclass
class AgingStudy:
    """The regret curves (name -> (seeds, budget) array) and one verdict per checkpoint."""

    curves: dict[str, np.ndarray]
    checkpoints: list[int]
    verdicts: list[Verdict] = field(default_factory=list)

    def regrets(self, name: str, n: int) -> np.ndarray:
        """Regret of ``name`` after ``n`` evaluations, one per seed."""
        return self.curves[name][:, n - 1]


def evolution_curves(make: "type[Strategy] | object", seeds: int, budget: int,
                     table: BenchTable | None = None) -> np.ndarray:
    """Regret after 1..``budget`` evaluations for seeds 0..``seeds``-1: a (seeds, budget) array.

    ``make()`` builds a fresh strategy per seed; each seed gets a fresh TabularEvaluator.
    """
    table = table or load_table()
    rows = []
    for seed in range(seeds):
        result = search(make(), space=table.space, budget=budget, seed=seed,
                        evaluator=TabularEvaluator(table), progress=False)
        rows.append(regret_curve(result, table, budget))
    return np.array(rows).reshape(seeds, budget)


def aging_vs_worst(seeds: int = 30, budget: int = 100, population_size: int = 10, sample_size: int = 5,
                   checkpoints: Iterable[int] = (25, 50, 100), table: BenchTable | None = None) -> AgingStudy:
    """Both removal rules over ``seeds`` paired seeds; the claim "aging reaches a lower regret
    than kill-the-worst after n evaluations" judged at each checkpoint n <= ``budget``."""
    seeds = check_int("seeds", seeds, minimum=1)
    budget = check_int("budget", budget, minimum=1)
    Evolution(population_size=population_size, sample_size=sample_size)  # checks both, before any run
    table = table or load_table()
    curves = {
        AGING: evolution_curves(lambda: Evolution("default", population_size, sample_size), seeds, budget, table),
        WORST: evolution_curves(lambda: KillTheWorst(population_size, sample_size), seeds, budget, table),
    }
    points = [n for n in checkpoints if 1 <= n <= budget] or [budget]
    study = AgingStudy(curves, points)
    claims = {f"aging has lower regret than kill-the-worst after {n} evaluations":
              (study.regrets(AGING, n), study.regrets(WORST, n)) for n in points}
    study.verdicts = judge(claims)
    return study
