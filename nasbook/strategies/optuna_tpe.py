"""Optuna's TPE sampler as a nasbook strategy: the tool a learner would otherwise reach for.

Optuna (Akiba et al., 2019) is the usual off-the-shelf hyperparameter optimiser; its default
sampler, TPE (Bergstra et al., 2011), models which choices tend to give good versus bad
scores and samples where "good" is likely. Optuna's *ask/tell* interface lets it run inside
nasbook's search loop on exactly the same space, evaluator, budget and seeds as every other
strategy, so a comparison with it is apples to apples:

    ask()  -> optuna_trial = study.ask(); arch[key] = optuna_trial.suggest_categorical(key, choices)
    tell() -> study.tell(optuna_trial, val_loss)   (a diverged trial is told as FAIL)

Optuna is an optional dependency (``pip install nasbook[peers]``); without it, ``setup``
raises a NasbookError that says so. TPE is used as a learner would, with Optuna's defaults
(10 random start-up trials, independent per-key models); it may propose an architecture
again, which the evaluator answers from its cache but which still costs a budget slot.
"""
from __future__ import annotations

from typing import Any

from nasbook.spaces.space import Arch, SearchSpace
from nasbook.strategies.base import Strategy
from nasbook.trial import Trial
from nasbook.validation import NasbookError


def import_optuna(strategy: str = "optuna-tpe") -> Any:
    try:
        import optuna
    except ImportError:
        raise NasbookError(f"strategy={strategy!r} needs Optuna, an optional dependency: "
                           "pip install 'nasbook[peers]' (or pip install optuna)") from None
    return optuna


class OptunaTPE(Strategy):
    """One Optuna study per search, sampled with ``TPESampler(seed=seed)``."""

    name = "optuna-tpe"

    def setup(self, space: SearchSpace, seed: int, evaluator: Any = None, budget: int | None = None) -> None:
        super().setup(space, seed, evaluator, budget)
        optuna = import_optuna(self.name)
        optuna.logging.set_verbosity(optuna.logging.WARNING)  # one line per trial otherwise
        self.study = self.create_study(optuna)
        self.pending: list[Any] = []  # Optuna trials asked for, not told yet (same order)

    def create_study(self, optuna: Any) -> Any:
        """The study this search samples from (the Hyperband peer adds a pruner)."""
        return optuna.create_study(direction="minimize", sampler=optuna.samplers.TPESampler(seed=self.seed))

    def suggest(self, trial: Any) -> Arch:
        """An architecture from an Optuna trial: one categorical suggestion per key of the space."""
        return {key: trial.suggest_categorical(key, values) for key, values in self.space.choices.items()}

    def ask(self) -> list[Arch]:
        trial = self.study.ask()
        self.pending.append(trial)
        return [self.suggest(trial)]

    def tell(self, trials: list[Trial]) -> None:
        from optuna.trial import TrialState

        for trial in trials:
            optuna_trial = self.pending.pop(0)
            if trial.ok:
                self.study.tell(optuna_trial, trial.score)
            else:
                self.study.tell(optuna_trial, state=TrialState.FAIL)
