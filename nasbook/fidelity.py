"""Fidelity: train a candidate for fewer epochs, pay for fewer epochs.

Multi-fidelity search (successive halving, Hyperband, BOHB) evaluates many architectures
cheaply — a few epochs each — and continues only the promising ones. A strategy asks for a
fidelity by returning a :class:`Proposal` from ``ask()``::

    def ask(self):
        return [nasbook.Proposal(self.space.sample(self.rng), epochs=2)]   # 2 epochs only

A plain architecture dict is still a full-fidelity request (the protocol's ``E`` epochs),
so every strategy written before fidelity existed works unchanged.

**Cost.** The budget is counted in *evaluation-equivalents*: training ``k`` of the
protocol's ``E`` epochs costs ``k / E`` (a full training costs 1, as it always did). When an
architecture is promoted — asked again, with the same seed, for more epochs than it has
already been trained — the evaluator *continues* its training where it stopped when it can,
and only the extra epochs are charged: ``(k - trial.continued_from) / E``. A repeat of a
request already answered is a cache hit and costs ``k / E``, as a full-fidelity repeat costs
1. :func:`cost` is that rule, written once.

Which evaluators can train at a fidelity is said by ``evaluator.fidelities()`` (the epochs it
can stop at; empty for a full-fidelity-only evaluator): the real
:class:`~nasbook.evaluation.training.Evaluator` any epoch ``1..E``, the tabular benchmark the
epochs its table recorded, the toy evaluator ``1..10``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from nasbook.trial import Trial
from nasbook.validation import NasbookError


@dataclass(frozen=True)
class Proposal:
    """An architecture to evaluate, and for how many epochs (``None``: the protocol's full epochs)."""

    arch: Mapping[str, Any]
    epochs: int | None = None
    note: dict[str, Any] = field(default_factory=dict, compare=False)  # the strategy's own bookkeeping


Request = tuple[dict[str, Any], "int | None"]  # (architecture, epochs or None for full fidelity)


def as_request(item: Any) -> tuple[Any, "int | None"]:
    """``(arch, epochs)`` of one thing ``ask()`` returned: a :class:`Proposal` or a plain dict.

    The epochs are checked against the evaluator later (:func:`check_epochs`); ``arch`` is
    checked against the space by the loop.
    """
    if isinstance(item, Proposal):
        return item.arch, item.epochs
    return item, None


def check_epochs(epochs: Any, allowed: tuple[int, ...], where: str, evaluator: str) -> int:
    """``epochs`` when it is one of the ``allowed`` epochs of the evaluator; else a clear error."""
    if not allowed:
        raise NasbookError(f"{where} asks for epochs={epochs!r}, but {evaluator} trains at full fidelity only "
                           f"(it has no fidelities()); return plain architecture dicts, or use an evaluator "
                           f"that trains at a fidelity (Evaluator, TabularEvaluator, ToyEvaluator)")
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs not in allowed:
        shown = f"1..{allowed[-1]}" if allowed == tuple(range(1, allowed[-1] + 1)) else str(list(allowed))
        raise NasbookError(f"{where} asks for epochs={epochs!r}; {evaluator} can train to epochs {shown}")
    return epochs


def planned_cost(epochs: "int | None", full_epochs: "int | None") -> float:
    """What a request can cost at most: ``epochs / E`` (1 for full fidelity).

    A continued training costs less (only its extra epochs); the loop plans with this upper
    bound, so the budget is never exceeded.
    """
    return 1.0 if epochs is None or not full_epochs else epochs / full_epochs


def cost(trial: Trial, full_epochs: "int | None") -> float:
    """What ``trial`` cost in evaluation-equivalents (see the module docstring)."""
    if trial.epochs is None or not full_epochs:
        return 1  # (an int: a full-fidelity search counts whole evaluations, as always)
    trained = trial.epochs if trial.cached else trial.epochs - trial.continued_from
    return trained / full_epochs


def fidelity_label(trial: Trial) -> str:
    """How a trial was trained, for tables and plots: ``"full"`` or ``"5 ep"`` (``"5 ep (from 2)"`` continued)."""
    if trial.epochs is None:
        return "full"
    return f"{trial.epochs} ep" + (f" (from {trial.continued_from})" if trial.continued_from else "")
