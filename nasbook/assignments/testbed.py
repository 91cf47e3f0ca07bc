"""Where the checker measures performance: an evaluator to search on and its known optimum.

*Regret* is how far a search's best score is from the best score in the whole space:
``best found - global optimum``; 0 means it found the best architecture. Regret needs a
space whose optimum is known, so the checker runs on a benchmark, never on real training:

* ``"toy"``: :class:`~nasbook.evaluation.toy.ToyEvaluator`, an analytic bowl (milliseconds, always there);
* ``"table"``: the **learning-curve table** (``nasbook.tabular.CURVE_PATH``: every
  architecture of the article's space trained in advance under the ``default`` protocol,
  the validation loss recorded after every epoch 1..20), when it is installed.

Why that table and not the seed-protocol one (``load_table()``, the article's inner loop of
10 full-batch steps): under the article's loop the training seed moves an architecture's
loss about as much as the gaps between the good architectures (``table.seed_noise()``), so a
verdict there partly measures the random initialisation; under the default protocol the
architectures are separated by many seed standard deviations. And a multi-fidelity strategy
(one that asks for ``nasbook.Proposal(arch, epochs=k)``) can ask this table for any epoch; its
budget is counted in evaluation-equivalents (``k`` of 20 epochs cost ``k / 20``).

A teacher can pass any :class:`Benchmark` (for example a different space) to
:func:`nasbook.check_strategy`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from nasbook.loop.result import SearchResult
from nasbook.spaces.space import SearchSpace
from nasbook.evaluation.toy import ToyEvaluator
from nasbook.validation import NasbookError, fail

BENCHMARKS = ("toy", "table")
MIN_SEEDS = 2  # the checker's table needs every architecture trained with this many seeds


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


def table_benchmark(path: "str | Path | None" = None) -> Benchmark | None:
    """The learning-curve table (default: ``nasbook.tabular.CURVE_PATH``; another table's
    ``path``, e.g. the seed-protocol table's ``DEFAULT_PATH``, gives a benchmark named after its
    file), or None when it is not installed or not built far enough: regret needs every
    architecture's true score, so every architecture must have been trained with at least
    :data:`MIN_SEEDS` seeds.

    Each search gets a fresh :class:`~nasbook.tabular.TabularEvaluator` (its own cache and
    simulated clock); regret is measured like the showdown's: the true (seed-averaged)
    score of the architecture the search picked, minus the best true score of the table.
    """
    try:
        from nasbook.tabular import CURVE_PATH, TabularEvaluator, load_table
        table = load_table(CURVE_PATH if path is None else path)
    except (ImportError, OSError, NasbookError):
        return None
    if table.done_runs.sum(axis=1).min() < MIN_SEEDS:
        return None
    name = "table" if path is None else Path(path).stem
    return Benchmark(name, table.space, lambda: TabularEvaluator(table), table.optimum, table.regret)


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
            raise fail("benchmark", benchmark, "'toy' (the learning-curve table nasbook.tabular.CURVE_PATH is not "
                       f"installed, or not every architecture has {MIN_SEEDS} trained seeds yet)")
        return table
    raise fail("benchmark", benchmark, "None, 'toy', 'table' or a nasbook.assignments.Benchmark")
