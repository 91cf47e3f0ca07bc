"""The tabular benchmark: every architecture of the article's space, trained once, looked up ever after.

* :mod:`.build`     – train the whole space (``nasbook bench build``), resumably in chunks;
* :mod:`.table`     – read it: :class:`BenchTable` (any recorded epoch of any run);
* :mod:`.evaluator` – :class:`TabularEvaluator`, an evaluator that looks results up;
* :mod:`.recorded`  – real DARTS runs recorded once and replayed.

Three tables ship: :data:`DEFAULT_PATH` (the article's protocol), :data:`CURVE_PATH`
(the learning-curve table: ``default`` protocol, every epoch 1..20) and :data:`CELLS_PATH`
(the cell space on digits_images, :data:`CELL_PROTOCOL`, one row per isomorphism class); docs/bench.md.
"""
from nasbook.tabular.build import (BENCH_PROTOCOL, BENCH_SEEDS, CELL_PROTOCOL, CELL_SEEDS, CURVE_PROTOCOL, CURVE_SEEDS,
                                   build_file, build_table)
from nasbook.tabular.table import CELLS_PATH, CURVE_PATH, DEFAULT_PATH, BenchTable, load_table
from nasbook.tabular.evaluator import TabularEvaluator

__all__ = ["BENCH_PROTOCOL", "BENCH_SEEDS", "CELLS_PATH", "CELL_PROTOCOL", "CELL_SEEDS", "CURVE_PATH", "CURVE_PROTOCOL", "CURVE_SEEDS", "DEFAULT_PATH",
           "BenchTable", "TabularEvaluator", "build_file", "build_table", "load_table"]
