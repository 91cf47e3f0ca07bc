"""Failed trials: a NaN or an exception inside one training is recorded, and the search goes on."""
from __future__ import annotations

import math

from nasbook import Evaluator, Trial, read_log, search
from nasbook.evaluation.toy import ToyEvaluator

DIVERGES = {"num_hidden_layers": 1, "hidden_layer_size": 64, "activation_function": "ReLU",
            "learning_rate": 0.1, "optimizer": "SGD", "dropout_rate": 0.0}
CALM = {**DIVERGES, "learning_rate": 0.001, "optimizer": "Adam"}
SPACE = {key: [value] for key, value in DIVERGES.items()} | {"learning_rate": [0.1, 0.001],
                                                               "optimizer": ["SGD", "Adam"]}


def test_a_real_diverging_training_is_a_recorded_failure(tmp_path):
    log = tmp_path / "run.jsonl"
    result = search(space=SPACE, protocol="seed", budget=6, seed=0, log=log, progress=False)
    diverged = [t for t in result.trials if t.arch == DIVERGES]
    assert diverged and all(t.status == "diverged" for t in diverged)
    assert "training loss became" in diverged[0].reason and diverged[0].val_loss is None
    assert math.isinf(diverged[0].score)
    assert result.evaluations == 6 and result.failures == len(diverged)  # failures use the budget
    assert result.best is not None and math.isfinite(result.best_val_loss)
    assert result.best.status == "ok" and result.best.arch != DIVERGES
    _, logged, _ = read_log(log)  # the NaN/inf curve point is written as null, still strict JSON
    assert [t.status for t in logged] == [t.status for t in result.trials]
    assert any(v is None for v in next(t for t in logged if t.arch == DIVERGES).train_curve)


def test_an_exception_inside_training_is_a_recorded_failure(monkeypatch):
    plain = Evaluator.train

    def train(self, arch, seed):
        if arch["optimizer"] == "SGD":
            raise RuntimeError("CUDA out of memory (simulated)")
        return plain(self, arch, seed)

    monkeypatch.setattr(Evaluator, "train", train)
    result = search(space=SPACE, protocol="seed", budget=4, seed=1, progress=False)
    failed = [t for t in result.trials if t.status == "failed"]
    assert failed and failed[0].reason == "RuntimeError: CUDA out of memory (simulated)"
    assert result.evaluations == 4 and result.failures == len(failed)
    assert result.best is not None and result.best.arch["optimizer"] == "Adam"


def test_nan_validation_loss_is_diverged_not_best():
    trial = Trial(arch=CALM, val_loss=float("nan"))
    assert trial.status == "diverged" and trial.val_loss is None and math.isinf(trial.score)
    assert "nan" in trial.reason


def test_every_trial_failing_gives_no_best_and_no_nan():
    evaluator = ToyEvaluator(diverge=lambda arch: True)
    result = search(budget=5, seed=0, evaluator=evaluator, progress=False)
    assert result.failures == 5 and result.best is None and result.best_arch is None
    assert math.isinf(result.best_val_loss) and result.summary()["best_val_loss"] is None


def test_failed_trials_replay_on_resume(tmp_path):
    log = tmp_path / "run.jsonl"
    diverge = lambda arch: arch["optimizer"] == "SGD"  # noqa: E731
    full = search(budget=10, seed=5, evaluator=ToyEvaluator(diverge=diverge), progress=False)
    assert 0 < full.failures < 10
    seen = []
    search(budget=10, seed=5, evaluator=ToyEvaluator(diverge=diverge), log=log, progress=False,
           callback=lambda t, s: seen.append(t), stop=lambda: len(seen) >= 6)
    resumed = search(budget=10, seed=5, evaluator=ToyEvaluator(diverge=diverge), log=log,
                     resume=True, progress=False)
    assert [(t.arch, t.status, t.reason) for t in resumed.trials] == \
        [(t.arch, t.status, t.reason) for t in full.trials]


class CrashingEvaluator(Evaluator):
    """Kills the worker process that trains DIVERGES (a stand-in for a lost machine)."""

    def train(self, arch, seed):
        if arch == DIVERGES:
            import os

            os._exit(1)
        return super().train(arch, seed)


def test_a_crashed_worker_is_a_failed_trial_and_the_search_goes_on(tmp_path):
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from nasbook.strategies import RandomSearch

    log = tmp_path / "run.jsonl"
    import torch

    pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"),  # forks start fast;
                               initializer=torch.set_num_threads, initargs=(1,))  # 1 thread: no OpenMP hang
    with pool:
        result = search(RandomSearch(batch_size=2), space=SPACE, budget=6, seed=0,
                        evaluator=CrashingEvaluator(protocol="seed", device="cpu"), executor=pool,
                        log=log, progress=False)
    crashed = [t for t in result.trials if t.arch == DIVERGES]
    assert crashed and crashed[0].status == "failed" and "worker failed" in crashed[0].reason
    assert result.evaluations == 6 and result.failures >= len(crashed)  # counted against the budget
    assert [t.status for t in read_log(log)[1]] == [t.status for t in result.trials]
