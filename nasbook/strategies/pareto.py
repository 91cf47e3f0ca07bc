"""Pareto fronts: when two objectives pull apart (loss versus size), keep the trade-offs.

A point *dominates* another when it is no worse in every objective and better in at least
one. The *Pareto front* is the set of points nothing dominates. All objectives are
minimised (loss, parameters, latency).
"""
from __future__ import annotations

import numpy as np


def dominates(a: np.ndarray, b: np.ndarray) -> bool:
    """True when point ``a`` is no worse than ``b`` everywhere and better somewhere."""
    return bool(np.all(a <= b) and np.any(a < b))


def non_dominated_sort(points: "np.ndarray | list") -> list[list[int]]:
    """Split points (rows: one per candidate, columns: objectives) into fronts 0, 1, ...

    Front 0 is the Pareto front; front 1 is what is left after removing it; and so on
    (the sorting NSGA-II uses). Points with a non-finite objective go in the last front.
    """
    points = np.asarray(points, dtype=float)
    finite = np.all(np.isfinite(points), axis=1)
    remaining = [i for i in range(len(points)) if finite[i]]
    fronts = []
    while remaining:
        front = [i for i in remaining if not any(dominates(points[j], points[i]) for j in remaining if j != i)]
        fronts.append(front)
        remaining = [i for i in remaining if i not in front]
    failed = [i for i in range(len(points)) if not finite[i]]
    if failed:
        fronts.append(failed)
    return fronts


def pareto_front(points: "np.ndarray | list") -> list[int]:
    """Indices of the non-dominated points, sorted by the first objective.

    Computes only the first front (one vectorised dominance test per point), so it stays fast
    for the few thousand points of a whole tabular space; failed (non-finite) points never
    belong to it.
    """
    points = np.asarray(points, dtype=float)
    if len(points) == 0:
        return []
    candidates = np.flatnonzero(np.all(np.isfinite(points), axis=1))
    finite = points[candidates]
    front = [int(i) for k, i in enumerate(candidates)
             if not np.any(np.all(finite <= finite[k], axis=1) & np.any(finite < finite[k], axis=1))]
    return sorted(front, key=lambda i: tuple(points[i]))
