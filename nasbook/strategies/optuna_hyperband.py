"""Optuna's TPE with its Hyperband pruner: the multi-fidelity tool a learner would reach for.

Optuna does multi-fidelity by *pruning*: a trial reports its validation loss as it trains
(``trial.report(loss, step=epoch)``) and asks ``trial.should_prune()``; the
``HyperbandPruner`` (Li et al., 2017, run the way Optuna runs it) answers by comparing it with
the other trials of its bracket at the same rung. Here the reporting happens through nasbook's
own loop, one fidelity at a time, so the pruner sees exactly the epochs the evaluator records
(``evaluator.fidelities()``: the seed-protocol table's 1, 2, 5, 10; every epoch for the real
:class:`~nasbook.evaluation.training.Evaluator`)::

    ask()  -> Proposal(arch, epochs=f)       f: the next fidelity of the running Optuna trial
    tell() -> trial.report(loss, step=f)     then: f was the full epochs -> study.tell(trial, loss)
                                                   trial.should_prune()  -> study.tell(trial, PRUNED)
                                                   otherwise             -> ask for the next fidelity

Each step *continues* the same training (same architecture and seed), so a trial trained to
``k`` epochs costs ``k / E`` in all, however many times it reported (:mod:`nasbook.fidelity`).
The sampler is :class:`~nasbook.strategies.optuna_tpe.OptunaTPE`'s (TPE, Optuna's defaults);
the study has a fixed name, because the pruner assigns trials to brackets by hashing it, so
the same seed replays the same search. Like the TPE peer, it may propose an architecture
again; the evaluator answers from its cache, and each fidelity of it costs its ``k / E``.
"""
from __future__ import annotations

from typing import Any

from nasbook.fidelity import Proposal
from nasbook.spaces.space import SearchSpace
from nasbook.strategies.optuna_tpe import OptunaTPE
from nasbook.strategies.successive_halving import check_fidelities
from nasbook.trial import Trial
from nasbook.validation import check_int

STUDY_NAME = "nasbook"  # the pruner hashes it (with the trial number) to pick each trial's bracket


class OptunaHyperband(OptunaTPE):
    """TPE proposes, ``HyperbandPruner(min_resource=min_epochs, max_resource=E, reduction_factor=eta)``
    stops; one Optuna trial trains at a time, reporting after each of the evaluator's fidelities."""

    name = "optuna-hyperband"
    multi_fidelity = True

    def __init__(self, mode: str = "default", eta: int = 3, min_epochs: int | None = None) -> None:
        super().__init__(mode)
        self.eta = check_int("eta", eta, 2, 100)
        self.min_epochs = None if min_epochs is None else check_int("min_epochs", min_epochs, 1, 100_000)

    def setup(self, space: SearchSpace, seed: int, evaluator: Any = None, budget: int | None = None) -> None:
        super().setup(space, seed, evaluator, budget)
        self.running: Any = None  # the Optuna trial being trained (None: start the next one)
        self.arch: dict[str, Any] = {}  # its architecture
        self.step = 0  # its next fidelity: a position in self.fidelities

    def create_study(self, optuna: Any) -> Any:
        """The pruner needs the epochs, so the evaluator's fidelities are checked here (in
        ``setup``): the trials report at each of them from ``min_epochs`` up to the full epochs."""
        fidelities, self.lowest = check_fidelities(self.name, self.evaluator, self.min_epochs)
        self.fidelities = tuple(f for f in fidelities if f >= self.lowest)
        pruner = optuna.pruners.HyperbandPruner(min_resource=self.lowest, max_resource=self.fidelities[-1],
                                                reduction_factor=self.eta)
        return optuna.create_study(study_name=STUDY_NAME, direction="minimize", pruner=pruner,
                                   sampler=optuna.samplers.TPESampler(seed=self.seed))

    def ask(self) -> list[Proposal]:
        if self.running is None:  # start the next Optuna trial at the lowest fidelity
            self.running = self.study.ask()
            self.arch, self.step = self.suggest(self.running), 0
        return [Proposal(self.arch, epochs=self.fidelities[self.step])]

    def tell(self, trials: list[Trial]) -> None:
        from optuna.trial import TrialState

        for trial in trials:  # one (or none, when the loop stopped first)
            epochs = self.fidelities[self.step]
            if not trial.ok:
                self.study.tell(self.running, state=TrialState.FAIL)
            else:
                self.running.report(trial.score, step=epochs)
                if epochs == self.fidelities[-1]:
                    self.study.tell(self.running, trial.score)
                elif self.running.should_prune():
                    self.study.tell(self.running, state=TrialState.PRUNED)
                else:
                    self.step += 1
                    continue
            self.running = None
