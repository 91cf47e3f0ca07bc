"""What a search returns: every trial, the best one, and what it cost."""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Any

from nasbook.fidelity import cost, fidelity_label
from nasbook.trial import Trial


def trials_frame(trials: list[Trial]) -> "Any":
    """Trials as a pandas DataFrame: one row each, architecture keys as columns; a search with
    trials at a fidelity also gets ``epochs`` (None: full) and ``fidelity`` (a label) columns."""
    import pandas as pd

    fidelity = any(t.epochs is not None for t in trials)
    rows = []
    for t in trials:
        rows.append({"step": t.step, **t.arch, "val_loss": t.val_loss, "status": t.status,
                     "params": t.params, "seconds": t.seconds, "elapsed": t.elapsed,
                     "cached": t.cached, "reason": t.reason,
                     **({"epochs": t.epochs, "fidelity": fidelity_label(t)} if fidelity else {})})
    return pd.DataFrame(rows)


@dataclass
class SearchResult:
    """The outcome of :func:`nasbook.search`.

    ``best`` is the trial with the lowest validation loss among the *successful* trials
    (None if every trial failed); in a multi-fidelity search, among those trained longest. ``trace`` holds the strategy's own snapshots (RL policy
    probabilities, EA populations, DARTS architecture weights) for plots.
    """

    strategy: str
    mode: str
    seed: int
    budget: int
    trials: list[Trial]
    seconds: float
    device: str
    trace: list[dict[str, Any]] = field(default_factory=list)
    extra_steps: int = 0
    charged_evaluations: float = 0.0
    interrupted: bool = False
    log_path: str | None = None
    resumed: int = 0  # trials replayed from the run log of an earlier, interrupted run
    notes: list[str] = field(default_factory=list)  # what resuming reported (e.g. a cut-off line)
    setting: Any = field(default=None, compare=False, repr=False)  # how trials were trained (loop.winner)
    full_epochs: int | None = field(default=None, compare=False, repr=False)  # a full training (fidelity)

    @property
    def best(self) -> Trial | None:
        """The successful trial with the lowest loss; in a multi-fidelity search, among those
        trained longest (a 2-epoch loss is not comparable with a 20-epoch one)."""
        ok = [t for t in self.trials if t.ok]
        if any(t.epochs is not None for t in ok):
            longest = max(self.trained_for(t) for t in ok)
            ok = [t for t in ok if self.trained_for(t) == longest]
        return min(ok, key=lambda t: t.score) if ok else None

    def trained_for(self, trial: Trial) -> float:
        """Epochs ``trial`` was trained (a full-fidelity one: the full epochs, or inf when unknown)."""
        if trial.epochs is not None:
            return trial.epochs
        return math.inf if self.full_epochs is None else self.full_epochs

    @property
    def best_arch(self) -> dict[str, Any] | None:
        return None if self.best is None else dict(self.best.arch)

    @property
    def best_val_loss(self) -> float:
        return math.inf if self.best is None else self.best.score

    @property
    def evaluations(self) -> int:
        return len(self.trials)

    @property
    def spent(self) -> float:
        """The compute spent, in evaluation-equivalents: every trial's cost (1, or k/E at a
        fidelity: :func:`nasbook.fidelity.cost`) plus what the strategy charged itself."""
        return sum(cost(t, self.full_epochs) for t in self.trials) + self.charged_evaluations

    @property
    def cache_hits(self) -> int:
        return sum(t.cached for t in self.trials)

    @property
    def failures(self) -> int:
        return sum(not t.ok for t in self.trials)

    @property
    def total_steps(self) -> int:
        """Optimiser steps of every training, the strategy's own (e.g. a supernet) included."""
        return sum(t.steps for t in self.trials) + self.extra_steps

    def best_so_far(self) -> list[float]:
        """Best score after each trial (``inf`` until the first success)."""
        return list(itertools.accumulate((t.score for t in self.trials), min))

    def best_model(self, task: Any = None, train: bool = True, device: Any = "cpu") -> "Any":
        """The best architecture as a plain ``torch.nn.Module`` (``torch.nn`` classes only), trained
        under the search's protocol (``train=True``); ``task=`` names the task when the search had
        none (a lookup table). See :mod:`nasbook.loop.winner`."""
        from nasbook.loop.winner import best_model

        return best_model(self, task=task, train=train, device=device)

    def export(self, path: Any, task: Any = None) -> "Any":
        """Write the best architecture as standalone PyTorch source (``build_model()``, ``train()``)."""
        from nasbook.loop.winner import export

        return export(self, path, task=task)

    def to_frame(self) -> "Any":
        return trials_frame(self.trials)

    def summary(self) -> dict[str, Any]:
        """JSON-ready summary (the CLI's ``--json`` line)."""
        best = self.best_val_loss
        return {
            "strategy": self.strategy, "mode": self.mode, "seed": self.seed, "budget": self.budget,
            "best_arch": self.best_arch, "best_val_loss": best if math.isfinite(best) else None,
            "evaluations": self.evaluations, "cache_hits": self.cache_hits, "failures": self.failures,
            "charged_evaluations": self.charged_evaluations, "total_steps": self.total_steps,
            "seconds": round(self.seconds, 3), "device": self.device, "interrupted": self.interrupted,
            "log": self.log_path, "resumed": self.resumed,
        }

    def __repr__(self) -> str:
        s = self.summary()
        return (f"SearchResult({s['strategy']}/{s['mode']}, best_val_loss={s['best_val_loss']}, "
                f"evaluations={s['evaluations']}, cache_hits={s['cache_hits']}, seconds={s['seconds']})")
