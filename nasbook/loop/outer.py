"""The outer loop, shared by every strategy: ask → evaluate → log → tell, until the budget is spent.

    result = nasbook.search("evolution", budget=50, seed=0)

This function is the only search loop in nasbook. Strategies differ in *what* they
propose (``ask``) and *what they learn* (``tell``); budget, seeding, logging, progress,
Stop and Ctrl-C are handled here once, so every strategy behaves the same way.
"""
from __future__ import annotations

import math
import os
import sys
import threading
import time
from concurrent.futures import Executor
from typing import Any, Callable, Mapping

from tqdm.auto import tqdm

from nasbook import __version__
from nasbook.evaluation.training import Evaluator
from nasbook.loop.result import SearchResult
from nasbook.loop.resume import open_replay
from nasbook.loop.runlog import RunLog, no_interrupt
from nasbook.spaces.mlp import MLP_FAMILY
from nasbook.spaces.space import SearchSpace, as_space
from nasbook.strategies import Strategy, make_strategy
from nasbook.trial import Trial
from nasbook.validation import NasbookError, check_int, check_seed, fail

Callback = Callable[[Trial, Strategy], None]


def search(strategy: "str | Strategy" = "random", *, mode: str = "default",
           space: "SearchSpace | Mapping[str, list[Any]] | None" = None, task: Any = "synthetic",
           protocol: Any = "default", budget: int = 20, seed: int = 0, device: Any = "auto",
           evaluator: Any = None, log: Any = None, progress: bool = True,
           callback: Callback | None = None,
           stop: "threading.Event | Callable[[], bool] | None" = None,
           resume: bool = False,
           executor: "Executor | None" = None) -> SearchResult:
    """Run a NAS search and return its :class:`~nasbook.loop.result.SearchResult`.

    Args:
        strategy: a registry name (``"random"``, ``"rl"``, ``"evolution"``, ``"darts"``, ...)
            or a :class:`~nasbook.strategies.Strategy` instance.
        mode: ``"seed"`` (the article's version) or ``"default"`` (the careful one).
        space: the search space (default: the article's 3,600 architectures).
        task, protocol, device: passed to :class:`~nasbook.evaluation.training.Evaluator`; ignored when
            ``evaluator`` is given (any object with ``evaluate_many``, e.g. a lookup table).
        budget: number of evaluations (cached re-evaluations count too).
        seed: seeds the strategy's random generator *and* every training run.
        log: path of a JSON-lines run log, written as trials finish.
        callback: called as ``callback(trial, strategy)`` after every trial (live plots).
        stop: an Event (or a function returning True) that ends the search after the
            current trial; the finished trials are kept.
        resume: continue the search recorded in ``log`` (after a crash, a kill or Stop):
            logged trials are replayed, not retrained, then the search goes on live and
            ends exactly as an uninterrupted run would (see :mod:`nasbook.loop.resume`). A log
            that does not exist yet is simply started.
        executor: a ``concurrent.futures.Executor`` (process pool, Dask client executor)
            that trains each batch of proposals in parallel; trials still arrive in ask order.
    """
    budget = check_int("budget", budget, minimum=1)
    seed = check_seed("seed", seed)
    check_arguments(log=log, resume=resume, callback=callback, stop=stop, evaluator=evaluator)
    space = as_space(space)
    strategy = make_strategy(strategy, mode=mode)
    if evaluator is None:  # train networks of the space's family (the article's MLP for a plain space)
        evaluator = Evaluator(task=task, protocol=protocol, device=device, family=space.family or MLP_FAMILY)
    if isinstance(evaluator, Evaluator):
        evaluator.check_space(space)
    if executor is not None:
        evaluator = evaluator.using(executor)  # trains each batch of proposals there
    should_stop = (stop.is_set if isinstance(stop, threading.Event) else stop) or (lambda: False)

    strategy.budget = budget  # read by strategies that plan their own cost (DARTS' supernet)
    strategy.setup(space, seed, evaluator)
    runlog = RunLog(log) if log is not None else None
    header = run_header(strategy, space, evaluator, budget, seed)
    replay = open_replay(log, header) if resume else None
    notes = replay.notes if replay is not None else []
    if runlog is not None and replay is None:
        notes += filter(None, [runlog.start(header)])
    for note in notes:
        print(f"nasbook: {note}", file=sys.stderr)
    trials: list[Trial] = []
    start = time.perf_counter() - (replay.queue[-1].elapsed if replay is not None and replay.pending else 0.0)
    bar = tqdm(total=budget, desc=f"{strategy.name}/{strategy.mode}", disable=not progress, leave=True)

    best = math.inf  # the best score so far, for the progress bar

    def finished(trial: Trial, logged: bool = False) -> None:  # runs the moment each trial is done
        nonlocal best
        if logged:  # replayed from the log of an earlier run: already on disk, not retrained
            trial.step = len(trials)
            remember = getattr(evaluator, "remember", None)
            if remember is not None:
                remember(trial)
        else:
            trial.step, trial.elapsed = len(trials), time.perf_counter() - start
        with no_interrupt():  # the log and the result always hold the same trials
            if runlog is not None and not logged:
                runlog.append(trial, strategy=strategy.name, mode=strategy.mode)
            trials.append(trial)
        bar.update(1)
        best = min(best, trial.score)
        bar.set_postfix(best=f"{best:.4g}" if math.isfinite(best) else "-", refresh=False)
        if callback is not None:
            callback(trial, strategy)

    interrupted = False
    try:
        while not should_stop():
            remaining = math.floor(budget - strategy.charged_evaluations()) - len(trials)
            if remaining <= 0:
                break
            archs = proposals(strategy, space)[:remaining]

            def evaluate(archs: list[dict[str, Any]], on_trial: Callable = finished) -> list[Trial]:
                return evaluator.evaluate_many(archs, seed, on_trial=on_trial, should_stop=should_stop)

            if replay is not None and replay.pending:  # resuming: take the trials from the log
                batch = replay.run(archs, evaluate, report=finished)
            else:
                batch = evaluate(archs)
            strategy.tell(batch)
        interrupted = should_stop()
        if replay is not None and replay.pending and not interrupted:
            raise NasbookError(f"{log}: the log holds {len(replay.queue)} more trials than budget={budget} allows")
    except KeyboardInterrupt:
        interrupted = True  # Ctrl-C: keep what finished; the log is already complete
    finally:
        bar.close()
    return SearchResult(strategy=strategy.name, mode=strategy.mode, seed=seed, budget=budget,
                        trials=trials, seconds=time.perf_counter() - start,
                        device=str(getattr(evaluator, "device", "cpu")), trace=strategy.trace,
                        extra_steps=strategy.extra_steps(),
                        charged_evaluations=strategy.charged_evaluations(),
                        interrupted=interrupted, log_path=None if log is None else str(log),
                        resumed=0 if replay is None else replay.total - len(replay.queue),
                        notes=notes)


def check_arguments(*, log: Any, resume: Any, callback: Any, stop: Any, evaluator: Any) -> None:
    """Refuse search() arguments of the wrong kind before anything runs."""
    if log is not None:
        if not isinstance(log, (str, os.PathLike)) or not str(log).strip():
            raise fail("log", log, "a file path (str or pathlib.Path) or None")
        if os.path.isdir(log):
            raise fail("log", str(log), "a file path, not a directory (e.g. 'run.jsonl')")
    if not isinstance(resume, bool):
        raise fail("resume", resume, "True or False")
    if resume and log is None:
        raise fail("resume", resume, "only with log=<path of the run log to continue>")
    if callback is not None and not callable(callback):
        raise fail("callback", callback, "a function callback(trial, strategy) or None")
    if stop is not None and not callable(stop) and not isinstance(stop, threading.Event):
        raise fail("stop", stop, "a threading.Event, a function returning True to stop, or None")
    if evaluator is not None and not callable(getattr(evaluator, "evaluate_many", None)):
        raise fail("evaluator", evaluator, "an object with evaluate_many(archs, seed, on_trial, "
                   "should_stop), e.g. nasbook.Evaluator(...), or None")


def proposals(strategy: Strategy, space: SearchSpace) -> list[dict[str, Any]]:
    """Call ``strategy.ask()`` and check what it returns, with a message a student can act on."""
    archs = strategy.ask()
    if isinstance(archs, Mapping):
        archs = [archs]
    if not isinstance(archs, (list, tuple)) or not archs:
        raise NasbookError(f"{type(strategy).__name__}.ask() returned {archs!r}; it must return a "
                           f"non-empty list of architecture dicts")
    return [space.validate(a, field=f"{type(strategy).__name__}.ask()[{i}]") for i, a in enumerate(archs)]


def run_header(strategy: Strategy, space: SearchSpace, evaluator: Any, budget: int, seed: int) -> dict[str, Any]:
    """What a run log records about the run, so it can be read, checked and resumed."""
    task = getattr(evaluator, "task", None)
    protocol = getattr(evaluator, "protocol", None)
    return {
        "nasbook": __version__, "strategy": strategy.name, "mode": strategy.mode,
        "params": strategy.params(), "seed": seed, "budget": budget, "space": space.to_dict(),
        "task": getattr(task, "name", str(task)), "task_seed": getattr(task, "seed", None),
        "task_data": task.fingerprint() if hasattr(task, "fingerprint") else None,
        "protocol": vars(protocol) if hasattr(protocol, "__dataclass_fields__") else str(protocol),
        "evaluator": type(evaluator).__name__, "device": str(getattr(evaluator, "device", "cpu")),
    }
