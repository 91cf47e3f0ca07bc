"""You are the outer loop: one slider per choice, every move trains that architecture.

    from nasbook.viz.widgets import ArchitectureExplorer
    explorer = ArchitectureExplorer(evaluator, tiny_space, start=alpha)
    explorer                      # move a slider: the inner loop trains, the curves redraw
    explorer.tried                # every architecture tried so far -> its Trial

Each key of the space with more than one choice gets a control (a slider for numbers,
toggle buttons for names); keys with one choice are fixed. A change trains the
architecture in the kernel (a fraction of a second for small networks; the evaluator's
cache answers a repeat for free), draws its training and validation curves as a PNG image
and lists the best architectures tried, best first — the outer loop's memory. Core
ipywidgets only (Image, HTML, SelectionSlider, ToggleButtons), so it runs on Colab's
ipywidgets 7 and on ipywidgets 8.
"""
from __future__ import annotations

import html
from typing import Any, Mapping

import ipywidgets as W
from matplotlib.figure import Figure

from nasbook.evaluation.base import BaseEvaluator
from nasbook.spaces.mlp import short_label
from nasbook.spaces.space import SearchSpace, as_space
from nasbook.trial import Trial
from nasbook.validation import fail
from nasbook.viz.plots import plot_training
from nasbook.viz.widgets.live import render_png

LABELS = {"num_hidden_layers": "depth", "hidden_layer_size": "width", "learning_rate": "learning rate",
          "activation_function": "activation", "optimizer": "optimizer", "dropout_rate": "dropout"}


class ArchitectureExplorer:
    """Sliders over ``space``; each setting is trained by ``evaluator`` with ``seed``.

    Args:
        evaluator: the inner loop (e.g. ``Evaluator(task="synthetic", ...)``).
        space: the architectures the controls can reach (a SearchSpace or a dict of choices).
        start: the first architecture shown (default: every key's first choice).
        seed: the training seed of every architecture.
        top: how many of the best architectures tried the table lists.
    """

    def __init__(self, evaluator: BaseEvaluator, space: "SearchSpace | Mapping[str, list[Any]]",
                 start: Mapping[str, Any] | None = None, seed: int = 0, top: int = 5) -> None:
        if not isinstance(evaluator, BaseEvaluator):
            raise fail("evaluator", evaluator, "a nasbook evaluator (e.g. Evaluator(task='synthetic'))")
        self.evaluator, self.space, self.seed, self.top = evaluator, as_space(space), seed, top
        first = {key: values[0] for key, values in self.space.choices.items()}
        start = self.space.validate({**first, **{k: v for k, v in (start or {}).items() if k in first}})
        self.fixed = {k: v for k, v in start.items() if len(self.space.choices[k]) == 1}
        self.controls: dict[str, W.ValueWidget] = {}
        self._holding = False  # True while set() moves several controls: train once, at the end
        style = {"description_width": "90px"}
        for key, values in self.space.choices.items():
            if key in self.fixed:
                continue
            kind = W.SelectionSlider if all(isinstance(v, (int, float)) for v in values) else W.ToggleButtons
            control = kind(options=list(values), value=start[key], description=LABELS.get(key, key), style=style)
            control.observe(lambda _: None if self._holding else self.show(), names="value")
            self.controls[key] = control
        self.tried: dict[int, Trial] = {}  # architecture index in the space -> its trial
        self.plot = W.Image(format="png", layout=W.Layout(max_width="520px"))
        self.title = W.HTML()
        self.table = W.HTML()
        rows = list(self.controls.values())
        self.widget = W.VBox([W.HBox(rows[i:i + 2]) for i in range(0, len(rows), 2)]
                             + [self.title, self.plot, self.table])
        self.show()

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)

    @property
    def arch(self) -> dict[str, Any]:
        """The architecture the controls show now."""
        return {**self.fixed, **{k: c.value for k, c in self.controls.items()}}

    def set(self, **choices: Any) -> Trial:
        """Move several controls from code, then train once; return the trial shown."""
        for key in choices:
            if key not in self.controls:
                raise fail("key", key, f"one of the explorer's controls: {', '.join(self.controls)}")
        self._holding = True
        try:
            for key, value in choices.items():
                self.controls[key].value = value
        finally:
            self._holding = False
        return self.show()

    def show(self) -> Trial:
        """Train (or look up) the current architecture, redraw its curves and the table."""
        arch = self.space.validate(self.arch)
        trial = self.evaluator.evaluate(arch, seed=self.seed)
        self.tried[self.space.index(arch)] = trial
        fig = Figure(figsize=(6, 3))
        fig.subplots_adjust(left=0.18, bottom=0.16, right=0.97, top=0.95)  # room for log-scale tick labels
        ax = plot_training(trial, ax=fig.add_subplot())
        ax.legend(fontsize=8)
        self.plot.value = render_png(fig)
        self.title.value = (f"<b>{html.escape(short_label(arch))}</b>: outer score L_val = {trial.score:.4f}"
                            if trial.ok else f"<b>{trial.status}</b>: {html.escape(trial.reason)}")
        self.table.value = self.table_html()
        return trial

    def table_html(self) -> str:
        """The best architectures tried so far, best first."""
        ranked = sorted(self.tried.values(), key=lambda t: t.score)[: self.top]
        rows = "".join(f"<tr><td>{html.escape(short_label(t.arch))}</td><td>{t.score:.4f}</td></tr>"
                       for t in ranked)
        return (f"{len(self.tried)} architectures tried; best first:"
                f"<table><tr><th>architecture</th><th>L_val</th></tr>{rows}</table>")
