"""Every core by default: where a batch of trainings runs when nobody said.

When a strategy proposes several architectures at once (an evolution's first population,
an RL batch, a Pareto generation, random search with ``batch_size``, the benchmark
builder), :class:`~nasbook.evaluation.training.Evaluator` asks :func:`choose` where to
train them. The rule, in order:

1. an ``executor`` you passed is used (``executor=SERIAL``: always here, one by one);
2. ``NASBOOK_WORKERS=1`` (or ``0``) in the environment: here; ``NASBOOK_WORKERS=N``: N processes;
3. here when the device is not the CPU (a GPU trains a batch as one stacked network),
   when we may use only one core (:func:`~nasbook.evaluation.cores.usable_cores`: the
   affinity mask and the cgroup quota, so Binder's one-core quota stays here), when the
   batch holds one job, or when the evaluator cannot be sent to another process (a class
   defined in a notebook or script: spawned workers could not import it);
4. here when the batch is *tiny*: :func:`estimate_seconds` of its trainings below
   :data:`PARALLEL_MIN_SECONDS` (sending the jobs would cost more than it saves), or, while
   no pool runs yet, a saving below :data:`POOL_START_SECONDS` (what starting one costs);
5. otherwise on the *shared pool*: ``min(usable cores, jobs)`` processes (at most
   :data:`MAX_AUTO_WORKERS`), started once and reused by every later search in this
   Python process (a notebook kernel), and shut down when it exits.

Results are bit-identical either way: each job trains one architecture from its own seed
with the same code, and torch's CPU kernels here give the same bits with any thread
count (tests/test_auto.py checks both). Same-shape *stacking* is not part of the default
on a CPU for that reason: a stacked trial's last digits depend on its batch-mates
(``Evaluator(batched=True)`` turns it on; docs/fast.md).

The thresholds are named constants measured on a loaded 2-core machine; docs/fast.md says
how they were measured, and that they are to be confirmed on an idle one.
"""
from __future__ import annotations

import atexit
import math
import os
from concurrent.futures import Executor
from multiprocessing.reduction import ForkingPickler
from typing import Any, Callable, Mapping, Sequence

import torch

from nasbook.evaluation.cores import threads_per_process, usable_cores, widest_step_macs
from nasbook.evaluation.executors import LocalPool, Serial
from nasbook.evaluation.protocols import Protocol
from nasbook.validation import fail

STEP_SECONDS = 1e-3  # one optimiser step of a small MLP on one core: per-call overhead, measured ~1-2.5 ms
MACS_PER_SECOND = 3e10  # one core's float32 matmul rate, multiply-adds/s (measured ~65 GFLOP/s peak)
PARALLEL_MIN_SECONDS = 0.5  # a batch estimated shorter than this trains here
POOL_START_SECONDS = 5.0  # starting a pool: spawn + import torch + warm-up, ~3-7 s here, paid once
MAX_AUTO_WORKERS = 4  # each worker holds torch in memory (~300 MB): a laptop's 16 cores would need 5 GB
ENVIRONMENT = "NASBOOK_WORKERS"
POOL_CONTEXT = "spawn"  # fresh interpreters: safe with torch's thread pools, CUDA and notebook kernels

_pool: LocalPool | None = None


def estimate_seconds(arch: Mapping[str, Any], protocol: Protocol, rows: int, width_in: int = 1) -> float:
    """A rough one-core estimate of one training: steps × (overhead + matmul work).

    Forward and backward of an MLP cost ~3 multiply-adds per weight per row. Architectures
    of another family (no ``hidden_layer_size``) count their steps' overhead only.
    """
    batch = protocol.batch_size or rows
    steps = protocol.epochs * math.ceil(rows / batch)
    width, layers = arch.get("hidden_layer_size", 0), arch.get("num_hidden_layers", 0)
    weights = width * width * max(layers - 1, 0) + 2 * width * width_in if isinstance(width, int) else 0
    return steps * (STEP_SECONDS + 3 * min(batch, rows) * weights / MACS_PER_SECOND)


def requested_workers() -> int | None:
    """``NASBOOK_WORKERS`` as a number of processes, or None when unset or ``auto``."""
    value = os.environ.get(ENVIRONMENT, "auto").strip().lower()
    if value in ("", "auto"):
        return None
    if not value.isdigit():
        raise fail(ENVIRONMENT, value, "'auto', or a number of processes (0 or 1: train in this process)")
    return max(1, int(value))


def choose(evaluator: Any, work: Sequence[tuple], jobs: int) -> Executor | None:
    """Where ``evaluator`` trains ``work`` cut into ``jobs`` jobs: an executor, or None for here."""
    if isinstance(evaluator.executor, Serial):
        return None
    if evaluator.executor is not None:
        return evaluator.executor
    asked = requested_workers()
    if asked == 1 or jobs < 2 or evaluator.device.type != "cpu":
        return None
    if asked is None:
        cores = usable_cores()
        if cores < 2:
            return None
        workers = min(cores, jobs, MAX_AUTO_WORKERS)
        task = evaluator.task
        serial = sum(estimate_seconds(item[0], evaluator.protocol, len(task.X_train), task.X_train.shape[1])
                     for item in work)
        saving = serial * (1 - 1 / workers)
        warm = _pool is not None and _pool.workers >= workers
        if serial < PARALLEL_MIN_SECONDS or (not warm and saving < POOL_START_SECONDS):
            return None
    else:
        workers = asked
    if not sendable(evaluator):
        return None
    return shared_pool(workers)


def sendable(evaluator: Any) -> bool:
    """Whether a spawned worker can rebuild ``evaluator`` (every class in it importable by name).

    It is serialised the way the pool sends it (only serialised: nothing is read back here).
    """
    try:
        data = bytes(ForkingPickler.dumps(evaluator._worker_copy()))
    except Exception:  # a lambda, an open file, a local class ...
        return False
    return b"__main__" not in data  # a class from a notebook cell or a script: not importable there


def shared_pool(workers: int) -> LocalPool:
    """The process pool shared by every search in this Python process, with ``workers`` processes.

    Started on first use (its workers warm up at once, in parallel); a later call asking for
    more workers replaces it. A worker that crashed is replaced by :class:`LocalPool` itself.
    """
    global _pool
    if _pool is None or _pool.workers < workers:
        if _pool is not None:
            _pool.shutdown(wait=False, cancel_futures=True)
        _pool = LocalPool(workers, POOL_CONTEXT, import_main=False)  # sendable(): nothing from __main__
        for _ in range(workers):
            _pool.submit(int)  # start every worker now: their start-up and warm-up overlap
    return _pool


def prepare_pool() -> LocalPool | None:
    """Start the shared pool ahead of the first search (``setup_notebook`` does, at full budget).

    Returns None where it would not be used: one usable core, or ``NASBOOK_WORKERS=1``.
    """
    asked = requested_workers()
    workers = asked if asked is not None else min(usable_cores(), MAX_AUTO_WORKERS)
    return shared_pool(workers) if workers >= 2 else None


def close_pool() -> None:
    """Shut the shared pool down (done at exit; call it to free its memory sooner)."""
    global _pool
    if _pool is not None:
        _pool.shutdown(wait=True, cancel_futures=True)
        _pool = None


atexit.register(close_pool)


def under_thread_policy(work: Callable[[list], list], executor: Executor | None,
                        evaluator: Any) -> Callable[[list], list]:
    """``work`` (the evaluator's job function) under :class:`ThreadPolicy`, when it runs here
    or on a :class:`LocalPool`. Other executors (threads, Dask, your own pool) set their
    workers' threads themselves, and torch's thread count is one per process: unchanged."""
    if executor is not None and not isinstance(executor, LocalPool):
        return work
    processes = 1 if executor is None else executor.workers
    rows = len(evaluator.task.X_train)
    return ThreadPolicy(work, processes, usable_cores(), min(evaluator.protocol.batch_size or rows, rows))


class ThreadPolicy:
    """A job function that runs under the thread policy: ``work(job)`` with the torch
    threads :func:`~nasbook.evaluation.cores.threads_per_process` gives the job's widest
    network, never more than were set before; the previous count is restored after.

    Picklable (it is sent to pool workers with the job).
    """

    def __init__(self, work: Callable[[list], list], processes: int, cores: int, rows: int) -> None:
        self.work, self.processes, self.cores, self.rows = work, processes, cores, rows

    def __call__(self, job: list) -> list:
        macs = max(widest_step_macs(item[0], self.rows) for item in job)
        before = torch.get_num_threads()
        threads = min(before, threads_per_process(self.processes, self.cores, macs))
        if threads != before:
            torch.set_num_threads(threads)
        try:
            return self.work(job)
        finally:
            if threads != before:
                torch.set_num_threads(before)
