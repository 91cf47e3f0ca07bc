"""The reference solutions of notebooks/08_assignment.ipynb, kept out of the student's notebook.

* ``MyStrategy`` – the hill climber with restarts (the notebook's first task);
* ``BeatTheBaselines`` – one answer to the open-ended graded task (:mod:`.task`).

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
    """PLACEHOLDER"""

    name = "beat-the-baselines"

    def ask(self):
        return [self.space.sample(self.rng)]

    def tell(self, trials):
        pass


SOLUTIONS = {"MyStrategy": MyStrategy, "BeatTheBaselines": BeatTheBaselines}
