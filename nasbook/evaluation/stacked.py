"""Population-parallel training: train many same-shape networks as one stacked network.

One small MLP cannot keep a CPU busy, let alone a GPU: a 32-wide network on 800 rows is
mostly Python and kernel-launch overhead. But P networks with the same layer sizes and
activation can be trained *together*: stack their weights into tensors of shape
``[P, out, in]`` and run each layer for all of them with one batched matrix product
(``torch.baddbmm``). The rest may differ per member: learning rate, optimiser
(:mod:`nasbook.evaluation.stacked_optim`), dropout rate and seed.

Each member replays exactly the random draws of its one-by-one run
(:meth:`nasbook.evaluation.training.Evaluator.train`): initial weights from a CPU generator seeded
with its seed, layer by layer (``models.init_linear``); dropout masks from its own device
generator; mini-batch order from its own CPU generator. The maths is the same too, so
the results equal one-by-one training up to float rounding (the tests check
``|Δ loss| ≤ 1e-3``). Members never mix: the summed loss gives each member exactly its
own gradient, and a member that diverges is recorded and removed from the stack while
the others carry on.

The code is device-generic: the same path runs on CUDA (where it pays off most).
"""
from __future__ import annotations

import math
import time
from typing import Any, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from nasbook.spaces.mlp import MLP, MLP_FAMILY, dropout
from nasbook.evaluation.stacked_optim import ORDER, StackedOptimizer, per_member
from nasbook.tasks import Task
from nasbook.trial import Trial


def group_key(arch: dict[str, Any]) -> tuple:
    """Architectures with equal keys can be stacked: same layer sizes, same activation."""
    return MLP_FAMILY.stack_key(arch)


class Population:
    """The stacked weights of P same-shape MLPs, each member built as its one-by-one run builds it."""

    def __init__(self, archs: Sequence[dict[str, Any]], seeds: Sequence[int], task: Task,
                 device: torch.device) -> None:
        self.members: list[MLP] = [MLP_FAMILY.build(arch, task, seed) for arch, seed in zip(archs, seeds)]
        first = self.members[0]
        self.sizes = [first.hidden[0].in_features if first.hidden else first.head.in_features]
        self.sizes += [layer.out_features for layer in [*first.hidden, first.head]]
        self.activation = first.activation
        layers = [[*m.hidden, m.head] for m in self.members]
        self.weights = [torch.stack([ls[i].weight.detach() for ls in layers]).to(device).requires_grad_()
                        for i in range(len(self.sizes) - 1)]  # [P, out, in]
        self.biases = [torch.stack([ls[i].bias.detach() for ls in layers])[:, None, :].to(device).requires_grad_()
                       for i in range(len(self.sizes) - 1)]  # [P, 1, out]
        self.rates = [m.dropout_rate for m in self.members]
        self.device = device

    def parameters(self) -> list[Tensor]:
        return [*self.weights, *self.biases]

    def parameter_count(self) -> int:
        """Parameters of *one* member (what ``count_parameters`` says for its MLP)."""
        return sum(a * b + b for a, b in zip(self.sizes[:-1], self.sizes[1:]))

    def forward(self, x: Tensor, train: bool) -> Tensor:
        """``x`` is ``[rows, in]`` (shared by all members) or ``[P, rows, in]``; returns ``[P, rows, out]``."""
        last = len(self.weights) - 1
        for i, (weight, bias) in enumerate(zip(self.weights, self.biases)):
            if x.dim() == 2:
                x = x.expand(len(weight), *x.shape)
            x = torch.baddbmm(bias, x, weight.transpose(1, 2))
            if i < last:
                x = self.activation(x)
                if train and any(self.rates):
                    x = self.dropout(x)
        return x

    def dropout(self, x: Tensor) -> Tensor:
        """Member i's inverted dropout is its own network's (``spaces.mlp.dropout``, masks from
        its generator); members without dropout keep every unit."""
        return torch.stack([dropout(x[i], rate, member.masks(self.device)) if rate > 0 else x[i]
                            for i, (rate, member) in enumerate(zip(self.rates, self.members))])

    def keep(self, index: Sequence[int]) -> None:
        """Keep only the members at positions ``index`` (drop diverged ones)."""
        rows = torch.tensor(list(index), dtype=torch.long, device=self.weights[0].device)  # long even when empty
        self.weights = [w.detach()[rows].requires_grad_() for w in self.weights]
        self.biases = [b.detach()[rows].requires_grad_() for b in self.biases]
        self.rates = [self.rates[i] for i in index]
        self.members = [self.members[i] for i in index]


def member_losses(out: Tensor, y: Tensor, loss: str) -> Tensor:
    """One loss per member (``[P]``): mean squared error or cross-entropy over its rows."""
    if loss == "cross_entropy":
        target = y if y.dim() == 2 else y.expand(len(out), len(y))
        return F.cross_entropy(out.transpose(1, 2), target, reduction="none").mean(1)
    return (out - y).pow(2).mean(dim=(1, 2))


def train_population(archs: Sequence[dict[str, Any]], seeds: Sequence[int], task: Task,
                     protocol: Any, device: torch.device, test: bool = False) -> list[Trial]:
    """Train ``archs[i]`` from ``seeds[i]`` for all i at once; one :class:`Trial` each, in order.

    All archs must share :func:`group_key`. Results equal ``Evaluator.train(arch, seed)``
    for each member up to float rounding. With ``test=True`` (the benchmark builder) the
    loss on the task's held-out test split is recorded too, at each checkpoint, in
    ``trial.extras["test_curve"]``; a search never sees it.
    """
    if len({group_key(a) for a in archs}) != 1 or len(archs) != len(seeds):
        raise ValueError("train_population needs archs with one group_key and one seed each")
    start = time.perf_counter()
    order = sorted(range(len(archs)), key=lambda i: ORDER.index(archs[i]["optimizer"]))
    archs, seeds = [archs[i] for i in order], [seeds[i] for i in order]
    pop = Population(archs, seeds, task, device)
    optimizer = StackedOptimizer([a["optimizer"] for a in archs], [a["learning_rate"] for a in archs])
    X, y = task.X_train.to(device), task.y_train.to(device)
    X_val, y_val = task.X_val.to(device), task.y_val.to(device)
    shufflers = [torch.Generator().manual_seed(seed) for seed in seeds]  # CPU, as in Evaluator.train
    n, batch = len(X), protocol.batch_size or len(X)
    alive = list(range(len(archs)))  # members still training, as positions in archs
    curves: list[list[float]] = [[] for _ in archs]
    val_curves: list[dict[str, float]] = [{} for _ in archs]
    test_curves: list[dict[str, float]] = [{} for _ in archs]
    test = test and task.X_test is not None
    failures: dict[int, str] = {}
    steps_per_epoch = len(range(0, n, batch))
    epochs_run = [0] * len(archs)
    for epoch in range(1, protocol.epochs + 1):
        index = torch.stack([torch.randperm(n, generator=g) for g in shufflers]).to(device) if batch < n else None
        total = torch.zeros(len(alive), device=device)
        for lo in range(0, n, batch):
            rows = None if index is None else index[:, lo:lo + batch]
            xb, yb = (X, y) if rows is None else (X[rows], y[rows])
            for p in pop.parameters():
                p.grad = None
            losses = member_losses(pop.forward(xb, train=True), yb, task.loss)
            losses.sum().backward()  # member i's loss depends only on member i's weights
            optimizer.step(pop.parameters())
            total += losses.detach() * (n if rows is None else rows.shape[1])
        epoch_losses = (total / n).tolist()  # one device sync per epoch
        for member, value in zip(alive, epoch_losses):
            curves[member].append(value)
            epochs_run[member] = epoch
            if not math.isfinite(value):
                failures[member] = f"training loss became {value} in epoch {epoch}"
        if any(m in failures for m in alive):
            survivors = [j for j, m in enumerate(alive) if m not in failures]
            pop.keep(survivors)
            optimizer.keep(survivors)
            shufflers = [shufflers[j] for j in survivors]
            alive = [alive[j] for j in survivors]
            if not alive:
                break
        if epoch in protocol.checkpoints:
            for member, value in zip(alive, validation_losses(pop, X_val, y_val, task.loss)):
                val_curves[member][str(epoch)] = value
            if test:
                for member, value in zip(alive, validation_losses(pop, task.X_test.to(device),
                                                                  task.y_test.to(device), task.loss)):
                    test_curves[member][str(epoch)] = value
    finals = dict(zip(alive, validation_losses(pop, X_val, y_val, task.loss))) if alive else {}
    seconds = (time.perf_counter() - start) / len(archs)  # each member's share of the wall time
    trials = []
    for i, arch in enumerate(archs):
        val_loss = finals.get(i)
        reason = failures.get(i, "")
        if val_loss is not None and not math.isfinite(val_loss):
            reason = f"validation loss is {val_loss}"
        trials.append(Trial(arch=arch, val_loss=val_loss if not reason else None,
                            status="diverged" if reason else "ok", reason=reason, train_curve=curves[i],
                            val_curve=val_curves[i], params=pop.parameter_count(),
                            steps=epochs_run[i] * steps_per_epoch, seed=seeds[i], seconds=seconds,
                            extras={"population": len(archs), **({"test_curve": test_curves[i]} if test else {})}))
    back = [None] * len(trials)
    for position, original in enumerate(order):
        back[original] = trials[position]
    return back


@torch.no_grad()
def validation_losses(pop: Population, X: Tensor, y: Tensor, loss: str) -> list[float]:
    return member_losses(pop.forward(X, train=False), y, loss).tolist()
