"""How many CPU cores may we use, and how many torch threads should each process run?

``os.cpu_count()`` counts the machine's cores, not ours. In a container (Binder, a CI
runner, a cluster job) the *cgroup quota* may allow one core of a 64-core host, and
``taskset`` or a job scheduler may pin the process to a few cores (the *affinity mask*).
PyTorch's default thread count follows the machine's cores too, so a notebook on Binder
starts a thread per host core on one core's worth of time: every small operation then
waits for threads that are not running (a "thread storm"; measured: 259 s instead of 41 s
for notebook 01 on a shared machine).

:func:`usable_cores` is the smaller of the two limits, :func:`threads_per_process` splits
them between processes, and gives one thread to a small network (mini-batches of a small
MLP are too short to split between threads: two threads measured slower than one).
Everything that starts processes or sets torch threads in nasbook asks this module.
"""
from __future__ import annotations

import math
import os
from collections.abc import Collection
from pathlib import Path
from typing import Any, Mapping

CGROUP_ROOT = "/sys/fs/cgroup"
# A matrix product smaller than this (multiply-adds per step of the widest layer) is not
# split between threads: below it the threads' hand-over costs more than they save.
# 64 rows x 512 x 512 (the default protocol's widest layer) is 16.8 M: one thread.
# 800 rows x 256 x 256 (the article's full batch) is 52 M: threads may help.
# Measured on a loaded 2-core machine only; to be confirmed on an idle one (docs/fast.md).
THREAD_MIN_MACS = 50_000_000


def affinity_cores(affinity: Collection[int] | None = None) -> int:
    """Cores this process may run on (its affinity mask), or ``len(affinity)`` when given."""
    if affinity is None:
        getter = getattr(os, "sched_getaffinity", None)  # Linux; macOS and Windows have no mask
        affinity = getter(0) if getter is not None else range(os.cpu_count() or 1)
    return max(1, len(affinity))


def quota_cores(root: "str | Path" = CGROUP_ROOT) -> float | None:
    """The cgroup CPU quota in cores (1.5 = one and a half cores' time), or None if unlimited.

    cgroup v2 writes ``"<quota> <period>"`` (or ``"max <period>"``) in ``cpu.max``;
    cgroup v1 writes them in ``cpu/cpu.cfs_quota_us`` and ``cpu/cpu.cfs_period_us``
    (quota -1: unlimited). Files that are missing or unreadable mean no quota.
    """
    root = Path(root)
    v2 = _read(root / "cpu.max")
    if v2 is not None:
        parts = v2.split()
        return _ratio(parts[0], parts[1]) if len(parts) == 2 and parts[0] != "max" else None
    for folder in ("cpu", "cpu,cpuacct", "cpuacct,cpu"):
        quota, period = _read(root / folder / "cpu.cfs_quota_us"), _read(root / folder / "cpu.cfs_period_us")
        if quota is not None and period is not None:
            return _ratio(quota, period)
    return None


def usable_cores(root: "str | Path" = CGROUP_ROOT, affinity: Collection[int] | None = None) -> int:
    """The cores we may keep busy: the affinity mask, capped by the cgroup quota (at least 1).

    A quota of 1.5 cores gives 1: a second busy process would be throttled half the time.
    """
    cores = affinity_cores(affinity)
    quota = quota_cores(root)
    if quota is not None:
        cores = min(cores, max(1, math.floor(quota + 1e-9)))
    return cores


def threads_per_process(processes: int, cores: int, macs_per_step: float = 0.0) -> int:
    """Torch threads for each of ``processes`` processes on ``cores`` cores (at least 1).

    ``processes × threads`` never exceeds ``cores`` (unless there are more processes than
    cores: then each has one). A network whose widest layer needs fewer than
    :data:`THREAD_MIN_MACS` multiply-adds per step gets one thread whatever is free.
    """
    share = max(1, cores // max(1, processes))
    return share if macs_per_step >= THREAD_MIN_MACS else 1


def widest_step_macs(arch: Mapping[str, Any], rows: int) -> float:
    """Multiply-adds of the widest layer's matrix product for one step of ``rows`` rows.

    Reads the MLP's ``hidden_layer_size``; an architecture without it (another family)
    counts as small, so it gets one thread.
    """
    width = arch.get("hidden_layer_size", 0)
    return float(rows * width * width) if isinstance(width, int) else 0.0


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


def _ratio(quota: str, period: str) -> float | None:
    try:
        q, p = float(quota), float(period)
    except ValueError:
        return None
    return q / p if q > 0 and p > 0 else None  # v1 writes -1 for "no quota"
