"""Successive halving: train many architectures briefly, continue only the best third.

Jamieson & Talwalkar (2016); the building block of Hyperband, BOHB and ASHA. One
*bracket* works in *rungs* of growing fidelity::

    rung 0:  27 architectures x  1 epoch    keep the best 1/eta (eta = 3)
    rung 1:   9 architectures x  3 epochs   keep the best third
    rung 2:   3 architectures x  9 epochs   ...
    rung 3:   1 architecture  x 27 epochs   (full fidelity)

Every architecture is asked for as a :class:`~nasbook.Proposal` at its rung's epochs; a
promoted one *continues* its training (the evaluator charges only the extra epochs, see
:mod:`nasbook.fidelity`). A rung's survivors are chosen when all of its trials are told, by
``score`` (a failure scores ``inf``, so it is never promoted).

How many architectures a bracket starts with is sized from the budget
(``self.budget``, in evaluation-equivalents): the most whose bracket still fits in what is
left. When a bracket ends and budget is left, the next bracket starts with new random
architectures. :class:`SuccessiveHalving` runs brackets that all begin at ``min_epochs``;
:class:`~nasbook.strategies.hyperband.Hyperband` varies where they begin.
"""
from __future__ import annotations

import math
from typing import Any

from nasbook.fidelity import Proposal, cost
from nasbook.spaces.space import Arch
from nasbook.strategies.base import MAX_PROPOSALS, Strategy
from nasbook.strategies.trace import Member, RungEntry
from nasbook.trial import Trial
from nasbook.validation import NasbookError, check_int


def rung_epochs(fidelities: tuple[int, ...], min_epochs: int, eta: int) -> list[int]:
    """The epochs of each rung: full fidelity, divided by ``eta`` again and again down to
    ``min_epochs``, each snapped to the largest epoch the evaluator offers below it."""
    full = fidelities[-1]
    rungs = [full]
    while rungs[0] / eta >= min_epochs:
        target = rungs[0] / eta
        below = [f for f in fidelities if f <= target]
        if not below or below[-1] >= rungs[0]:
            break
        rungs.insert(0, below[-1])
    return rungs


def bracket_sizes(n: int, rungs: list[int], eta: int) -> list[int]:
    """How many architectures each rung trains when the bracket starts with ``n``."""
    return [max(1, n // eta ** i) for i in range(len(rungs))]


def bracket_cost(n: int, rungs: list[int], eta: int, full: int) -> float:
    """A bracket's cost at most, in evaluation-equivalents (as if nothing were continued)."""
    return sum(size * epochs / full for size, epochs in zip(bracket_sizes(n, rungs, eta), rungs))


def most_that_fit(rungs: list[int], eta: int, full: int, budget: float, most: int = MAX_PROPOSALS) -> int:
    """The largest starting size whose bracket costs no more than ``budget`` (0 if even 1 does not fit)."""
    n = 0
    while n < most and bracket_cost(n + 1, rungs, eta, full) <= budget + 1e-9:
        n += 1
    return n


def check_fidelities(name: str, evaluator: Any, min_epochs: int | None) -> tuple[tuple[int, ...], int]:
    """The epochs ``evaluator`` can stop at, and the lowest a multi-fidelity strategy starts at
    (``min_epochs``, or the fewest offered); a clear error when it cannot train at a fidelity."""
    fidelities = tuple(evaluator.fidelities()) if evaluator is not None else ()
    if not fidelities:
        raise NasbookError(f"strategy={name!r} trains architectures at a fidelity; evaluator="
                           f"{type(evaluator).__name__} has no fidelities() (use Evaluator, "
                           f"TabularEvaluator or ToyEvaluator)")
    low = fidelities[0] if min_epochs is None else min_epochs
    if low not in fidelities:
        raise NasbookError(f"min_epochs={low!r} is not an epoch the evaluator can stop at: one of "
                           f"{list(fidelities)}")
    return fidelities, low


class Bracket:
    """One run of successive halving: architectures, rung by rung, the best 1/eta promoted."""

    def __init__(self, number: int, archs: list[Arch], rungs: list[int], eta: int) -> None:
        self.number, self.rungs, self.eta = number, rungs, eta
        self.rung = 0
        self.waiting = [Proposal(arch, epochs=rungs[0]) for arch in archs]  # asked for, not told yet
        self.told: list[Trial] = []  # this rung's finished trials
        self.done = not archs
        self.finished: list[RungEntry] = []  # the rungs that ended (for the trace)

    def ask(self) -> list[Proposal]:
        return list(self.waiting)

    def tell(self, trials: list[Trial]) -> None:
        """The loop evaluates a prefix of what was asked: those leave the waiting list."""
        self.waiting = self.waiting[len(trials):]
        self.told += trials
        if not self.waiting:
            self.promote()

    def promote(self) -> None:
        """Rank the finished rung and move its best 1/eta (that did not fail) to the next rung."""
        last = self.rung == len(self.rungs) - 1
        keep = 0 if last else max(1, len(self.told) // self.eta)
        best = [t for t in sorted(self.told, key=lambda t: t.score)[:keep] if t.ok]  # a stable sort
        self.finished.append(RungEntry(
            kind="rung", bracket=self.number, rung=self.rung, epochs=self.rungs[self.rung],
            trials=[Member(arch=dict(t.arch), score=t.score, status=t.status) for t in self.told],
            promoted=[dict(t.arch) for t in best]))
        if not best:
            self.done = True
            return
        self.rung += 1
        self.waiting = [Proposal(t.arch, epochs=self.rungs[self.rung]) for t in best]
        self.told = []


class SuccessiveHalving(Strategy):
    """Brackets of successive halving from ``min_epochs`` (None: the evaluator's fewest) to full
    fidelity, keeping the best ``1/eta`` of each rung; each bracket sized from the budget left."""

    name = "sh"
    multi_fidelity = True

    def __init__(self, mode: str = "default", eta: int = 3, min_epochs: int | None = None) -> None:
        super().__init__(mode)
        self.eta = check_int("eta", eta, 2, 100)
        self.min_epochs = None if min_epochs is None else check_int("min_epochs", min_epochs, 1, 100_000)

    def setup(self, space: Any, seed: int, evaluator: Any = None, budget: int | None = None) -> None:
        super().setup(space, seed, evaluator, budget)
        self.fidelities, self.lowest = check_fidelities(self.name, evaluator, self.min_epochs)
        self.full = self.fidelities[-1]
        self.spent = 0.0  # evaluation-equivalents the told trials cost
        self.brackets = 0  # brackets started so far
        self.bracket: Bracket | None = None

    @property
    def left(self) -> float:
        """Budget left, as far as this strategy knows (its own trials' cost)."""
        return math.inf if self.budget is None else self.budget - self.spent

    # -- the policy: which bracket next, and its architectures --------------------------
    def next_bracket(self) -> Bracket:
        """A bracket over every rung from ``min_epochs``, as large as the budget left allows."""
        return self.sized_bracket(rung_epochs(self.fidelities, self.lowest, self.eta), self.left)

    def sized_bracket(self, rungs: list[int], budget: float) -> Bracket:
        """A bracket on ``rungs`` with the most architectures ``budget`` pays for (at least one)."""
        standard = self.eta ** (len(rungs) - 1)  # what a bracket without a budget starts with
        n = standard if math.isinf(budget) else max(1, most_that_fit(rungs, self.eta, self.full, budget))
        self.brackets += 1
        return Bracket(self.brackets - 1, self.new_archs(n), rungs, self.eta)

    def new_archs(self, n: int) -> list[Arch]:
        """``n`` architectures to start a bracket with, distinct where the space allows."""
        archs: list[Arch] = []
        for _ in range(20 * n):
            arch = self.new_arch()
            if arch not in archs:
                archs.append(arch)
            if len(archs) == n:
                break
        return archs + [self.new_arch() for _ in range(n - len(archs))]

    def new_arch(self) -> Arch:
        """One new architecture: a uniform sample (BOHB draws from its model instead)."""
        return self.space.sample(self.rng)

    # -- ask and tell -----------------------------------------------------------------
    def ask(self) -> list[Proposal]:
        if self.bracket is None or self.bracket.done:
            self.bracket = self.next_bracket()
        return self.bracket.ask()

    def tell(self, trials: list[Trial]) -> None:
        self.spent += sum(cost(t, self.full) for t in trials)
        self.learn(trials)
        ended = len(self.bracket.finished)
        self.bracket.tell(trials)
        self.trace += self.bracket.finished[ended:]

    def learn(self, trials: list[Trial]) -> None:
        """What a model-based variant learns from every trial (BOHB); nothing here."""
