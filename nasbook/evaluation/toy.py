"""A toy evaluator: an analytic score instead of training, for fast tests and exercises.

It has the same interface as :class:`~nasbook.evaluation.training.Evaluator` (``evaluate``,
``evaluate_many``), but the "validation loss" of an architecture is a fixed function of
its choice indices — a bowl with one known optimum — so a strategy's *mechanics* can be
checked in milliseconds. Architectures listed in ``diverge`` come back as diverged trials,
to test that strategies survive failures.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

import numpy as np

from nasbook.spaces.space import SearchSpace, as_space
from nasbook.trial import Trial


class ToyEvaluator:
    """Score = sum over keys of weight_k * (index_k - target_k)^2 / (n_k - 1)^2, plus a floor.

    The optimum (``self.optimum``) is the architecture at the target indices; by default the
    target is a fixed, seeded pick per key so it is neither the first nor the last choice.
    """

    device = "cpu"

    def __init__(self, space: "SearchSpace | Mapping[str, list[Any]] | None" = None, target_seed: int = 0,
                 diverge: Callable[[dict[str, Any]], bool] | None = None, floor: float = 0.01) -> None:
        self.space = as_space(space)
        rng = np.random.default_rng([target_seed, 2019])  # a stream no search seed reuses
        self.target = [int(rng.integers(len(v))) for v in self.space.choices.values()]
        self.weights = np.linspace(1.0, 2.0, len(self.space.keys))
        self.diverge = diverge
        self.floor = floor
        self.calls = 0  # evaluations actually computed

    @property
    def optimum(self) -> dict[str, Any]:
        return self.space.decode(self.target)

    def loss(self, arch: Mapping[str, Any]) -> float:
        idx = np.array(self.space.encode(arch), dtype=float)
        span = np.array([max(len(v) - 1, 1) for v in self.space.choices.values()], dtype=float)
        return float(self.floor + np.sum(self.weights * ((idx - self.target) / span) ** 2))

    def evaluate(self, arch: Mapping[str, Any], seed: int = 0) -> Trial:
        self.calls += 1
        arch = self.space.validate(arch)
        if self.diverge is not None and self.diverge(arch):
            return Trial(arch=arch, val_loss=None, status="diverged", reason="toy: marked to diverge", seed=seed)
        return Trial(arch=arch, val_loss=self.loss(arch), seed=seed, steps=1)

    def evaluate_many(self, archs: Sequence[Mapping[str, Any]], seed: int = 0,
                      on_trial: Callable[[Trial], None] | None = None,
                      should_stop: Callable[[], bool] | None = None) -> list[Trial]:
        return one_by_one(self.evaluate, archs, seed, on_trial, should_stop)


def one_by_one(evaluate: Callable[[Mapping[str, Any], int], Trial], archs: Sequence[Mapping[str, Any]],
               seed: int = 0, on_trial: Callable[[Trial], None] | None = None,
               should_stop: Callable[[], bool] | None = None) -> list[Trial]:
    """``evaluate_many`` for evaluators whose ``evaluate`` is instant (toys, lookup tables).

    Evaluates in order, reports each trial to ``on_trial`` at once, and stops early (returning
    what finished) when ``should_stop()`` is true.
    """
    trials = []
    for arch in archs:
        if should_stop is not None and should_stop():
            break
        trials.append(evaluate(arch, seed))
        if on_trial is not None:
            on_trial(trials[-1])
    return trials
