"""The inner loop: train one architecture's weights, then score it on validation data.

``Evaluator.evaluate(arch, seed)`` builds the MLP, trains it on the task's training split
under a *protocol* (how many epochs, what batch size), and returns a :class:`Trial` with
the validation loss. The outer loop (a search strategy) only ever sees that trial.

Two protocols ship:

* ``seed``    – the article's ``evaluate_architecture``: full-batch gradient steps, 10
  epochs (the budget its RL and EA searches use), then the validation loss.
* ``default`` – mini-batches of 64, shuffled, 20 epochs (260 steps on ``synthetic``). The
  article's 10 full-batch steps leave most networks barely trained, so its scores mostly
  measure the random initialisation; see README "Why this default protocol".

A run that diverges (NaN/inf loss) is returned as ``status="diverged"``; an exception
inside training becomes ``status="failed"`` with the reason. Neither ever crashes a search.
"""
from __future__ import annotations

import copy
import dataclasses
import math
import time
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

import torch
from torch import nn

from nasbook.device import describe_device, resolve_device
from nasbook.evaluation.executors import run_jobs
from nasbook.spaces.family import ModelFamily, make_family
from nasbook.spaces.space import SearchSpace
from nasbook.spaces.mlp import MLP_FAMILY, count_parameters
from nasbook.evaluation.stacked import group_key, train_population
from nasbook.tasks import Task, make_task
from nasbook.trial import Trial
from nasbook.validation import check_choice, check_int, check_seed, fail


@dataclass(frozen=True)
class Protocol:
    """How the inner loop trains: ``epochs`` passes over the data in batches of ``batch_size``
    (``None`` = the whole training split at once). ``checkpoints`` lists epochs at which the
    validation loss is also recorded (a learning curve)."""

    name: str
    epochs: int
    batch_size: int | None = None
    checkpoints: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        check_int("protocol.epochs", self.epochs, minimum=1)
        if self.batch_size is not None:
            check_int("protocol.batch_size", self.batch_size, minimum=1)
        for c in self.checkpoints:
            check_int("protocol.checkpoints", c, 1, self.epochs)

    def with_epochs(self, epochs: int) -> "Protocol":
        return dataclasses.replace(self, epochs=epochs, checkpoints=tuple(c for c in self.checkpoints if c <= epochs))


PROTOCOLS = {
    "seed": Protocol("seed", epochs=10, batch_size=None),
    "default": Protocol("default", epochs=20, batch_size=64, checkpoints=(5, 10, 20)),
}


def make_protocol(protocol: "str | Protocol") -> Protocol:
    if isinstance(protocol, Protocol):
        return protocol
    return PROTOCOLS[check_choice("protocol", protocol, PROTOCOLS)]


def loss_function(task: Task) -> nn.Module:
    return nn.CrossEntropyLoss() if task.loss == "cross_entropy" else nn.MSELoss()


class Evaluator:
    """Train-and-score architectures on one task under one protocol, on one device.

    Results are cached by (architecture, seed, protocol, task): asking again for a trained
    architecture returns the stored trial at no cost (``cached=True``, ``seconds=0``).
    With ``batched=True`` :meth:`evaluate_many` trains architectures of the same shape
    together (:mod:`nasbook.evaluation.stacked`); results equal one-by-one training up to float
    rounding. ``population_floats`` caps a stacked group's activations (memory).
    ``batched=None`` (the default) batches on a GPU only: there it turns many tiny kernel
    launches into a few big ones, while on a CPU it measured no faster at full batch
    (docs/fast.md) and would make a trial's last digits depend on which other
    architectures shared its batch. One-by-one, an (arch, seed) always gives the same loss.
    """

    population_floats = 2 ** 21  # 8 MB of activations: on a CPU, larger groups fall out of cache

    def __init__(self, task: "str | Task" = "synthetic", protocol: "str | Protocol" = "default",
                 device: "str | torch.device" = "auto", cache: bool = True, batched: bool | None = None,
                 family: "str | ModelFamily" = MLP_FAMILY) -> None:
        self.family = make_family(family)
        self.task = make_task(task)
        self.protocol = make_protocol(protocol)
        self.device = resolve_device(device)
        self.cache: dict[tuple, Trial] | None = {} if cache else None
        self.batched = self.device.type == "cuda" if batched is None else bool(batched)

    def describe(self) -> str:
        return (f"{self.task.describe()}; protocol {self.protocol.name!r} "
                f"({self.protocol.epochs} epochs, batch {self.protocol.batch_size or 'full'}). "
                + describe_device(self.device))

    def check_space(self, space: "SearchSpace") -> None:
        """Refuse, before any training, a space whose architectures this evaluator cannot build."""
        if space.family is not None and space.family is not self.family:
            raise fail("space", f"a space of the {space.family.name} family",
                       f"a space of this evaluator's family, {self.family.name} (Evaluator(family=...))")
        self.family.check_choices(space.choices)

    # -- the public interface every evaluator shares ----------------------------------
    def evaluate(self, arch: Mapping[str, Any], seed: int = 0) -> Trial:
        """Train ``arch`` with ``seed`` (or fetch it from the cache) and return its trial."""
        return self.evaluate_many([arch], seed)[0]

    def evaluate_many(self, archs: Sequence[Mapping[str, Any]], seed: "int | Sequence[int]" = 0,
                      on_trial: Callable[[Trial], None] | None = None,
                      should_stop: Callable[[], bool] | None = None,
                      executor: Executor | None = None) -> list[Trial]:
        """Evaluate several architectures and return their trials in the order asked.

        ``seed`` is one training seed for all, or one per architecture (several seeds of
        one architecture). ``on_trial`` sees each trial in that order, as soon as it and
        all trials before it are done. With ``batched=True`` architectures of the same
        shape are trained together (:mod:`nasbook.evaluation.stacked`); with an ``executor`` the
        training jobs run there in parallel (:mod:`nasbook.evaluation.executors`). Stops early,
        returning the trials reported so far, when ``should_stop()`` is true.
        """
        seeds = list(seed) if hasattr(seed, "__iter__") else [seed] * len(archs)
        if len(seeds) != len(archs):
            raise fail("seed", f"{len(seeds)} seeds", f"one int, or one seed per architecture ({len(archs)})")
        fulls = [self.family.complete(arch) for arch in archs]  # every arch is checked before any training
        seeds = [check_seed("seed", s) for s in seeds]
        keys = [self._key(full, s) for full, s in zip(fulls, seeds)]
        todo, planned = [], set()
        for i, key in enumerate(keys):  # what must be trained: not cached, not asked earlier in this call
            if self.cache is None or (key not in self.cache and key not in planned):
                todo.append((i, fulls[i], seeds[i]))
                planned.add(key)
        jobs = self._plan(todo)
        worker = self if executor is None else self._worker_copy()
        stop = should_stop or (lambda: False)
        finished = run_jobs(jobs, worker._train_job, executor, stop)  # yields jobs as they finish
        waiting, fresh = {i for i, _, _ in todo}, {}
        trials: list[Trial] = []
        try:
            while len(trials) < len(archs) and not stop():
                i = len(trials)
                while i in waiting and i not in fresh:  # wait until the job holding trial i is done
                    j, outcome = next(finished, (None, None))
                    if j is None:
                        return trials  # stopped
                    for (k, _, _), trial in zip(jobs[j], self._job_trials(jobs[j], outcome)):
                        fresh[k] = trial
                trials.append(self._report(archs[i], keys[i], fresh.get(i), trials, keys))
                if on_trial is not None:
                    on_trial(trials[-1])
        finally:
            finished.close()  # cancels jobs not started (stop, Ctrl-C)
        return trials

    def remember(self, trial: Trial) -> None:
        """Put a trial trained earlier (replayed from a run log) into the cache."""
        if self.cache is not None and not trial.cached and not trial.extras.get("worker_error"):
            self.cache.setdefault(self._key(self.family.complete(trial.arch), trial.seed), trial)

    def _key(self, full: dict[str, Any], seed: int) -> tuple:
        return (tuple(sorted(full.items())), seed, self.protocol, self.task.name, self.task.seed)

    def _report(self, arch: Mapping[str, Any], key: tuple, trial: Trial | None, earlier: list[Trial],
                keys: list[tuple]) -> Trial:
        """A freshly trained trial (stored in the cache), or a replay of a stored one."""
        if trial is not None:
            trial.arch = dict(arch)
            if self.cache is not None and not trial.extras.get("worker_error"):
                self.cache[key] = trial
            return trial
        hit = self.cache.get(key) if self.cache is not None else None
        if hit is None:  # asked twice in this call and the first try was lost with its worker
            hit = earlier[keys.index(key)]
        return dataclasses.replace(hit, arch=dict(arch), cached=True, seconds=0.0, steps=0,
                                   extras={**hit.extras, "trained_seconds": hit.seconds})

    # -- how the work is cut into jobs and run -------------------------------------------
    def _plan(self, todo: list[tuple[int, dict, int]]) -> list[list[tuple[int, dict, int]]]:
        """Cut the work into jobs: groups of same-shape archs (batched) or single archs.

        Jobs are ordered by their first architecture, so trials can be reported in order.
        A subclass that changes :meth:`train` is always trained one by one.
        """
        if not self.batched or type(self).train is not Evaluator.train:
            return [[item] for item in todo]
        groups: dict[tuple, list] = {}
        for item in todo:
            groups.setdefault(group_key(item[1]), []).append(item)
        jobs = []
        for members in groups.values():
            layers, width, _ = group_key(members[0][1])
            rows = self.protocol.batch_size or len(self.task.X_train)
            size = max(1, self.population_floats // (rows * width * layers))
            jobs += [members[a:a + size] for a in range(0, len(members), size)]
        return sorted(jobs, key=lambda job: job[0][0])

    def _train_job(self, job: list[tuple[int, dict, int]]) -> list[Trial]:
        """Train one job: a stacked group (one by one if stacking fails), or a single arch."""
        if len(job) > 1:
            try:
                return train_population([f for _, f, _ in job], [s for _, _, s in job],
                                        self.task, self.protocol, self.device)
            except Exception:  # e.g. the stacked group does not fit in memory
                pass
        return [self._train_safely(full, seed) for _, full, seed in job]

    def _train_safely(self, full: dict[str, Any], seed: int) -> Trial:
        try:
            return self.train(full, seed)
        except Exception as err:  # a failure inside one training must not end the search
            return Trial(arch=full, val_loss=None, status="failed", reason=f"{type(err).__name__}: {err}",
                         seed=seed)

    @staticmethod
    def _job_trials(job: list[tuple[int, dict, int]], outcome: "list[Trial] | BaseException") -> list[Trial]:
        if not isinstance(outcome, BaseException):
            return outcome
        reason = f"worker failed: {type(outcome).__name__}: {outcome}"
        return [Trial(arch=full, val_loss=None, status="failed", reason=reason, seed=seed,
                      extras={"worker_error": True}) for _, full, seed in job]

    def _worker_copy(self) -> "Evaluator":
        """What an executor receives: this evaluator without its cache (cheap to send)."""
        worker = copy.copy(self)
        worker.cache = None
        return worker

    # -- the inner loop itself ----------------------------------------------------------
    def train(self, arch: dict[str, Any], seed: int) -> Trial:
        """Train a fresh network for ``arch`` from ``seed`` and score it (no cache)."""
        task, protocol, device = self.task, self.protocol, self.device
        start = time.perf_counter()
        model = self.family.build(arch, task, seed).to(device)
        optimizer = self.family.make_optimizer(arch, model.parameters())
        criterion = loss_function(task)
        X, y = task.X_train.to(device), task.y_train.to(device)
        X_val, y_val = task.X_val.to(device), task.y_val.to(device)
        order = torch.Generator().manual_seed(seed)  # shuffles mini-batches, on the CPU
        n, batch = len(X), protocol.batch_size or len(X)
        train_curve: list[float] = []
        val_curve: dict[str, float] = {}
        steps = 0
        status, reason = "ok", ""
        for epoch in range(1, protocol.epochs + 1):
            model.train()
            index = torch.randperm(n, generator=order).to(device) if batch < n else None
            total = torch.zeros((), device=device)
            for lo in range(0, n, batch):
                rows = slice(None) if index is None else index[lo:lo + batch]
                optimizer.zero_grad()
                loss = criterion(model(X[rows]), y[rows])
                loss.backward()
                optimizer.step()
                total += loss.detach() * (len(X[rows]) if index is not None else n)
                steps += 1
            epoch_loss = (total / n).item()  # one device sync per epoch
            train_curve.append(epoch_loss)
            if not math.isfinite(epoch_loss):
                status, reason = "diverged", f"training loss became {epoch_loss} in epoch {epoch}"
                break
            if epoch in protocol.checkpoints:
                val_curve[str(epoch)] = self._val_loss(model, criterion, X_val, y_val)
        val_loss = self._val_loss(model, criterion, X_val, y_val) if status == "ok" else None
        if status == "ok" and not math.isfinite(val_loss):
            status, reason = "diverged", f"validation loss is {val_loss}"
        return Trial(arch=arch, val_loss=val_loss, status=status, reason=reason, train_curve=train_curve,
                     val_curve=val_curve, params=count_parameters(model), steps=steps, seed=seed,
                     seconds=time.perf_counter() - start)

    @staticmethod
    @torch.no_grad()
    def _val_loss(model: nn.Module, criterion: nn.Module, X: torch.Tensor, y: torch.Tensor) -> float:
        model.eval()
        return float(criterion(model(X), y))
