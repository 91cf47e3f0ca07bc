"""Every registered strategy, in both modes, resumes to exactly its uninterrupted result.

Replay works through ask/tell only, so this holds as long as a strategy draws all its
randomness from streams seeded in ``setup`` (the Strategy contract). A strategy that
broke it (global RNG, wall-clock, unordered sets) fails here with a "divergence" error.
"""
from __future__ import annotations

import pytest

from nasbook import search
from nasbook.strategies import MODES, STRATEGIES
from nasbook.toy import ToyEvaluator

BUDGET = 24


def run(name, mode, log=None, stop_at=None, resume=False):
    seen = []
    return search(name, mode=mode, budget=BUDGET, seed=7, evaluator=ToyEvaluator(), progress=False,
                  log=log, resume=resume, callback=lambda t, s: seen.append(t),
                  stop=None if stop_at is None else (lambda: len(seen) >= stop_at))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_every_strategy_resumes_exactly(tmp_path, name, mode):
    full = run(name, mode)
    for cut in (1, 7, BUDGET - 1):  # first batch, mid-run, the very end
        log = tmp_path / f"cut{cut}.jsonl"
        part = run(name, mode, log=log, stop_at=cut)
        assert part.evaluations == cut
        resumed = run(name, mode, log=log, resume=True)
        assert resumed.resumed == cut
        assert [t.arch for t in resumed.trials] == [t.arch for t in full.trials], cut
        assert [t.score for t in resumed.trials] == [t.score for t in full.trials], cut
        assert resumed.best_arch == full.best_arch
        assert resumed.trace == full.trace  # the strategy's state took the same path
