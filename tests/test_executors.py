"""Executors: trials from local processes, threads or Dask equal the serial ones, in ask order."""
import os
from concurrent.futures import ThreadPoolExecutor

import pytest

import nasbook
from nasbook import Evaluator
from nasbook.evaluator import Protocol
from nasbook.executors import local_pool
from nasbook.strategies import RandomSearch

SHORT = Protocol("short", epochs=3)
SPACE = {"num_hidden_layers": [1, 2], "hidden_layer_size": [8], "learning_rate": [0.1, 0.01, 0.001],
         "optimizer": ["Adam", "SGD"]}
CRASH = {"num_hidden_layers": 1, "hidden_layer_size": 8, "learning_rate": 0.1, "optimizer": "SGD"}


class CrashingEvaluator(Evaluator):
    """Kills its worker process when asked to train CRASH (a stand-in for a lost machine)."""

    def train(self, arch, seed):
        if all(arch[k] == v for k, v in CRASH.items()):
            os._exit(1)
        return super().train(arch, seed)


class RaisingEvaluator(Evaluator):
    def _train_job(self, job):
        raise RuntimeError("node lost")


def run(executor=None, batch_size=6):
    result = nasbook.search(RandomSearch(batch_size=batch_size), space=SPACE, budget=12, seed=5,
                            protocol=SHORT, device="cpu", progress=False, executor=executor)
    return [(t.arch, t.status, t.val_loss) for t in result.trials], [t.step for t in result.trials]


def same(a, b, tol=1e-6):
    return all(x[:2] == y[:2] and (x[2] is None) == (y[2] is None) and (x[2] is None or abs(x[2] - y[2]) <= tol)
               for x, y in zip(a, b)) and len(a) == len(b)


def test_process_pool_matches_serial_and_survives_a_crash():
    serial, steps = run()
    with local_pool(2) as pool:
        parallel, parallel_steps = run(pool)
        assert same(serial, parallel) and parallel_steps == steps == list(range(12))
    with local_pool(1) as pool:
        ev = CrashingEvaluator(protocol=SHORT, device="cpu")
        crashed = ev.evaluate_many([CRASH], executor=pool)
        assert crashed[0].status == "failed" and "worker failed" in crashed[0].reason
        broken = ev.evaluate_many([dict(CRASH, learning_rate=0.01)], executor=pool)  # the pool is dead now
        assert broken[0].status == "failed" and "BrokenProcessPool" in broken[0].reason
    assert ev.evaluate(dict(CRASH, learning_rate=0.01)).ok  # worker failures are not cached


def test_thread_pool_and_failing_jobs():
    serial, _ = run()
    with ThreadPoolExecutor(2) as pool:
        threaded, _ = run(pool, batch_size=12)
        assert same(run(batch_size=12)[0], threaded)
        trials = RaisingEvaluator(protocol=SHORT, device="cpu").evaluate_many([CRASH, CRASH], seed=[0, 1],
                                                                           executor=pool)
    assert [t.status for t in trials] == ["failed", "failed"] and "node lost" in trials[0].reason
    assert same(serial[:6], run(batch_size=6)[0][:6])


def test_dask_cluster_executor():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        on_dask, steps = run(client.get_executor())
    assert same(run()[0], on_dask) and steps == list(range(12))
