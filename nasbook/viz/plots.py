"""Plots shared by the notebooks and the dashboard: one function per picture.

Every function draws on the ``ax`` (or ``fig``) it is given, or on a new pyplot figure
when none is given, and returns what it drew on (an Axes, or a Figure for multi-panel
plots), so a notebook cell can add to it and a test can count its lines and patches. The
dashboard passes Axes of a plain ``matplotlib.figure.Figure`` (no pyplot), so drawing
from its worker thread never touches pyplot's global state.

Inputs are nasbook's own objects: a :class:`~nasbook.loop.result.SearchResult` or a list of
:class:`~nasbook.trial.Trial` objects, and the strategy's ``result.trace``. The trace is a
list of dicts, one snapshot each; the plots here read three kinds:

* ``{"update": i, "probs": {key: [p, ...]}}`` – the policy's choice probabilities per key
  after update ``i`` (reinforcement learning; each key's distribution *given* the most probable
  choices of the keys before it);
* ``{"generation": g, "population": [{"arch": ..., "score": ...}, ...]}`` (or
  ``"archs": [...], "scores": [...]``) – the population alive in generation ``g`` with its
  scores (evolution; ``inf``/None = failed);
* ``{"epoch": e, "alphas": {key: [softmax weight, ...]}}`` – the architecture weights after
  supernet epoch ``e`` (DARTS).

Every entry names its kind (``"kind": "rl" | "population" | "darts"``, the typed records of
:mod:`nasbook.strategies.trace`); entries may carry more fields; other kinds are ignored.
"""
from __future__ import annotations

import math
import warnings
from typing import Any, Mapping, Sequence

import numpy as np
from scipy import stats
from matplotlib.axes import Axes
from matplotlib.ticker import MaxNLocator

from nasbook.experiments.anytime import ROUNDING, best_by_compute, uses_fidelity
from nasbook.strategies.pareto import pareto_front
from nasbook.trial import Trial
from nasbook.validation import check_choice

from nasbook.viz.common import (BEST_COLOR, FAIL_COLOR, _axes, _figure, entry_kind,  # noqa: F401
                                 population_scores, trace_entries, trials_of)
from nasbook.viz.strategy_plots import (_labels, alpha_entropy, plot_alpha_entropy,  # noqa: F401
                                         plot_darts_alphas, plot_population, plot_rl_marginals,
                                         plot_rl_policy)


def best_so_far(scores: Sequence[float]) -> np.ndarray:
    """Running minimum of the scores (``inf`` until the first finite one)."""
    scores = np.array([math.inf if s is None else float(s) for s in scores], dtype=float)
    scores[~np.isfinite(scores)] = math.inf
    return np.minimum.accumulate(scores) if len(scores) else scores


# -- search progress ----------------------------------------------------------------------
def plot_progress(run: Any, ax: Axes | None = None, title: str | None = None,
                  logy: bool = True) -> Axes:
    """Every trial's validation loss (dots; one colour per fidelity when trials were trained
    for fewer epochs), the best so far (black step line) and the failed trials (red crosses
    along the top edge, since they have no loss)."""
    ax = _axes(ax)
    trials = trials_of(run)
    steps = np.arange(1, len(trials) + 1)
    scores = np.array([t.score for t in trials], dtype=float)
    ok = np.isfinite(scores)
    epochs = np.array([-1 if t.epochs is None else t.epochs for t in trials])
    if (epochs < 0).all():
        ax.scatter(steps[ok], scores[ok], s=18, alpha=0.7, label="trial")
    for k in sorted(set(epochs[epochs >= 0])):  # a multi-fidelity search
        at = ok & (epochs == k)
        ax.scatter(steps[at], scores[at], s=18, alpha=0.7, label=f"{k} epochs")
    if (~ok).any():
        ax.scatter(steps[~ok], np.full((~ok).sum(), 0.97), marker="x", color=FAIL_COLOR,
                   transform=ax.get_xaxis_transform(), label="failed / diverged")
    best = best_so_far(scores)
    if np.isfinite(best).any():
        ax.step(steps, np.where(np.isfinite(best), best, np.nan), where="post",
                color=BEST_COLOR, label="best so far")
    if logy and ok.any() and scores[ok].min() > 0:
        ax.set_yscale("log")
    ax.set_xlabel("trial")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("validation loss")
    ax.set_title(title or "Search progress")
    if len(trials):
        ax.legend(loc="best", fontsize="small")
    return ax


def best_so_far_matrix(runs: Any) -> np.ndarray:
    """Best-so-far curves of several runs (one per seed) as a (runs × trials) array.

    ``runs`` is a list of SearchResults, of trial lists, or of score sequences, or a 2-D
    array of scores. Shorter runs are padded with their last value (a run that stopped
    early keeps its best); ``inf`` stays until a run's first success.
    """
    curves = []
    for run in runs:
        if hasattr(run, "trials") or (len(run) and isinstance(run[0], Trial)):
            run = [t.score for t in trials_of(run)]
        curves.append(best_so_far(run))
    if not curves:
        return np.zeros((0, 0))
    width = max(len(c) for c in curves)
    return np.array([np.pad(c, (0, width - len(c)), mode="edge") if len(c) else np.full(width, np.inf)
                     for c in curves])


BAND_LABELS = {"ci": "95 % t interval of the mean", "sd": "mean ± 1 sd", "minmax": "min to max over seeds"}


def mean_band(matrix: np.ndarray, band: str = "ci") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean and lower/upper band per column; NaN where some run has no success yet.

    ``band="ci"``: a 95 % t confidence interval of the mean over the n runs,
    mean ± t(0.975, n − 1)·sd/√n (:func:`scipy.stats.t.ppf`; with 3 seeds t is 4.30, not the
    normal 1.96, which would draw the band about twice too narrow); a single run has no
    interval (NaN). ``band="sd"``: mean ± one standard deviation; ``band="minmax"``: the range
    over runs. :data:`BAND_LABELS` says in words what each band is (the plots print it).
    """
    m = np.where(np.isfinite(matrix), matrix, np.nan)
    m[:, ~np.all(np.isfinite(matrix), axis=0)] = np.nan  # a mean over survivors only would mislead
    with np.errstate(all="ignore"), _quiet_nan_warnings():
        mean = np.nanmean(m, axis=0)
        n = m.shape[0]
        sd = np.nanstd(m, axis=0, ddof=1) if n > 1 else np.zeros(m.shape[1])
        if band == "ci":
            half = (stats.t.ppf(0.975, n - 1) if n > 1 else np.nan) * sd / np.sqrt(n)
            return mean, mean - half, mean + half
        if band == "sd":
            return mean, mean - sd, mean + sd
        if band == "minmax":
            return mean, np.nanmin(m, axis=0), np.nanmax(m, axis=0)
    raise ValueError(f"band={band!r} is not allowed; one of 'ci', 'sd', 'minmax'")


class _quiet_nan_warnings:
    """Silence numpy's "mean of empty slice" warnings (columns where no run succeeded yet)."""

    def __enter__(self) -> None:
        self._ctx = warnings.catch_warnings()
        self._ctx.__enter__()
        warnings.simplefilter("ignore", RuntimeWarning)

    def __exit__(self, *exc: Any) -> None:
        self._ctx.__exit__(*exc)


X_AXES = ("evaluations", "evaluation-equivalents")  # trials, or compute (nasbook.experiments.anytime)


def compute_matrix(runs: Any) -> np.ndarray:
    """Best-so-far against compute of several SearchResults, as a (runs × evaluation-equivalents)
    array: column n-1 is the pick's score after n (padded with the last, as ``best_so_far_matrix``)."""
    width = max([math.ceil(run.spent - ROUNDING) for run in runs] + [0])
    return np.array([best_by_compute(run, width) for run in runs]).reshape(len(runs), width)


def plot_regret(runs: Any, ax: Axes | None = None, label: str | None = None,
                optimum: float | None = None, band: str = "ci", logy: bool = True,
                x: str | None = None) -> Axes:
    """Best-so-far (or regret, when the ``optimum`` score is known) averaged over seeds,
    with a shaded band. Call it once per strategy on the same ``ax`` to compare them.

    ``x`` is what the curves run against: ``"evaluations"`` (one trial each) or
    ``"evaluation-equivalents"`` (compute: a trial of k of E epochs counts k/E, and the pick
    is the best of the longest-trained trials, :mod:`nasbook.experiments.anytime`). None: the
    latter when a SearchResult trained at a fidelity, else the former. A matrix of curves
    (e.g. the showdown's ``out["curves"]``, already on a grid of ``out["x"]``) is drawn as
    given, with that label.
    """
    ax = _axes(ax)
    results = isinstance(runs, (list, tuple)) and bool(runs) and all(hasattr(run, "trials") for run in runs)
    if x is None:
        x = X_AXES[1] if results and any(uses_fidelity(run) for run in runs) else X_AXES[0]
    check_choice("x", x, X_AXES)
    matrix = compute_matrix(runs) if results and x == X_AXES[1] else best_so_far_matrix(runs)
    if optimum is not None:
        matrix = matrix - optimum
    mean, low, high = mean_band(matrix, band)
    steps = np.arange(1, matrix.shape[1] + 1)
    line, = ax.plot(steps, mean, label=f"{label or 'mean'} (n={matrix.shape[0]})")
    ax.fill_between(steps, low, high, color=line.get_color(), alpha=0.2, linewidth=0)
    finite = mean[np.isfinite(mean)]
    if logy and len(finite) and finite.min() > 0:
        ax.set_yscale("log")
    ax.set_xlabel(x)
    ax.set_ylabel("regret (best − optimum)" if optimum is not None else "best validation loss so far")
    ax.set_title("Best so far over seeds" + (f" (band: {BAND_LABELS.get(band, band)})" if band else ""))
    ax.legend(fontsize="small", title=f"band: {BAND_LABELS.get(band, band)}", title_fontsize="small")
    return ax


# -- the strategies' own views ---------------------------------------------------------------
def plot_pareto(run: Any, ax: Axes | None = None, labels: tuple[str, str] = ("parameters", "validation loss"),
                logx: bool = True) -> Axes:
    """Every candidate (grey) and the Pareto front (red staircase) of two minimised objectives.

    ``run`` is a SearchResult / trial list (objectives: parameters and validation loss; failed
    trials are left out) or an (n × 2) array of objective values.
    """
    ax = _axes(ax)
    if hasattr(run, "trials") or (len(run) and isinstance(run[0], Trial)):
        points = np.array([[t.params, t.score] for t in trials_of(run) if t.ok], dtype=float)
    else:
        points = np.asarray(run, dtype=float)
    points = points.reshape(-1, 2)
    ax.scatter(points[:, 0], points[:, 1], s=14, color="grey", alpha=0.6, label="candidates")
    front = pareto_front(points)
    if front:
        fx, fy = points[front, 0], points[front, 1]
        ax.step(fx, fy, where="post", color=FAIL_COLOR, alpha=0.6)
        ax.scatter(fx, fy, s=30, color=FAIL_COLOR, label=f"Pareto front ({len(front)})", zorder=3)
    if logx and len(points) and points[:, 0].min() > 0:
        ax.set_xscale("log")
    ax.set_xlabel(labels[0])
    ax.set_ylabel(labels[1])
    ax.set_title("Trade-off: Pareto front")
    ax.legend(fontsize="small")
    return ax


# -- one architecture ---------------------------------------------------------------------------
def draw_mlp(arch: Mapping[str, Any], ax: Axes | None = None, in_features: int = 1,
             out_features: int = 1, max_nodes: int = 8) -> Axes:
    """A node-and-edge drawing of the MLP an architecture describes.

    Layers with more than ``max_nodes`` units show ``max_nodes`` circles and their true
    width underneath; the activation, dropout and optimiser are written on the picture.
    """
    from matplotlib.patches import Circle

    ax = _axes(ax, (7, 3.5))
    depth = int(arch.get("num_hidden_layers", 1))
    width = int(arch.get("hidden_layer_size", 64))
    sizes = [in_features] + [width] * depth + [out_features]
    names = ["in"] + [f"h{i + 1}" for i in range(depth)] + ["out"]
    shown = [min(n, max_nodes) for n in sizes]
    gap = 1.8  # horizontal distance between layers
    ys = [np.linspace(-(k - 1) / 2, (k - 1) / 2, k) for k in shown]
    for x in range(len(sizes) - 1):  # edges first, so circles sit on top
        for y0 in ys[x]:
            for y1 in ys[x + 1]:
                ax.plot([x * gap, (x + 1) * gap], [y0, y1], color="grey", lw=0.4, alpha=0.5)
    for x, (n, k) in enumerate(zip(sizes, shown)):
        color = "tab:blue" if 0 < x < len(sizes) - 1 else "tab:orange"
        for y in ys[x]:
            ax.add_patch(Circle((x * gap, y), 0.18, color=color, zorder=3))
        more = " (+%d)" % (n - k) if n > k else ""
        ax.text(x * gap, -max_nodes / 2 - 0.3, f"{names[x]}\n{n}{more}", ha="center", va="top", fontsize=7)
    act, drop = arch.get("activation_function", "ReLU"), arch.get("dropout_rate", 0.0)
    opt, lr = arch.get("optimizer", "Adam"), arch.get("learning_rate", 0.001)
    ax.set_title(f"MLP: {depth} × {width}, {act}, dropout {drop}; trained with {opt} (lr {lr})",
                 fontsize=9)
    ax.set_xlim(-0.8, (len(sizes) - 1) * gap + 0.8)
    ax.set_ylim(-max_nodes / 2 - 1.6, max_nodes / 2 + 0.3)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax


# -- notebook 01: one training, and the outer landscape ----------------------------------------
def plot_training(trial: Trial, ax: Axes | None = None, label: str = "") -> Axes:
    """A trial's training loss per epoch (the inner objective, solid) and its validation
    loss at the recorded checkpoints (the outer score, dashed, same colour)."""
    ax = _axes(ax)
    line, = ax.plot(np.arange(1, len(trial.train_curve) + 1), trial.train_curve,
                    label=f"{label} train loss (inner)".strip())
    ax.plot([int(e) for e in trial.val_curve], list(trial.val_curve.values()), "--", color=line.get_color(),
            label=f"{label} validation loss (outer)".strip())
    ax.set_xlabel("epoch"); ax.set_ylabel("MSE"); ax.set_yscale("log")
    return ax


def plot_landscape(scores: np.ndarray, rows: Sequence[Any], cols: Sequence[Any], ax: Axes,
                   labels: tuple[str, str] = ("depth", "width"), title: str = "log10 L_val") -> Axes:
    """One seed's scores over a two-key grid as a heat map (yellow = low), best cell starred."""
    im = ax.imshow(np.log10(scores), cmap="viridis_r")
    r, c = np.unravel_index(np.nanargmin(scores), scores.shape)
    ax.plot(c, r, "r*", markersize=14)
    ax.set_xticks(range(len(cols)), [str(v) for v in cols]); ax.set_yticks(range(len(rows)), [str(v) for v in rows])
    ax.set_xlabel(labels[1]); ax.set_ylabel(labels[0]); ax.set_title(title)
    ax.figure.colorbar(im, ax=ax, fraction=0.05, label="lower is better")
    return ax
