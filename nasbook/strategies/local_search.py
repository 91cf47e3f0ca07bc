"""Local search: hill-climb through neighbouring architectures, restart at local optima.

Start from a random architecture. Try its *neighbours* (architectures that differ in one
key, :meth:`SearchSpace.neighbours`) in random order; move to the first one that scores
better, and start again from there. When no neighbour is better, the current architecture
is a local optimum: remember it and restart from a fresh random architecture.

Simple as it is, this is one of the strongest baselines on tabular NAS benchmarks
(White, Nolen, Bhatt & Jordan, "Local search is state of the art for NAS benchmarks",
2020): neighbouring architectures tend to score alike, so small steps pay off.
Architectures already evaluated are never proposed again (that would waste budget).
"""
from __future__ import annotations

import math
from typing import Any

from nasbook.spaces.space import Arch, SearchSpace
from nasbook.trial import Trial
from nasbook.strategies.base import Strategy
from nasbook.strategies.trace import LocalOptimumEntry


class LocalSearch(Strategy):
    """First-improvement hill climbing with random restarts (one proposal per ask)."""

    name = "local"

    def setup(self, space: SearchSpace, seed: int, evaluator: Any = None, budget: int | None = None) -> None:
        super().setup(space, seed, evaluator, budget)
        self.scores: dict[tuple, float] = {}  # encoded arch -> score, everything seen
        self.current: Arch | None = None  # None until the first trial of a climb is scored
        self.current_score = math.inf
        self.queue: list[Arch] = []  # untried neighbours of `current`, in random order
        self.restarts = 0

    def ask(self) -> list[Arch]:
        while self.queue:
            arch = self.queue.pop()
            if self.space.encode(arch) not in self.scores:
                return [arch]
        if self.current is not None:  # every neighbour tried: a local optimum
            self.trace.append(LocalOptimumEntry(kind="local_optimum", local_optimum=dict(self.current),
                                                score=self.current_score, evaluations=len(self.scores)))
            self.current, self.current_score = None, math.inf
            self.restarts += 1
        return [self.fresh_start()]

    def fresh_start(self) -> Arch:
        """A random architecture not evaluated yet (any one, once the space is exhausted)."""
        for _ in range(100):
            arch = self.space.sample(self.rng)
            if self.space.encode(arch) not in self.scores:
                return arch
        return self.space.sample(self.rng)

    def tell(self, trials: list[Trial]) -> None:
        for trial in trials:
            self.scores[self.space.encode(trial.arch)] = trial.score
            if self.current is None or trial.score < self.current_score:
                self.move_to(trial.arch, trial.score)

    def move_to(self, arch: Arch, score: float) -> None:
        """Climb: make ``arch`` the current point and queue its neighbours (shuffled)."""
        self.current, self.current_score = self.space.validate(arch), score
        neighbours = self.space.neighbours(arch)
        self.queue = [neighbours[i] for i in self.rng.permutation(len(neighbours))]
