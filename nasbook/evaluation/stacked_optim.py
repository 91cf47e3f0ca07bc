"""Optimisers for a *population* of networks whose weights are stacked along dimension 0.

Population-parallel training (:mod:`nasbook.evaluation.stacked`) keeps P networks in tensors of
shape ``[P, ...]``. Each member may use its own optimiser and learning rate, so one
``torch.optim`` object cannot drive them. This module writes out the update maths of
``torch.optim.Adam``, ``AdamW``, ``SGD`` and ``RMSprop`` (PyTorch's defaults: no momentum,
betas (0.9, 0.999), eps 1e-8, AdamW weight decay 0.01, RMSprop alpha 0.99), step for step,
for a slice of members at a time. Members are sorted by optimiser, so each optimiser
owns one contiguous slice ``[a:b]`` of every stacked tensor (a cheap view, no copies).

The test suite checks every update against ``torch.optim`` on the CPU.
"""
from __future__ import annotations

import math
from typing import Callable, Sequence

import torch
from torch import Tensor

ORDER = ("Adam", "AdamW", "SGD", "RMSprop")  # members are sorted in this order
BETA1, BETA2, EPS, ADAMW_DECAY, RMS_ALPHA = 0.9, 0.999, 1e-8, 1e-2, 0.99


def per_member(values: Sequence[float], like: Tensor) -> Tensor:
    """A column of per-member numbers shaped to broadcast against ``like`` ([m, 1, 1, ...]).

    The numbers are computed in Python (double precision) and rounded to the tensor's
    dtype once, exactly as ``torch.optim`` rounds its Python-float learning rate.
    """
    return torch.tensor(list(values), dtype=like.dtype, device=like.device).view(-1, *[1] * (like.dim() - 1))


def adam(p: Tensor, g: Tensor, state: dict[str, Tensor], lrs: list[float], step: int,
         decoupled_decay: float = 0.0) -> None:
    """torch.optim.Adam (or AdamW when ``decoupled_decay`` > 0), single-tensor version."""
    if decoupled_decay:
        p.mul_(per_member([1 - lr * decoupled_decay for lr in lrs], p))
    if "exp_avg" not in state:
        state["exp_avg"], state["exp_avg_sq"] = torch.zeros_like(p), torch.zeros_like(p)
    exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
    exp_avg.lerp_(g, 1 - BETA1)
    exp_avg_sq.mul_(BETA2).addcmul_(g, g, value=1 - BETA2)
    bias_correction1 = 1 - BETA1 ** step
    bias_correction2_sqrt = math.sqrt(1 - BETA2 ** step)
    denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(EPS)
    p.add_(per_member([-lr / bias_correction1 for lr in lrs], p) * exp_avg / denom)


def adamw(p: Tensor, g: Tensor, state: dict[str, Tensor], lrs: list[float], step: int) -> None:
    adam(p, g, state, lrs, step, decoupled_decay=ADAMW_DECAY)


def sgd(p: Tensor, g: Tensor, state: dict[str, Tensor], lrs: list[float], step: int) -> None:
    """torch.optim.SGD without momentum: p ← p − lr·g."""
    p.add_(per_member([-lr for lr in lrs], p) * g)


def rmsprop(p: Tensor, g: Tensor, state: dict[str, Tensor], lrs: list[float], step: int) -> None:
    """torch.optim.RMSprop (not centred, no momentum)."""
    if "square_avg" not in state:
        state["square_avg"] = torch.zeros_like(p)
    square_avg = state["square_avg"]
    square_avg.mul_(RMS_ALPHA).addcmul_(g, g, value=1 - RMS_ALPHA)
    avg = square_avg.sqrt().add_(EPS)
    p.add_(per_member([-lr for lr in lrs], p) * g / avg)


UPDATES: dict[str, Callable[..., None]] = {"Adam": adam, "AdamW": adamw, "SGD": sgd, "RMSprop": rmsprop}


class StackedOptimizer:
    """Per-member optimisers over stacked parameters (members sorted by :data:`ORDER`).

    ``step(params)`` updates every member from ``param.grad``; ``keep(index)`` drops
    members (e.g. diverged ones) from the optimiser state, matching ``Population.keep``.
    """

    def __init__(self, kinds: Sequence[str], lrs: Sequence[float]) -> None:
        if list(kinds) != sorted(kinds, key=ORDER.index):
            raise ValueError("members must be sorted by optimiser (see stacked_optim.ORDER)")
        self.kinds, self.lrs = list(kinds), [float(lr) for lr in lrs]
        self.steps = 0
        self.state: list[dict[str, dict[str, Tensor]]] = []  # per parameter: kind -> state

    def slices(self) -> list[tuple[str, slice]]:
        """(optimiser, slice of members) for each optimiser present."""
        out = []
        for kind in ORDER:
            if kind in self.kinds:
                first = self.kinds.index(kind)
                out.append((kind, slice(first, first + self.kinds.count(kind))))
        return out

    @torch.no_grad()
    def step(self, params: Sequence[Tensor]) -> None:
        self.steps += 1
        if not self.state:
            self.state = [{} for _ in params]
        for kind, rows in self.slices():
            for p, state in zip(params, self.state):
                UPDATES[kind](p[rows], p.grad[rows], state.setdefault(kind, {}), self.lrs[rows], self.steps)

    def keep(self, index: Sequence[int]) -> None:
        """Keep only the members at positions ``index`` (in order)."""
        old = self.slices()
        self.kinds = [self.kinds[i] for i in index]
        self.lrs = [self.lrs[i] for i in index]
        for param_state in self.state:
            for kind, rows in old:
                local = [i - rows.start for i in index if rows.start <= i < rows.stop]
                for name, tensor in param_state.get(kind, {}).items():
                    param_state[kind][name] = tensor[local]
