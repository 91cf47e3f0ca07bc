"""Evolution on the lookup table, live: population size and tournament size as sliders.

    from nasbook.viz.widgets import EvolutionExplorer
    explorer = EvolutionExplorer()
    explorer                          # move a slider: evolution re-runs on the table, the curve redraws
    explorer.curves                   # the last run's regret curves, (seeds, budget)

Each change runs regularized (aging) evolution with the chosen ``population_size`` and
``sample_size`` (the tournament) for ``seeds`` seeds on the tabular benchmark — no training,
so a redraw takes about a second — and draws its mean regret with a 95 % band next to random
search's (computed once). A tick box adds "kill the worst" (the same tournaments, the worst
member leaves instead of the oldest). The tournament can never be larger than the
population: its slider's maximum follows the population slider. Core ipywidgets only.
"""
from __future__ import annotations

import numpy as np
import ipywidgets as W
from matplotlib.figure import Figure

from nasbook.experiments.aging import evolution_curves
from nasbook.strategies.evolution import Evolution, KillTheWorst
from nasbook.strategies.random_search import RandomSearch
from nasbook.tabular.table import BenchTable, load_table
from nasbook.validation import check_int
from nasbook.viz.plots import plot_regret
from nasbook.viz.widgets.live import render_png

MAX_POPULATION = 50


class EvolutionExplorer:
    """Sliders for aging evolution's population and tournament sizes, on the tabular benchmark.

    Args:
        table: the benchmark (default: the one shipped with nasbook).
        population_size, sample_size: the sliders' starting values.
        budget: evaluations per search; seeds: searches per setting (the band is over them).
        kill_worst: start with the kill-the-worst curve shown too.
    """

    def __init__(self, table: BenchTable | None = None, population_size: int = 10, sample_size: int = 5,
                 budget: int = 100, seeds: int = 5, kill_worst: bool = False) -> None:
        Evolution(population_size=population_size, sample_size=sample_size)  # checks both
        check_int("population_size", population_size, 2, MAX_POPULATION)
        self.budget = check_int("budget", budget, 1, 10_000)
        self.seeds = check_int("seeds", seeds, 1, 100)
        self.table = table or load_table()
        self.random = evolution_curves(RandomSearch, self.seeds, self.budget, self.table)
        self.curves: dict[str, np.ndarray] = {}
        style = {"description_width": "120px"}
        self.population = W.IntSlider(value=population_size, min=2, max=MAX_POPULATION, description="population size",
                                      continuous_update=False, style=style)
        self.tournament = W.IntSlider(value=sample_size, min=1, max=population_size, description="tournament size",
                                      continuous_update=False, style=style)
        self.kill_worst = W.Checkbox(value=kill_worst, description="also kill the worst")
        self.plot = W.Image(format="png", layout=W.Layout(max_width="560px"))
        self.summary = W.HTML()
        self.population.observe(self._population_changed, names="value")
        self.tournament.observe(lambda _: self.run(), names="value")
        self.kill_worst.observe(lambda _: self.run(), names="value")
        self.widget = W.VBox([W.HTML("<b>Aging evolution on the lookup table</b>"),
                              W.HBox([self.population, self.tournament, self.kill_worst]),
                              self.plot, self.summary])
        self.run()

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)

    def _population_changed(self, change: dict) -> None:
        if self.tournament.value > change["new"]:
            self.tournament.value = change["new"]  # its own observer re-runs ...
            self.tournament.max = change["new"]
            return                                 # ... so this one need not
        self.tournament.max = change["new"]
        self.run()

    def run(self) -> dict[str, np.ndarray]:
        """Run evolution with the sliders' values on every seed and redraw (what a move does)."""
        n, k = self.population.value, min(self.tournament.value, self.population.value)
        self.curves = {"aging evolution": evolution_curves(lambda: Evolution("default", n, k), self.seeds,
                                                           self.budget, self.table)}
        if self.kill_worst.value:
            self.curves["kill the worst"] = evolution_curves(lambda: KillTheWorst(n, k), self.seeds,
                                                             self.budget, self.table)
        fig = Figure(figsize=(6.5, 3.6))
        fig.subplots_adjust(left=0.13, bottom=0.14, right=0.97, top=0.9)
        ax = fig.add_subplot()
        plot_regret(self.random, ax=ax, label="random search")
        for name, curves in self.curves.items():
            plot_regret(curves, ax=ax, label=name)
        ax.set_ylabel("regret (true score of pick − best)")
        ax.set_title(f"population {n}, tournament {k}: {self.seeds} seeds", fontsize=10)
        self.plot.value = render_png(fig)
        finals = ", ".join(f"{name} {np.median(c[:, -1]):.4f}" for name, c in self.curves.items())
        self.summary.value = (f"population {n}, tournament {k}: median regret after {self.budget} evaluations: "
                              f"{finals} (random search {np.median(self.random[:, -1]):.4f}), over {self.seeds} seeds")
        return self.curves
