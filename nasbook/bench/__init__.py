"""The tabular benchmark: every architecture of the article's space, trained and looked up."""
from .build import BENCH_PROTOCOL, BENCH_SEEDS, build_table
from .table import DEFAULT_PATH, BenchTable, load_table
from .evaluator import TabularEvaluator

__all__ = ["BENCH_PROTOCOL", "BENCH_SEEDS", "DEFAULT_PATH", "BenchTable", "TabularEvaluator",
           "build_table", "load_table"]
