"""The tabular benchmark: every architecture of the article's space, trained once, looked up ever after.

* :mod:`.build`     – train the whole space (``nasbook bench build``);
* :mod:`.table`     – read it: :class:`BenchTable`;
* :mod:`.evaluator` – :class:`TabularEvaluator`, an evaluator that looks results up;
* :mod:`.recorded`  – real DARTS runs recorded once and replayed.
"""
from nasbook.tabular.build import BENCH_PROTOCOL, BENCH_SEEDS, build_table
from nasbook.tabular.table import DEFAULT_PATH, BenchTable, load_table
from nasbook.tabular.evaluator import TabularEvaluator

__all__ = ["BENCH_PROTOCOL", "BENCH_SEEDS", "DEFAULT_PATH", "BenchTable", "TabularEvaluator",
           "build_table", "load_table"]
