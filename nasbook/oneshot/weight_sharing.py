"""Weight sharing: train one *supernet*, then score many architectures with the weights they inherit.

Training every candidate from scratch is what makes NAS expensive. A one-shot method trains a
single network that contains every candidate as a sub-network, and scores a candidate by
running its slice of the shared weights — no training of its own (ENAS, Pham et al., 2018;
single-path one-shot, Guo et al., 2020; DARTS is weight sharing too).

The supernet is the one DARTS relaxes: :class:`~nasbook.oneshot.supernet.SuperNet` for the MLP
space, :class:`~nasbook.oneshot.cell_supernet.CellSuperNet` for a cell space (:func:`supernet_for`
picks it by the space's family). Here it is run one *single path* at a time. On a cell space a
candidate runs its own op on every edge. On the MLP space a candidate with depth ``d``, width ``k`` and
activation ``f`` uses the first ``d`` hidden layers, the first ``k`` units of each, the
activation ``f``, and the exit head of depth ``d`` (one head per depth, so a shallow network
does not have to share its output layer with a deep one). Every training step samples one
candidate uniformly and trains its slice ("single-path", uniform sampling); the
architecture parameters α are not used.

Only the *structure* keys are shared (depth, width, activation); learning rate, optimiser and
dropout describe how a network is trained, which one shared training cannot vary, so the
supernet is trained with fixed ones and scoring ignores them.

Random search with weight sharing (Li & Talwalkar, 2019) is exactly this: train the supernet
on uniformly sampled paths, score random candidates with inherited weights, keep the best
(:mod:`nasbook.experiments.sharing` judges how well those scores rank the candidates).

The catch, measured in notebook 08: inherited weights were trained for the average
sub-network, so the ranking they give can differ from stand-alone training.
"""
from __future__ import annotations

import time
from typing import Any, Mapping, Sequence

import numpy as np
import torch

from nasbook.device import resolve_device
from nasbook.evaluation.protocols import loss_function
from nasbook.oneshot.cell_supernet import CellSuperNet
from nasbook.oneshot.supernet import SuperNet
from nasbook.spaces.cell import CellFamily
from nasbook.spaces.space import SearchSpace, as_space
from nasbook.tasks import Task, make_task
from nasbook.validation import check_float, check_int


def supernet_for(space: SearchSpace, task: Task, seed: int = 0) -> SuperNet | CellSuperNet:
    """The supernet of ``space``: a :class:`CellSuperNet` for a cell space, else the MLP's."""
    if isinstance(space.family, CellFamily):
        return CellSuperNet.for_space(space, task.input_shape, task.out_features, space.family, seed=seed)
    return SuperNet.for_space(space, task.in_features, task.out_features, seed=seed)


def train_supernet(space: "SearchSpace | Mapping[str, list[Any]] | None" = None, task: "str | Task" = "synthetic",
                   steps: int = 1000, batch_size: int = 64, lr: float = 0.01, seed: int = 0,
                   device: Any = "auto") -> SuperNet | CellSuperNet:
    """Train a supernet for ``steps`` Adam steps, each on one uniformly sampled sub-network.

    Sampling and mini-batches come from ``seed``, so the same call gives the same weights on the
    same device. The result records ``steps`` and ``seconds`` (to compare with stand-alone costs).
    """
    task = make_task(task)
    steps = check_int("steps", steps, minimum=1)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    lr = check_float("lr", lr, 0.0, 1.0, high_open=True)
    device = resolve_device(device)
    space = as_space(space)
    net = supernet_for(space, task, seed=seed).to(device)
    rng = np.random.default_rng([seed, 1])
    optimizer = torch.optim.Adam(net.weights(), lr=lr)
    criterion = loss_function(task)
    X, y = task.X_train.to(device), task.y_train.to(device)
    start = time.perf_counter()
    net.train()
    for _ in range(steps):
        arch = space.sample(rng)  # one path, uniformly at random
        rows = torch.as_tensor(rng.choice(len(X), size=min(batch_size, len(X)), replace=False), device=device)
        optimizer.zero_grad()
        criterion(net(X[rows], arch), y[rows]).backward()
        optimizer.step()
    net.steps += steps
    net.seconds += time.perf_counter() - start
    return net


@torch.no_grad()
def inherited_scores(net: SuperNet | CellSuperNet, archs: Sequence[Mapping[str, Any]],
                     task: "str | Task" = "synthetic") -> list[float]:
    """Validation loss of each architecture with the weights it inherits (no training)."""
    task = make_task(task)
    device = next(net.parameters()).device
    criterion = loss_function(task)
    X, y = task.X_val.to(device), task.y_val.to(device)
    net.eval()
    scores = []
    for arch in archs:
        loss = float(criterion(net(X, arch), y))
        scores.append(loss if np.isfinite(loss) else float("inf"))
    return scores
