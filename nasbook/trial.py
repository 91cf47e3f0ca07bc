"""The record of one evaluation: what was trained, how it went, what it scored.

A trial is the unit everything else shares: the evaluator returns it, the search loop
logs it, strategies are told it, plots draw it. It is plain data and round-trips
through JSON (``to_dict`` / ``from_dict``), so the run log on disk is the truth.
"""
from __future__ import annotations

import math
import numbers
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Mapping

from nasbook.validation import fail

STATUSES = ("ok", "diverged", "failed")


@dataclass
class Trial:
    """One architecture trained once (for ``epochs`` epochs when trained at a fidelity: :mod:`nasbook.fidelity`).

    ``val_loss`` is None unless ``status == "ok"``; use :attr:`score` to rank trials:
    it is ``val_loss`` for a good trial and ``inf`` for a failed one, so a failure can
    never sort first and never turns the "best" into NaN.
    """

    arch: dict[str, Any]
    val_loss: float | None
    status: str = "ok"
    reason: str = ""
    train_curve: list[float] = field(default_factory=list)  # training loss, one per epoch
    val_curve: dict[str, float] = field(default_factory=dict)  # epoch -> val loss (checkpoints)
    params: int = 0
    seconds: float = 0.0  # training time of this trial (simulated for a lookup table)
    steps: int = 0  # optimiser steps taken
    seed: int = 0
    cached: bool = False  # True when the result came from the evaluator's cache
    step: int = -1  # position in the search (set by the search loop)
    elapsed: float = 0.0  # seconds since the search started (set by the search loop)
    extras: dict[str, Any] = field(default_factory=dict)  # e.g. latency, strategy notes
    epochs: int | None = None  # epochs trained (a fidelity); None: the protocol's full epochs
    continued_from: int = 0  # epochs already trained before this trial continued them (0: from scratch)

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status={self.status!r} is not allowed; one of {STATUSES}")
        if self.val_loss is not None and (isinstance(self.val_loss, (str, bytes, bool))
                                          or not isinstance(self.val_loss, numbers.Real)):
            raise fail("Trial.val_loss", self.val_loss, "a number (the validation loss) or None")
        if self.status == "ok" and (self.val_loss is None or not math.isfinite(self.val_loss)):
            self.status, self.reason = "diverged", self.reason or f"validation loss is {self.val_loss}"
        if self.status != "ok":
            self.val_loss = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def score(self) -> float:
        """Lower is better; ``inf`` for a diverged or failed trial."""
        return self.val_loss if self.ok else math.inf

    def as_cached(self, arch: Mapping[str, Any]) -> "Trial":
        """This trial served again from a cache, for ``arch``: ``cached=True`` and no cost
        (``seconds=0``, ``steps=0``); ``extras["trained_seconds"]`` keeps what training took."""
        return replace(self, arch=dict(arch), cached=True, seconds=0.0, steps=0,
                       extras={**self.extras, "trained_seconds": self.seconds})

    def to_dict(self) -> dict[str, Any]:
        """Every field, as plain data; the fidelity fields only for a trial trained at a fidelity,
        so a full-fidelity trial is written as before fidelity existed (and an old log, without
        them, reads as full fidelity)."""
        data = asdict(self)
        for name, default in (("epochs", None), ("continued_from", 0)):
            if data[name] == default:
                del data[name]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Trial":
        names = cls.__dataclass_fields__
        return cls(**{k: v for k, v in data.items() if k in names})
