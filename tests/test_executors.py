"""Executors: trials from local processes, threads or Dask equal the serial ones, in ask order."""
import json
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import pytest
import torch

import nasbook
import nasbook.evaluation.executors
from nasbook import Evaluator
from nasbook.cli import main
from nasbook.evaluation.training import Protocol
from nasbook.evaluation.executors import local_pool
from nasbook.strategies import RandomSearch

SHORT = Protocol("short", epochs=3)
SPACE = {"num_hidden_layers": [1, 2], "hidden_layer_size": [8], "learning_rate": [0.1, 0.01, 0.001],
         "optimizer": ["Adam", "SGD"]}
CRASH = {"num_hidden_layers": 1, "hidden_layer_size": 8, "learning_rate": 0.1, "optimizer": "SGD"}


class CrashingEvaluator(Evaluator):
    """Kills its worker process when asked to train CRASH (a stand-in for a lost machine).
    It changes train(), so it trains one by one (batched=False is the default on a CPU)."""

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


def forked_pool(workers):
    """Forked workers start in milliseconds (spawned ones re-import torch): fine for tests."""
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"),
                               initializer=torch.set_num_threads, initargs=(1,))


def test_process_pool_matches_serial_and_survives_a_crash():
    serial, steps = run()
    with forked_pool(2) as pool:
        parallel, parallel_steps = run(pool)
        assert same(serial, parallel) and parallel_steps == steps == list(range(12))
    with forked_pool(1) as pool:
        ev = CrashingEvaluator(protocol=SHORT, device="cpu")
        crashed = ev.using(pool).evaluate_many([CRASH])
        assert crashed[0].status == "failed" and "worker failed" in crashed[0].reason
        broken = ev.using(pool).evaluate_many([dict(CRASH, learning_rate=0.01)])  # the pool is dead now
        assert broken[0].status == "failed" and "BrokenProcessPool" in broken[0].reason
    assert ev.evaluate(dict(CRASH, learning_rate=0.01)).ok  # worker failures are not cached


def test_local_pool_replaces_itself_after_a_crashed_worker():
    ev = CrashingEvaluator(protocol=SHORT, device="cpu")
    with local_pool(2, context="fork") as pool:  # 2 workers: one torch thread each
        assert ev.using(pool).evaluate_many([CRASH])[0].status == "failed"
        after = ev.using(pool).evaluate_many([dict(CRASH, learning_rate=0.01)])[0]
    assert after.ok and after.val_loss == pytest.approx(ev.evaluate(dict(CRASH, learning_rate=0.01)).val_loss)


def test_cli_workers_gives_the_serial_result(monkeypatch, capsys):
    monkeypatch.setattr(nasbook.evaluation.executors, "local_pool", forked_pool)  # the real one spawns (slow start)
    outputs = []
    for workers in ("0", "2"):
        assert main(["search", "--budget", "3", "--protocol", "seed", "--json", "--workers", workers]) == 0
        outputs.append(json.loads(capsys.readouterr().out.strip().splitlines()[-1]))
    assert outputs[0]["best_arch"] == outputs[1]["best_arch"]
    assert abs(outputs[0]["best_val_loss"] - outputs[1]["best_val_loss"]) < 1e-5
    assert main(["search", "--workers", "-1"]) == 2 and "workers" in capsys.readouterr().err


@pytest.mark.slow
def test_local_pool_spawns_workers_that_train():
    """local_pool starts fresh interpreters (each imports torch: a few seconds)."""
    with local_pool(1) as pool:
        trial = Evaluator(protocol=SHORT, device="cpu", executor=pool).evaluate(CRASH)
    here = Evaluator(protocol=SHORT, device="cpu").evaluate(CRASH)
    assert trial.ok and trial.val_loss == pytest.approx(here.val_loss)


def test_thread_pool_and_failing_jobs():
    serial, _ = run()
    with ThreadPoolExecutor(2) as pool:
        threaded, _ = run(pool, batch_size=12)
        assert same(run(batch_size=12)[0], threaded)
        trials = RaisingEvaluator(protocol=SHORT, device="cpu", executor=pool).evaluate_many([CRASH, CRASH],
                                                                                             seed=[0, 1])
    assert [t.status for t in trials] == ["failed", "failed"] and "node lost" in trials[0].reason
    assert same(serial[:6], run(batch_size=6)[0][:6])


def test_dask_cluster_executor():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        on_dask, steps = run(client.get_executor())
    assert same(run()[0], on_dask) and steps == list(range(12))
