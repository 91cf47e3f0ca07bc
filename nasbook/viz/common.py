"""What every plot module shares: where to draw, the colours, and reading runs and traces.

A plot draws on the ``ax`` (or ``fig``) it is given, or on a new pyplot figure when none is
given (:func:`_axes`, :func:`_figure`). Runs are a SearchResult or a list of trials
(:func:`trials_of`); a strategy's trace is a list of dicts, each naming its ``"kind"``
(:func:`trace_entries`; the typed records are in :mod:`nasbook.strategies.trace`).
"""
from __future__ import annotations

import math
from typing import Any, Mapping

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from nasbook.trial import Trial

FAIL_COLOR = "tab:red"
BEST_COLOR = "black"


def _axes(ax: Axes | None, figsize: tuple[float, float] = (6, 3.5)) -> Axes:
    """The given Axes, or a fresh pyplot one (notebooks show it inline)."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=figsize)[1]


def _figure(fig: Figure | None, figsize: tuple[float, float]) -> Figure:
    if fig is not None:
        return fig
    import matplotlib.pyplot as plt

    return plt.figure(figsize=figsize)


def trials_of(run: Any) -> list[Trial]:
    """A SearchResult's trials, or a list of trials as given."""
    return list(getattr(run, "trials", run))


def entry_kind(entry: Mapping[str, Any]) -> str | None:
    """An entry's kind: its required ``"kind"`` field (see :mod:`nasbook.strategies.trace`);
    None for an entry without one, which no plot draws."""
    return entry.get("kind")


def trace_entries(trace: Any, kind: str) -> list[dict[str, Any]]:
    """The entries of one kind from a trace (or from a SearchResult's trace)."""
    trace = getattr(trace, "trace", trace) or []
    return [e for e in trace if isinstance(e, Mapping) and entry_kind(e) == kind]


def population_scores(entry: Mapping[str, Any]) -> np.ndarray:
    """Scores of a population entry (``inf`` for failed members), from ``"scores"`` or from
    ``"population": [{"arch": ..., "score": ...}, ...]``, or from the first column of
    ``"objectives"`` (multi-objective evolution); empty when the entry holds no scores."""
    scores = entry.get("scores")
    members = entry.get("population", [])
    if scores is None and members and all(isinstance(m, Mapping) and "score" in m for m in members):
        scores = [m["score"] for m in members]
    if scores is None and entry.get("objectives"):  # multi-objective: the first is the loss
        scores = [row[0] for row in entry["objectives"]]
    return np.array([math.inf if s is None else float(s) for s in scores or []], dtype=float)
