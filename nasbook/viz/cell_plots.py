"""Pictures of the cell space: one cell as a DAG, and DARTS' α on it as the search goes on.

:func:`plot_cell` draws a NAS-Bench-201-style cell (:mod:`nasbook.spaces.cell`) as what it is,
a graph: the four nodes in a row (0 = the cell's input, 3 = its output) and one arc per edge
``edge_j_i`` from node ``i`` to node ``j``, coloured and labelled by its operation. A ``none``
edge is drawn dotted and faint (it is absent); an edge that cannot matter (it is dead in
:func:`~nasbook.spaces.cell.canonical`) is drawn dashed and grey, so a learner sees at once why
two different cells can be the same network.

:func:`plot_parameter_free_mass` is DARTS' collapse in one line per edge: the share of
softmax(α) on the parameter-free operations after every supernet epoch.
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np
from matplotlib.axes import Axes
from matplotlib.patches import FancyArrowPatch

from nasbook.spaces.cell import CELL_FAMILY, EDGE_KEYS, EDGES, NODES, OPS, canonical
from nasbook.viz.common import _axes, trace_entries

OP_COLORS = {"none": "lightgrey", "skip_connect": "tab:green", "conv_1x1": "tab:blue",
             "conv_3x3": "tab:purple", "avg_pool_3x3": "tab:orange"}
DEAD_COLOR = "grey"


def edge_bend(j: int, i: int) -> float:
    """How much the arc ``i -> j`` bends: neighbours are straight, longer edges arc higher,
    alternating above and below the row of nodes so labels do not collide."""
    span = j - i
    return 0.0 if span == 1 else (0.45 if span == 2 else -0.5) * (1 if i == 0 else -1)


def plot_cell(arch: Mapping[str, str], ax: Axes | None = None, title: str | None = None) -> Axes:
    """Draw ``arch`` (a cell; edges it leaves out are ``skip_connect``, as the family says) as a DAG."""
    arch = CELL_FAMILY.complete(arch)
    live = canonical(arch)
    ax = _axes(ax, (6, 2.8))
    xs = np.arange(NODES, dtype=float) * 3.0
    for (j, i), key in zip(EDGES, EDGE_KEYS):
        op, dead = arch[key], arch[key] != "none" and live[key] == "none"
        color = DEAD_COLOR if dead else OP_COLORS[op]
        style = ":" if op == "none" else ("--" if dead else "-")
        bend = edge_bend(j, i)
        arrow = FancyArrowPatch((xs[i], 0), (xs[j], 0), connectionstyle=f"arc3,rad={-bend}",
                                arrowstyle="-|>", mutation_scale=14, color=color, linestyle=style,
                                linewidth=1.2 if op == "none" else 2.2, shrinkA=14, shrinkB=14, zorder=1)
        ax.add_patch(arrow)
        # the label sits on the arc's middle: rad r lifts it by r * half the chord
        y = bend * (xs[j] - xs[i]) / 2
        label = op + ("\n(dead)" if dead else "")
        ax.text((xs[i] + xs[j]) / 2, y, label, ha="center", va="center", fontsize=7, color="black",
                bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": color}, zorder=3)
    for n, x in enumerate(xs):
        name = {0: "in", NODES - 1: "out"}.get(n, "")
        ax.scatter([x], [0], s=500, color="white", edgecolor="black", zorder=2)
        ax.text(x, 0, str(n), ha="center", va="center", fontsize=10, zorder=4)
        if name:
            ax.text(x, -0.35, name, ha="center", va="top", fontsize=8)
    ax.set_xlim(-0.8, xs[-1] + 0.8)
    ax.set_ylim(-2.4, 2.4)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title or "a cell: node j sums op(node i) over its edges i → j", fontsize=9)
    return ax


def parameter_free_history(trace: Any, free: tuple[str, ...] = ("none", "skip_connect", "avg_pool_3x3"),
                           choices: Mapping[str, list[str]] | None = None) -> tuple[list[int], dict[str, np.ndarray]]:
    """Per edge, the share of softmax(α) on the ``free`` operations after every DARTS epoch
    (``choices``: each edge's op names, in α's order; default all of :data:`OPS`)."""
    entries = [e for e in trace_entries(trace, "darts") if not e.get("diverged")]
    epochs = [int(e.get("epoch", k + 1)) for k, e in enumerate(entries)]
    out: dict[str, np.ndarray] = {}
    for key in (entries[0]["alphas"] if entries else []):
        names = list((choices or {}).get(key, OPS))
        mask = np.array([name in free for name in names], dtype=float)
        out[key] = np.array([np.dot(np.asarray(e["alphas"][key], dtype=float), mask) for e in entries])
    return epochs, out


def plot_parameter_free_mass(trace: Any, ax: Axes | None = None,
                             choices: Mapping[str, list[str]] | None = None) -> Axes:
    """One line per edge: softmax(α) mass on parameter-free ops over the epochs (DARTS' collapse)."""
    ax = _axes(ax)
    epochs, mass = parameter_free_history(trace, choices=choices)
    for key, m in mass.items():
        ax.plot(epochs, m, marker=".", label=key)
    if mass:
        ax.plot(epochs, np.mean(list(mass.values()), axis=0), color="black", linewidth=2.5, label="mean")
        ax.legend(fontsize=7, ncol=2)
    ax.set_ylim(0, 1)
    ax.set_xlabel("supernet epoch")
    ax.set_ylabel("softmax(α) on none/skip/pool")
    ax.set_title("DARTS on the cell: weight on parameter-free operations")
    return ax
