"""Where the checker measures performance: an evaluator to search on and its known optimum.

*Regret* is how far a search's best score is from the best score in the whole space:
``best found - global optimum``; 0 means it found the best architecture. Regret needs a
space whose optimum is known, so the checker runs on a benchmark, never on real training:

* ``"toy"``: :class:`~nasbook.toy.ToyEvaluator`, an analytic bowl (milliseconds, always there);
* ``"table"``: the tabular benchmark ``nasbook.bench`` (every architecture of the article's
  space trained in advance), when it is installed.

A teacher can pass any :class:`Benchmark` (for example a different space) to
:func:`nasbook.check_strategy`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from ..result import SearchResult
from ..space import SearchSpace
from ..toy import ToyEvaluator
from ..validation import fail

BENCHMARKS = ("toy", "table")


@dataclass
class Benchmark:
    """A space, a way to make a fresh evaluator for it, and the best score it holds.

    ``make_evaluator`` is called once per search, so runs never share state (caches, clocks).
    """

    name: str
    space: SearchSpace
    make_evaluator: Callable[[], Any]
    optimum: float  # the lowest score any architecture of the space has

    def regret(self, result: SearchResult) -> float:
        """Best score found minus the optimum (``inf`` when every trial failed)."""
        return result.best_val_loss - self.optimum


def toy_benchmark(space: Any = None) -> Benchmark:
    """The analytic bowl of :class:`~nasbook.toy.ToyEvaluator` (optimum known exactly)."""
    toy = ToyEvaluator(space)
    return Benchmark("toy", toy.space, lambda: ToyEvaluator(toy.space), toy.loss(toy.optimum))


def table_benchmark() -> Benchmark | None:
    """The tabular benchmark of the article's space, or None while ``nasbook.bench`` is absent."""
    try:
        from .. import bench  # noqa: F401  (lands with the tabular-benchmark work)
    except ImportError:
        return None
    return None  # TODO(bench): wrap bench's tabular evaluator and its optimum here


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
            raise fail("benchmark", benchmark, "'toy' (the tabular benchmark nasbook.bench is not installed)")
        return table
    raise fail("benchmark", benchmark, "None, 'toy', 'table' or a nasbook.assignments.Benchmark")
