"""The assignment kit: students write a strategy, :func:`check_strategy` gives feedback.

* :mod:`.examples`  – a worked example (simulated annealing), shown in docs/assignment.md;
* :mod:`.solutions` – the reference solutions of notebooks/10_assignment.ipynb, swapped in
  for CI by :func:`.switch.solution_if_requested`;
* :mod:`.mistakes`  – common mistakes, each failing exactly one check (for teaching);
* :mod:`.checker`   – ``check_strategy`` and its six checks (:mod:`.checks`), run under
  :mod:`.guard` so student code can never crash or hang the checker;
* :mod:`.testbed`   – where performance is measured (toy bowl or tabular benchmark);
* :mod:`.task`      – the open-ended graded task: beat the opponents a teacher picks.
"""
from nasbook.assignments.testbed import BENCHMARKS, Benchmark, make_benchmark, table_benchmark, toy_benchmark
from nasbook.assignments.checker import check_strategy
from nasbook.assignments.report import Check, CheckReport
from nasbook.assignments.switch import solution_if_requested, solution_requested
from nasbook.assignments.task import DEFAULT_OPPONENTS, Task

__all__ = ["BENCHMARKS", "Benchmark", "Check", "CheckReport", "DEFAULT_OPPONENTS", "Task", "check_strategy",
           "make_benchmark",
           "solution_if_requested", "solution_requested", "table_benchmark", "toy_benchmark"]
