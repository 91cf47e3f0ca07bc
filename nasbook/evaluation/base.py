"""The one interface every evaluator implements: architectures in, trials out, in the order asked.

The outer loop never trains anything itself; it hands architectures to an evaluator and
gets :class:`~nasbook.trial.Trial` records back. Whether the evaluator trains networks
(:class:`~nasbook.evaluation.training.Evaluator`), looks them up in a table
(:class:`~nasbook.tabular.evaluator.TabularEvaluator`) or computes a toy formula
(:class:`~nasbook.evaluation.toy.ToyEvaluator`), it is a :class:`BaseEvaluator`.

:meth:`BaseEvaluator.evaluate_many` is written once, here, as a template:

1. every architecture is checked (:meth:`~BaseEvaluator.check_arch`) and every seed too,
   *before* any compute: a typo in the tenth proposal fails at once, not after nine trainings;
2. each (architecture, seed) is looked up in the cache (:meth:`~BaseEvaluator.cache_key`);
   a key asked twice in one call is computed once, the second answer is a cached copy
   (:meth:`Trial.as_cached <nasbook.trial.Trial.as_cached>`);
3. what is left, the *work* (a list of ``(arch, seed)``), goes to the subclass's
   :meth:`~BaseEvaluator.compute` step, which yields one trial per work item, in work order;
4. each trial is reported to ``on_trial`` in the order asked, the moment it and every trial
   before it are done; when ``should_stop()`` turns true the call returns what finished.

A new evaluator writes ``compute`` (and usually ``check_arch``); the rest is shared::

    class Width(BaseEvaluator):  # scores an architecture by its layer width (a toy)
        def compute(self, work, should_stop):
            for arch, seed in work:
                yield Trial(arch=arch, val_loss=float(arch["hidden_layer_size"]), seed=seed)

    nasbook.search("random", evaluator=Width(), budget=10)

**Fidelity** (:mod:`nasbook.fidelity`). ``evaluate_many(archs, seed, epochs=[...])`` asks
for each architecture at a number of epochs. An evaluator that can train at a fidelity says
which epochs in :meth:`~BaseEvaluator.fidelities` and writes :meth:`~BaseEvaluator.compute_at`,
which gets ``(arch, seed, epochs, start)`` items: ``start`` is how far this (architecture,
seed) was trained earlier in the search (0: never, or not fewer epochs), so a promoted
candidate can be *continued* and charged only ``epochs - start``; the trial says what it did
in ``trial.continued_from``. A 5-epoch and a 20-epoch trial of one architecture are cached
apart; the full-fidelity one shares the cache with plain requests. Checking, caching,
ordering and stopping stay as they are.
"""
from __future__ import annotations

import copy
from abc import ABC, abstractmethod
from collections.abc import Generator, Hashable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Executor
from typing import Any, Callable

import torch

from nasbook.evaluation.protocols import Protocol
from nasbook.tasks import Task
from nasbook.trial import Trial
from nasbook.validation import check_seed, fail

Work = list[tuple[dict[str, Any], int]]  # what compute() is asked for: (checked arch, seed) pairs
FidelityWork = list[tuple[dict[str, Any], int, int, int]]  # compute_at(): (arch, seed, epochs, start)


class BaseEvaluator(ABC):
    """Turn architectures into trials: checked first, cached, reported in the order asked.

    Subclasses implement :meth:`compute`. ``task``, ``protocol`` and ``device`` always
    exist (``None``, ``None`` and the CPU unless a subclass sets them): strategies that
    train by themselves (DARTS' supernet) read them, and the run log records them.
    A subclass that writes its own ``__init__`` calls ``super().__init__(cache)``
    (without it nothing is cached).
    """

    task: Task | None = None
    protocol: Protocol | None = None
    device: torch.device = torch.device("cpu")
    cache: dict[Hashable, Trial] | None = None  # None: every request is computed afresh

    def __init__(self, cache: bool = True) -> None:
        if not isinstance(cache, bool):  # "no" is not False
            raise fail("cache", cache, "True (keep every trial, answer a repeat from memory) or False")
        self.cache = {} if cache else None

    # -- what a subclass writes ---------------------------------------------------------
    @abstractmethod
    def compute(self, work: Work, should_stop: Callable[[], bool]) -> Iterator[Trial]:
        """Yield one fresh trial per ``(arch, seed)`` of ``work``, in that order.

        A generator is pulled one trial at a time, so an instant evaluator can ignore
        ``should_stop``; one that waits on long jobs checks it while waiting and ends
        early (its ``finally`` runs when the call is stopped or interrupted).
        """

    def fidelities(self) -> tuple[int, ...]:
        """The epochs this evaluator can stop a training at, ascending, the last one full fidelity;
        ``()`` (the default) when it trains at full fidelity only (see :mod:`nasbook.fidelity`)."""
        return ()

    def compute_at(self, work: FidelityWork, should_stop: Callable[[], bool]) -> Iterator[Trial]:
        """Yield one fresh trial per ``(arch, seed, epochs, start)`` of ``work``, in that order,
        trained for ``epochs`` (``trial.epochs``). ``start > 0``: this (arch, seed) was trained to
        ``start`` epochs before; a trial that continues that training sets ``continued_from=start``
        (charged the extra epochs only), one trained from scratch leaves it 0 (charged in full).
        Written by the evaluators whose :meth:`fidelities` are not empty."""
        raise NotImplementedError(f"{type(self).__name__} trains at full fidelity only")

    def check_arch(self, arch: Any) -> dict[str, Any]:
        """Refuse an architecture this evaluator cannot evaluate; return it normalised."""
        if not isinstance(arch, Mapping):
            raise fail("arch", arch, "a dict that picks one value per key")
        return dict(arch)

    def cache_key(self, arch: dict[str, Any], seed: int) -> Hashable:
        """What makes two requests the same (``arch`` as :meth:`check_arch` returned it)."""
        return tuple(sorted(arch.items())), seed

    def cache_hit(self, hit: Trial, arch: Mapping[str, Any]) -> Trial:
        """The trial reported when ``arch`` is served from the cache: a cached copy of ``hit``."""
        return hit.as_cached(arch)

    def check_space(self, space: Any) -> None:
        """Refuse a search space this evaluator cannot evaluate (checked before a search starts)."""

    def describe(self) -> str:
        """One sentence on what this evaluator does (printed by the CLI)."""
        summary = (type(self).__doc__ or "").strip().splitlines()
        return f"{type(self).__name__}: {summary[0]}" if summary else type(self).__name__

    def using(self, executor: Executor | None) -> "BaseEvaluator":
        """This evaluator, training on ``executor`` (a ``concurrent.futures.Executor``).

        An evaluator whose trials are instant has nothing to send away: it returns itself.
        """
        return self

    # -- the template -----------------------------------------------------------------------
    def evaluate(self, arch: Mapping[str, Any], seed: int = 0) -> Trial:
        """The trial of one architecture trained with ``seed`` (or its cached copy)."""
        return self.evaluate_many([arch], seed)[0]

    def evaluate_many(self, archs: Sequence[Mapping[str, Any]], seed: "int | Sequence[int]" = 0,
                      on_trial: Callable[[Trial], None] | None = None,
                      should_stop: Callable[[], bool] | None = None,
                      epochs: "Sequence[int | None] | None" = None) -> list[Trial]:
        """Evaluate several architectures and return their trials in the order asked.

        ``seed`` is one seed for all, or one per architecture (several seeds of one
        architecture). ``on_trial`` sees each trial in that order, as soon as it and all
        trials before it are done. Stops early, returning the trials reported so far,
        when ``should_stop()`` is true. ``epochs`` (one per architecture; None in it: full
        fidelity) asks for trainings at a fidelity, from an evaluator that has :meth:`fidelities`.
        """
        check_requests(archs, on_trial, should_stop)
        seeds = list(seed) if isinstance(seed, Iterable) and not isinstance(seed, str) else [seed] * len(archs)
        if len(seeds) != len(archs):
            raise fail("seed", f"{len(seeds)} seeds", f"one int, or one seed per architecture ({len(archs)})")
        checked = [self.check_arch(arch) for arch in archs]  # every arch is checked before any compute
        seeds = [check_seed("seed", s) for s in seeds]
        plain = keys = [self.cache_key(arch, s) for arch, s in zip(checked, seeds)]
        if epochs is not None:
            epochs = self._check_fidelities(epochs, len(archs))
            keys = [self.fidelity_key(key, e) for key, e in zip(plain, epochs)]
        fresh, planned = set(), set()  # positions to compute: not cached, not asked earlier in this call
        for i, key in enumerate(keys):
            if self.cache is None or (key not in self.cache and key not in planned):
                fresh.add(i)
                planned.add(key)
        stop = should_stop or (lambda: False)
        if epochs is None:
            computed = iter(self.compute([(checked[i], seeds[i]) for i in sorted(fresh)], stop))
        else:
            computed = iter(self.compute_at(self._starts([(checked[i], seeds[i], epochs[i]) for i in sorted(fresh)]),
                                            stop))
        trials: list[Trial] = []
        try:
            while len(trials) < len(archs) and not stop():
                i = len(trials)
                if i in fresh:
                    trial = next(computed, None)
                    if trial is None and stop():  # the compute step ended early: it was told to stop
                        break
                    if not isinstance(trial, Trial):
                        raise TypeError(f"{type(self).__name__}.compute() must yield one Trial per work item, "
                                        f"in order; it gave {trial!r} for item {sorted(fresh).index(i)}")
                    trial = self._store(trial, archs[i], keys[i], plain[i])
                else:
                    trial = self.cache_hit(self._stored(keys[i], trials, keys), archs[i])
                trials.append(trial)
                if on_trial is not None:
                    on_trial(trial)
        finally:
            if isinstance(computed, Generator):
                computed.close()  # ends the compute step's jobs (stop, Ctrl-C, an error)
        return trials

    def remember(self, trial: Trial) -> None:
        """Put a trial computed earlier (replayed from a run log) into the cache: a later
        request for it is then a cache hit, as in the run that wrote the log (and a later
        promotion continues it, as in that run)."""
        key = self.cache_key(self.check_arch(trial.arch), trial.seed)
        self._reached_by(trial, key)
        if self.cache is not None and not trial.cached and not trial.extras.get("worker_error"):
            self.cache.setdefault(self.fidelity_key(key, trial.epochs), trial)

    # -- fidelity -------------------------------------------------------------------------
    def fidelity_key(self, key: Hashable, epochs: int | None) -> Hashable:
        """The cache key of a request at ``epochs``: a full-fidelity one shares the plain key."""
        full = self.fidelities()[-1] if self.fidelities() else None
        return key if epochs is None or epochs == full else (key, "epochs", epochs)

    @property
    def reached(self) -> dict[Hashable, int]:
        """How many epochs each (architecture, seed) has been trained to so far (fidelity trials only)."""
        if getattr(self, "_reached", None) is None:
            self._reached: dict[Hashable, int] = {}
        return self._reached

    def _check_fidelities(self, epochs: Any, count: int) -> list[int]:
        from nasbook.fidelity import check_epochs  # (fidelity builds on trials, as this module does)

        if isinstance(epochs, (str, bytes, Mapping)) or not isinstance(epochs, Sequence) or len(epochs) != count:
            raise fail("epochs", epochs, f"one number of epochs (or None) per architecture ({count})")
        allowed = tuple(self.fidelities())
        full = allowed[-1] if allowed else None
        return [check_epochs(full if e is None else e, allowed, f"epochs[{i}]", type(self).__name__)
                for i, e in enumerate(epochs)]

    def _starts(self, work: list[tuple[dict[str, Any], int, int]]) -> FidelityWork:
        """Each fidelity work item with how far it was trained before (0: never, or not fewer epochs)."""
        reached = dict(self.reached)
        items = []
        for arch, seed, epochs in work:
            key = self.cache_key(arch, seed)
            before = reached.get(key, 0)
            items.append((arch, seed, epochs, before if before < epochs else 0))
            reached[key] = max(before, epochs)
        return items

    def _reached_by(self, trial: Trial, key: Hashable) -> None:
        """Note how far a successful fidelity trial trained its (architecture, seed)."""
        if trial.epochs is not None and trial.ok and not trial.extras.get("worker_error"):
            self.reached[key] = max(self.reached.get(key, 0), trial.epochs)

    def run_header(self) -> dict[str, Any]:
        """What a run log records about this evaluator (and what a resumed run must match)."""
        task, protocol = self.task, self.protocol
        return {
            "task": task.name if isinstance(task, Task) else str(task),
            "task_seed": task.seed if isinstance(task, Task) else None,
            "task_data": task.fingerprint() if isinstance(task, Task) else None,
            "protocol": dict(vars(protocol)) if isinstance(protocol, Protocol) else str(protocol),
            "evaluator": type(self).__name__,
            "device": str(self.device),
        }

    # -- the cache ------------------------------------------------------------------------
    def _store(self, trial: Trial, arch: Mapping[str, Any], key: Hashable, plain: Hashable = None) -> Trial:
        """A fresh trial, reported for ``arch`` as asked, kept in the cache.

        A trial whose worker was lost (``extras["worker_error"]``) says nothing about the
        architecture, so it is not kept: the next request trains it again.
        """
        self._reached_by(trial, plain)  # (arch, seed) -> epochs trained, for a later promotion
        trial.arch = dict(arch)
        if self.cache is not None and not trial.extras.get("worker_error"):
            self.cache[key] = trial
        return trial

    def _stored(self, key: Hashable, earlier: list[Trial], keys: list[Hashable]) -> Trial:
        """The stored trial of ``key``; if its first try in this call was lost with its
        worker (not cached), that failed trial."""
        hit = self.cache.get(key) if self.cache is not None else None
        return hit if hit is not None else earlier[keys.index(key)]


def check_requests(archs: Any, on_trial: Any, should_stop: Any) -> None:
    """Refuse ``evaluate_many`` arguments of the wrong kind (one dict instead of a list of them, ...)."""
    if isinstance(archs, (Mapping, str, bytes)) or not isinstance(archs, Sequence):
        raise fail("archs", archs, "a list of architecture dicts (for one architecture: evaluate(arch))")
    for field, value in (("on_trial", on_trial), ("should_stop", should_stop)):
        if value is not None and not callable(value):
            raise fail(field, value, "a function or None")


def fidelity_of(epochs: "Sequence[int | None] | None") -> dict[str, Any]:
    """``{"epochs": epochs}`` for a fidelity request, ``{}`` for a full-fidelity one: what to pass
    on to an evaluator, so one written before fidelity existed is called exactly as before."""
    return {} if epochs is None else {"epochs": epochs}


class WrappingEvaluator(BaseEvaluator):
    """An evaluator around another one: everything is the ``inner`` evaluator's (its task,
    protocol, device, cache, compute step, run-log header), except what a subclass changes
    in ``evaluate_many`` — the assignment kit counts a strategy's own calls; resuming serves
    logged trials first."""

    def __init__(self, inner: BaseEvaluator) -> None:
        super().__init__(cache=False)  # the inner evaluator keeps the cache
        self.inner = inner

    @property  # type: ignore[override]
    def task(self) -> Task | None:
        return self.inner.task

    @property  # type: ignore[override]
    def protocol(self) -> Protocol | None:
        return self.inner.protocol

    @property  # type: ignore[override]
    def device(self) -> torch.device:
        return self.inner.device

    def evaluate_many(self, archs: Sequence[Mapping[str, Any]], seed: "int | Sequence[int]" = 0,
                      on_trial: Callable[[Trial], None] | None = None,
                      should_stop: Callable[[], bool] | None = None,
                      epochs: "Sequence[int | None] | None" = None) -> list[Trial]:
        return self.inner.evaluate_many(archs, seed, on_trial=on_trial, should_stop=should_stop,
                                        **fidelity_of(epochs))

    def compute(self, work: Work, should_stop: Callable[[], bool]) -> Iterator[Trial]:
        return self.inner.compute(work, should_stop)

    def fidelities(self) -> tuple[int, ...]:
        return self.inner.fidelities()

    def compute_at(self, work: FidelityWork, should_stop: Callable[[], bool]) -> Iterator[Trial]:
        return self.inner.compute_at(work, should_stop)

    def check_space(self, space: Any) -> None:
        self.inner.check_space(space)

    def describe(self) -> str:
        return self.inner.describe()

    def remember(self, trial: Trial) -> None:
        self.inner.remember(trial)

    def run_header(self) -> dict[str, Any]:
        return self.inner.run_header()

    def using(self, executor: Executor | None) -> "BaseEvaluator":
        inner = self.inner.using(executor)
        if inner is self.inner:
            return self
        twin = copy.copy(self)
        twin.inner = inner
        return twin
