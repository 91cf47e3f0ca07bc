"""The search loop's checks: arguments refused before anything runs, contracts checked as it runs.

:func:`nasbook.search` stays readable because everything that can be wrong with what a user
hands it is checked here, in one small function per idea:

* :func:`check_arguments` – the kinds of ``log``, ``resume``, ``progress``, ``callback``
  (its signature too: it must take ``(trial, strategy)``), ``stop``, ``evaluator`` and
  ``executor``, and ``task``/``protocol``/``device`` given beside an evaluator (which would be
  silently ignored: the evaluator carries its own);
* :func:`check_built` and :func:`check_set_up` – a :class:`~nasbook.strategies.Strategy`
  subclass that forgot ``super().__init__(mode)`` or ``super().setup(...)`` is told what to
  add, instead of failing later with an ``AttributeError``;
* :class:`StopCheck` – ``stop()`` must answer True or False;
* :func:`check_evaluated` – an evaluator must return one trial per architecture asked (fewer
  only when it was told to stop) and report each through ``on_trial``; otherwise the loop
  would spin for ever or the run log would miss trials.
"""
from __future__ import annotations

import inspect
import numbers
import os
import threading
from typing import Any, Callable

import numpy as np

from nasbook.evaluation.base import BaseEvaluator
from nasbook.evaluation.executors import check_accepts_work
from nasbook.loop.resume import ResumingEvaluator
from nasbook.trial import Trial
from nasbook.validation import NasbookError, fail

EVALUATOR_DEFAULTS = {"task": "synthetic", "protocol": "default", "device": "auto"}  # search()'s defaults


def check_bool(field: str, value: Any) -> bool:
    """``value`` as a bool when it is True or False (numpy's bool too); never "no" or 1."""
    if not isinstance(value, (bool, np.bool_)):
        raise fail(field, value, "True or False")
    return bool(value)


def check_arguments(*, log: Any, resume: Any, progress: Any, callback: Any, stop: Any, evaluator: Any,
                    executor: Any, **for_the_evaluator: Any) -> None:
    """Refuse search() arguments of the wrong kind before anything runs.

    ``for_the_evaluator`` holds ``task``, ``protocol`` and ``device``: beside an ``evaluator``
    anything but their defaults would be ignored, so it is refused.
    """
    if log is not None:
        if not isinstance(log, (str, os.PathLike)) or not str(log).strip():
            raise fail("log", log, "a file path (str or pathlib.Path) or None")
        if os.path.isdir(log):
            raise fail("log", str(log), "a file path, not a directory (e.g. 'run.jsonl')")
    if check_bool("resume", resume) and log is None:
        raise fail("resume", resume, "only with log=<path of the run log to continue>")
    check_bool("progress", progress)
    check_callback(callback)
    if stop is not None and not callable(stop) and not isinstance(stop, threading.Event):
        raise fail("stop", stop, "a threading.Event, a function returning True to stop, or None")
    if isinstance(evaluator, type) and issubclass(evaluator, BaseEvaluator):
        raise fail("evaluator", evaluator, f"an evaluator object, not its class: {evaluator.__name__}(...)")
    if evaluator is not None and not isinstance(evaluator, BaseEvaluator):
        raise fail("evaluator", evaluator, "a nasbook evaluator (a subclass of "
                   "nasbook.evaluation.base.BaseEvaluator with evaluate_many(archs, seed, on_trial, should_stop): "
                   "nasbook.Evaluator(...), a TabularEvaluator, a ToyEvaluator, or your own) or None")
    if evaluator is not None:
        check_evaluate_many(evaluator)
        for field, value in for_the_evaluator.items():
            if not (type(value) is str and value == EVALUATOR_DEFAULTS[field]):
                raise fail(field, value, f"only without evaluator= (this {type(evaluator).__name__} carries its "
                           f"own {field}; pass it to the evaluator instead, e.g. Evaluator({field}={value!r}))")
    check_accepts_work(executor)


def check_callback(callback: Any) -> None:
    """A callback is a function that can be called as ``callback(trial, strategy)``."""
    allowed = "a function callback(trial, strategy) or None"
    if callback is None:
        return
    if not callable(callback):
        raise fail("callback", callback, allowed)
    try:
        signature = inspect.signature(callback)
    except (TypeError, ValueError):  # a builtin without a signature: it will tell for itself
        return
    try:
        signature.bind(None, None)
    except TypeError:
        raise fail("callback", callback, f"{allowed}: it is called with two arguments, the trial and the "
                   f"strategy, but its signature is {signature}") from None


def check_evaluate_many(evaluator: BaseEvaluator) -> None:
    """An evaluator's own ``evaluate_many`` takes what the loop passes it."""
    check_accepts(evaluator.evaluate_many, ([], 0), {"on_trial": None, "should_stop": None},
                  f"{type(evaluator).__name__}.evaluate_many must accept (archs, seed, on_trial=None, "
                  f"should_stop=None), as BaseEvaluator.evaluate_many does; search() passes all four")


def check_accepts(method: Any, args: tuple, kwargs: dict[str, Any], message: str) -> None:
    """Refuse, with ``message``, a method whose signature cannot take ``args`` and ``kwargs``."""
    try:
        inspect.signature(method).bind(*args, **kwargs)
    except TypeError:
        raise NasbookError(message) from None
    except ValueError:  # no signature to read
        pass


def check_built(strategy: Any) -> None:
    """A strategy whose ``__init__`` forgot the base class's is told what to add."""
    if not hasattr(strategy, "mode"):
        name = type(strategy).__name__
        raise NasbookError(f"{name}.__init__ did not call the base class's: add super().__init__(mode) as its "
                           f"first line (it stores the mode, 'default' or 'article'), e.g. "
                           f"def __init__(self, mode='default', ...): super().__init__(mode)")


SET_BY_SETUP = ("space", "seed", "rng", "trace")  # what Strategy.setup gives every strategy


def check_setup_signature(strategy: Any, with_budget: bool) -> None:
    """A strategy's ``setup`` takes what the loop passes it."""
    check_accepts(strategy.setup, (None, 0, None), {"budget": 1} if with_budget else {},
                  f"{type(strategy).__name__}.setup must accept (space, seed, evaluator=None, budget=None), "
                  f"as Strategy.setup does; search() calls it with those")


def check_set_up(strategy: Any) -> None:
    """A strategy whose ``setup`` forgot the base class's is told what to add."""
    missing = [name for name in SET_BY_SETUP if not hasattr(strategy, name)]
    if missing:
        name = type(strategy).__name__
        raise NasbookError(f"{name}.setup() did not call the base class's: add super().setup(space, seed, "
                           f"evaluator, budget) as its first line (it sets self.space, self.seed, self.rng and "
                           f"self.trace; missing: {', '.join('self.' + m for m in missing)})")


class StopCheck:
    """``stop`` (an Event, a function or None) as a function that must answer True or False.

    ``said_stop`` remembers whether it ever answered True, so the loop can tell an evaluator
    that stopped because it was told to from one that returned too few trials.
    """

    def __init__(self, stop: "threading.Event | Callable[[], Any] | None") -> None:
        self.ask = stop.is_set if isinstance(stop, threading.Event) else stop
        self.said_stop = False

    def __call__(self) -> bool:
        if self.ask is None:
            return False
        answer = self.ask()
        if not isinstance(answer, (bool, np.bool_)):
            raise NasbookError(f"stop() returned {answer!r}; it must return True (end the search after this "
                               f"trial) or False (go on)")
        self.said_stop = self.said_stop or bool(answer)
        return bool(answer)


def evaluator_name(evaluator: Any) -> str:
    """The class to blame: the user's evaluator, also while a resumed search wraps it."""
    return type(evaluator.inner if isinstance(evaluator, ResumingEvaluator) else evaluator).__name__


def check_reported(evaluator: Any, trial: Any) -> Trial:
    """``trial`` when it is a Trial whose loss can be a validation loss (a number >= 0): a
    negative one would win the search, and the run log could not be read back."""
    name = evaluator_name(evaluator)
    if not isinstance(trial, Trial):
        raise NasbookError(f"{name} reported {trial!r:.80} through on_trial; it must pass each Trial")
    loss = trial.val_loss
    if trial.ok and (isinstance(loss, bool) or not isinstance(loss, numbers.Real) or loss < 0):
        raise NasbookError(f"{name} gave a trial with val_loss={loss!r} (arch {trial.arch}); a validation loss is "
                           f"a number >= 0 (a trial that could not be scored has status='failed')")
    return trial


def check_evaluated(evaluator: Any, archs: list[dict[str, Any]], trials: Any, reported: int,
                    stopped: bool) -> list[Trial]:
    """``trials`` when ``evaluator.evaluate_many`` kept its contract for ``archs``: a list of
    Trials, one per architecture in that order (fewer only once ``stopped``), each also
    ``reported`` through ``on_trial``."""
    asked = len(archs)
    name = evaluator_name(evaluator)
    rule = (f"it must return a list of Trials, one per architecture in the order asked (fewer only when "
            f"should_stop() turned True), and call on_trial(trial) once for each; subclass BaseEvaluator and "
            f"write compute() to get this for free")
    if not isinstance(trials, list) or not all(isinstance(t, Trial) for t in trials):
        raise NasbookError(f"{name}.evaluate_many returned {trials!r:.80}; {rule}")
    if len(trials) > asked or (len(trials) < asked and not stopped):
        raise NasbookError(f"{name}.evaluate_many returned {len(trials)} trials for {asked} architectures "
                           f"without being stopped; {rule}")
    if reported != len(trials):
        raise NasbookError(f"{name}.evaluate_many returned {len(trials)} trials but reported {reported} "
                           f"through on_trial; {rule}")
    for i, (arch, trial) in enumerate(zip(archs, trials)):
        if trial.arch != arch:  # the strategy would learn the wrong architecture's score
            raise NasbookError(f"{name}.evaluate_many returned the trial of {trial.arch} for architecture {i}, "
                               f"{arch}; {rule}")
    return trials
