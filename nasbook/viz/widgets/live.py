"""Live views of a running search: plots as PNG images and a table of the best architectures.

Why images? The search runs in a worker thread. Drawing a plain
``matplotlib.figure.Figure`` (never pyplot, which is not thread-safe) and putting its PNG
bytes into an ``ipywidgets.Image`` is a single value update the front end applies
atomically; it works the same in JupyterLab, classic Notebook, VS Code and Colab, with
no extra widget library. Redraws are throttled so drawing never eats the search: the next
one waits at least ``every`` seconds *and* four times as long as the last one took (a
redraw costs ~0.2-0.4 s on a busy laptop core), plus a final one when the run ends.
"""
from __future__ import annotations

import html
import io
import math
import threading
import time
from typing import Any, Sequence

import ipywidgets as W
from matplotlib.figure import Figure

from nasbook.viz import plots
from nasbook.spaces.space import SearchSpace
from nasbook.fidelity import cost, fidelity_label
from nasbook.trial import Trial


def render_png(fig: Figure, dpi: int = 80) -> bytes:
    """The figure as PNG bytes (Agg renderer, no pyplot, no screen)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)  # no bbox_inches="tight": it draws twice
    return buffer.getvalue()


def top_table_html(trials: Sequence[Trial], k: int = 8) -> str:
    """An HTML table of the ``k`` best successful trials (rank, loss, step, architecture)."""
    ok = sorted((t for t in trials if t.ok), key=lambda t: t.score)[:k]
    if not ok:
        return "<i>No successful trial yet.</i>"
    keys = list(ok[0].arch)
    fidelity = any(t.epochs is not None for t in trials)  # a multi-fidelity search: say how long each trained
    head = "".join(f"<th>{html.escape(k)}</th>" for k in ["#", "val loss", "trial", *(["epochs"] if fidelity else []),
                                                          *keys])
    rows = []
    for rank, t in enumerate(ok, start=1):
        cells = [rank, f"{t.score:.4g}", t.step + 1, *([fidelity_label(t)] if fidelity else []),
                 *(t.arch[k] for k in keys)]
        rows.append("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells) + "</tr>")
    style = ("<style>.nasbook-top td, .nasbook-top th {padding: 1px 8px; text-align: right;}"
             ".nasbook-top tr:nth-child(even) {background: rgba(128,128,128,0.1);}</style>")
    return (f"{style}<b>Top {len(ok)} architectures</b>"
            f"<table class='nasbook-top'><tr>{head}</tr>{''.join(rows)}</table>")


def progress_count(trials: Sequence[Trial], full_epochs: int | None) -> tuple[float, str]:
    """What the progress bar shows, in the budget's own unit: the number of trials (``"12
    trials"``), or, once a trial was trained at a fidelity, the compute spent in
    evaluation-equivalents (``"3.4 eval-eq"``: k of E epochs count k/E, :func:`nasbook.fidelity.cost`)."""
    if not any(t.epochs is not None for t in trials):
        return len(trials), f"{len(trials)} trials"
    spent = sum(cost(t, full_epochs) for t in trials)
    return spent, f"{spent:.1f} eval-eq"


def trace_kind(trace: Sequence[dict[str, Any]]) -> str | None:
    """Which strategy view a trace calls for: "rl", "population", "darts" or None."""
    kinds = {plots.entry_kind(e) for e in trace if isinstance(e, dict)}
    return next((k for k in ("rl", "population", "darts") if k in kinds), None)


def draw_strategy_view(trace: Sequence[dict[str, Any]], space: SearchSpace | None) -> Figure | None:
    """The strategy's own picture of what it has learned, or None when it keeps none."""
    kind = trace_kind(trace)
    if kind == "rl":
        n = len(plots.trace_entries(trace, "rl")[0]["probs"])
        fig = Figure(figsize=(3.2 * min(3, n), 2.3 * math.ceil(n / 3)))
        return plots.plot_rl_policy(trace, fig=fig, space=space)
    if kind is None:
        return None
    fig = Figure(figsize=(7, 3.5))
    ax = fig.add_subplot()
    if kind == "population":
        plots.plot_population(trace, ax=ax)
    else:
        plots.plot_darts_alphas(trace, ax=ax, space=space)
    return fig


class LiveView:
    """The dashboard's output area: progress plot, strategy view and top-architectures table."""

    def __init__(self, every: float = 1.0, top: int = 8) -> None:
        self.every = every
        self.top = top
        self.progress_plot = W.Image(format="png", layout=W.Layout(max_width="560px", display="none"))
        self.strategy_plot = W.Image(format="png", layout=W.Layout(max_width="640px", display="none"))
        self.strategy_note = W.HTML("")
        self.table = W.HTML("<i>Press Run to start a search.</i>")
        self.redraws = 0
        self._last = -math.inf
        self._cost = 0.0  # seconds the last redraw took
        self._lock = threading.Lock()
        self.widget = W.VBox([W.HBox([self.progress_plot, W.VBox([self.strategy_note, self.strategy_plot])]),
                              self.table])

    def clear(self) -> None:
        self.progress_plot.value = b""
        self.progress_plot.layout.display = "none"  # an empty image shows as a broken icon
        self.strategy_plot.value = b""
        self.strategy_plot.layout.display = "none"
        self.strategy_note.value = ""
        self.table.value = "<i>Searching…</i>"
        self._last = -math.inf

    def update(self, trials: Sequence[Trial], trace: Sequence[dict[str, Any]], space: SearchSpace | None,
               title: str = "", force: bool = False) -> bool:
        """Redraw, unless the last redraw was under ``every`` seconds ago (``force`` overrides).

        Returns True when it redrew.
        """
        with self._lock:
            now = time.monotonic()
            if not force and now - self._last < max(self.every, 4 * self._cost):
                return False
            fig = Figure(figsize=(6, 3.6))
            fig.subplots_adjust(left=0.15, bottom=0.14, right=0.97, top=0.91)
            plots.plot_progress(list(trials), ax=fig.add_subplot(), title=title or None)
            self.progress_plot.value = render_png(fig)
            self.progress_plot.layout.display = None
            view = draw_strategy_view(list(trace), space)
            if view is None:
                self.strategy_plot.value = b""
                self.strategy_plot.layout.display = "none"
                self.strategy_note.value = ""
            else:
                self.strategy_plot.layout.display = None
                self.strategy_plot.value = render_png(view)
                self.strategy_note.value = "<b>What the strategy has learned</b>"
            self.table.value = top_table_html(trials, self.top)
            self.redraws += 1
            self._last = time.monotonic()
            self._cost = self._last - now
            return True
