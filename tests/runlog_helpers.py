"""Helpers shared by the run-log tests (test_runlog_guarantees.py, test_log_paths.py)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from nasbook import NasbookError, search
from nasbook.evaluation.toy import ToyEvaluator

ROOT = Path(__file__).resolve().parents[1]
ROOT_USER = hasattr(os, "geteuid") and os.geteuid() == 0  # root may write where permissions say no
NEVER = 600  # seconds: a wait only a broken (hanging) run could reach


def counting_toy() -> ToyEvaluator:
    """A toy evaluator that counts its trainings in ``.trained`` (none may happen before a refusal)."""
    toy = ToyEvaluator()
    toy.trained, plain = 0, toy.train

    def train(arch, seed):
        toy.trained += 1
        return plain(arch, seed)

    toy.train = train
    return toy


def run(log, budget=4, evaluator=None, **kwargs):
    return search(budget=budget, seed=0, evaluator=evaluator or ToyEvaluator(), log=log, progress=False, **kwargs)


def refused(log, **kwargs) -> str:
    """Run a search on ``log`` that must be refused before any training; return the message."""
    toy = counting_toy()
    with pytest.raises(NasbookError) as caught:
        run(log, evaluator=toy, **kwargs)
    assert toy.trained == 0, "trained before refusing"
    return str(caught.value)
