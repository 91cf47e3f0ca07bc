"""Where the checker measures performance: an evaluator to search on and its known optimum.

*Regret* is how far a search's best score is from the best score in the whole space:
``best found - global optimum``; 0 means it found the best architecture. Regret needs a
space whose optimum is known, so the checker runs on a benchmark, never on real training:

* ``"toy"``: :class:`~nasbook.evaluation.toy.ToyEvaluator`, an analytic bowl (milliseconds, always there);
* ``"table"``: the tabular benchmark ``nasbook.tabular`` (every architecture of the article's
  space trained in advance), when it is installed.

A teacher can pass any :class:`Benchmark` (for example a different space) to
:func:`nasbook.check_strategy`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

from nasbook.loop.result import SearchResult
from nasbook.spaces.space import SearchSpace
from nasbook.evaluation.toy import ToyEvaluator
from nasbook.validation import NasbookError, fail

BENCHMARKS = ("toy", "table")


@dataclass
class Benchmark:
    """A space, a way to make a fresh evaluator for it, and the best score it holds.

    ``make_evaluator`` is called once per search, so runs never share state (caches, clocks).
    ``arch_regret`` (optional) gives an architecture's regret by its *true* score; a noisy
    benchmark needs it (the table: the mean over training seeds, not the lucky seed a search saw).
    """

    name: str
    space: SearchSpace
    make_evaluator: Callable[[], Any]
    optimum: float  # the lowest score any architecture of the space has
    arch_regret: Callable[[dict[str, Any]], float] | None = None

    def regret(self, result: SearchResult) -> float:
        """Regret of the search's pick (its best trial); ``inf`` when every trial failed."""
        if result.best is None:
            return math.inf
        if self.arch_regret is not None:
            return float(self.arch_regret(result.best_arch))
        return result.best_val_loss - self.optimum


def toy_benchmark(space: Any = None) -> Benchmark:
    """The analytic bowl of :class:`~nasbook.evaluation.toy.ToyEvaluator` (optimum known exactly)."""
    toy = ToyEvaluator(space)
    return Benchmark("toy", toy.space, lambda: ToyEvaluator(toy.space), toy.loss(toy.optimum))


def table_benchmark() -> Benchmark | None:
    """The tabular benchmark of the article's space, or None when it is not installed (or
    only partly built: regret needs every architecture's score).

    Each search gets a fresh :class:`~nasbook.tabular.TabularEvaluator` (its own cache and
    simulated clock); regret is measured like the showdown's: the true (seed-averaged)
    score of the architecture the search picked, minus the best true score of the table.
    """
    try:
        from nasbook.tabular import TabularEvaluator, load_table
        table = load_table()
    except (ImportError, OSError, NasbookError):
        return None
    if not table.complete:
        return None
    return Benchmark("table", table.space, lambda: TabularEvaluator(table), table.optimum, table.regret)


def make_benchmark(benchmark: "Benchmark | str | None" = None) -> Benchmark:
    """A benchmark by name; None picks the table when installed, else the toy."""
    if isinstance(benchmark, Benchmark):
        return benchmark
    if benchmark is None:
        return table_benchmark() or toy_benchmark()
    if benchmark == "toy":
        return toy_benchmark()
    if benchmark == "table":
        table = table_benchmark()
        if table is None:
            raise fail("benchmark", benchmark, "'toy' (the tabular benchmark nasbook.tabular is not installed)")
        return table
    raise fail("benchmark", benchmark, "None, 'toy', 'table' or a nasbook.assignments.Benchmark")
