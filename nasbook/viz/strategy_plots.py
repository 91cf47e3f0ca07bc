"""What each strategy learned, drawn from its trace: the REINFORCE policy (03), the evolving
population (04) and DARTS' architecture weights (05).

The trace is a list of dicts, one snapshot each (see :mod:`nasbook.viz.plots` for the three
kinds these read). :mod:`nasbook.viz.plots` re-exports every function here, so
``from nasbook.viz.plots import plot_rl_policy`` keeps working.
"""
from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from nasbook.spaces.space import SearchSpace
from nasbook.viz.common import BEST_COLOR, FAIL_COLOR, _axes, _figure, population_scores, trace_entries


def _labels(key: str, n: int, space: SearchSpace | None) -> list[str]:
    if space is not None and key in space.choices and len(space.choices[key]) == n:
        return [str(v) for v in space.choices[key]]
    return [str(i) for i in range(n)]


def plot_rl_policy(trace: Any, fig: Figure | None = None, space: SearchSpace | None = None,
                   ncols: int = 3) -> Figure:
    """One panel per key: the probability of each choice after every policy update."""
    entries = trace_entries(trace, "rl")
    keys = list(entries[0]["probs"]) if entries else []
    nrows = max(1, math.ceil(len(keys) / ncols))
    fig = _figure(fig, (4 * min(ncols, max(len(keys), 1)), 2.6 * nrows))
    if not keys:
        fig.text(0.5, 0.5, "no RL policy in this trace", ha="center", va="center")
        return fig
    updates = [e.get("update", i) for i, e in enumerate(entries)]
    for i, key in enumerate(keys):
        ax = fig.add_subplot(nrows, min(ncols, len(keys)), i + 1)
        probs = np.array([e["probs"][key] for e in entries], dtype=float)
        for j, name in enumerate(_labels(key, probs.shape[1], space)):
            ax.plot(updates, probs[:, j], label=name)
        ax.set_ylim(0, 1)
        ax.set_title(key, fontsize="small")
        ax.set_xlabel("policy update", fontsize="small")
        ax.legend(fontsize="x-small", loc="upper left")
    fig.suptitle("RL policy: p(choice | the most probable choices of the keys before it)")
    fig.tight_layout()
    return fig


def plot_rl_marginals(greedy: Mapping[str, Sequence[float]], marginals: Mapping[str, Sequence[float]],
                      fig: Figure | None = None, space: SearchSpace | None = None, ncols: int = 3) -> Figure:
    """One panel per key: the conditionals along the greedy path next to the sampled marginals.

    ``greedy`` is ``REINFORCE.probabilities()`` (what the trace records), ``marginals`` is
    ``REINFORCE.marginals()``; the two bars differ where a key depends on the keys before it.
    """
    keys = list(greedy)
    nrows = max(1, math.ceil(len(keys) / ncols))
    fig = _figure(fig, (4 * min(ncols, max(len(keys), 1)), 2.6 * nrows))
    for i, key in enumerate(keys):
        ax = fig.add_subplot(nrows, min(ncols, len(keys)), i + 1)
        x = np.arange(len(greedy[key]))
        ax.bar(x - 0.2, greedy[key], width=0.4, label="given the greedy path")
        ax.bar(x + 0.2, marginals[key], width=0.4, label="marginal (sampled)")
        ax.set_xticks(x, _labels(key, len(x), space), fontsize="x-small")
        ax.set_ylim(0, 1)
        ax.set_title(key, fontsize="small")
        if i == 0:
            ax.legend(fontsize="x-small", loc="upper left")
    fig.suptitle("RL policy: conditionals along the greedy path vs marginals")
    fig.tight_layout()
    return fig


def plot_population(trace: Any, ax: Axes | None = None, logy: bool = True) -> Axes:
    """Each generation's population scores (dots), its best (line); failures as red crosses."""
    ax = _axes(ax)
    entries = trace_entries(trace, "population")
    best_x, best_y, all_scores = [], [], []
    for i, e in enumerate(entries):
        g = e.get("generation", i)
        scores = population_scores(e)
        ok = np.isfinite(scores)
        ax.scatter(np.full(ok.sum(), g), scores[ok], s=14, alpha=0.6, color="tab:green")
        if (~ok).any():
            ax.scatter(np.full((~ok).sum(), g), np.full((~ok).sum(), 0.97), marker="x",
                       color=FAIL_COLOR, transform=ax.get_xaxis_transform())
        if ok.any():
            best_x.append(g)
            best_y.append(scores[ok].min())
            all_scores.extend(scores[ok])
    if best_x:
        ax.plot(best_x, best_y, color=BEST_COLOR, marker="o", label="best in generation")
        ax.legend(fontsize="small")
    if logy and all_scores and min(all_scores) > 0:
        ax.set_yscale("log")
    ax.set_xlabel("generation")
    ax.set_ylabel("validation loss")
    ax.set_title("Evolution: the population per generation")
    return ax


def plot_darts_alphas(trace: Any, ax: Axes | None = None, space: SearchSpace | None = None,
                      epoch: int = -1) -> Axes:
    """Heatmap of the architecture weights (softmax of α): rows are keys, columns choices.

    ``trace`` is a trace (the ``epoch``-th "darts" entry is drawn, default the last) or a
    plain ``{key: [weights]}`` dict. The strongest choice of each key is what DARTS keeps.
    """
    ax = _axes(ax, (7, 3.5))
    if isinstance(trace, Mapping) and "kind" not in trace:
        alphas, when = trace, ""
    else:
        entries = trace_entries(trace, "darts")
        if not entries:
            ax.text(0.5, 0.5, "no DARTS weights in this trace", ha="center", va="center",
                    transform=ax.transAxes)
            return ax
        alphas, when = entries[epoch]["alphas"], f" (epoch {entries[epoch].get('epoch', '?')})"
    keys = list(alphas)
    width = max(len(v) for v in alphas.values())
    grid = np.full((len(keys), width), np.nan)
    for r, key in enumerate(keys):
        grid[r, :len(alphas[key])] = alphas[key]
    image = ax.imshow(grid, cmap="viridis", vmin=0, vmax=1, aspect="auto")
    for r, key in enumerate(keys):
        for c, name in enumerate(_labels(key, len(alphas[key]), space)):
            ax.text(c, r, f"{name}\n{grid[r, c]:.2f}", ha="center", va="center", fontsize=7,
                    color="white" if grid[r, c] < 0.6 else "black")
    ax.set_yticks(range(len(keys)), keys)
    ax.set_xticks(range(width), [str(i) for i in range(width)])
    ax.set_xlabel("choice")
    ax.set_title("DARTS architecture weights" + when)
    ax.figure.colorbar(image, ax=ax, fraction=0.04)
    return ax


# -- two objectives -----------------------------------------------------------------------------
def alpha_entropy(trace: Any) -> tuple[list[int], dict[str, np.ndarray]]:
    """Per relaxed key, the normalised entropy of softmax(α) after every DARTS epoch.

    1 means undecided (uniform), 0 one-hot. A key with one α row per layer (article mode)
    gives the mean over its rows. Returns the epochs and ``{key: entropies}``.
    """
    entries = trace_entries(trace, "darts")
    epochs = [e.get("epoch", i) for i, e in enumerate(entries)]
    out: dict[str, np.ndarray] = {}
    for key in (entries[0]["alphas"] if entries else []):
        p = np.array([e["alphas"][key] for e in entries], dtype=float)
        p = p.reshape(len(entries), -1, p.shape[-1])  # (epochs, rows, choices)
        if p.shape[-1] < 2:
            continue  # a fixed key has nothing to decide
        h = -(p * np.log(np.clip(p, 1e-12, 1))).sum(axis=-1) / np.log(p.shape[-1])
        out[key] = h.mean(axis=1)
    return epochs, out


def plot_alpha_entropy(trace: Any, ax: Axes | None = None, title: str | None = None) -> Axes:
    """The normalised entropy of each relaxed key over the epochs (see :func:`alpha_entropy`)."""
    ax = _axes(ax)
    epochs, entropies = alpha_entropy(trace)
    for key, h in entropies.items():
        ax.plot(epochs, h, label=key)
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("supernet epoch")
    ax.set_ylabel("normalised entropy of softmax(α)")
    ax.set_title(title or "1 = undecided, 0 = one-hot")
    if entropies:
        ax.legend(fontsize=8)
    return ax
