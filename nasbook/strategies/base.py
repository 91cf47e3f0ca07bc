"""The one interface every search strategy implements: ask, then tell.

The search loop (:func:`nasbook.search`) owns the budget, the seeds, the evaluator, the
log and the progress bar. A strategy owns only the *policy*: which architectures to try
next, and what to learn from their scores. That split (Optuna's samplers work the same
way) is what lets a student write a new strategy in thirty lines.

The loop guarantees, for every strategy:

1. ``setup(space, seed, evaluator)`` is called once, before anything else. It stores the
   space, the evaluator (most strategies ignore it; DARTS reads its task and device) and a
   ``numpy`` random generator ``self.rng`` seeded from ``seed``. Draw *all* randomness from
   ``self.rng`` (or generators seeded from it), so the same seed replays the same run.
2. ``ask()`` returns a list of one or more architectures (dicts from ``space``). The loop
   evaluates them in order — possibly fewer, when the budget runs out or the user presses
   Stop — and then calls
3. ``tell(trials)`` with the finished :class:`~nasbook.trial.Trial` objects, in the same
   order. A diverged/failed trial has ``trial.score == inf``: rank by ``score``, never by
   ``val_loss`` (which is None for a failure).
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import numpy as np

from nasbook.spaces.space import Arch, SearchSpace
from nasbook.trial import Trial
from nasbook.validation import check_choice

MODES = ("default", "seed")


class Strategy(ABC):
    """Base class: subclass it and implement :meth:`ask` and :meth:`tell`.

    ``mode="seed"`` reproduces the article's version of a strategy, ``mode="default"`` the
    careful one; strategies with a single version accept both. The constructor only
    stores parameters (scikit-learn style); state is created in :meth:`setup`.
    """

    name: str = "strategy"
    budget: int | None = None  # the search's budget, set by the loop before setup (None if unknown)

    def __init__(self, mode: str = "default") -> None:
        self.mode = check_choice("mode", mode, MODES)

    def setup(self, space: SearchSpace, seed: int, evaluator: Any = None) -> None:
        """Prepare a fresh search. Subclasses extend this (call ``super().setup`` first)."""
        self.space = space
        self.seed = seed
        self.evaluator = evaluator
        self.rng = np.random.default_rng(seed)
        self.trace: list[dict[str, Any]] = []  # strategy-specific snapshots for plots/widgets

    @abstractmethod
    def ask(self) -> list[Arch]:
        """Propose the next architecture(s) to evaluate."""

    @abstractmethod
    def tell(self, trials: list[Trial]) -> None:
        """Learn from the finished trials of the last :meth:`ask` (same order, maybe fewer)."""

    def charged_evaluations(self) -> float:
        """Compute spent outside the evaluator, in evaluation-equivalents (DARTS' supernet).

        The loop counts it against the budget next to the evaluations it ran itself.
        """
        return 0.0

    def extra_steps(self) -> int:
        """Training steps spent outside the evaluator (reported in the result)."""
        return 0

    def params(self) -> dict[str, Any]:
        """The constructor's parameters (for the run log's header)."""
        return {k: v for k, v in vars(self).items() if not k.startswith("_") and
                k not in ("space", "seed", "rng", "trace", "evaluator") and isinstance(v, (int, float, str, bool, type(None)))}
