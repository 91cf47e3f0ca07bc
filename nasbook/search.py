"""The outer loop, shared by every strategy: ask → evaluate → log → tell, until the budget is spent.

    result = nasbook.search("evolution", budget=50, seed=0)

This function is the only search loop in nasbook. Strategies differ in *what* they
propose (``ask``) and *what they learn* (``tell``); budget, seeding, logging, progress,
Stop and Ctrl-C are handled here once, so every strategy behaves the same way.
"""
from __future__ import annotations

import math
import threading
import time
from concurrent.futures import Executor
from typing import Any, Callable, Mapping

from tqdm.auto import tqdm

from . import __version__
from .evaluator import Evaluator
from .result import SearchResult
from .runlog import RunLog
from .space import SearchSpace, as_space
from .strategies import Strategy, make_strategy
from .trial import Trial
from .validation import NasbookError, check_int

Callback = Callable[[Trial, Strategy], None]


def search(strategy: "str | Strategy" = "random", *, mode: str = "default",
           space: "SearchSpace | Mapping[str, list[Any]] | None" = None, task: Any = "synthetic",
           protocol: Any = "default", budget: int = 20, seed: int = 0, device: Any = "auto",
           evaluator: Any = None, log: Any = None, progress: bool = True,
           callback: Callback | None = None,
           stop: "threading.Event | Callable[[], bool] | None" = None,
           executor: "Executor | None" = None) -> SearchResult:
    """Run a NAS search and return its :class:`~nasbook.result.SearchResult`.

    Args:
        strategy: a registry name (``"random"``, ``"rl"``, ``"evolution"``, ``"darts"``, ...)
            or a :class:`~nasbook.strategies.Strategy` instance.
        mode: ``"seed"`` (the article's version) or ``"default"`` (the careful one).
        space: the search space (default: the article's 3,600 architectures).
        task, protocol, device: passed to :class:`~nasbook.evaluator.Evaluator`; ignored when
            ``evaluator`` is given (any object with ``evaluate_many``, e.g. a lookup table).
        budget: number of evaluations (cached re-evaluations count too).
        seed: seeds the strategy's random generator *and* every training run.
        log: path of a JSON-lines run log, written as trials finish.
        callback: called as ``callback(trial, strategy)`` after every trial (live plots).
        stop: an Event (or a function returning True) that ends the search after the
            current trial; the finished trials are kept.
        executor: a ``concurrent.futures.Executor`` (process pool, Dask client executor)
            that trains each batch of proposals in parallel; trials still arrive in ask order.
    """
    budget = check_int("budget", budget, minimum=1)
    seed = check_int("seed", seed, minimum=0)
    space = as_space(space)
    strategy = make_strategy(strategy, mode=mode)
    if evaluator is None:
        evaluator = Evaluator(task=task, protocol=protocol, device=device)
    should_stop = (stop.is_set if isinstance(stop, threading.Event) else stop) or (lambda: False)

    strategy.setup(space, seed, evaluator)
    runlog = RunLog(log) if log is not None else None
    if runlog is not None:
        runlog.start(run_header(strategy, space, evaluator, budget, seed))
    trials: list[Trial] = []
    start = time.perf_counter()
    bar = tqdm(total=budget, desc=f"{strategy.name}/{strategy.mode}", disable=not progress, leave=True)

    def finished(trial: Trial) -> None:  # runs the moment each trial is done
        trial.step, trial.elapsed = len(trials), time.perf_counter() - start
        if runlog is not None:
            runlog.append(trial, strategy=strategy.name, mode=strategy.mode)
        trials.append(trial)
        bar.update(1)
        best = min(t.score for t in trials)
        bar.set_postfix(best=f"{best:.4g}" if math.isfinite(best) else "-", refresh=False)
        if callback is not None:
            callback(trial, strategy)

    interrupted = False
    try:
        while not should_stop():
            remaining = math.floor(budget - strategy.charged_evaluations()) - len(trials)
            if remaining <= 0:
                break
            archs = proposals(strategy, space)
            parallel = {} if executor is None else {"executor": executor}
            batch = evaluator.evaluate_many(archs[:remaining], seed, on_trial=finished,
                                            should_stop=should_stop, **parallel)
            strategy.tell(batch)
        interrupted = should_stop()
    except KeyboardInterrupt:
        interrupted = True  # Ctrl-C: keep what finished; the log is already complete
    finally:
        bar.close()
    return SearchResult(strategy=strategy.name, mode=strategy.mode, seed=seed, budget=budget,
                        trials=trials, seconds=time.perf_counter() - start,
                        device=str(getattr(evaluator, "device", "cpu")), trace=strategy.trace,
                        extra_steps=strategy.extra_steps(),
                        charged_evaluations=strategy.charged_evaluations(),
                        interrupted=interrupted, log_path=None if log is None else str(log))


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
        "protocol": vars(protocol) if hasattr(protocol, "__dataclass_fields__") else str(protocol),
        "evaluator": type(evaluator).__name__, "device": str(getattr(evaluator, "device", "cpu")),
    }
