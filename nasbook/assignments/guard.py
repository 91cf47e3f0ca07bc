"""Running a student's strategy safely: every call into student code is watched.

The checker never calls student code directly. It builds a thin subclass of the student's
class (:func:`instrument`) whose ``setup``/``prepare``/``ask``/``tell`` call the
student's versions inside :meth:`Watch.student`. That gives the checker three things:

* an exception in student code becomes a :class:`StudentError` that remembers *which*
  method raised, the exception's last line and the student's line of code — never a crash
  of the checker;
* a record of every proposal (``watch.asked``) and how many trials each ``tell`` got;
* evaluations the strategy runs *itself* (calling its evaluator from ``ask``/``tell``) are
  counted by :class:`WatchedEvaluator`, because the loop cannot charge them to the budget.

:func:`time_limit` stops code that never returns (say a ``while`` loop that waits for an
architecture it has not seen yet, in a space where none are left).
"""
from __future__ import annotations

import re
import signal
import threading
import traceback
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Mapping

from nasbook.evaluation.base import BaseEvaluator, WrappingEvaluator
from nasbook.loop.budget import Cost, check_cost
from nasbook.strategies import Strategy
from nasbook.strategies.base import takes_budget
from nasbook.validation import NasbookError

_HERE = __file__.rsplit(".", 1)[0]  # this module's path without ".py"/".pyc"


class StudentError(Exception):
    """An exception raised inside the student's ``setup``/``ask``/``tell``/... ."""

    def __init__(self, method: str, error: BaseException, student_file: str = "") -> None:
        self.method, self.error = method, error
        super().__init__(f"{method}() raised {last_line(error)}{where(error, student_file)}")


class CheckTimeout(BaseException):
    """Raised by :func:`time_limit`. A BaseException, so ``except Exception`` cannot swallow it."""


def safe_repr(value: Any, limit: int = 200) -> str:
    """``repr(value)`` cut to ``limit`` characters; never raises (student objects may)."""
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001
        text = f"<a {type(value).__name__} object>"
    return text if len(text) <= limit else text[:limit] + "..."


def last_line(error: BaseException) -> str:
    """The last line of the traceback, e.g. ``TypeError: '<' not supported ...``."""
    return traceback.format_exception_only(type(error), error)[-1].strip()


def where(error: BaseException, student_file: str = "") -> str:
    """`` (at file.py, line 12, in tell: `code`)``: the innermost line of the student's file
    (else the innermost frame outside the checker)."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if not f.filename.startswith(_HERE)]
    frames = [f for f in frames if f.filename == student_file] or frames
    if not frames:
        return ""
    f = frames[-1]
    code = f": `{f.line.strip()}`" if f.line else ""
    return f" (at {place(f.filename)}, line {f.lineno}, in {f.name}{code})"


def place(filename: str) -> str:
    """A file's short name; a Jupyter cell (``/tmp/ipykernel_42/123.py``) is "your notebook cell"."""
    if re.search(r"ipykernel_\d+[/\\]\d+\.py$", filename) or filename.startswith("<ipython-input"):
        return "your notebook cell"
    return re.split(r"[/\\]", filename)[-1]


class Watch:
    """What one run of a student strategy did: its proposals, its tells, its own evaluations."""

    def __init__(self, student_file: str = "", time_limit: float | None = None) -> None:
        self.student_file = student_file  # where the student's class is written (for messages)
        self.time_limit = time_limit  # seconds one call of a student method may take (None: no limit)
        self.asked: list[list[Any]] = []  # every ask()'s proposals, as returned
        self.told: list[list[str]] = []  # the statuses of the trials each tell() received
        self.stuck_in = ""  # the student method a time limit interrupted
        self.bad_charge: Any = None  # a prepare() cost that is not a Cost of a number >= 0
        self.method: str | None = None  # the student method running right now, if any
        self.own_evaluations = 0  # evaluations the strategy ran itself (outside the loop)
        self.own_evaluation_method = ""

    @contextmanager
    def student(self, method: str) -> Iterator[None]:
        """Run student code: exceptions become :class:`StudentError` naming ``method``.

        The time limit holds for this one call (the outermost, when student methods call each
        other): the loop's own work between calls — the evaluations — is never limited.
        """
        outer, self.method = self.method, method
        try:
            with time_limit(self.time_limit if outer is None else None):
                yield
        except StudentError:
            raise
        except CheckTimeout:
            self.stuck_in = self.stuck_in or method
            raise
        except (Exception, SystemExit) as error:  # noqa: BLE001 - a student bug is a report line
            raise StudentError(method, error, self.student_file) from error
        finally:
            self.method = outer

    @property
    def cut_batch(self) -> tuple[int, int] | None:
        """(proposed, told) when the last tell got fewer trials than the last ask proposed."""
        if self.asked and self.told and len(self.asked) == len(self.told):
            proposed, told = len(self.asked[-1]), len(self.told[-1])
            if told < proposed:
                return proposed, told
        return None


def source_file(cls: type) -> str:
    """The file the class's ``ask`` (or ``tell``) is written in; a notebook cell has one too."""
    for name in ("ask", "tell", "setup", "__init__"):
        code = getattr(cls.__dict__.get(name), "__code__", None)
        if code is not None:
            return code.co_filename
    return ""


def instrument(cls: type[Strategy], watch: Watch) -> type[Strategy]:
    """A subclass of ``cls`` whose student methods run under ``watch`` (same name, same behaviour)."""

    def setup(self: Strategy, space: Any, seed: int, evaluator: Any = None, budget: int | None = None) -> None:
        with watch.student("setup"):  # a setup written without `budget` does not get it
            cls.setup(self, space, seed, evaluator, **({"budget": budget} if takes_budget(cls.setup) else {}))

    def prepare(self: Strategy) -> Cost:
        with watch.student("prepare"):
            cost = cls.prepare(self)
        try:
            check_cost(cost)
        except NasbookError:
            watch.bad_charge = cost  # the budget check reports it; the loop must not stop on it
            return Cost()
        return cost

    def ask(self: Strategy) -> Any:
        with watch.student("ask"):
            archs = cls.ask(self)
        shown = [archs] if isinstance(archs, Mapping) else archs
        watch.asked.append([dict(a) if isinstance(a, Mapping) else a for a in shown]
                           if isinstance(shown, (list, tuple)) else [])
        return archs

    def tell(self: Strategy, trials: list[Any]) -> None:
        watch.told.append([getattr(t, "status", "?") for t in trials])
        with watch.student("tell"):
            cls.tell(self, trials)

    methods = {"setup": setup, "prepare": prepare, "ask": ask, "tell": tell,
               "__module__": cls.__module__, "__qualname__": cls.__qualname__}
    return type(cls.__name__, (cls,), methods)


class WatchedEvaluator(WrappingEvaluator):
    """Wraps an evaluator; counts evaluations requested while student code runs.

    The loop's own calls happen outside ``ask``/``tell``; any call made while
    ``watch.method`` is set is the strategy evaluating by itself, which the budget cannot see.
    Every call is forwarded whole to the wrapped evaluator, which checks, caches and computes
    as it always does.
    """

    def __init__(self, evaluator: BaseEvaluator, watch: Watch) -> None:
        super().__init__(evaluator)
        self._watch = watch

    def evaluate_many(self, archs: Any, seed: Any = 0, on_trial: Callable | None = None,
                      should_stop: Callable | None = None, epochs: Any = None) -> list[Any]:
        if self._watch.method is not None:
            self._watch.own_evaluations += len(archs)
            self._watch.own_evaluation_method = self._watch.method
        return super().evaluate_many(archs, seed, on_trial=on_trial, should_stop=should_stop, epochs=epochs)


@contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Raise :class:`CheckTimeout` in the code below after ``seconds`` (main thread, Unix only).

    Used around one call of student code at a time (:meth:`Watch.student`), so the alarm can
    only interrupt the student's own code, never the search loop's bookkeeping.

    Elsewhere (Windows, a worker thread) it does nothing: the loop's budget still stops a
    strategy that proposes forever; only a single call that never returns is not caught.
    """
    usable = (seconds is not None and hasattr(signal, "SIGALRM")
              and threading.current_thread() is threading.main_thread())
    if not usable:
        yield
        return

    def alarm(signum: int, frame: Any) -> None:
        raise CheckTimeout(f"did not return within {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
