"""The one interface every search strategy implements: ask, then tell.

The search loop (:func:`nasbook.search`) owns the budget, the seeds, the evaluator, the
log and the progress bar. A strategy owns only the *policy*: which architectures to try
next, and what to learn from their scores. That split (Optuna's samplers work the same
way) is what lets a student write a new strategy in thirty lines.

The loop guarantees, for every strategy:

1. ``setup(space, seed, evaluator, budget)`` is called once, before anything else. It
   stores the space, the evaluator (most strategies ignore it; DARTS reads its task and
   device), the search's budget and a ``numpy`` random generator ``self.rng`` seeded from
   ``seed``. Draw *all* randomness from ``self.rng`` (or generators seeded from it), so the
   same seed replays the same run. (A ``setup`` written without the ``budget`` parameter
   still works: the loop then leaves it out.)
2. ``prepare()`` is called once, before the first ask: the place for compute outside the
   evaluator (DARTS trains its supernet here). It returns that compute as a
   :class:`~nasbook.loop.budget.Cost`, which the loop charges against the budget; the
   base class spends nothing.
3. ``ask()`` returns a list of one or more architectures (dicts from ``space``). The loop
   evaluates them in order — possibly fewer, when the budget runs out or the user presses
   Stop — and then calls
4. ``tell(trials)`` with the finished :class:`~nasbook.trial.Trial` objects, in the same
   order. A diverged/failed trial has ``trial.score == inf``: rank by ``score``, never by
   ``val_loss`` (which is None for a failure).

**Fidelity** (:mod:`nasbook.fidelity`): ``ask()`` may return ``nasbook.Proposal(arch,
epochs=k)`` to have an architecture trained for only ``k`` of the protocol's ``E`` epochs,
which costs ``k / E`` of the budget (a promoted one that continues costs only its extra
epochs). ``self.budget`` is the budget in evaluation-equivalents and
``self.evaluator.fidelities()`` the epochs the evaluator can stop at (the last is ``E``).
A strategy that asks for fidelities sets ``multi_fidelity = True``: the loop then goes on
asking while one epoch's worth (``1 / E``) is left, not only a whole evaluation.

A subclass's ``__init__`` calls ``super().__init__(mode)`` and its ``setup`` calls
``super().setup(space, seed, evaluator, budget)`` first; the loop checks both before anything
trains and says which one is missing (:mod:`nasbook.loop.checks`).

Parameters follow scikit-learn: the constructor stores each argument under its own name,
unchanged (after validation); :meth:`Strategy.params` reads them back from the
constructor's signature, and a default that depends on the mode (``None`` in the
signature) is resolved in ``setup`` through :meth:`Strategy.setting`.
"""
from __future__ import annotations

import inspect
from abc import ABC, abstractmethod
from typing import Any, Callable, ClassVar

import numpy as np

from nasbook.fidelity import Proposal
from nasbook.loop.budget import Cost
from nasbook.spaces.space import Arch, SearchSpace
from nasbook.strategies.trace import TraceEntry
from nasbook.trial import Trial
from nasbook.validation import check_choice

MODES = ("default", "article")
# Bounds on strategy parameters: wide enough never to bind a real search (the article's whole
# space has 3,600 architectures; `--workers 1024` asks 4,096 at a time), narrow enough to stop a
# typo (10**6) before it allocates or samples millions of architectures.
MAX_PROPOSALS = 10_000  # architectures per ask(): a batch, a population
MODE_ALIASES = {"seed": "article"}  # the article's version was called "seed" before nasbook 0.2


def check_mode(mode: Any) -> str:
    """``"default"`` or ``"article"``; the old name ``"seed"`` is read as ``"article"``."""
    return check_choice("mode", MODE_ALIASES.get(mode, mode) if isinstance(mode, str) else mode, MODES)


def takes_budget(setup: Callable[..., Any]) -> bool:
    """True when a ``setup`` method accepts ``budget`` (one written before it existed does not)."""
    parameters = inspect.signature(setup).parameters.values()
    return any(p.name == "budget" or p.kind is p.VAR_KEYWORD for p in parameters)


class Strategy(ABC):
    """Base class: subclass it and implement :meth:`ask` and :meth:`tell`.

    ``mode="article"`` reproduces the article's version of a strategy, ``mode="default"``
    the careful one; strategies with a single version accept both. The constructor only
    stores parameters (scikit-learn style); state is created in :meth:`setup`.
    """

    name: str = "strategy"
    plans_with_budget: ClassVar[bool] = False  # True when what it proposes depends on the budget (DARTS)
    multi_fidelity: ClassVar[bool] = False  # True when ask() returns Proposals at fewer epochs (Hyperband)
    mode_defaults: ClassVar[dict[str, dict[str, Any]]] = {}  # {mode: {parameter: value when None}}

    def __init__(self, mode: str = "default") -> None:
        self.mode = check_mode(mode)

    def setup(self, space: SearchSpace, seed: int, evaluator: Any = None, budget: int | None = None) -> None:
        """Prepare a fresh search. Subclasses extend this (call ``super().setup`` first)."""
        self.space = space
        self.seed = seed
        self.evaluator = evaluator
        self.budget = budget  # evaluations the search may spend (None outside nasbook.search)
        self.rng = np.random.default_rng(seed)
        self.trace: list[TraceEntry] = []  # strategy-specific snapshots for plots/widgets

    def prepare(self) -> Cost:
        """Compute outside the evaluator, once, before the first :meth:`ask`; returns its cost.

        Most strategies spend nothing here. DARTS trains its supernet and returns what that
        cost in evaluation-equivalents; the loop charges it against the budget.
        """
        return Cost()

    @abstractmethod
    def ask(self) -> "list[Arch | Proposal]":
        """Propose the next architecture(s) to evaluate (dicts, or :class:`~nasbook.fidelity.Proposal` objects)."""

    @abstractmethod
    def tell(self, trials: list[Trial]) -> None:
        """Learn from the finished trials of the last :meth:`ask` (same order, maybe fewer)."""

    def setting(self, name: str) -> Any:
        """The value parameter ``name`` takes in this run: as given, or the mode's default when None."""
        value = getattr(self, name)
        return self.mode_defaults.get(self.mode, {}).get(name) if value is None else value

    def params(self) -> dict[str, Any]:
        """The constructor's parameters, by name, as stored (scikit-learn's ``get_params``).

        Read from the signature of ``__init__``; the run log's header records them. Only
        plain values (numbers, strings, booleans, None) are kept, so the header stays JSON.
        """
        names = [p.name for p in inspect.signature(type(self).__init__).parameters.values()
                 if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
        values = {name: getattr(self, name) for name in names if hasattr(self, name)}
        return {k: v for k, v in values.items() if isinstance(v, (int, float, str, bool, type(None)))}
