"""Every core by default (nasbook.evaluation.auto): the rule, the shared pool, bit-identical results."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import nasbook
import nasbook.evaluation.auto as auto
from nasbook import Evaluator, NasbookError
from nasbook.evaluation.executors import SERIAL, LocalPool
from nasbook.evaluation.training import Protocol
from nasbook.strategies import RandomSearch

SHORT = Protocol("short", epochs=3, batch_size=64)
SPACE = {"num_hidden_layers": [1, 2], "hidden_layer_size": [8, 16], "learning_rate": [0.1, 0.01],
         "optimizer": ["Adam", "SGD", "RMSprop"], "dropout_rate": [0.0, 0.2]}
WIDE = {"num_hidden_layers": 5, "hidden_layer_size": 512}


class NotebookEvaluator(Evaluator):
    """Stands in for a class defined in a notebook cell (spawned workers cannot import it)."""


NotebookEvaluator.__module__ = "__main__"


@pytest.fixture
def two_cores(monkeypatch):
    monkeypatch.setattr(auto, "usable_cores", lambda: 2)
    monkeypatch.delenv(auto.ENVIRONMENT, raising=False)


@pytest.fixture
def forked_shared_pool(monkeypatch):
    """The shared pool, forked (spawned workers re-import torch: seconds), closed afterwards."""
    monkeypatch.setattr(auto, "POOL_CONTEXT", "fork")
    auto.close_pool()
    yield
    auto.close_pool()


def work(n, arch=WIDE):
    return [(dict(arch, learning_rate=0.1 / (i + 1)), 0) for i in range(n)]


def test_the_rule(two_cores, monkeypatch):
    ev = Evaluator(device="cpu")  # the default protocol: 20 epochs of 13 mini-batches
    assert auto.choose(ev, work(1), jobs=1) is None                      # one job: here
    assert auto.choose(ev, work(2, {"num_hidden_layers": 1, "hidden_layer_size": 8}), jobs=2) is None  # tiny
    assert auto.choose(Evaluator(device="cpu", executor=SERIAL), work(8), jobs=8) is None  # asked for
    assert auto.choose(NotebookEvaluator(device="cpu"), work(8), jobs=8) is None  # cannot be sent
    assert not auto.sendable(NotebookEvaluator(device="cpu")) and auto.sendable(ev)
    monkeypatch.setattr(auto, "shared_pool", lambda workers: ("pool", workers))
    assert auto.choose(ev, work(8), jobs=8) == ("pool", 2)               # 8 wide networks: ~16 s of work
    monkeypatch.setattr(auto, "usable_cores", lambda: 1)
    assert auto.choose(ev, work(8), jobs=8) is None                      # Binder's one-core quota


def test_the_environment_decides_first(two_cores, monkeypatch):
    ev = Evaluator(device="cpu")
    monkeypatch.setattr(auto, "shared_pool", lambda workers: ("pool", workers))
    monkeypatch.setenv(auto.ENVIRONMENT, "1")
    assert auto.choose(ev, work(8), jobs=8) is None
    monkeypatch.setenv(auto.ENVIRONMENT, "3")
    assert auto.choose(ev, work(2, {"hidden_layer_size": 8}), jobs=2) == ("pool", 3)  # even a tiny batch
    monkeypatch.setenv(auto.ENVIRONMENT, "many")
    with pytest.raises(NasbookError, match=auto.ENVIRONMENT):
        auto.choose(ev, work(8), jobs=8)
    given = object()
    monkeypatch.delenv(auto.ENVIRONMENT)
    ev.executor = given
    assert auto.choose(ev, work(8), jobs=8) is given                     # your executor, always


def test_the_default_pool_gives_bit_identical_trials(two_cores, forked_shared_pool, monkeypatch):
    def searched():
        result = nasbook.search(RandomSearch(batch_size=6), space=SPACE, budget=12, seed=4, protocol=SHORT,
                                device="cpu", progress=False)
        return [(t.arch, t.status, t.val_loss, t.train_curve, t.steps) for t in result.trials]

    monkeypatch.setenv(auto.ENVIRONMENT, "1")
    here = searched()
    monkeypatch.setenv(auto.ENVIRONMENT, "2")
    pooled = searched()
    assert isinstance(auto._pool, LocalPool) and auto._pool.workers == 2  # it did run on the pool
    assert pooled == here                                                # bit for bit, in ask order
    first = auto._pool
    searched()
    assert auto._pool is first                                           # reused by the next search


def test_serial_is_an_executor_a_search_accepts():
    result = nasbook.search(RandomSearch(batch_size=3), space=SPACE, budget=3, seed=1, protocol=SHORT,
                            device="cpu", progress=False, executor=SERIAL)
    assert [t.ok for t in result.trials] == [True] * 3
    assert SERIAL.submit(int, "7").result() == 7


def test_thread_count_does_not_change_the_bits():
    arch = {"num_hidden_layers": 2, "hidden_layer_size": 64, "optimizer": "Adam", "dropout_rate": 0.2}
    ev = Evaluator(protocol=SHORT, device="cpu", cache=False)
    runs = []
    for threads in (1, 2):
        torch.set_num_threads(threads)
        trial = ev.train(ev.check_arch(arch), 3)
        runs.append((trial.val_loss, trial.train_curve))
    assert runs[0] == runs[1]


def test_thread_policy_never_raises_the_count_and_restores_it(monkeypatch):
    seen = []

    def job(items):
        seen.append(torch.get_num_threads())
        return items

    torch.set_num_threads(2)
    small = auto.ThreadPolicy(job, processes=1, cores=8, rows=64)
    assert small([({"hidden_layer_size": 8}, 0)]) == [({"hidden_layer_size": 8}, 0)]
    wide = auto.ThreadPolicy(job, processes=1, cores=8, rows=800)
    wide([({"hidden_layer_size": 512}, 0)])
    assert seen == [1, 2] and torch.get_num_threads() == 2  # wide: min(8 cores, the 2 set before)


UNGUARDED = """
import collections, nasbook
from nasbook.evaluation import Protocol
from nasbook.strategies import RandomSearch
result = nasbook.search(RandomSearch(batch_size=4), budget=4, seed=0, progress=False,
                        protocol=Protocol("short", epochs=1, batch_size=64))
print("STATUSES", dict(collections.Counter(t.status for t in result.trials)))
"""


def test_a_script_without_a_main_guard_still_trains_on_the_pool(tmp_path):
    """Spawned workers must not re-run the script (they would start its search again and die)."""
    script = tmp_path / "search_at_top_level.py"  # no `if __name__ == "__main__":`
    script.write_text(UNGUARDED)
    env = {**os.environ, "NASBOOK_WORKERS": "2", "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=280)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "STATUSES {'ok': 4}" in run.stdout, run.stdout + run.stderr[-2000:]
    assert "RuntimeError" not in run.stderr
