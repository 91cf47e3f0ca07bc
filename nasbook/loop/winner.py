"""Take the winner away: the best architecture of a search as a plain ``torch.nn.Module``,
trained, or as standalone PyTorch source (``result.best_model()``, ``result.export()``).

A search result remembers how its trials were trained (:class:`Setting`: the task, the
protocol and the model family of the search's :class:`~nasbook.evaluation.training.Evaluator`).
:func:`best_model` retrains the winner with that same evaluator's one training loop
(``Evaluator.fit``) from the winning trial's seed, so the network it returns scores the very
validation loss the search recorded, and hands it over as ``torch.nn`` classes only
(``family.to_plain``). A search on a lookup table or a toy evaluator trained no network:
there the task must be named (``task=``).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from torch import nn

from nasbook.validation import NasbookError, fail

if TYPE_CHECKING:
    from nasbook.evaluation.protocols import Protocol
    from nasbook.loop.result import SearchResult
    from nasbook.spaces.family import ModelFamily
    from nasbook.tasks import Task


@dataclass(frozen=True)
class Setting:
    """How a search trained its networks: what retraining the winner needs."""

    task: "Task"
    protocol: "Protocol"
    family: "ModelFamily"


def setting_of(evaluator: Any) -> Setting | None:
    """The evaluator's task, protocol and family when it trains networks (None for a table, a toy)."""
    from nasbook.evaluation.training import Evaluator

    if not isinstance(evaluator, Evaluator):
        return None
    return Setting(evaluator.task, evaluator.protocol, evaluator.family)


def resolve(result: "SearchResult", task: Any, call: str) -> tuple[Any, Setting]:
    """The winning trial and the setting to retrain it in: the recorded one, or ``task`` (with the
    recorded protocol, else ``"default"``, and the family that has the winner's keys)."""
    from nasbook.evaluation.protocols import make_protocol
    from nasbook.spaces.family import family_for
    from nasbook.tasks import make_task

    best = result.best
    if best is None:
        raise NasbookError(f"{call}: the search has no successful trial, so there is no winner to take away")
    recorded = result.setting
    if task is None:
        if recorded is None:
            raise NasbookError(f"{call}: this search did not train networks on a task (a lookup table or a toy "
                               f"evaluator), so the winner's task is unknown; pass task=, e.g. {call}(task='synthetic')")
        return best, recorded
    family = recorded.family if recorded is not None else family_for(list(best.arch))
    if family is None:
        raise fail("architecture", best.arch, "one of a shipped model family (pass a search that recorded its family)")
    protocol = recorded.protocol if recorded is not None else make_protocol("default")
    return best, Setting(make_task(task), protocol, family)


def best_model(result: "SearchResult", task: Any = None, train: bool = True, device: Any = "cpu") -> nn.Module:
    """The winner as a plain ``torch.nn.Module``: trained under the search's protocol from the
    winning trial's seed (``train=True``), or freshly initialised from that seed."""
    from nasbook.evaluation.training import Evaluator

    if not isinstance(train, bool):
        raise fail("train", train, "True (train it under the search's protocol) or False (fresh weights)")
    best, setting = resolve(result, task, "best_model")
    arch = setting.family.complete(best.arch)
    if not train:
        return setting.family.plain_module(arch, setting.task, best.seed)
    evaluator = Evaluator(setting.task, setting.protocol, device=device, cache=False, batched=False,
                          family=setting.family)
    trial, model = evaluator.fit(arch, best.seed)
    if not trial.ok:
        raise NasbookError(f"best_model: retraining {arch} ended {trial.status}: {trial.reason}")
    return setting.family.to_plain(model)


def export(result: "SearchResult", path: Any, task: Any = None) -> Path:
    """Write standalone PyTorch source for the winner to ``path``: ``build_model()`` and
    ``train(model, X, y, epochs=..., batch_size=..., lr=...)``; it imports only torch."""
    if not isinstance(path, (str, Path)) or not str(path).endswith(".py"):
        raise fail("path", path, "a file name ending in .py, e.g. 'model.py'")
    best, setting = resolve(result, task, "export")
    arch = setting.family.complete(best.arch)
    target = Path(path)
    target.write_text(source(arch, best, setting), encoding="utf-8")
    return target


def source(arch: dict[str, Any], best: Any, setting: Setting) -> str:
    """The text of the exported module."""
    task, protocol = setting.task, setting.protocol
    criterion = "nn.CrossEntropyLoss()" if task.loss == "cross_entropy" else "nn.MSELoss()"
    optimizer = arch.get("optimizer", "Adam")
    lr = float(arch.get("learning_rate", 1e-3))
    return f'''"""The winning architecture of a nasbook search, as standalone PyTorch (needs only torch).

Written by nasbook's SearchResult.export(). Architecture:
    {json.dumps(arch)}
Searched on task {task.name!r} under protocol {protocol.name!r} ({protocol.epochs} epochs, batch
{protocol.batch_size or 'full'}); its validation loss there: {best.val_loss!r} (seed {best.seed}),
{best.params} parameters. This file initialises and shuffles with torch's global random state
(torch.manual_seed), so its numbers differ from the search's own; the maths is the same.

    model = build_model()
    losses = train(model, X, y)   # X: float inputs, y: {'class indices' if task.loss == 'cross_entropy' else 'float targets'}
"""
import torch
from torch import nn

ARCH = {arch!r}


{setting.family.source(arch, task)}

def train(model: nn.Module, X: torch.Tensor, y: torch.Tensor, epochs: int = {protocol.epochs},
          batch_size: "int | None" = {protocol.batch_size!r}, lr: float = {lr!r}) -> "list[float]":
    """Train ``model`` on ``X``, ``y`` with {optimizer} (the architecture's optimiser), in shuffled
    batches of ``batch_size`` rows (None: all rows at once); returns each epoch's mean loss."""
    optimizer = torch.optim.{optimizer}(model.parameters(), lr=lr)
    criterion = {criterion}
    n = len(X)
    batch = batch_size or n
    losses = []
    for _ in range(epochs):
        model.train()
        order = torch.randperm(n)
        total = 0.0
        for lo in range(0, n, batch):
            rows = order[lo:lo + batch]
            optimizer.zero_grad()
            loss = criterion(model(X[rows]), y[rows])
            loss.backward()
            optimizer.step()
            total += loss.item() * len(rows)
        losses.append(total / n)
    model.eval()
    return losses
'''
