"""The inner loop: train one architecture's weights, then score it on validation data.

``Evaluator.evaluate(arch, seed)`` builds the network (the model family turns the
architecture into a ``torch.nn.Module``: :mod:`nasbook.spaces.family`), trains it on the task's training split
under a *protocol* (how many epochs, what batch size; :mod:`nasbook.evaluation.protocols`),
and returns a :class:`Trial` with the validation loss. The outer loop (a search strategy)
only ever sees that trial. Checking, caching and in-order reporting are the
:class:`~nasbook.evaluation.base.BaseEvaluator` template's; this module adds the training.

A run that diverges (NaN/inf loss) is returned as ``status="diverged"``; an exception
inside training becomes ``status="failed"`` with the reason. Neither ever crashes a search.
"""
from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass, field
from concurrent.futures import Executor
from typing import Any, Callable, Hashable, Iterator, Mapping

import torch
from torch import nn

from nasbook.device import describe_device, resolve_device
from nasbook.evaluation.auto import choose, under_thread_policy
from nasbook.evaluation.base import BaseEvaluator, FidelityWork, Work
from nasbook.evaluation.executors import check_executor, plan_jobs, run_in_order
from nasbook.evaluation.protocols import Protocol, loss_function, make_protocol
from nasbook.evaluation.stacked import train_population
from nasbook.spaces.family import ModelFamily, make_family
from nasbook.spaces.mlp import MLP_FAMILY, count_parameters
from nasbook.spaces.space import SearchSpace
from nasbook.tasks import Task, make_task
from nasbook.trial import Trial
from nasbook.validation import fail


class Evaluator(BaseEvaluator):
    """Train-and-score architectures on one task under one protocol, on one device.

    Results are cached by (architecture, seed, protocol, task): asking again for a trained
    architecture returns the stored trial at no cost (``cached=True``, ``seconds=0``).

    With ``batched=True`` architectures of the same shape are trained together
    (:mod:`nasbook.evaluation.stacked`); results equal one-by-one training up to float
    rounding. ``population_floats`` caps a stacked group's activations (memory).
    ``batched=None`` (the default) batches on a GPU only: there it turns many tiny kernel
    launches into a few big ones, while on a CPU it measured no faster at full batch
    (docs/fast.md) and would make a trial's last digits depend on which other
    architectures shared its batch. One-by-one, an (arch, seed) always gives the same loss.

    **A subclass that changes** :meth:`train` **passes** ``batched=False``. Stacked training
    does what :meth:`train` does for a whole group at once, so it would skip the change.
    The rule is stated, not detected: an evaluator that quietly turns its own fast path off
    when it sees itself subclassed does something the subclass's author cannot read anywhere.

    ``family`` (:mod:`nasbook.spaces.family`) turns architectures into networks: the
    article's MLP by default; :func:`nasbook.search` passes the search space's own.

    With an ``executor`` (any ``concurrent.futures.Executor``: a process pool, a Dask
    client's ``get_executor()``) the training jobs run there in parallel
    (:mod:`nasbook.evaluation.executors`); :meth:`using` gives such a copy of an evaluator.
    Without one, a batch goes to a shared process pool on every usable core when
    :mod:`nasbook.evaluation.auto`'s rule says it pays (same bits); ``executor=SERIAL``: here.
    """

    population_floats = 2 ** 21  # 8 MB of activations: on a CPU, larger groups fall out of cache
    executor: Executor | None = None

    def __init__(self, task: "str | Task" = "synthetic", protocol: "str | Protocol" = "default",
                 device: "str | torch.device" = "auto", cache: bool = True, batched: bool | None = None,
                 executor: Executor | None = None, family: "str | ModelFamily" = MLP_FAMILY) -> None:
        super().__init__(cache)
        self.family = make_family(family)
        self.task = make_task(task)
        self.protocol = make_protocol(protocol)
        self.device = resolve_device(device)
        if batched is not None and not isinstance(batched, bool):  # "no" is not False
            raise fail("batched", batched, "True, False or None (None: batch on a GPU only)")
        self.batched = self.device.type == "cuda" if batched is None else batched
        self.executor = check_executor(executor)
        self.states: dict[Hashable, Training] | None = {}  # unfinished trainings, to continue (fidelity)

    def describe(self) -> str:
        return (f"{self.task.describe()}; protocol {self.protocol.name!r} "
                f"({self.protocol.epochs} epochs, batch {self.protocol.batch_size or 'full'}). "
                + describe_device(self.device))

    # -- the inner loop itself ----------------------------------------------------------
    def train(self, arch: dict[str, Any], seed: int) -> Trial:
        """Train a fresh network for ``arch`` from ``seed`` and score it (no cache)."""
        return self.fit(arch, seed)[0]

    def fit(self, arch: dict[str, Any], seed: int) -> tuple[Trial, nn.Module]:
        """:meth:`train`, returning the trained network too (``result.best_model()`` takes it away)."""
        run = self.begin(arch, seed)
        trial = self.advance(run, self.protocol.epochs)
        trial.epochs = None  # a plain full-fidelity trial, as before fidelity existed
        return trial, run.model

    def begin(self, arch: dict[str, Any], seed: int) -> "Training":
        """A fresh network for ``arch`` from ``seed``, its optimiser and its shuffling, not trained yet."""
        model = self.family.build(arch, self.task, seed).to(self.device)
        optimizer = self.family.make_optimizer(arch, model.parameters())
        return Training(arch, seed, model, optimizer, torch.Generator().manual_seed(seed))  # shuffles on the CPU

    def advance(self, run: "Training", epochs: int) -> Trial:
        """Train ``run`` on until it has had ``epochs`` epochs, and score it there.

        Continuing a run from epoch k to m does exactly what training straight to m does in
        its last m - k epochs (the network, the optimiser's state and the shuffling generator
        are the run's own), so a continued trial equals a straight one bit for bit on one device.
        The trial's ``steps`` and ``seconds`` are this call's own.
        """
        task, protocol, device = self.task, self.protocol, self.device
        start, steps_before = time.perf_counter(), run.steps
        model, optimizer, order = run.model, run.optimizer, run.order
        criterion = loss_function(task)
        X, y = task.X_train.to(device), task.y_train.to(device)
        X_val, y_val = task.X_val.to(device), task.y_val.to(device)
        n, batch = len(X), protocol.batch_size or len(X)
        for epoch in range(run.epochs + 1, epochs + 1):
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
                run.steps += 1
            epoch_loss = (total / n).item()  # one device sync per epoch
            run.train_curve.append(epoch_loss)
            run.epochs = epoch
            if not math.isfinite(epoch_loss):
                run.status, run.reason = "diverged", f"training loss became {epoch_loss} in epoch {epoch}"
                break
            if epoch in protocol.checkpoints:
                run.val_curve[str(epoch)] = self._val_loss(model, criterion, X_val, y_val)
        status, reason = run.status, run.reason
        val_loss = self._val_loss(model, criterion, X_val, y_val) if status == "ok" else None
        if status == "ok" and not math.isfinite(val_loss):
            status, reason = "diverged", f"validation loss is {val_loss}"
        return Trial(arch=run.arch, val_loss=val_loss, status=status, reason=reason,
                     train_curve=list(run.train_curve), val_curve=dict(run.val_curve),
                     params=count_parameters(model), steps=run.steps - steps_before, seed=run.seed,
                     seconds=time.perf_counter() - start, epochs=epochs)

    @staticmethod
    @torch.no_grad()
    def _val_loss(model: nn.Module, criterion: nn.Module, X: torch.Tensor, y: torch.Tensor) -> float:
        model.eval()
        return float(criterion(model(X), y))

    # -- what the shared template asks of an evaluator ------------------------------------
    def check_space(self, space: SearchSpace) -> None:
        """Refuse, before any training, a space whose architectures this evaluator cannot build."""
        if space.family is not None and space.family is not self.family:
            raise fail("space", f"a space of the {space.family.name} family",
                       f"a space of this evaluator's family, {self.family.name} (Evaluator(family=...))")
        self.family.check_choices(space.choices)

    def check_arch(self, arch: Any) -> dict[str, Any]:
        """The whole architecture (the family's defaults fill the keys it leaves out), checked."""
        return self.family.complete(arch)

    def cache_key(self, arch: dict[str, Any], seed: int) -> Hashable:
        return tuple(sorted(arch.items())), seed, self.protocol, self.task.name, self.task.seed

    def using(self, executor: Executor | None) -> "Evaluator":
        """A copy that trains on ``executor`` and shares this evaluator's cache."""
        twin = copy.copy(self)  # a shallow copy: the same cache dict
        twin.executor = check_executor(executor)
        return twin

    # -- fidelity: train for fewer epochs, continue a promoted candidate ---------------------
    def fidelities(self) -> tuple[int, ...]:
        """Any epoch of the protocol: ``1 .. protocol.epochs``."""
        return tuple(range(1, self.protocol.epochs + 1))

    def compute_at(self, work: FidelityWork, should_stop: Callable[[], bool]) -> Iterator[Trial]:
        """Train each ``(arch, seed, epochs, start)`` for its epochs, one by one (never stacked),
        here or on the executor; yield in work order (see :meth:`train_at`)."""
        worker = self if self.executor is None else self._worker_copy()
        job = under_thread_policy(worker._fidelity_job, self.executor, self)
        results = run_in_order(work, [[i] for i in range(len(work))], job, self.executor, should_stop)
        try:
            for (arch, seed, _, _), result in zip(work, results):
                yield result if isinstance(result, Trial) else lost_trial(arch, seed, result)
        finally:
            results.close()

    def train_at(self, arch: dict[str, Any], seed: int, epochs: int, start: int = 0) -> Trial:
        """The trial of ``arch`` trained with ``seed`` for ``epochs`` epochs.

        **Continues or retrains.** This evaluator keeps every unfinished training (network,
        optimiser state, shuffling generator) in memory, keyed by (architecture, seed). When
        asked for more epochs than a kept training has had (``start``), it *continues* it:
        ``continued_from=start``, and the search is charged only the extra epochs. A training
        it does not hold is retrained from scratch and charged in full (``continued_from=0``):
        on an executor's worker (nothing is kept there), or when asked for fewer epochs than
        it has trained. A search resumed from its log holds no networks: it retrains the
        logged ones silently up to ``start`` and continues, so its trials and charges are the
        uninterrupted run's (continuing equals training straight, bit for bit).
        """
        key, states = self.cache_key(arch, seed), self.states
        run = states.pop(key, None) if states is not None else None
        if run is None or run.epochs != start:  # nothing to continue: a fresh training
            if run is not None:
                states[key] = run  # it has trained further than asked: keep it for a later promotion
            run = self.begin(arch, seed)
            if start and states is not None:  # trained to `start` before this search resumed
                self.advance(run, start)
        continued = run.epochs
        trial = self.advance(run, epochs)
        trial.continued_from = continued
        if trial.ok and epochs < self.protocol.epochs and states is not None:
            states[key] = run
        return trial

    def _fidelity_job(self, job: list[tuple[dict[str, Any], int, int, int]]) -> list[Trial]:
        trials = []
        for arch, seed, epochs, start in job:
            try:
                trials.append(self.train_at(arch, seed, epochs, start))
            except Exception as err:  # a failure inside one training must not end the search
                trials.append(Trial(arch=arch, val_loss=None, status="failed", reason=f"{type(err).__name__}: {err}",
                                    seed=seed, epochs=epochs))
        return trials

    # -- how the work is cut into jobs and run -------------------------------------------
    def compute(self, work: Work, should_stop: Callable[[], bool]) -> Iterator[Trial]:
        """Train the work in jobs (:meth:`plan`), here or on the executor; yield in work order."""
        jobs = self.plan(work)
        executor = choose(self, work, len(jobs))  # None: here (nasbook.evaluation.auto)
        worker = self if executor is None else self._worker_copy()
        job = under_thread_policy(worker._train_job, executor, self)
        results = run_in_order(work, jobs, job, executor, should_stop)
        try:
            for (arch, seed), result in zip(work, results):
                yield result if isinstance(result, Trial) else lost_trial(arch, seed, result)
        finally:
            results.close()  # cancels jobs not started (stop, Ctrl-C)

    def plan(self, work: Work) -> list[list[int]]:
        """Cut the work into jobs (lists of work positions): groups of same-shape archs when
        batched, at most ``population_floats`` activations each, else one arch per job."""
        if not self.batched or not work or self.family.stack_key(work[0][0]) is None:  # cannot stack
            return [[i] for i in range(len(work))]
        rows = self.protocol.batch_size or len(self.task.X_train)

        def group_size(shape: tuple) -> int:
            layers, width, _ = shape
            return self.population_floats // (rows * width * layers)

        return plan_jobs(work, group=lambda item: self.family.stack_key(item[0]), most=group_size)

    def _train_job(self, job: Work) -> list[Trial]:
        """Train one job: a stacked group (one by one if stacking fails), or a single arch."""
        if len(job) > 1:
            try:
                return train_population([arch for arch, _ in job], [seed for _, seed in job],
                                        self.task, self.protocol, self.device)
            except Exception:  # e.g. the stacked group does not fit in memory
                pass
        return [self._train_safely(arch, seed) for arch, seed in job]

    def _train_safely(self, full: dict[str, Any], seed: int) -> Trial:
        try:
            return self.train(full, seed)
        except Exception as err:  # a failure inside one training must not end the search
            return Trial(arch=full, val_loss=None, status="failed", reason=f"{type(err).__name__}: {err}",
                         seed=seed)

    def _worker_copy(self) -> "Evaluator":
        """What an executor receives: this evaluator without its cache and executor (cheap to send)."""
        worker = copy.copy(self)
        worker.cache, worker.executor, worker.states = None, None, None
        return worker

@dataclass
class Training:
    """A network part-way through its training: all that continuing it needs (fidelity)."""

    arch: dict[str, Any]
    seed: int
    model: nn.Module
    optimizer: torch.optim.Optimizer
    order: torch.Generator  # shuffles the mini-batches; its state moves on with every epoch
    epochs: int = 0  # epochs trained so far
    steps: int = 0
    train_curve: list[float] = field(default_factory=list)
    val_curve: dict[str, float] = field(default_factory=dict)
    status: str = "ok"
    reason: str = ""


def lost_trial(arch: dict[str, Any], seed: int, error: BaseException) -> Trial:
    """The trial of an architecture whose job failed outside training (a dead worker, a lost node)."""
    return Trial(arch=arch, val_loss=None, status="failed", reason=f"worker failed: {type(error).__name__}: {error}",
                 seed=seed, extras={"worker_error": True})
