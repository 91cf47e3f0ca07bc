"""The thread policy: usable cores from the affinity mask and the cgroup quota, never os.cpu_count()."""
import pytest

import nasbook.evaluation.executors as executors
from nasbook.evaluation.cores import (THREAD_MIN_MACS, affinity_cores, quota_cores, threads_per_process,
                                      usable_cores, widest_step_macs)

FOUR = {0, 1, 2, 3}


def cgroup(tmp_path, files):
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text + "\n")
    return tmp_path


@pytest.mark.parametrize("files,quota", [
    ({"cpu.max": "150000 100000"}, 1.5),                                   # cgroup v2, a quota
    ({"cpu.max": "max 100000"}, None),                                     # v2, unlimited
    ({"cpu/cpu.cfs_quota_us": "200000", "cpu/cpu.cfs_period_us": "100000"}, 2.0),  # v1
    ({"cpu,cpuacct/cpu.cfs_quota_us": "50000", "cpu,cpuacct/cpu.cfs_period_us": "100000"}, 0.5),
    ({"cpu/cpu.cfs_quota_us": "-1", "cpu/cpu.cfs_period_us": "100000"}, None),  # v1, unlimited
    ({"cpu.max": "garbage"}, None),
    ({}, None),                                                            # no cgroup files at all
])
def test_quota_from_fake_cgroup_files(tmp_path, files, quota):
    root = cgroup(tmp_path, files)
    assert quota_cores(root) == quota


@pytest.mark.parametrize("files,cores", [
    ({"cpu.max": "150000 100000"}, 1),    # 1.5 cores' time: a second busy process would be throttled
    ({"cpu.max": "50000 100000"}, 1),     # below one core: still one
    ({"cpu.max": "300000 100000"}, 3),
    ({"cpu.max": "1600000 100000"}, 4),   # the quota allows 16, the mask only 4
    ({}, 4),
])
def test_usable_cores_is_the_smaller_limit(tmp_path, files, cores):
    assert usable_cores(cgroup(tmp_path, files), affinity=FOUR) == cores


def test_affinity_counts_the_mask():
    assert affinity_cores({3, 7}) == 2 and affinity_cores(set()) == 1
    assert affinity_cores() >= 1


@pytest.mark.parametrize("processes", [1, 2, 3, 4, 8])
@pytest.mark.parametrize("cores", [1, 2, 4, 16])
def test_processes_times_threads_never_exceed_the_cores(processes, cores):
    threads = threads_per_process(processes, cores, macs_per_step=10 * THREAD_MIN_MACS)
    assert threads >= 1
    assert processes * threads <= max(cores, processes)


def test_small_networks_get_one_thread():
    assert threads_per_process(1, 16, macs_per_step=THREAD_MIN_MACS - 1) == 1
    assert threads_per_process(1, 16, macs_per_step=THREAD_MIN_MACS) == 16
    assert widest_step_macs({"hidden_layer_size": 512}, 64) == 64 * 512 * 512 < THREAD_MIN_MACS
    assert widest_step_macs({"cell": "conv"}, 64) == 0.0  # another family: small


def test_local_pool_splits_the_usable_cores_not_cpu_count(monkeypatch):
    monkeypatch.setattr(executors, "usable_cores", lambda: 4)
    monkeypatch.setattr("os.cpu_count", lambda: 64)
    pool = executors.LocalPool(2)  # no worker starts before a job is submitted
    try:
        assert pool.threads == 2
    finally:
        pool.shutdown()
