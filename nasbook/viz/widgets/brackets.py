"""Successive halving and Hyperband on the learning-curve table, live: η and minimum epochs as sliders.

    from nasbook.viz.widgets import BracketExplorer
    explorer = BracketExplorer()      # the learning-curve table, Hyperband, 20 evaluation-equivalents
    explorer                          # move a slider: the strategy re-runs, the pictures redraw
    explorer.result                   # the last run's SearchResult (its trace holds the rungs)

Each change runs the chosen strategy (``"sh"``, ``"hyperband"`` or ``"bohb"``) with that
``eta`` and ``min_epochs`` on the table (:class:`~nasbook.tabular.TabularEvaluator`: nothing
trains, a redraw takes well under a second) and draws what it *did*, read from its trace:
left, every bracket's rungs (epochs, and how many architectures each trained); right, one
bracket as a grid of who survived, rows sorted by the table's truth, so you see whether
halving kept the truly best. Sizes are the strategy's own (from its budget), never
recomputed here. Core ipywidgets only (the controls ipywidgets 7.7 and 8 share).
"""
from __future__ import annotations

import html

import ipywidgets as W
from matplotlib.figure import Figure

import nasbook
from nasbook.loop.result import SearchResult
from nasbook.strategies import make_strategy
from nasbook.tabular import CURVE_PATH, BenchTable, TabularEvaluator, load_table
from nasbook.validation import check_choice, check_int, fail
from nasbook.viz.fidelity_plots import plot_brackets, plot_survivors, rung_frame
from nasbook.viz.widgets.live import render_png

BRACKET_STRATEGIES = ("sh", "hyperband", "bohb")


class BracketExplorer:
    """Sliders for η (keep the best 1/η of each rung) and the minimum epochs, on a learning-curve table.

    Args:
        table: the benchmark (default: the learning-curve table, ``load_table(CURVE_PATH)``).
        strategy: ``"sh"``, ``"hyperband"`` or ``"bohb"`` (the start of its toggle).
        budget: evaluation-equivalents per search; eta, min_epochs, seed: the sliders' start.
    """

    def __init__(self, table: BenchTable | None = None, strategy: str = "hyperband", budget: int = 20,
                 eta: int = 3, min_epochs: int = 1, seed: int = 0) -> None:
        check_choice("strategy", strategy, BRACKET_STRATEGIES)
        self.budget = check_int("budget", budget, 1, 10_000)
        check_int("eta", eta, 2, 6)
        self.table = table or load_table(CURVE_PATH)
        lowest = list(self.table.checkpoints[:-1])  # a bracket must start below full fidelity
        if min_epochs not in lowest:
            raise fail("min_epochs", min_epochs, f"an epoch the table recorded below its last: one of {lowest}")
        self.evaluator = TabularEvaluator(self.table)
        self.result: SearchResult | None = None
        style = {"description_width": "110px"}
        self.eta = W.IntSlider(value=eta, min=2, max=6, description="η (keep 1/η)", continuous_update=False, style=style)
        self.min_epochs = W.SelectionSlider(options=lowest, value=min_epochs, description="min. epochs",
                                            continuous_update=False, style=style)
        self.seed = W.IntSlider(value=seed, min=0, max=20, description="seed", continuous_update=False, style=style)
        self.strategy = W.ToggleButtons(options=list(BRACKET_STRATEGIES), value=strategy, description="strategy")
        self.plot = W.Image(format="png", layout=W.Layout(max_width="820px"))
        self.summary = W.HTML()
        for control in (self.eta, self.min_epochs, self.seed, self.strategy):
            control.observe(lambda _: self.run(), names="value")
        self.widget = W.VBox([W.HTML("<b>Successive halving on the learning-curve table</b>"),
                              W.HBox([self.eta, self.min_epochs]), W.HBox([self.seed, self.strategy]),
                              self.plot, self.summary])
        self.run()

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)

    def run(self) -> SearchResult:
        """Run the strategy with the controls' values and redraw (what a move does)."""
        name, eta, low = self.strategy.value, self.eta.value, self.min_epochs.value
        self.evaluator = TabularEvaluator(self.table)  # a fresh cache and clock per run
        strategy = make_strategy(name, eta=eta, min_epochs=low)
        self.result = nasbook.search(strategy, evaluator=self.evaluator, space=self.table.space,
                                     budget=self.budget, seed=self.seed.value, progress=False)
        fig = Figure(figsize=(11, 4.2))
        left, right = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
        plot_brackets(self.result.trace, ax=left)
        plot_survivors(self.result.trace, bracket=0, truth=self.table.regret, ax=right)
        fig.suptitle(f"{name}, η = {eta}, from {low} epoch{'s' * (low > 1)}: {self.budget} evaluation-equivalents, "
                     f"seed {self.seed.value}", fontsize=10)
        fig.tight_layout()
        self.plot.value = render_png(fig)
        self.summary.value = self.describe()
        return self.result

    def describe(self) -> str:
        """The run in one paragraph: rungs, brackets, architectures tried, the pick's regret."""
        r, frame = self.result, rung_frame(self.result.trace)
        first = frame[frame["bracket"] == 0]
        rungs = " → ".join(f"{n}×{e} ep" for n, e in zip(first["trained"], first["epochs"])) or "–"
        tried = len({self.table.space.index(t.arch) for t in r.trials})
        regret = self.table.regret(r.best_arch) if r.best_arch else float("nan")
        return (f"bracket 0: {html.escape(rungs)} · {frame['bracket'].nunique()} brackets · {tried} architectures tried · "
                f"spent {r.spent:.2f} of {self.budget} evaluation-equivalents · pick's regret {regret:.4f} "
                f"(true score − best in the space; one seed is an anecdote)")
