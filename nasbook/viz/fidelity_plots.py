"""Multi-fidelity pictures (notebook 06): learning curves, how well early epochs rank, and who
survives successive halving.

* :func:`plot_learning_curves` — many architectures' validation loss after every epoch, read
  from the learning-curve table, coloured by how they end;
* :func:`plot_rank_correlation` — :func:`nasbook.experiments.proxies.table_fidelities`'s rows:
  Spearman's rho of epoch-k ranks against the held-out truth, over the whole space and within
  its top, with the bootstrap intervals where the rows have them;
* :func:`rung_frame`, :func:`plot_brackets` — the brackets a successive-halving strategy
  (SH, Hyperband, BOHB) *actually ran*, read from its trace (its ``"rung"`` entries), never
  recomputed here: how many architectures each rung trained, at how many epochs;
* :func:`plot_survivors` — one bracket as a grid of rungs × candidates: who was trained at
  each rung, who was promoted, who won, and (given the truth) where the truly best one was.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.ticker import MaxNLocator

from nasbook.viz.common import _axes, trace_entries

PROMOTED, DROPPED, WINNER, TRULY_BEST = "tab:green", "0.7", "tab:orange", "tab:red"


def _key(arch: Mapping[str, Any]) -> tuple:
    """An architecture (a dict) as something a set can hold."""
    return tuple(sorted(arch.items()))


def plot_learning_curves(table: Any, archs: Sequence[Mapping[str, Any]], seed_index: int = 0,
                         kind: str = "val", ax: Axes | None = None) -> Axes:
    """Each architecture's ``kind`` loss after every epoch (``table.curve``), on a log scale,
    coloured by its final loss (dark = best); a run that diverged stops where it did."""
    import matplotlib as mpl

    ax = _axes(ax, figsize=(6.5, 3.8))
    curves = np.array([table.curve(arch, seed_index, kind) for arch in archs])
    epochs = np.asarray(table.checkpoints if kind != "train" else range(1, table.epochs + 1))
    final = curves[:, -1]
    finite = np.isfinite(final)
    order = np.argsort(np.where(finite, final, np.inf), kind="stable")
    colours = mpl.colormaps["viridis"](np.linspace(0, 0.9, len(archs)))
    for rank, i in enumerate(order[::-1]):  # the best drawn last, on top
        ax.plot(epochs, curves[i], color=colours[len(archs) - 1 - rank], lw=0.8, alpha=0.8)
    ax.set_yscale("log")
    values = curves[np.isfinite(curves)]
    top = float(np.quantile(values, 0.9)) * 2 if values.size else 1.0  # a few runs reach 1e10: keep them off the page
    ax.set_ylim(float(values.min()) / 1.5 if values.size else 0.1, top)
    above = int((np.where(np.isfinite(curves), curves, -np.inf).max(axis=1) > top).sum())
    ax.set_xlabel("epochs trained")
    ax.set_ylabel(f"{kind} loss")
    ax.set_title(f"{len(archs)} architectures, seed {table.seeds[seed_index]} (dark: best at the end; "
                 f"{above} reach above the plot)", fontsize=10)
    return ax


def plot_rank_correlation(rows: Any, ax: Axes | None = None) -> Axes:
    """Spearman's rho against epochs, one line per proxy seed, for the whole space (solid) and
    its top (dashed); error bars where ``rows`` carries ``*_low``/``*_high`` intervals."""
    ax = _axes(ax, figsize=(6.5, 3.6))
    for (column, style, label) in (("spearman", "-", "whole space"), ("spearman_top", "--", "top of the truth")):
        for n, (seed, group) in enumerate(rows.groupby("seed", sort=True)):
            colour = f"C{n}"
            ax.plot(group["epochs"], group[column], style, color=colour, label=f"{label}, proxy seed {seed}")
            if f"{column}_low" in group:
                has = group[f"{column}_low"].notna()
                g = group[has]
                ax.errorbar(g["epochs"], g[column], yerr=[g[column] - g[f"{column}_low"], g[f"{column}_high"] - g[column]],
                            fmt="o", color=colour, ms=3, capsize=3)
    ax.axhline(0, color="black", lw=0.5)
    ax.set_xlabel("epochs of the proxy (truth: the other seed(s) after all epochs)")
    ax.set_ylabel("Spearman's rho")
    ax.legend(fontsize="x-small")
    return ax


def rung_frame(trace: Any) -> Any:
    """One row per finished rung of a trace: bracket, rung, epochs, how many were trained and
    promoted (the sizes the strategy chose, read back, not recomputed)."""
    import pandas as pd

    rows = [{"bracket": e["bracket"], "rung": e["rung"], "epochs": e["epochs"], "trained": len(e["trials"]),
             "promoted": len(e["promoted"])} for e in trace_entries(trace, "rung")]
    return pd.DataFrame(rows, columns=["bracket", "rung", "epochs", "trained", "promoted"])


def plot_brackets(trace: Any, ax: Axes | None = None, first: int | None = None) -> Axes:
    """The brackets of a trace (the first ``first`` ones, default all): one row each, a disc per
    rung at its epochs whose area is the number of architectures trained there (printed in it)."""
    frame = rung_frame(trace)
    if first is not None:
        frame = frame[frame["bracket"] < first]
    ax = _axes(ax, figsize=(6.5, 0.6 + 0.5 * max(1, frame["bracket"].nunique())))
    if frame.empty:
        ax.set_title("no rung has finished")
        return ax
    biggest = frame["trained"].max()
    ax.scatter(frame["epochs"], frame["bracket"], s=900 * frame["trained"] / biggest, color="tab:blue", alpha=0.35)
    for _, row in frame.iterrows():
        ax.annotate(str(row["trained"]), (row["epochs"], row["bracket"]), ha="center", va="center", fontsize=8)
    ax.set_xscale("log")
    ticks = sorted(frame["epochs"].unique())
    ax.set_xticks(ticks, [str(t) for t in ticks])
    ax.minorticks_off()
    ax.set_yticks(sorted(frame["bracket"].unique()))
    ax.set_ylim(frame["bracket"].max() + 0.7, frame["bracket"].min() - 0.7)
    ax.set_xlabel("epochs of the rung")
    ax.set_ylabel("bracket")
    ax.set_title("architectures trained per rung", fontsize=10)
    return ax


def plot_survivors(trace: Any, bracket: int = 0, truth: Callable[[Mapping[str, Any]], float] | None = None,
                   ax: Axes | None = None) -> Axes:
    """One bracket: a column per rung, a row per candidate it started with. A dot where the
    candidate was trained at that rung (green: promoted, grey: dropped there), a star on the
    winner of the last rung. With ``truth`` (e.g. ``table.regret``) the rows are sorted by it,
    best at the top, and the truly best candidate's row is marked red."""
    entries = [e for e in trace_entries(trace, "rung") if e["bracket"] == bracket]
    ax = _axes(ax, figsize=(5.0, 4.0))
    if not entries:
        ax.set_title(f"bracket {bracket} has no finished rung")
        return ax
    first = entries[0]["trials"]
    if truth is None:
        order = sorted(range(len(first)), key=lambda i: first[i]["score"])
    else:
        order = sorted(range(len(first)), key=lambda i: truth(first[i]["arch"]))
    row = {_key(first[i]["arch"]): r for r, i in enumerate(order)}
    for e in entries:
        promoted = {_key(a) for a in e["promoted"]}
        for member in e["trials"]:
            y = row[_key(member["arch"])]
            kept = _key(member["arch"]) in promoted
            ax.scatter(e["rung"], y, s=16, color=PROMOTED if kept else DROPPED, zorder=3)
            if kept:
                ax.plot([e["rung"], e["rung"] + 1], [y, y], color=PROMOTED, lw=1, zorder=2)
    last = entries[-1]
    finished = [m for m in last["trials"] if m["status"] == "ok"]
    if finished and not last["promoted"]:  # the last rung promotes nobody: its best is the pick
        won = min(finished, key=lambda m: m["score"])
        ax.scatter(last["rung"], row[_key(won["arch"])], s=160, marker="*", color=WINNER, zorder=4, label="the bracket's pick")
    if truth is not None:
        ax.axhline(0, color=TRULY_BEST, lw=0.8, ls=":", label="truly best of its candidates")
    ax.set_xticks([e["rung"] for e in entries], [f"{e['epochs']} ep\n({len(e['trials'])})" for e in entries])
    ax.set_xlim(-0.5, len(entries) - 0.5)
    ax.set_ylim(len(first) - 0.5, -0.5)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("candidates, " + ("best true score at the top" if truth else "best first-rung score at the top"))
    ax.set_xlabel("rung: epochs (architectures trained)")
    ax.set_title(f"bracket {bracket}: who survives", fontsize=10)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize="x-small", loc="lower right")
    return ax
