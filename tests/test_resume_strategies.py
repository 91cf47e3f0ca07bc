"""Every registered strategy, in both modes, resumes to exactly its uninterrupted result.

Resume works through ask/tell only, so this holds as long as a strategy draws all its
randomness from streams seeded in ``setup`` (the Strategy contract). A strategy that
broke it (global RNG, wall-clock, unordered sets) fails here with a "divergence" error.

Strategies that train something themselves (DARTS' supernet) need a real task: they run
on a tiny one. Their internal training is repeated on resume (in their ``prepare`` phase),
deterministically, so the result is still exactly the uninterrupted one.
"""
from __future__ import annotations

import pytest
import torch

from nasbook import Evaluator, Task, search
from nasbook.strategies import MODES, STRATEGIES
from nasbook.evaluation.toy import ToyEvaluator

NEEDS_TRAINING = {"darts"}  # strategies that refuse the toy evaluator
TINY_SPACE = {"num_hidden_layers": [1, 2], "hidden_layer_size": [4, 8], "activation_function": ["ReLU", "Tanh"],
              "learning_rate": [0.1, 0.01], "optimizer": ["Adam", "SGD"]}


def tiny_task() -> Task:
    g = torch.Generator().manual_seed(0)
    X = torch.rand(96, 1, generator=g) * 6 - 3
    y = torch.sin(2 * X) + 0.5 * X
    return Task.from_arrays("tiny", X[:64], y[:64], X[64:], y[64:])


def setting(name):
    """(keyword arguments, budget) for one strategy, with a fresh evaluator (empty cache)."""
    if name in NEEDS_TRAINING:
        return dict(evaluator=Evaluator(task=tiny_task(), protocol="seed", device="cpu"), space=TINY_SPACE), 8
    return dict(evaluator=ToyEvaluator()), 24


def run(name, mode, kw, budget, log=None, stop_at=None, resume=False):
    seen = []
    return search(name, mode=mode, budget=budget, seed=7, progress=False, log=log, resume=resume,
                  callback=lambda t, s: seen.append(t),
                  stop=None if stop_at is None else (lambda: len(seen) >= stop_at), **kw)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", sorted(set(STRATEGIES) - {"darts"}))  # DARTS needs a real task: tests/test_darts.py
def test_every_strategy_resumes_exactly(tmp_path, name, mode):
    kw, budget = setting(name)
    full = run(name, mode, kw, budget)
    n = full.evaluations  # DARTS spends part of the budget on its supernet
    cuts = sorted({c for c in (1, n // 2, n - 1) if 0 < c < n}) or [0]  # first batch, mid-run, the end
    for cut in cuts:
        log = tmp_path / f"cut{cut}.jsonl"
        part = run(name, mode, *setting(name), log=log, stop_at=cut)
        assert part.evaluations == cut
        kw, _ = setting(name)
        resumed = run(name, mode, kw, budget, log=log, resume=True)
        assert resumed.resumed == cut
        assert [t.arch for t in resumed.trials] == [t.arch for t in full.trials], cut
        assert [t.score for t in resumed.trials] == [t.score for t in full.trials], cut
        assert resumed.best_arch == full.best_arch
        assert resumed.charged_evaluations == full.charged_evaluations
        assert resumed.trace == full.trace  # the strategy's state took the same path
