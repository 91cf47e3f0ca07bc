"""``nasbook.check_strategy``: run a student's strategy through six checks and report.

    report = nasbook.check_strategy(MyStrategy)            # prints the report
    report.passed, report.score, report["performance"].numbers

The checks, in order (each is a function in :mod:`nasbook.assignments.checks`):

1. ``interface``   – the class builds, ``setup`` makes ``self.rng``, ``ask``/``tell`` work once;
2. ``proposals``   – every proposal lies inside the space (also on a small, unusual space);
3. ``budget``      – the strategy cannot buy evaluations the budget does not count;
4. ``failures``    – diverged/failed trials (even all of them) never crash it, nor attract it;
5. ``determinism`` – same seed, same history; another seed, another history;
6. ``performance`` – median regret over many seeds against random search: a paired Wilcoxon
   test and a bootstrap interval of the median-regret ratio give the verdict;
7. ``task``        – only with ``task=``: the open-ended graded task of :mod:`.task` (beat the
   opponents a teacher picks, by the same verdict, on the tabular benchmark).

Every search runs through :func:`nasbook.search` (the one loop), on the toy evaluator for
the mechanics and on a :class:`~nasbook.assignments.testbed.Benchmark` for performance.
Student code only ever runs under :mod:`~nasbook.assignments.guard`: an exception or an
endless loop becomes a failed check with the line that caused it, never a crash here.
When the interface or the proposals fail, the later checks are skipped (they would only
repeat that failure).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from nasbook.loop.outer import search
from nasbook.spaces.space import SearchSpace
from nasbook.strategies import Strategy
from nasbook.evaluation.toy import ToyEvaluator
from nasbook.validation import NasbookError, check_float, check_int, fail
from nasbook.assignments.testbed import Benchmark, make_benchmark
from nasbook.assignments.guard import (CheckTimeout, StudentError, Watch, WatchedEvaluator, instrument, source_file,
                    where)
from nasbook.assignments.report import Check, CheckReport

SPACE_FIX = ("Build proposals only with self.space.sample(self.rng), self.space.mutate(arch, self.rng) "
             "or self.space.neighbours(arch), and read keys from self.space.keys / self.space.choices: "
             "never write architecture values by hand.")


@dataclass
class Context:
    """What every check needs: the student's class, its parameters, and how to run it."""

    cls: Any
    params: dict[str, Any]
    benchmark: Benchmark
    seeds: int
    budget: int
    time_limit: float | None
    failed: list[str] = field(default_factory=list)  # checks failed so far
    watch: Watch | None = None  # the watch of the latest run (for crash messages)

    @property
    def file(self) -> str:
        return source_file(self.cls) if isinstance(self.cls, type) else ""

    @property
    def call(self) -> str:
        """How the class is built, as code: ``MyStrategy(patience=5)``."""
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"{getattr(self.cls, '__name__', '?')}({args})"

    def new(self, watch: Watch) -> Strategy:
        """A fresh, instrumented instance of the student's class."""
        self.watch = watch
        with watch.student("__init__"):
            return instrument(self.cls, watch)(**self.params)

    def run(self, seed: int, budget: int, space: SearchSpace | None = None, evaluator: Any = None,
            reuse: "tuple[Strategy, Watch] | None" = None) -> "tuple[Any, Watch, Strategy]":
        """One search with the student's strategy through :func:`nasbook.search`.

        Returns (result, watch, strategy). Raises StudentError, CheckTimeout, or the loop's
        NasbookError for a proposal outside the space.
        """
        watch = reuse[1] if reuse else Watch(self.file, self.time_limit)
        strategy = reuse[0] if reuse else self.new(watch)
        self.watch = watch
        space = space or SearchSpace()
        evaluator = WatchedEvaluator(evaluator or ToyEvaluator(space), watch)
        result = search(strategy, space=space, evaluator=evaluator, budget=budget, seed=seed, progress=False)
        if result.interrupted:
            raise KeyboardInterrupt  # the user pressed Ctrl-C / Stop: end the checker too
        return result, watch, strategy


def describe_crash(error: BaseException, watch: Watch | None, seconds: float | None) -> tuple[str, str]:
    """(what went wrong, how to fix it) for anything that stopped a check's search."""
    if isinstance(error, StudentError):
        what = f"{error}."
        cut = watch.cut_batch if watch is not None else None
        if isinstance(error.error, NotImplementedError):
            return what, f"Write {error.method}(): fill in every '# YOUR CODE HERE' place."
        if error.method == "tell" and cut:
            return (what + f" That tell() received {cut[1]} trial(s) for the {cut[0]} proposed: the loop "
                    "cuts the last batch to fit the budget.",
                    "Let tell() handle fewer trials than ask() proposed: loop over `trials`, "
                    "never over your own list of proposals.")
        return what, f"Read the line above in your {error.method}() and fix the bug it points at."
    if isinstance(error, CheckTimeout):
        stuck = (watch.stuck_in if watch is not None else "") or "a method of your strategy"
        return (f"One call of {stuck}() did not return within {seconds:g} s"
                f"{where(error, watch.student_file) if watch is not None else ''}, after ask() had "
                f"returned {len(watch.asked) if watch is not None else 0} times. A call that never "
                "returns is almost always an endless loop; a slow one (fitting a large model) only "
                "needs more time.",
                f"If it is endless: make sure every loop in {stuck}() ends — a loop that waits for an "
                "architecture it has not tried yet never ends once the space is used up: fall back to a "
                f"repeat. If it is only slow: make it cheaper, or give check_strategy a larger time_limit= "
                f"(seconds per call; it was {seconds:g}).")
    if isinstance(error, NasbookError):  # the loop rejected a proposal
        return f"The search loop stopped it: {error}.", SPACE_FIX
    return (f"The search stopped with {type(error).__name__}: {error}.",
            "Check what your strategy returns from ask() and prepare().")


CheckFn = Callable[[Context, str], Check]  # (context, title) -> the check's outcome


def run_check(fn: CheckFn, name: str, title: str, ctx: Context) -> Check:
    """Run one check (each call of student code under the time limit); a crash is a failed
    check (or a skip if one already failed)."""
    ctx.watch = None
    try:
        return fn(ctx, title)
    except KeyboardInterrupt:
        raise
    except (Exception, CheckTimeout, SystemExit) as error:  # noqa: BLE001 - never crash the checker
        what, fix = describe_crash(error, ctx.watch, ctx.time_limit)
        if ctx.failed:
            return Check(name, title, "skip", f"Skipped, it crashed: {what} The failed check above is "
                         "probably the cause; fix it first.")
        return Check(name, title, "fail", what, fix)


def check_strategy(strategy_class: Any, *, params: dict[str, Any] | None = None,
                   benchmark: "Benchmark | str | None" = None, seeds: int = 30, budget: int = 100,
                   time_limit: float | None = 60.0, task: Any = None, verbose: bool = True) -> CheckReport:
    """Check a student's strategy class and print a report a student can act on.

    Args:
        strategy_class: the class (a subclass of :class:`nasbook.Strategy`), not an instance.
        params: keyword arguments for its constructor, e.g. ``{"patience": 5}``.
        benchmark: where performance is measured: ``"toy"``, ``"table"``, a
            :class:`~nasbook.assignments.Benchmark`, or None (the table when installed, else the toy).
        seeds: how many seeds the performance check runs (each against random search).
        budget: evaluations per search in the performance check.
        time_limit: seconds one call of the strategy's code (``setup``, ``prepare``, ``ask``,
            ``tell``) may take before the check fails as "did not return" (None: no limit). The
            evaluations between calls are not counted: a whole performance check may take minutes.
        task: a :class:`~nasbook.assignments.task.Task` (or True for its defaults: beat ``random``
            and ``evolution/default`` at budget 100 over 50 seeds on the table) adds the graded
            task as a seventh check; None (the default) leaves it out.
        verbose: print the report.

    Returns:
        a :class:`~nasbook.assignments.report.CheckReport` (``passed``, ``score``, per check
        ``status``/``message``/``fix``/``numbers``).
    """
    from nasbook.assignments.checks import CHECKS
    from nasbook.assignments.task import Task, check_title, graded_task

    if params is not None and not isinstance(params, Mapping):
        raise fail("params", params, "a dict of constructor arguments, e.g. {'patience': 5}, or None")
    ctx = Context(strategy_class, dict(params or {}), make_benchmark(benchmark),
                  check_int("seeds", seeds, minimum=1), check_int("budget", budget, minimum=1),
                  None if time_limit is None else check_float("time_limit", time_limit, low=0.001))
    if task is True:
        task = Task()
    if task is not None and not isinstance(task, Task):
        raise fail("task", task, "None, True (the default task) or a nasbook.assignments.Task(...)")
    plan = list(CHECKS)
    if task is not None:
        task.bench()  # the table must be there before any check runs
        plan.append(("task", check_title(task), lambda ctx, title: graded_task(task, ctx, title)))
    start = time.perf_counter()
    checks: list[Check] = []
    blocker = ""
    for name, title, fn in plan:
        if blocker:
            check = Check(name, title, "skip", f"Skipped: fix the '{blocker}' check first.")
        else:
            check = run_check(fn, name, title, ctx)
        if check.status == "fail":
            ctx.failed.append(name)
            if name in ("interface", "proposals"):
                blocker = name
        checks.append(check)
    label = getattr(strategy_class, "__name__", type(strategy_class).__name__)
    report = CheckReport(label, ctx.benchmark.name, checks, time.perf_counter() - start)
    if verbose:
        print(report)
    return report
