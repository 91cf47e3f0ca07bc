"""Fixtures shared by the unit tests."""
import pytest
import torch

import nasbook
from nasbook.evaluation.toy import ToyEvaluator


@pytest.fixture(autouse=True)
def one_thread():
    """The tests train tiny networks: one torch thread is faster than a thread pool on 2 cores."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def optimum_hits(strategy, mode, budget, seeds=range(20)):
    """How many seeds end with the toy's known optimum as the best architecture."""
    hits = 0
    for seed in seeds:
        toy = ToyEvaluator()
        result = nasbook.search(strategy, mode=mode, evaluator=toy, budget=budget, seed=seed, progress=False)
        hits += result.best_arch == toy.optimum
    return hits


@pytest.fixture
def count_optimum_hits():
    """``count_optimum_hits(strategy, mode, budget, seeds=range(20))`` (see :func:`optimum_hits`)."""
    return optimum_hits
