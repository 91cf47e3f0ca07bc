"""Held-out truth: the test loss of each search's pick, beside the validation regret it optimised.

A search picks the architecture with the best *validation* score, so validation is no
longer an unbiased judge of that pick: the outer loop can overfit validation just as
training overfits the training split. The tabular benchmark stores validation losses only,
so here each pick — (architecture, the table's training seed it drew) — is retrained under
the table's own protocol on its task and scored once on the task's **test split**
(``task.X_test``), which no search ever saw. Retraining is deterministic (same seed, same
network) and cached, and identical picks (common: good strategies agree) are trained once.
They train with one torch thread, as the table was built (and as the small networks train
fastest: two threads on two shared cores only fight).

A table that recorded test losses itself (the learning-curve table: ``test_curve``) needs no
retraining: the pick's test loss is read from the very run the search drew
(:meth:`~nasbook.tabular.table.BenchTable.test_loss`).
"""
from __future__ import annotations

import math
from contextlib import contextmanager
from typing import Any, Iterator

import numpy as np
import torch

from nasbook.evaluation.protocols import loss_function
from nasbook.evaluation.training import Evaluator
from nasbook.experiments.showdown import NO_PICK
from nasbook.tabular.table import BenchTable
from nasbook.validation import fail

_CACHE: dict[tuple, float] = {}  # (task, protocol, arch, seed) -> test loss, for this process


@contextmanager
def one_thread() -> Iterator[None]:
    """torch on one CPU thread inside the block, as before afterwards."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _evaluator(table: BenchTable) -> Evaluator:
    return Evaluator(task=table.task_name, protocol=table.protocol, device="cpu", cache=False,
                     family=table.space.family)


def test_loss(table: BenchTable, index: int, seed: int, evaluator: Evaluator | None = None) -> float:
    """The test loss of architecture ``index`` trained with ``seed`` under the table's protocol
    (``inf`` if the training diverges); read from the table when it recorded test losses."""
    if "test_curve" in table.arrays:
        loss = table.test_loss(table.space.at(int(index)), table.seeds.index(int(seed)))
        return loss if math.isfinite(loss) else math.inf
    arch = table.space.complete(table.space.at(int(index)))
    p = table.protocol
    key = (table.task_name, p.epochs, p.batch_size, tuple(sorted(arch.items())), int(seed))
    if key not in _CACHE:
        evaluator = evaluator or _evaluator(table)
        task = evaluator.task
        if task.X_test is None:
            raise fail("task", task.name, "a task with a test split (X_test, y_test)")
        with one_thread():
            trial, model = evaluator.fit(arch, int(seed))
        loss = math.inf
        if trial.status == "ok":
            with torch.no_grad(), one_thread():
                model.eval()
                loss = float(loss_function(task)(model(task.X_test), task.y_test))
        _CACHE[key] = loss if math.isfinite(loss) else math.inf
    return _CACHE[key]


def pick_test_losses(out: dict[str, Any], table: BenchTable) -> dict[str, np.ndarray]:
    """name -> test loss of each seed's pick (``inf``: no pick; NaN: the run did not happen)."""
    evaluator = _evaluator(table)
    losses = {}
    for name, picks in out["picks"].items():
        final = out["curves"][name][:, -1]
        losses[name] = np.array([np.nan if np.isnan(ran) else math.inf if tuple(pick) == NO_PICK
                                 else test_loss(table, pick[0], pick[1], evaluator)
                                 for pick, ran in zip(picks, final)])
    return losses


def distinct_picks(out: dict[str, Any]) -> int:
    """How many different (architecture, seed) trainings the picks need."""
    return len({tuple(p) for picks in out["picks"].values() for p in picks if tuple(p) != NO_PICK})
