"""The GPU path's decisions, checked on a CPU (no GPU was available to this project's tests).

What a CUDA machine would do differently is decided in plain Python: ``device="auto"`` picks
CUDA, batching (same-shape stacking) turns on, and the default parallel rule keeps the batch
in this process (the stacked network is the GPU's parallelism). The stacked training itself
is the same device-generic code on both (tests/test_parallel.py checks it against one by one).
"""
import torch

import nasbook.evaluation.auto as auto
from nasbook import Evaluator
from nasbook.device import resolve_device

WIDE = {"num_hidden_layers": 5, "hidden_layer_size": 512}


def test_a_gpu_stacks_and_keeps_its_batch_in_one_process(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(auto, "usable_cores", lambda: 8)
    monkeypatch.setattr(auto, "shared_pool", lambda workers: ("pool", workers))
    assert resolve_device("auto") == torch.device("cuda")
    ev = Evaluator(device="auto")  # nothing touches the (absent) GPU before training
    assert ev.device.type == "cuda" and ev.batched is True
    work = [(ev.check_arch(dict(WIDE, learning_rate=lr)), 0) for lr in (0.1, 0.01, 0.001, 0.0001)]
    assert len(ev.plan(work)) == 1  # one stacked job for the four same-shape networks
    assert auto.choose(ev, work, jobs=4) is None  # no process pool on a GPU
    cpu = Evaluator(device="cpu")
    assert cpu.batched is False and auto.choose(cpu, work, jobs=4) == ("pool", 4)


def test_a_worker_copy_keeps_the_device_and_drops_the_cache():
    ev = Evaluator(device="cpu")
    worker = ev._worker_copy()
    assert worker.device == ev.device and worker.cache is None and worker.executor is None
