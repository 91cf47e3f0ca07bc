"""Run training jobs here or on an executor: local processes, threads, or a Dask cluster.

An evaluator cuts the work of one ``evaluate_many`` call into *jobs* (a group of
architectures trained together, or a single one) with :func:`plan_jobs`, and
:func:`run_in_order` runs them one after the other in this process, or hands them to any
``concurrent.futures.Executor``:

* ``concurrent.futures.ProcessPoolExecutor`` – several CPU cores on this machine
  (:func:`local_pool` makes one, as ``nasbook search --workers N`` does);
* ``dask.distributed.Client(...).get_executor()`` – a whole cluster, same interface.

Results never depend on which job finishes first: every trial depends only on its own
architecture and seed, and :func:`run_in_order` hands results back in the order of the
items, whatever order the jobs finish in. A job that raises, or a worker that dies
(``BrokenProcessPool``), gives its exception as the result of each of its items; the
evaluator turns that into *failed* trials with the reason, so it never ends the search.
"""
from __future__ import annotations

import multiprocessing
import sys
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager, nullcontext
from typing import Any, Callable, Hashable, Iterator, Sequence, TypeVar

import torch

from nasbook.evaluation.cores import usable_cores
from nasbook.evaluation.warmup import warm_up
from nasbook.validation import check_choice, check_int, fail

Item = TypeVar("Item")
Job = list  # the items of one job (whatever the work function takes)


def plan_jobs(items: Sequence[Item], group: Callable[[Item], Hashable],
              most: Callable[[Hashable], int]) -> list[list[int]]:
    """Cut ``items`` into jobs, as lists of item positions.

    Items with the same ``group(item)`` go together, at most ``most(group)`` per job (at
    least one); jobs are ordered by their first item, so results can be handed back in
    item order without waiting for jobs that hold only later items.
    """
    groups: dict[Hashable, list[int]] = {}
    for position, item in enumerate(items):
        groups.setdefault(group(item), []).append(position)
    jobs = []
    for key, positions in groups.items():
        size = max(1, most(key))
        jobs += [positions[a:a + size] for a in range(0, len(positions), size)]
    return sorted(jobs)  # positions are unique, so this orders jobs by their first item


def run_in_order(items: Sequence[Item], jobs: Sequence[list[int]], work: Callable[[Job], list[Any]],
                 executor: Executor | None, should_stop: Callable[[], bool]) -> Iterator[Any]:
    """Yield the result of every item, in item order, as soon as it and all before it are done.

    ``jobs`` are lists of item positions (see :func:`plan_jobs`) that cover every item once;
    ``work(job's items)`` returns one result per item. A job that fails gives its exception
    as the result of each of its items. Ends early when ``should_stop()`` turns true.
    """
    finished = run_jobs([[items[p] for p in job] for job in jobs], work, executor, should_stop)
    done: dict[int, Any] = {}
    next_item = 0
    try:
        for j, outcome in finished:
            results = [outcome] * len(jobs[j]) if isinstance(outcome, BaseException) else outcome
            done.update(zip(jobs[j], results))
            while next_item in done:
                yield done.pop(next_item)
                next_item += 1
    finally:
        finished.close()  # cancels the jobs not started (stop, Ctrl-C)


def run_jobs(jobs: Sequence[Job], work: Callable[[Job], list[Any]], executor: Executor | None,
             should_stop: Callable[[], bool]) -> Iterator[tuple[int, list[Any] | BaseException]]:
    """Yield ``(job index, work(job))`` as jobs finish, or ``(index, exception)`` when one fails.

    Without an executor the jobs run here, in order, checking ``should_stop`` between them.
    With one, all jobs are submitted at once and collected as they complete; when
    ``should_stop()`` turns true the jobs not yet started are cancelled.
    """
    if executor is None:
        for i, job in enumerate(jobs):
            if should_stop():
                return
            yield i, work(job)
        return
    futures = {}
    for i, job in enumerate(jobs):
        try:
            futures[executor.submit(work, job)] = i
        except Exception as err:  # e.g. the pool broke while submitting
            yield i, err
    pending = set(futures)
    try:
        while pending and not should_stop():
            done, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            for future in sorted(done, key=futures.get):
                try:
                    outcome = future.result()
                except Exception as err:  # a crashed worker, a lost cluster node, ...
                    outcome = err
                yield futures[future], outcome
    finally:
        for future in pending:
            future.cancel()


MAX_WORKERS = 1024  # processes on one machine: more than any machine's cores, so only a typo (100000) is refused


def check_executor(executor: Any, field: str = "executor") -> Executor | None:
    """Return ``executor`` if it is None or a ``concurrent.futures.Executor``."""
    if executor is not None and not isinstance(executor, Executor):
        raise fail(field, executor, "a concurrent.futures.Executor (e.g. a ProcessPoolExecutor, "
                   "nasbook.evaluation.executors.local_pool(n), a Dask client's get_executor()) or None")
    return executor


def check_accepts_work(executor: Any, field: str = "executor") -> Executor | None:
    """``executor`` (see :func:`check_executor`), when it takes work: what a search checks first.

    A shut-down (or broken) executor would fail every trial, and the search would end with
    nothing but failures: a tiny probe job (``int()``) is submitted, and an executor that
    refuses it is refused here, before anything trains. (An evaluator handed such an executor
    outside a search still turns each refused job into a failed trial, as it must.)
    """
    if check_executor(executor, field) is None:
        return None
    try:
        executor.submit(int)
    except Exception as err:  # RuntimeError after shutdown(), BrokenProcessPool, a closed Dask client
        raise fail(field, executor, f"an executor that accepts work; this one refused a job "
                   f"({type(err).__name__}: {err}): pass one that is running (create it in a `with` block "
                   f"around the search, not before one that has ended)") from None
    return executor


def start_worker(threads: int) -> None:
    """What each pool worker runs first: its share of the cores, then the first trial's import."""
    torch.set_num_threads(threads)
    warm_up()


class Serial(Executor):
    """``executor=SERIAL``: train here, one job after the other, never on a pool.

    Passing it turns off nasbook's default of training a batch on the shared process pool
    (:mod:`nasbook.evaluation.auto`). Submitted work (outside an evaluator) just runs at once.
    """

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as err:
            future.set_exception(err)
        return future

    def __repr__(self) -> str:
        return "SERIAL"


SERIAL = Serial()


@contextmanager
def main_hidden() -> Iterator[None]:
    """While it is open, a process started with ``spawn`` does not re-run the main script.

    A spawned worker normally imports the parent's ``__main__`` again (as ``__mp_main__``), so
    a script that calls ``search(...)`` at top level, without ``if __name__ == "__main__":``,
    would start that search again inside every worker, which dies trying to start workers of
    its own: all of the batch's trials failed. nasbook's shared pool sends only objects that
    name no ``__main__`` class (``auto.sendable``), so its workers need nothing from it.
    """
    main = sys.modules.get("__main__")
    hidden = {name: getattr(main, name) for name in ("__file__", "__spec__") if getattr(main, name, None)}
    for name in hidden:  # what multiprocessing.spawn reads to find the main script
        setattr(main, name, None)
    try:
        yield
    finally:
        for name, value in hidden.items():
            setattr(main, name, value)


class LocalPool(Executor):
    """Local worker processes that share the CPU cores fairly and survive a crashed worker.

    Each worker gets ``cores // workers`` torch threads (at least one; the cores we may use,
    :func:`~nasbook.evaluation.cores.usable_cores`, not ``os.cpu_count()``), so N workers do
    not fight over the cores, and pays the first trial's import when it starts
    (:mod:`~nasbook.evaluation.warmup`). Workers start with ``spawn`` (a fresh interpreter), which is safe
    with PyTorch's thread pools and CUDA. A plain ``ProcessPoolExecutor`` is broken for good
    once one worker dies, so every later job of the search would fail too; this pool starts a
    fresh one on the next submit, and a crash fails only the jobs that were in the pool then.
    ``import_main=False`` starts workers that do not import the main script (:func:`main_hidden`):
    for work that needs nothing defined there.
    """

    def __init__(self, workers: int, context: str = "spawn", import_main: bool = True) -> None:
        self.workers = check_int("workers", workers, 1, MAX_WORKERS)
        self.context = check_choice("context", context, multiprocessing.get_all_start_methods())
        self.import_main = import_main
        self.threads = max(1, usable_cores() // self.workers)
        self.pool = self._start()

    def _start(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context(self.context),
                                   initializer=start_worker, initargs=(self.threads,))

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        with nullcontext() if self.import_main else main_hidden():  # a submit may start a worker
            try:
                return self.pool.submit(fn, *args, **kwargs)
            except BrokenProcessPool:  # a worker died earlier: replace the pool
                self.pool.shutdown(wait=False, cancel_futures=True)
                self.pool = self._start()
                return self.pool.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.pool.shutdown(wait=wait, cancel_futures=cancel_futures)


def local_pool(workers: int, context: str = "spawn") -> LocalPool:
    """A :class:`LocalPool` of ``workers`` processes (what ``nasbook search --workers N`` uses)."""
    return LocalPool(workers, context)
