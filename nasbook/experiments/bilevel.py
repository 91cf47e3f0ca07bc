"""The helpers of notebook 01 (NAS as a bi-level problem): a landscape, memorisation, the test split.

* :func:`landscape` trains every architecture of a small two-key grid with several seeds:
  the outer objective the learner's sliders were feeling their way across;
* :func:`head_rows` keeps only the first rows of a task's training split (the validation and
  test splits stay whole), so a network with far more weights than training points can
  *memorise* them — fit their noise — which a long training shows;
* :func:`split_losses` scores a trained network on the splits you name — the test split
  only when you ask for it, once, at the end.
"""
from __future__ import annotations

import dataclasses
from typing import Iterable

import numpy as np
import torch
from torch import nn

from nasbook.evaluation.base import BaseEvaluator
from nasbook.evaluation.protocols import loss_function
from nasbook.spaces.space import SearchSpace
from nasbook.tasks import Task
from nasbook.validation import check_choice, check_int, fail

SYNTHETIC_NOISE_VARIANCE = 0.1 ** 2  # nasbook.tasks.synthetic adds 0.1·N(0, 1): no model can beat this MSE on fresh data
SPLITS = ("train", "val", "test")


def varying_keys(space: SearchSpace) -> list[str]:
    """The keys of ``space`` with more than one choice, in order."""
    return [key for key, values in space.choices.items() if len(values) > 1]


def landscape(evaluator: BaseEvaluator, grid: SearchSpace, seeds: Iterable[int]) -> np.ndarray:
    """Scores of every architecture of ``grid`` for each seed: an array (seeds, rows, columns)
    indexed by the choice positions of the grid's two varying keys (e.g. depth × width)."""
    keys = varying_keys(grid)
    if len(keys) != 2:
        raise fail("grid", grid.to_dict(), "a space where exactly two keys have more than one choice")
    seeds = list(seeds)
    rows, cols = (grid.keys.index(k) for k in keys)
    scores = np.full((len(seeds), len(grid.choices[keys[0]]), len(grid.choices[keys[1]])), np.nan)
    for s, seed in enumerate(seeds):
        for trial in evaluator.evaluate_many(list(grid.enumerate()), seed=seed):
            code = grid.encode(trial.arch)
            scores[s, code[rows], code[cols]] = trial.score
    return scores


def head_rows(task: Task, rows: int) -> Task:
    """``task`` with only its first ``rows`` training rows (validation and test unchanged)."""
    rows = check_int("rows", rows, 1, len(task.X_train))
    return dataclasses.replace(task, name=f"{task.name}[:{rows}]", X_train=task.X_train[:rows],
                               y_train=task.y_train[:rows])


@torch.no_grad()
def split_losses(model: nn.Module, task: Task, splits: Iterable[str] = ("train", "val")) -> dict[str, float]:
    """The loss of a trained ``model`` on each named split of ``task`` ("train", "val", "test")."""
    criterion = loss_function(task)
    device = next(model.parameters()).device
    model.eval()
    losses = {}
    for split in splits:
        check_choice("split", split, SPLITS)
        X, y = getattr(task, f"X_{split}"), getattr(task, f"y_{split}")
        if X is None:
            raise fail("split", split, f"a split task {task.name!r} has (it has no test split)")
        losses[split] = float(criterion(model(X.to(device)), y.to(device)))
    return losses
