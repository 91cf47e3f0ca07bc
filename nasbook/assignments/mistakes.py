"""Common mistakes, one per class, for teachers: each fails exactly one check of the checker.

Each class is the reference hill climber (:class:`~nasbook.assignments.solutions.MyStrategy`)
with one bug students really make. Show one in class and let the checker explain it:

    nasbook.check_strategy(nasbook.assignments.mistakes.CrashesOnFailure)

``EXPECTED_FAILURE`` maps each class to the check it fails; the tests hold the checker to it.
"""
from __future__ import annotations

import math

import numpy as np

from nasbook.assignments.solutions import MyStrategy
from nasbook.loop.budget import Cost


class Unfinished(MyStrategy):
    """The skeleton as handed out: ask() not written yet."""

    def ask(self):
        raise NotImplementedError("YOUR CODE HERE")


class OutsideTheSpace(MyStrategy):
    """'Bigger is better': doubles the hidden layer size, past the largest choice."""

    def ask(self):
        if self.current is None:
            return [self.space.sample(self.rng)]
        return [{**self.current, "hidden_layer_size": self.current["hidden_layer_size"] * 2}]


class NeverStops(MyStrategy):
    """Insists on an architecture it has not tried: loops forever once the space is used up."""

    def setup(self, space, seed, evaluator=None):
        super().setup(space, seed, evaluator)
        self.seen = set()

    def ask(self):
        while True:
            arch = self.space.sample(self.rng)
            if self.space.index(arch) not in self.seen:
                self.seen.add(self.space.index(arch))
                return [arch]


class UnseededRandomness(MyStrategy):
    """Draws its mutations from a new, unseeded generator: every run differs."""

    def ask(self):
        rng = np.random.default_rng()  # the bug: not self.rng
        if self.current is None:
            return [self.space.sample(rng)]
        return [self.space.mutate(self.current, rng)]


class FixedSeed(MyStrategy):
    """Seeds its own generator with 42: every seed gives the same search."""

    def setup(self, space, seed, evaluator=None):
        super().setup(space, seed, evaluator)
        self.rng = np.random.default_rng(42)  # the bug: ignores `seed`


class StateInInit(MyStrategy):
    """Builds the search state in __init__, so a second search starts where the first ended."""

    def __init__(self, mode="default", patience=15):
        super().__init__(mode, patience)
        self.current, self.current_score, self.stale = None, math.inf, 0

    def setup(self, space, seed, evaluator=None):
        self.space, self.seed, self.evaluator = space, seed, evaluator  # the bug: no reset
        self.rng, self.trace = np.random.default_rng(seed), []


class EvaluatesItself(MyStrategy):
    """Scores every neighbour of a new best itself, through self.evaluator: beyond the budget."""

    def tell(self, trials):
        for trial in trials:
            if trial.score < self.current_score:
                for arch in self.space.neighbours(trial.arch)[:5]:
                    self.evaluator.evaluate(arch, self.seed)  # the bug: the loop never sees these
        super().tell(trials)


class NegativeCharge(MyStrategy):
    """Its prepare phase reports negative compute, which would buy extra evaluations."""

    def prepare(self):
        return Cost(evaluations=-10.0)


class NotANumberCharge(MyStrategy):
    """Its prepare phase's compute comes out as NaN (say, 0/0 in numpy): the loop cannot count with it."""

    def prepare(self):
        return Cost(evaluations=float("nan"))


class BatchAssumesFullTell(MyStrategy):
    """Proposes 4 mutations at once and assumes tell() always gets all 4 back."""

    def ask(self):
        base = self.current or self.space.sample(self.rng)
        self.proposed = [self.space.mutate(base, self.rng) for _ in range(4)]
        return self.proposed

    def tell(self, trials):
        for i in range(len(self.proposed)):  # the bug: the last batch may be cut short
            trial = trials[i]
            if trial.score < self.current_score:
                self.current, self.current_score = trial.arch, trial.score


class CrashesOnFailure(MyStrategy):
    """Compares val_loss, which is None for a diverged trial."""

    def setup(self, space, seed, evaluator=None):
        super().setup(space, seed, evaluator)
        self.current_loss = math.inf

    def tell(self, trials):
        for trial in trials:
            if trial.val_loss < self.current_loss:  # the bug: None < float raises TypeError
                self.current, self.current_loss = trial.arch, trial.val_loss


class RanksByValLoss(MyStrategy):
    """Stands on the trial with the lowest val_loss so far, found with np.argmin: a failure's
    val_loss is None, NaN in a float array, and np.argmin returns the first NaN. Nothing
    crashes; the climb just keeps mutating failed architectures."""

    def setup(self, space, seed, evaluator=None):
        super().setup(space, seed, evaluator)
        self.seen = []

    def tell(self, trials):
        self.seen.extend(trials)
        losses = np.array([t.val_loss for t in self.seen], dtype=float)  # the bug: not t.score
        self.current = self.seen[int(np.argmin(losses))].arch


class WorseThanRandom(MyStrategy):
    """A sign error: moves when the score got *higher* (worse)."""

    def tell(self, trials):
        for trial in trials:
            if self.current is None or (math.isfinite(trial.score) and trial.score > self.current_score):
                self.current, self.current_score = trial.arch, trial.score


EXPECTED_FAILURE: dict[type, str] = {
    Unfinished: "interface", OutsideTheSpace: "proposals", NeverStops: "proposals",
    UnseededRandomness: "determinism", FixedSeed: "determinism", StateInInit: "determinism",
    EvaluatesItself: "budget", NegativeCharge: "budget", NotANumberCharge: "budget",
    BatchAssumesFullTell: "budget",
    CrashesOnFailure: "failures", RanksByValLoss: "failures", WorseThanRandom: "performance",
}
