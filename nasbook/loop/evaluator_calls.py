"""Every call the search loop makes on its evaluator, in one place.

An evaluator is any object with ``evaluate_many(archs, seed, on_trial, should_stop)``
(:class:`~nasbook.evaluation.training.Evaluator`, the tabular benchmark's lookup, a toy
function...). What else the loop would like from it — a description for the run log, a
cache to refill when resuming, an executor for parallel training — is optional, and
asked for here only.
"""
from __future__ import annotations

from concurrent.futures import Executor
from typing import Any, Callable

from nasbook.trial import Trial


def describe(evaluator: Any) -> dict[str, Any]:
    """The evaluator's part of the run log's header: task, its data, protocol, class, device."""
    task = getattr(evaluator, "task", None)
    protocol = getattr(evaluator, "protocol", None)
    return {
        "task": getattr(task, "name", str(task)), "task_seed": getattr(task, "seed", None),
        "task_data": task.fingerprint() if hasattr(task, "fingerprint") else None,
        "protocol": vars(protocol) if hasattr(protocol, "__dataclass_fields__") else str(protocol),
        "evaluator": type(evaluator).__name__, "device": str(getattr(evaluator, "device", "cpu")),
    }


def evaluate(evaluator: Any, archs: list[dict[str, Any]], seed: int, on_trial: Callable[[Trial], None],
             should_stop: Callable[[], bool], executor: Executor | None = None) -> list[Trial]:
    """Train ``archs`` (on ``executor`` when one is given); trials are reported in ask order."""
    parallel = {} if executor is None else {"executor": executor}
    return evaluator.evaluate_many(archs, seed, on_trial=on_trial, should_stop=should_stop, **parallel)


def remember(evaluator: Any, trial: Trial) -> None:
    """Tell the evaluator about a trial trained by an earlier run (it refills its cache)."""
    remember = getattr(evaluator, "remember", None)
    if remember is not None:
        remember(trial)
