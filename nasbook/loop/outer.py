"""The outer loop, shared by every strategy: ask → evaluate → record → tell, until the budget is spent.

    result = nasbook.search("evolution", budget=50, seed=0)

This function is the only search loop in nasbook. Strategies differ in *what* they
propose (``ask``) and *what they learn* (``tell``); budget, seeding, logging, progress,
Stop and Ctrl-C are handled here once, so every strategy behaves the same way.

Read :func:`search` top to bottom: check the arguments, build the strategy and evaluator,
``setup``, the strategy's ``prepare`` phase (compute outside the evaluator, charged to the
:class:`~nasbook.loop.budget.Budget`), then ask → evaluate → record → tell while budget is
left. Each finished trial goes to the :class:`~nasbook.loop.recorder.Recorder` (step, clock,
run log, progress bar, callback); resuming wraps the evaluator in a
:class:`~nasbook.loop.resume.ResumingEvaluator`, which serves the logged trials first.
"""
from __future__ import annotations

import sys
import threading
from concurrent.futures import Executor
from typing import Any, Callable, Mapping

from nasbook import __version__
from nasbook.evaluation.base import BaseEvaluator, fidelity_of
from nasbook.evaluation.training import Evaluator
from nasbook.fidelity import Proposal, Request, as_request, check_epochs, cost, planned_cost
from nasbook.loop.budget import Budget
from nasbook.loop.checks import (StopCheck, check_arguments, check_built, check_evaluated, check_reported,
                                 check_set_up, check_setup_signature)
from nasbook.loop.recorder import Recorder
from nasbook.loop.result import SearchResult
from nasbook.loop.resume import EarlierRun, ResumingEvaluator, open_earlier_run
from nasbook.loop.runlog import RunLog
from nasbook.loop.winner import setting_of
from nasbook.spaces.mlp import MLP_FAMILY
from nasbook.spaces.space import SearchSpace, as_space
from nasbook.strategies import Strategy, make_strategy
from nasbook.strategies.base import takes_budget
from nasbook.tasks import Task
from nasbook.trial import Trial
from nasbook.validation import NasbookError, check_int, check_seed

Callback = Callable[[Trial, Strategy], None]
MAX_BUDGET = 10_000_000  # evaluations; more would never finish, whatever the evaluator


def search(strategy: "str | Strategy" = "random", *, mode: str | None = None,
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
            or a :class:`~nasbook.strategies.Strategy` instance (which carries its own mode).
        mode: with a name, ``"article"`` (the article's version; ``"seed"`` is its old name)
            or ``"default"`` (the careful one, and what None means). Refused beside an instance.
        space: the search space (default: the article's 3,600 architectures).
        task, protocol, device: passed to :class:`~nasbook.evaluation.training.Evaluator`; refused beside
            ``evaluator`` (a :class:`~nasbook.evaluation.base.BaseEvaluator`, e.g. a lookup table), which
            carries its own.
        budget: number of evaluations (cached re-evaluations count too, and so does compute the
            strategy spends itself, e.g. DARTS' supernet, in evaluation-equivalents). A trial a
            strategy asked for at ``k`` of the protocol's ``E`` epochs (a
            :class:`~nasbook.fidelity.Proposal`) costs ``k / E``; a promoted one that continued
            from ``j`` epochs, ``(k - j) / E``. The strategy reads the budget as ``self.budget``.
        seed: seeds the strategy's random generator *and* every training run.
        log: path of a JSON-lines run log, written as trials finish.
        callback: called as ``callback(trial, strategy)`` after every trial (live plots). If it
            raises, the search ends with that exception; the run log keeps every finished trial.
        stop: an Event (or a function returning True or False) that ends the search after the
            current trial; the finished trials are kept.
        resume: continue the search recorded in ``log`` (after a crash, a kill or Stop):
            logged trials are served from the log, not retrained, then the search goes on live
            and ends exactly as an uninterrupted run would (see :mod:`nasbook.loop.resume`). A
            log that does not exist yet is simply started.
        executor: a ``concurrent.futures.Executor`` (process pool, Dask client executor)
            that trains each batch of proposals in parallel; trials still arrive in ask order.
    """
    budget = Budget(check_int("budget", budget, minimum=1, maximum=MAX_BUDGET))
    seed = check_seed("seed", seed)
    check_arguments(log=log, resume=resume, progress=progress, callback=callback, stop=stop, evaluator=evaluator,
                    executor=executor, task=task, protocol=protocol, device=device)
    space = as_space(space)
    strategy = make_strategy(strategy, mode=mode)
    check_built(strategy)
    evaluator = make_evaluator(evaluator, space, task, protocol, device, executor)
    setting = setting_of(evaluator)  # what result.best_model() retrains the winner with
    should_stop = StopCheck(stop)

    set_up(strategy, space, seed, evaluator, budget.total)
    header = run_header(strategy, space, evaluator, budget.total, seed)
    full = full_epochs(evaluator)  # the epochs of a full training (None: the evaluator has no fidelities)
    budget.full_epochs = full
    smallest = 1 / full if full and getattr(strategy, "multi_fidelity", False) else 1.0  # the cheapest request
    runlog = RunLog(log) if log is not None else None
    recorder = Recorder(strategy, budget.total, runlog, callback, bool(progress),
                        cost=lambda trial: cost(trial, full))  # it closes the log, always
    interrupted, notes = False, []
    try:
        earlier, notes = open_log(runlog, header, strategy, resume, older_hashes(evaluator), full)  # one writer
        recorder.begin(elapsed=earlier.elapsed if earlier is not None else 0.0)  # the clock, the progress bar
        if earlier is not None:  # resuming: logged trials are served, not retrained
            evaluator = ResumingEvaluator(evaluator, earlier, on_logged=recorder.record_logged)
        if not should_stop():  # asked first: a stop() that cannot answer True/False is refused before any training
            budget.charge(strategy.prepare(), by=f"{type(strategy).__name__}.prepare()")  # e.g. DARTS' supernet
        while not should_stop() and (budget.remaining > 0 or budget.affords(smallest)):
            requests = affordable(proposals(strategy, space, evaluator), budget)
            if not requests:  # the next proposal costs more than is left
                break
            trials = evaluate(evaluator, requests, seed, recorder, should_stop)
            budget.spend(sum(cost(trial, full) for trial in trials))  # 1 per evaluation, k/E at k epochs
            strategy.tell(trials)
        interrupted = should_stop()
    except KeyboardInterrupt:
        interrupted = True  # Ctrl-C: keep what finished; the log is already complete
    finally:
        recorder.close()  # the progress bar, and the run log's lock
    return SearchResult(strategy=strategy.name, mode=strategy.mode, seed=seed, budget=budget.total,
                        trials=recorder.trials, seconds=recorder.seconds, device=header["device"],
                        trace=strategy.trace, extra_steps=budget.charged.steps,
                        charged_evaluations=budget.charged.evaluations, interrupted=interrupted,
                        log_path=None if log is None else str(log), resumed=recorder.resumed, notes=notes,
                        setting=setting, full_epochs=full)


def make_evaluator(evaluator: BaseEvaluator | None, space: SearchSpace, task: Any, protocol: Any, device: Any,
                   executor: Executor | None) -> BaseEvaluator:
    """The given evaluator, or one that trains networks of the space's family (the article's MLP
    for a plain space); checked against the space before anything trains; on ``executor``."""
    if evaluator is None:
        evaluator = Evaluator(task=task, protocol=protocol, device=device, family=space.family or MLP_FAMILY)
    evaluator.check_space(space)
    return evaluator if executor is None else evaluator.using(executor)


def set_up(strategy: Strategy, space: SearchSpace, seed: int, evaluator: Any, budget: int) -> None:
    """``strategy.setup(...)``, passing the budget only to a setup that takes it (older ones do not)."""
    with_budget = takes_budget(strategy.setup)
    check_setup_signature(strategy, with_budget)
    if with_budget:
        strategy.setup(space, seed, evaluator, budget=budget)
    else:
        strategy.setup(space, seed, evaluator)
    check_set_up(strategy)


def older_hashes(evaluator: Any) -> tuple[str, ...]:
    """Earlier fingerprints of the evaluator's task data (0.2.0 hashed the test split too)."""
    task = getattr(evaluator, "task", None)
    return (task.fingerprint(with_test=True),) if isinstance(task, Task) and task.X_test is not None else ()


def open_log(runlog: RunLog | None, header: dict[str, Any], strategy: Strategy,
             resume: bool, same_data: tuple[str, ...] = (),
             full_epochs: int | None = None) -> tuple[EarlierRun | None, list[str]]:
    """Take the run log's lock, then either find the earlier run it continues (resuming) or
    write a fresh header. Returns that earlier run (or None) and notes (a log moved aside, a
    half-written line cut off...), which are printed to stderr too.
    """
    if runlog is None:
        return None, []
    runlog.open()  # before anything is read or written: a second search on this log is refused
    try:
        earlier = open_earlier_run(runlog.path, header, strategy, same_data, full_epochs) if resume else None
        if earlier is not None:
            runlog.check_appendable()
        notes = earlier.notes if earlier is not None else [note for note in [runlog.start(header)] if note]
    except BaseException:
        runlog.close()
        raise
    for note in notes:
        print(f"nasbook: {note}", file=sys.stderr)
    return earlier, notes


def evaluate(evaluator: BaseEvaluator, requests: list[Request], seed: int, recorder: Recorder,
             should_stop: StopCheck) -> list[Trial]:
    """The trials of ``requests``, each recorded as it finishes; an evaluator that breaks its
    contract (too few trials, or trials it did not report) is refused by name. Epochs are
    passed only when some request has them, so a full-fidelity search calls as it always did."""
    def record(trial: Trial) -> None:
        recorder.record(check_reported(evaluator, trial))  # a Trial, with a loss that can be one

    archs = [arch for arch, _ in requests]
    epochs = [e for _, e in requests] if any(e is not None for _, e in requests) else None
    before = len(recorder.trials)
    trials = evaluator.evaluate_many(archs, seed, on_trial=record, should_stop=should_stop, **fidelity_of(epochs))
    return check_evaluated(evaluator, archs, trials, reported=len(recorder.trials) - before,
                           stopped=should_stop.said_stop)


def proposals(strategy: Strategy, space: SearchSpace, evaluator: BaseEvaluator | None = None) -> list[Request]:
    """Call ``strategy.ask()`` and check what it returns, with a message a student can act on:
    ``(arch, epochs)`` per proposal (epochs None for a plain dict: full fidelity; else one of
    the ``evaluator``'s fidelities)."""
    archs = strategy.ask()
    if isinstance(archs, (Mapping, Proposal)):
        archs = [archs]
    if not isinstance(archs, (list, tuple)) or not archs:
        raise NasbookError(f"{type(strategy).__name__}.ask() returned {archs!r}; it must return a "
                           f"non-empty list of architecture dicts (or nasbook.Proposal(arch, epochs=k))")
    requests = [as_request(a) for a in archs]
    where = f"{type(strategy).__name__}.ask()"
    allowed = tuple(evaluator.fidelities()) if evaluator is not None else ()
    return [(space.validate(a, field=f"{where}[{i}]"),
             e if e is None else check_epochs(e, allowed, f"{where}[{i}]", type(evaluator).__name__))
            for i, (a, e) in enumerate(requests)]


def affordable(requests: list[Request], budget: Budget) -> list[Request]:
    """The first of ``requests`` that the budget can pay for, each at its most (k/E, or 1).

    Full-fidelity requests: as many as whole evaluations remain. At a fidelity, requests are
    taken while their summed cost fits (a continued one will cost less than planned)."""
    if all(e is None for _, e in requests):
        return requests[:budget.remaining]
    taken, planned = [], 0.0
    for arch, epochs in requests:
        planned += planned_cost(epochs, budget.full_epochs)
        if not budget.affords(planned):
            break
        taken.append((arch, epochs))
    return taken


def full_epochs(evaluator: BaseEvaluator) -> int | None:
    """The epochs of a full training on ``evaluator`` (None when it has no fidelities)."""
    fidelities = evaluator.fidelities()
    return fidelities[-1] if fidelities else None


def run_header(strategy: Strategy, space: SearchSpace, evaluator: Any, budget: int, seed: int) -> dict[str, Any]:
    """What a run log records about the run, so it can be read, checked and resumed."""
    return {
        "nasbook": __version__, "strategy": strategy.name, "mode": strategy.mode,
        "params": strategy.params(), "seed": seed, "budget": budget, "space": space.to_dict(),
        **evaluator.run_header(),
    }
