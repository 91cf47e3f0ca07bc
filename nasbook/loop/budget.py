"""The budget of a search, counted in evaluations: what it holds, what is spent, what is left.

A budget of 20 means twenty trainings of one network under the evaluator's protocol.
Two things spend it:

* every evaluation the loop runs costs **1** (a cache hit too: it took a budget slot);
* compute a strategy spends *outside* the evaluator — DARTS trains a supernet before it
  proposes anything — is returned by :meth:`Strategy.prepare` as a :class:`Cost` in
  evaluation-equivalents, and charged once, before the first ``ask``.

* a trial trained at a fidelity — ``k`` of the protocol's ``E`` epochs — costs ``k / E``, and
  one that continued a training of ``j`` epochs ``(k - j) / E`` (:mod:`nasbook.fidelity`),
  through the same :meth:`Budget.spend`.
"""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any

from nasbook.validation import NasbookError

TOLERANCE = 1e-9  # float slack when fractions of an evaluation are added up


@dataclass(frozen=True)
class Cost:
    """Compute spent outside the evaluator: ``evaluations`` (evaluation-equivalents, a
    number >= 0) and the optimiser ``steps`` it took (forward/backward passes)."""

    evaluations: float = 0.0
    steps: int = 0


def check_cost(cost: Any, by: str = "prepare()") -> Cost:
    """``cost`` when it is a :class:`Cost` of a number >= 0 and whole steps >= 0; else a
    NasbookError saying what ``by`` returned and what is allowed."""
    if not isinstance(cost, Cost):
        raise NasbookError(f"{by} returned {cost!r}; it must return a nasbook Cost(evaluations=..., "
                           f"steps=...) (Cost() when the strategy spends nothing outside the evaluator)")
    value, steps = cost.evaluations, cost.steps
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) or value < 0:
        raise NasbookError(f"{by} returned a cost of evaluations={value!r}; it must be a number >= 0")
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or steps < 0:
        raise NasbookError(f"{by} returned a cost of steps={steps!r}; it must be an integer >= 0")
    return Cost(float(value), int(steps))


class Budget:
    """``total`` evaluations; ``spent`` so far; ``remaining`` whole evaluations left."""

    def __init__(self, total: int, full_epochs: int | None = None) -> None:
        self.total = total
        self.full_epochs = full_epochs  # epochs of a full training, when trials can be shorter
        self.charged = Cost()  # the strategy's own compute (its prepare phase)
        self.evaluated = 0.0  # what the loop's evaluations cost (1 each today)

    @property
    def spent(self) -> float:
        return self.charged.evaluations + self.evaluated

    @property
    def remaining(self) -> int:
        """Whole evaluations the budget still allows (0 when spent)."""
        return max(0, math.floor(self.total - self.charged.evaluations - self.evaluated))

    @property
    def left(self) -> float:
        """Evaluation-equivalents left, fractions included (never below 0)."""
        return max(0.0, self.total - self.spent)

    def affords(self, cost: float) -> bool:
        """True when ``cost`` evaluation-equivalents still fit in the budget (float slack allowed)."""
        return cost <= self.total - self.spent + TOLERANCE

    def charge(self, cost: Cost, by: str = "prepare()") -> None:
        """Count a strategy's own compute (``by`` names who spent it, for the error message)."""
        cost = check_cost(cost, by)
        self.charged = Cost(self.charged.evaluations + cost.evaluations, self.charged.steps + cost.steps)

    def spend(self, evaluations: float) -> None:
        """Count evaluations the loop ran (1 per trial; k/E for a trial of k epochs)."""
        self.evaluated += evaluations
