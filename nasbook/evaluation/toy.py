"""A toy evaluator: an analytic score instead of training, for fast tests and exercises.

It is an evaluator like any other (:class:`~nasbook.evaluation.base.BaseEvaluator`), but the
"validation loss" of an architecture is a fixed function of its choice indices — a bowl
with one known optimum — so a strategy's *mechanics* can be checked in milliseconds.
Architectures listed in ``diverge`` come back as diverged trials, to test that strategies
survive failures. It does not cache by default (``cache=False``): every request is
computed, and :attr:`ToyEvaluator.calls` counts them.

It trains at a fidelity too (:mod:`nasbook.fidelity`): at ``k`` of its ``epochs`` the loss is
the bowl plus ``slack * (1/k - 1/epochs)``, a learning curve that falls to the bowl's value
at full fidelity; a promotion continues (nothing is kept, there is nothing to keep).
"""
from __future__ import annotations

from typing import Any, Callable, Iterator, Mapping

import numpy as np

from nasbook.evaluation.base import BaseEvaluator, FidelityWork, Work
from nasbook.spaces.space import SearchSpace, as_space
from nasbook.trial import Trial
from nasbook.validation import check_float, check_int, check_seed, fail


class ToyEvaluator(BaseEvaluator):
    """Score = sum over keys of weight_k * (index_k - target_k)^2 / (n_k - 1)^2, plus a floor.

    The optimum (``self.optimum``) is the architecture at the target indices; by default the
    target is a fixed, seeded pick per key so it is neither the first nor the last choice.
    """

    def __init__(self, space: "SearchSpace | Mapping[str, list[Any]] | None" = None, target_seed: int = 0,
                 diverge: Callable[[dict[str, Any]], bool] | None = None, floor: float = 0.01,
                 cache: bool = False, epochs: int = 10, slack: float = 0.5) -> None:
        super().__init__(cache)
        if diverge is not None and not callable(diverge):
            raise fail("diverge", diverge, "a function diverge(arch) -> True for the architectures that diverge, or None")
        self.space = as_space(space)
        target_seed = check_seed("target_seed", target_seed)
        floor = check_float("floor", floor, 0.0, 1e6)  # a loss >= 0: a run log refuses a negative one
        rng = np.random.default_rng([target_seed, 2019])  # a stream no search seed reuses
        self.target = [int(rng.integers(len(v))) for v in self.space.choices.values()]
        self.weights = np.linspace(1.0, 2.0, len(self.space.keys))
        self.diverge = diverge
        self.floor = floor
        self.epochs = check_int("epochs", epochs, 1, 10_000)  # a full "training"
        self.slack = check_float("slack", slack, 0.0, 1e6)  # how much higher the loss is after 1 epoch
        self.calls = 0  # evaluations actually computed

    def describe(self) -> str:
        return (f"toy evaluator: an analytic bowl over the {len(self.space.keys)} keys of the space, "
                "with one known optimum; nothing is trained.")

    @property
    def optimum(self) -> dict[str, Any]:
        return self.space.decode(self.target)

    def loss(self, arch: Mapping[str, Any]) -> float:
        idx = np.array(self.space.encode(arch), dtype=float)
        span = np.array([max(len(v) - 1, 1) for v in self.space.choices.values()], dtype=float)
        return float(self.floor + np.sum(self.weights * ((idx - self.target) / span) ** 2))

    def check_space(self, space: Any) -> None:
        """A search space must be this toy's space or part of it (the bowl is defined there only)."""
        for key in set(self.space.keys) | set(space.keys):
            if key not in space.choices or key not in self.space.choices:
                raise fail("space", space.to_dict(), f"the ToyEvaluator's keys {self.space.keys} (build it on your "
                           f"space: ToyEvaluator(space))")
            for value in space.choices[key]:
                self.space.position(key, value, field="space")

    def check_arch(self, arch: Any) -> dict[str, Any]:
        return self.space.validate(arch)

    def compute(self, work: Work, should_stop: Callable[[], bool]) -> Iterator[Trial]:
        return (self.train(arch, seed) for arch, seed in work)

    def fidelities(self) -> tuple[int, ...]:
        return tuple(range(1, self.epochs + 1))

    def compute_at(self, work: FidelityWork, should_stop: Callable[[], bool]) -> Iterator[Trial]:
        for arch, seed, epochs, start in work:
            trial = self.train(arch, seed)
            trial.epochs, trial.continued_from, trial.steps = epochs, start, epochs - start
            if trial.ok:
                trial.val_loss += self.slack * (1 / epochs - 1 / self.epochs)
            yield trial

    def train(self, arch: dict[str, Any], seed: int) -> Trial:
        """The toy's stand-in for training: the trial of one (checked) architecture, uncached."""
        self.calls += 1
        if self.diverge is not None and self.diverge(arch):
            return Trial(arch=arch, val_loss=None, status="diverged", reason="toy: marked to diverge", seed=seed)
        return Trial(arch=arch, val_loss=self.loss(arch), seed=seed, steps=1)
