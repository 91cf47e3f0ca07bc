"""ASHA: successive halving without waiting for a rung to fill.

Li et al. (2020), "A system for massively parallel hyperparameter tuning". Synchronous
successive halving waits until every architecture of a rung is trained before it promotes
anyone, so parallel workers sit idle at the end of each rung. ASHA promotes as soon as it
can: whenever a worker is free (every ``ask``, ``batch_size`` of them at a time), it looks
from the top rung down for an architecture that is among the best ``1/eta`` of its rung's
finished trials and not yet promoted, and promotes it one rung up; if there is none, it
starts a new random architecture at the lowest rung. There are no brackets and no plan
from the budget: ASHA goes on until the loop's budget is spent.

Run it with an executor to train each batch in parallel::

    with nasbook.evaluation.executors.local_pool(4) as pool:
        nasbook.search("asha", budget=50, executor=pool)

(On an executor the real evaluator keeps no trainings, so a promotion retrains from
scratch and is charged in full: see :meth:`nasbook.Evaluator.train_at`.)
"""
from __future__ import annotations

from typing import Any

from nasbook.fidelity import Proposal
from nasbook.strategies.base import MAX_PROPOSALS
from nasbook.strategies.successive_halving import SuccessiveHalving, rung_epochs
from nasbook.strategies.trace import RungEntry
from nasbook.trial import Trial
from nasbook.validation import check_int


class ASHA(SuccessiveHalving):
    """Asynchronous successive halving: promote the moment a rung's top ``1/eta`` allows it."""

    name = "asha"

    def __init__(self, mode: str = "default", eta: int = 3, min_epochs: int | None = None,
                 batch_size: int = 4) -> None:
        super().__init__(mode, eta=eta, min_epochs=min_epochs)
        self.batch_size = check_int("batch_size", batch_size, 1, MAX_PROPOSALS)

    def setup(self, space: Any, seed: int, evaluator: Any = None, budget: int | None = None) -> None:
        super().setup(space, seed, evaluator, budget)
        self.rungs = rung_epochs(self.fidelities, self.lowest, self.eta)
        self.finished: list[list[Trial]] = [[] for _ in self.rungs]  # each rung's told trials
        self.promoted: list[list[dict[str, Any]]] = [[] for _ in self.rungs]  # archs promoted out of each rung
        self.asked: list[tuple[int, Proposal]] = []  # (rung it was promoted from, or -1 if new; proposal)

    def ask(self) -> list[Proposal]:
        self.asked = [self.next_job() for _ in range(self.batch_size)]
        return [proposal for _, proposal in self.asked]

    def next_job(self) -> tuple[int, Proposal]:
        """A promotion if one is due (the highest rung first), else a new architecture at the lowest rung."""
        for rung in reversed(range(len(self.rungs) - 1)):
            told = sorted(self.finished[rung], key=lambda t: t.score)  # a stable sort: ties keep their order
            for t in told[:len(told) // self.eta]:
                if t.ok and t.arch not in self.promoted[rung]:
                    self.promoted[rung].append(dict(t.arch))
                    return rung, Proposal(t.arch, epochs=self.rungs[rung + 1])
        return -1, Proposal(self.new_arch(), epochs=self.rungs[0])

    def tell(self, trials: list[Trial]) -> None:
        for (came_from, proposal), trial in zip(self.asked, trials):
            rung = came_from + 1
            self.finished[rung].append(trial)
            if came_from >= 0:
                self.trace.append(RungEntry(kind="rung", bracket=0, rung=came_from, epochs=self.rungs[came_from],
                                            trials=[], promoted=[dict(proposal.arch)]))
        for came_from, proposal in self.asked[len(trials):]:  # asked but not evaluated (the budget ran out)
            if came_from >= 0:
                self.promoted[came_from].remove(dict(proposal.arch))
