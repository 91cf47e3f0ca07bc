"""Warm start: begin another strategy from the architectures a cheap score likes best.

A zero-cost proxy (:mod:`nasbook.experiments.zero_cost`) scores an untrained network in
milliseconds. It ranks too poorly to *replace* training, but it may be good enough to choose
where a search *starts*: score ``candidates`` random architectures, train the ``top`` best of
them first, and hand them to the strategy as if it had proposed them. Evolution then starts
from a proxy-picked population, local search climbs from the best of them, random search has
simply spent its first ``top`` evaluations on them.

:class:`WarmStart` wraps any strategy that learns from the trials it is told about, whoever
proposed them (random search, local search, evolution; not REINFORCE, which learns from the
probabilities of its own samples). It goes through the normal loop: the first ``ask()``
returns the proxy's picks, their ``tell()`` goes to the wrapped strategy, and from then on the
wrapped strategy asks and is told. The candidates are drawn from their own generator (seeded
from the search seed), so the wrapped strategy's random stream is the one it has unwarmed:
a warm and a cold run with the same seed differ only by the warm start.

**The proxy's compute is charged.** Scoring costs ``candidates × scorer.seconds`` CPU seconds;
:meth:`WarmStart.prepare` returns it in evaluation-equivalents, divided by
``seconds_per_evaluation`` (by default the mean training time recorded in the evaluator's
table), and the loop charges it against the budget like DARTS' supernet. The loop spends
whole evaluations, so any charge above zero costs at least one evaluation's slot: a warm start
has to pay for itself, rounded up.

A *scorer* is any callable ``scorer(arch, seed) -> float`` (higher means "predicted better")
with an attribute ``seconds``: what one call costs, in seconds
(:class:`nasbook.experiments.proxy_judge.CachedProxy` reads cached proxy scores).
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from nasbook.loop.budget import Cost
from nasbook.spaces.space import Arch, SearchSpace
from nasbook.trial import Trial
from nasbook.validation import NasbookError, check_float, check_int, fail
from nasbook.strategies.base import MAX_PROPOSALS, Strategy

Scorer = Callable[[Arch, int], float]  # (arch, seed) -> higher is better; has .seconds per call
WARM_STREAM = 7  # the candidates' generator: np.random.default_rng([seed, WARM_STREAM])


class WarmStart(Strategy):
    """Train the ``top`` of ``candidates`` random architectures by ``scorer`` first, then run ``strategy``.

    Args:
        strategy: the wrapped strategy, an instance (``Evolution(population_size=10)``) or a
            registry name (built in this mode).
        scorer: ``scorer(arch, seed) -> float``, higher is better, with ``.seconds`` per call.
        candidates: random architectures scored (distinct ones).
        top: how many of the best-scored are trained first (for evolution: its population size).
        seconds_per_evaluation: what one full training costs, in seconds, to turn the scorer's
            seconds into evaluation-equivalents; None reads the mean recorded training time of
            the evaluator's table (a ``TabularEvaluator``).
    """

    name = "warm"

    def __init__(self, mode: str = "default", strategy: Any = "evolution", scorer: Scorer | None = None,
                 candidates: int = 100, top: int = 10, seconds_per_evaluation: float | None = None) -> None:
        super().__init__(mode)
        if scorer is None or not callable(scorer) or not hasattr(scorer, "seconds"):
            raise fail("scorer", scorer, "a callable scorer(arch, seed) -> float with a .seconds attribute "
                                         "(e.g. nasbook.experiments.proxy_judge.CachedProxy)")
        self.strategy = strategy
        self.scorer = scorer
        self.candidates = check_int("candidates", candidates, 1, MAX_PROPOSALS)
        self.top = check_int("top", top, 1, self.candidates)
        if seconds_per_evaluation is not None and check_float("seconds_per_evaluation", seconds_per_evaluation, 0.0) == 0:
            raise fail("seconds_per_evaluation", seconds_per_evaluation, "a number of seconds > 0, or None")
        self.seconds_per_evaluation = seconds_per_evaluation

    def setup(self, space: SearchSpace, seed: int, evaluator: Any = None, budget: int | None = None) -> None:
        super().setup(space, seed, evaluator, budget)
        from nasbook.strategies import make_strategy  # the registry imports this module's neighbours

        self.inner = make_strategy(self.strategy, mode=None if isinstance(self.strategy, Strategy) else self.mode)
        self.inner.setup(space, seed, evaluator, budget)
        self.trace = self.inner.trace  # the wrapped strategy's snapshots are the run's
        self.name = f"warm {self.inner.name}"
        self.picks: list[Arch] = []
        self.warm_pending = False
        self.scoring_seconds = self.charged = 0.0

    def prepare(self) -> Cost:
        """Score the candidates, keep the ``top`` best; return what scoring cost."""
        cost = self.inner.prepare()
        rng = np.random.default_rng([self.seed, WARM_STREAM])
        drawn: dict[tuple, Arch] = {}
        for _ in range(100 * self.candidates):
            if len(drawn) == self.candidates:
                break
            arch = self.space.sample(rng)
            drawn.setdefault(self.space.encode(arch), arch)
        archs = list(drawn.values())
        scores = np.array([self.scorer(arch, self.seed) for arch in archs], dtype=float)
        scores = np.where(np.isnan(scores), -np.inf, scores)  # no score ranks last
        order = np.argsort(-scores, kind="stable")
        self.picks = [archs[int(i)] for i in order[: self.top]]
        self.warm_pending = True
        self.scoring_seconds = len(archs) * float(self.scorer.seconds)  # what scoring them cost
        self.charged = self.scoring_seconds / self.evaluation_seconds()  # ... in evaluation-equivalents
        return Cost(cost.evaluations + self.charged, cost.steps)

    def evaluation_seconds(self) -> float:
        if self.seconds_per_evaluation is not None:
            return float(self.seconds_per_evaluation)
        table = getattr(self.evaluator, "table", None)
        if table is None:
            raise NasbookError("WarmStart(seconds_per_evaluation=None) needs an evaluator with a table (a "
                               "TabularEvaluator) to read the training time from; give seconds_per_evaluation")
        seconds = np.asarray(table.arrays["seconds"], dtype=float)[np.asarray(table.done_runs)]
        return float(seconds.mean())

    def ask(self) -> list[Arch]:
        if self.warm_pending:
            return list(self.picks)
        return self.inner.ask()

    def tell(self, trials: list[Trial]) -> None:
        self.warm_pending = False  # the warm picks are asked once, however many of them ran
        self.inner.tell(trials)
