"""Evolution: keep a population of architectures, breed the good ones, drop the rest.

Two versions share this module and the search loop:

* ``mode="article"`` – the article's *generational* loop. A generation is the whole population
  (10 architectures). After it is scored, the best half survive unchanged as *elites*; the
  other half are children: each key copied from one of two random elites (uniform
  crossover), then one random key set to a random value (which may be the value it already
  had). The next generation is evaluated in full, elites included. The elites were already
  trained with the same seed, so the evaluator's cache answers them at no cost: the result's
  ``cache_hits`` counts them (they still count as evaluations, as in the article's loop).
* ``mode="default"`` – *regularized (aging) evolution* (Real et al., 2019, "Regularized
  Evolution for Image Classifier Architecture Search"). Start from ``population_size``
  random architectures; then, one child at a time: draw ``sample_size`` members at random
  (a *tournament*), mutate the best of them (one key to a different value), add the child
  and remove the *oldest* member — not the worst. Ageing out good-but-lucky architectures
  keeps the population exploring. A child that was already evaluated is mutated again (up
  to a few tries), so the budget is not spent on cache hits.

The removal rule is one method, :meth:`Evolution.remove_one`; :class:`KillTheWorst` (not a
registered strategy: the control experiment of :mod:`nasbook.experiments.aging`) removes the
worst member instead of the oldest.

Ranking always uses ``Trial.score`` (``inf`` for a diverged or failed trial), so a failure
can never be an elite or win a tournament, and NaN never enters a sort.
"""
from __future__ import annotations

from collections import deque
from typing import Any

from nasbook.spaces.space import Arch
from nasbook.trial import Trial
from nasbook.validation import check_int
from nasbook.strategies.base import MAX_PROPOSALS, Strategy
from nasbook.strategies.trace import Member, PopulationEntry


MAX_RETRIES = 1_000  # re-mutations of one child: a space with a handful of unseen children needs a few dozen


def ranked(trials: list[Trial]) -> list[Trial]:
    """Trials best first by ``score`` (failures last); ties keep their order (stable sort)."""
    return sorted(trials, key=lambda t: t.score)


class Evolution(Strategy):
    """Generational evolution (``article``) or regularized evolution with tournaments (``default``).

    Args:
        population_size: architectures alive at once (the article uses 10).
        sample_size: tournament size in ``default`` mode (ignored in ``article`` mode).
        retries: ``default`` mode re-mutates a child already seen up to this many times.
    """

    name = "evolution"

    def __init__(self, mode: str = "default", population_size: int = 10, sample_size: int = 5,
                 retries: int = 10) -> None:
        super().__init__(mode)
        self.population_size = check_int("population_size", population_size, 2, MAX_PROPOSALS)
        self.sample_size = check_int("sample_size", sample_size, 1, self.population_size)
        self.retries = check_int("retries", retries, 0, MAX_RETRIES)

    def setup(self, space: Any, seed: int, evaluator: Any = None, budget: int | None = None) -> None:
        super().setup(space, seed, evaluator, budget)
        self.generation = 0
        self.population: deque[Trial] = deque()  # scored members, oldest first
        self.pending: list[Arch] = [space.sample(self.rng) for _ in range(self.population_size)]
        self.seen: set[tuple[int, ...]] = set()

    # -- ask: what to evaluate next ------------------------------------------------------
    def ask(self) -> list[Arch]:
        if self.pending:  # the first population (both modes) or the next generation (article)
            return list(self.pending)
        return [self.tournament_child()]

    def tournament_child(self) -> Arch:
        """Regularized evolution: mutate the best of ``sample_size`` random members."""
        members = list(self.population)
        size = min(self.sample_size, len(members))
        picks = self.rng.choice(len(members), size=size, replace=False)
        parent = ranked([members[int(i)] for i in sorted(picks)])[0]
        child = self.space.mutate(parent.arch, self.rng)
        for _ in range(self.retries):
            if self.space.encode(child) not in self.seen:
                break
            child = self.space.mutate(parent.arch, self.rng)
        return child

    def crossover_child(self, elites: list[Arch]) -> Arch:
        """The article's child: uniform crossover of two random elites, then one random reset."""
        mother = elites[int(self.rng.integers(len(elites)))]
        father = elites[int(self.rng.integers(len(elites)))]
        child = {key: (mother, father)[int(self.rng.integers(2))][key] for key in self.space.keys}
        key = self.space.keys[int(self.rng.integers(len(self.space.keys)))]
        values = self.space.choices[key]
        child[key] = values[int(self.rng.integers(len(values)))]
        return child

    # -- tell: who survives ---------------------------------------------------------------
    def tell(self, trials: list[Trial]) -> None:
        for trial in trials:
            self.seen.add(self.space.encode(trial.arch))
        if self.mode == "article":
            self.next_generation(trials)
        else:
            self.age(trials)

    def next_generation(self, trials: list[Trial]) -> None:
        """Article mode: best half survive, the rest of the population are crossover children."""
        if not trials:
            return
        self.population = deque(trials)
        self.record(trials)
        elites = [t.arch for t in ranked(trials)[: self.population_size // 2]]
        children = []
        while len(elites) + len(children) < self.population_size:
            children.append(self.crossover_child(elites))
        self.pending = elites + children

    def age(self, trials: list[Trial]) -> None:
        """Default mode: each new trial joins the population and the oldest member leaves."""
        self.pending = []  # the random first population is asked for only once
        for trial in trials:
            self.population.append(trial)
            if len(self.population) > self.population_size:
                self.remove_one()
        if trials:
            self.record(trials)

    def remove_one(self) -> None:
        """Aging: the oldest member leaves, however good it is (:class:`KillTheWorst` differs here)."""
        self.population.popleft()

    def record(self, trials: list[Trial]) -> None:
        """Append the current population (archs and scores, oldest first) to the trace."""
        self.trace.append(PopulationEntry(
            kind="population",
            generation=self.generation,
            population=[Member(arch=dict(t.arch), score=t.score, status=t.status) for t in self.population],
            best=min(t.score for t in self.population) if self.population else float("inf"),
            new=len(trials),
            cache_hits=sum(t.cached for t in trials),
        ))
        self.generation += 1


class KillTheWorst(Evolution):
    """Tournament evolution that removes the *worst* member instead of the oldest.

    The control experiment for aging (Real et al., 2019, compare the two): everything else is
    :class:`Evolution` in ``default`` mode; only :meth:`remove_one` differs. A member that
    scored well, by skill or by a lucky seed, stays until something better arrives.
    """

    def __init__(self, population_size: int = 10, sample_size: int = 5, retries: int = 10) -> None:
        super().__init__("default", population_size, sample_size, retries)

    def remove_one(self) -> None:
        """The worst member leaves (the oldest of the worst, on a tie)."""
        members = self.population
        worst = max(range(len(members)), key=lambda i: (members[i].score, -i))
        del members[worst]


def differences(child: Arch, elites: list[Arch]) -> tuple[int, dict[str, Any]]:
    """The elite ``child`` is closest to (fewest differing keys; the first on a tie) and the
    keys where it differs from it, with the child's values."""
    nearest = min(range(len(elites)), key=lambda i: sum(child[k] != elites[i][k] for k in child))
    return nearest, {k: v for k, v in child.items() if v != elites[nearest][k]}
