"""Pareto evolution (NSGA-II-like): search for the best *trade-offs*, not one best network.

A small network that is almost as good as a big one is often the better pick. With two
objectives — validation loss and size (``params``) or speed (``latency``) — there is no
single winner, only the *Pareto front*: networks no other network beats on both.

Each generation (Deb et al., 2002, NSGA-II, simplified):

1. pick parents by binary tournament: lower front wins, ties go to the more isolated
   point (larger *crowding distance*), which keeps the front spread out;
2. breed children by uniform crossover and one mutation each, skipping networks
   already evaluated;
3. after evaluation, pool parents and children, sort them into fronts
   (:func:`nasbook.strategies.pareto.non_dominated_sort`) and keep the best ``population_size``,
   filling the last front by crowding distance.

For plots: :func:`objective_matrix` turns trials into an (n, 2) array and
:func:`front_indices` gives the rows on the Pareto front; ``strategy.trace`` holds the
population of every generation.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from nasbook.strategies.pareto import non_dominated_sort, pareto_front
from nasbook.spaces.space import Arch, SearchSpace
from nasbook.trial import Trial
from nasbook.validation import check_choice, check_float, check_int, fail
from nasbook.strategies.base import MAX_PROPOSALS, Strategy
from nasbook.strategies.trace import ParetoEntry

SECOND_OBJECTIVES = ("params", "latency")


def objective_matrix(trials: Sequence[Trial], objectives: Sequence[str] = ("val_loss", "params")) -> np.ndarray:
    """Rows: trials; columns: the objectives, all minimised (``inf`` for a failed trial)."""
    rows = []
    for t in trials:
        row = []
        for name in objectives:
            if name == "val_loss":
                row.append(t.score)
            elif name == "params":
                row.append(float(t.params) if t.ok else np.inf)
            elif name == "latency":
                if "latency" not in t.extras:
                    raise fail("objective", name, "'params' (this evaluator records no latency; the "
                               "tabular benchmark's TabularEvaluator does)")
                row.append(float(t.extras["latency"]) if t.ok else np.inf)
            else:
                raise fail("objective", name, "one of 'val_loss', " + ", ".join(repr(o) for o in SECOND_OBJECTIVES))
        rows.append(row)
    return np.array(rows, dtype=float).reshape(len(rows), len(objectives))


def front_indices(trials: Sequence[Trial], objectives: Sequence[str] = ("val_loss", "params")) -> list[int]:
    """Indices of the trials on the Pareto front, sorted by validation loss."""
    return pareto_front(objective_matrix(trials, objectives))


def crowding_distance(points: np.ndarray) -> np.ndarray:
    """NSGA-II's spread measure: how much room a point has to its neighbours on a front.

    Per objective, sort the points; the two ends get ``inf`` (always kept), the others the
    gap between their neighbours divided by the objective's range. Sum over objectives.
    """
    n, m = points.shape
    distance = np.zeros(n)
    if n <= 2:
        return np.full(n, np.inf)
    for k in range(m):
        order = np.argsort(points[:, k], kind="stable")
        lo, hi = points[order[0], k], points[order[-1], k]
        distance[order[0]] = distance[order[-1]] = np.inf
        if hi > lo and np.isfinite(hi - lo):
            gaps = (points[order[2:], k] - points[order[:-2], k]) / (hi - lo)
            distance[order[1:-1]] += gaps
    return distance


class ParetoEvolution(Strategy):
    """Multi-objective evolution; one generation of ``population_size`` children per ask."""

    name = "pareto"

    def __init__(self, mode: str = "default", objective: str = "params", population_size: int = 20,
                 crossover: float = 0.5) -> None:
        super().__init__(mode)
        self.objective = check_choice("objective", objective, SECOND_OBJECTIVES)
        self.population_size = check_int("population_size", population_size, 2, MAX_PROPOSALS)
        self.crossover = check_float("crossover", crossover, 0.0, 1.0)

    @property
    def objectives(self) -> tuple[str, str]:
        return ("val_loss", self.objective)

    def setup(self, space: SearchSpace, seed: int, evaluator: Any = None, budget: int | None = None) -> None:
        super().setup(space, seed, evaluator, budget)
        self.population: list[Trial] = []
        self.seen: set[tuple] = set()
        self.generation = 0

    def ask(self) -> list[Arch]:
        if len(self.population) < self.population_size:  # generation 0: random
            n = self.population_size - len(self.population)
            return [self.unseen(lambda: self.space.sample(self.rng)) for _ in range(n)]
        rank, crowd = self.ranking(self.population)
        return [self.unseen(lambda: self.child(rank, crowd)) for _ in range(self.population_size)]

    def unseen(self, make: Any, tries: int = 20) -> Arch:
        """An architecture from ``make()`` that has not been evaluated or proposed yet."""
        for _ in range(tries):
            arch = make()
            if self.space.encode(arch) not in self.seen:
                break
        self.seen.add(self.space.encode(arch))
        return arch

    def child(self, rank: np.ndarray, crowd: np.ndarray) -> Arch:
        a, b = self.tournament(rank, crowd), self.tournament(rank, crowd)
        mum, dad = self.population[a].arch, self.population[b].arch
        if self.rng.random() < self.crossover:
            mum = {k: (mum[k] if self.rng.random() < 0.5 else dad[k]) for k in self.space.keys}
        return self.space.mutate(mum, self.rng)

    def tournament(self, rank: np.ndarray, crowd: np.ndarray) -> int:
        i, j = (int(x) for x in self.rng.integers(len(rank), size=2))
        return i if (rank[i], -crowd[i]) <= (rank[j], -crowd[j]) else j

    def ranking(self, trials: list[Trial]) -> tuple[np.ndarray, np.ndarray]:
        """Front number and crowding distance of every trial."""
        points = objective_matrix(trials, self.objectives)
        rank, crowd = np.zeros(len(trials), dtype=int), np.zeros(len(trials))
        for r, front in enumerate(non_dominated_sort(points)):
            rank[front] = r
            crowd[front] = crowding_distance(points[front])
        return rank, crowd

    def tell(self, trials: list[Trial]) -> None:
        for t in trials:
            self.seen.add(self.space.encode(t.arch))
        pool = self.population + list(trials)
        if len(pool) > self.population_size:
            rank, crowd = self.ranking(pool)
            order = sorted(range(len(pool)), key=lambda i: (rank[i], -crowd[i]))
            pool = [pool[i] for i in order[:self.population_size]]
        self.population = pool
        front = front_indices(self.population, self.objectives)
        self.trace.append(ParetoEntry(kind="population", generation=self.generation,
                                      population=[dict(t.arch) for t in self.population],
                                      objectives=objective_matrix(self.population, self.objectives).tolist(),
                                      front=front))
        self.generation += 1
