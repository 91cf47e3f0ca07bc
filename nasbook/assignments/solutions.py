"""The reference solutions of notebooks/10_assignment.ipynb, kept out of the student's notebook.

* ``MyStrategy`` – the hill climber with restarts (the notebook's first task);
* ``BeatTheBaselines`` – a reference attempt at the open-ended graded task (:mod:`.task`); it
  does not pass the default target (see its docstring).

Each student cell of the notebook ends with ``X = solution_if_requested(X)``
(:mod:`nasbook.assignments.switch`): with ``NASBOOK_SOLUTION=1`` (the test suite sets it in
conftest.py) the class of the same name here replaces the student's, so the notebook runs top
to bottom in CI; otherwise the student's class is kept.
"""
from __future__ import annotations

import math

import nasbook


class MyStrategy(nasbook.Strategy):
    """Hill climbing with restarts.

    Stand on one architecture; propose a mutation of it (one key changed); move when the
    mutation scores better. After ``patience`` proposals in a row without improvement the
    climb is stuck on a local optimum: restart from a random architecture.
    """

    name = "hill-climber"

    def __init__(self, mode="default", patience=15):
        super().__init__(mode)
        self.patience = patience           # proposals without improvement before a restart

    def setup(self, space, seed, evaluator=None):
        super().setup(space, seed, evaluator)  # makes self.space and self.rng
        self.current = None                # the architecture we stand on
        self.current_score = math.inf      # its score (lower is better)
        self.stale = 0                     # proposals in a row that did not improve

    def ask(self):
        if self.current is None:
            return [self.space.sample(self.rng)]               # start (or restart) anywhere
        return [self.space.mutate(self.current, self.rng)]     # a neighbour of where we stand

    def tell(self, trials):
        for trial in trials:
            if self.current is None or trial.score < self.current_score:
                self.current, self.current_score = trial.arch, trial.score  # move
                self.stale = 0
            else:
                self.stale += 1
                if self.stale >= self.patience:                # stuck: restart next ask
                    self.current, self.current_score, self.stale = None, math.inf, 0
            self.trace.append({"kind": "hill_climb", "current_score": self.current_score, "stale": self.stale})


class BeatTheBaselines(nasbook.Strategy):
    """Regularized evolution, then a sweep of the best architecture's untried neighbours.

    A reference attempt at the graded task, built only from what the course taught. Until the last
    ``sweep`` evaluations it is regularized evolution (notebook 04): a tournament of
    ``sample_size`` members picks a parent, its mutation joins the population and the oldest
    member leaves. A mutation already evaluated is drawn again (a repeat costs a budget slot
    and teaches nothing). In the last ``sweep`` evaluations it stops exploring and tries the
    untried neighbours of the best architecture seen so far (notebooks 02 and 07: neighbours
    score alike), moving on as soon as a better one turns up. It needs the budget, so its
    setup() takes ``budget``.

    On the default target it beats random search but NOT regularized evolution ("about as
    good": docs/assignment.md has the numbers): the task stays open.
    """

    name = "evolve-then-sweep"

    def __init__(self, mode="default", population_size=10, sample_size=5, sweep=40):
        super().__init__(mode)
        self.population_size = population_size  # members alive at once
        self.sample_size = sample_size          # tournament size
        self.sweep = sweep                      # evaluations at the end spent on neighbours

    def setup(self, space, seed, evaluator=None, budget=None):
        super().setup(space, seed, evaluator, budget)  # self.budget: None when unknown
        self.population = []               # trials, oldest first
        self.tried = set()                 # index of every architecture evaluated
        self.best = None                   # the best trial so far
        self.told = 0                      # evaluations so far (repeats included: they cost budget)

    def untried(self, propose):
        """``propose()`` again until it gives an architecture not yet evaluated (at most 20 tries)."""
        arch = propose()
        for _ in range(20):
            if self.space.index(arch) not in self.tried:
                break
            arch = propose()
        return arch

    def ask(self):
        left = None if self.budget is None else self.budget - self.told
        if self.best is not None and left is not None and left <= self.sweep:
            around = [a for a in self.space.neighbours(self.best.arch) if self.space.index(a) not in self.tried]
            if around:
                return [around[int(self.rng.integers(len(around)))]]
        if len(self.population) < self.population_size:
            return [self.untried(lambda: self.space.sample(self.rng))]
        picks = self.rng.choice(len(self.population), size=self.sample_size, replace=False)
        parent = min((self.population[int(i)] for i in picks), key=lambda t: t.score)
        return [self.untried(lambda: self.space.mutate(parent.arch, self.rng))]

    def tell(self, trials):
        for trial in trials:
            self.told += 1
            self.tried.add(self.space.index(trial.arch))
            self.population.append(trial)
            if len(self.population) > self.population_size:
                self.population.pop(0)     # ageing: the oldest leaves, not the worst
            if self.best is None or trial.score < self.best.score:
                self.best = trial
        self.trace.append({"kind": "evolve-then-sweep", "best_score": self.best.score if self.best else math.inf})


SOLUTIONS = {"MyStrategy": MyStrategy, "BeatTheBaselines": BeatTheBaselines}
