"""The DARTS architect: the *outer* step, which moves the architecture parameters α.

DARTS solves the bi-level problem  min_α L_val(w*(α), α)  s.t.  w*(α) = argmin_w L_train(w, α)
by alternating one step on w (training split) with one step on α (validation split).
The α step needs ∇_α L_val(w*(α), α), and w*(α) is unknown. Two approximations:

* **first order** – pretend w*(α) ≈ w (the current weights):  ∇_α L_val(w, α).
  One extra forward/backward pass. The article's code does this.
* **second order** – look one virtual step ahead, w' = w − ξ ∇_w L_train(w, α) (plain SGD,
  even when the real weights are stepped by Adam, as in nasbook's DARTS), and differentiate
  through it:

      ∇_α L_val(w', α) − ξ · ∇²_{α,w} L_train(w, α) · ∇_{w'} L_val(w', α)

  The Hessian-vector product is a central finite difference (DARTS eq. 8): with
  w± = w ± ε ∇_{w'} L_val(w', α) and ε = 0.01 / ‖∇_{w'} L_val‖,

      ∇²_{α,w} L_train · v  ≈  (∇_α L_train(w+, α) − ∇_α L_train(w−, α)) / 2ε.

  Four passes (virtual step, validation at w', two for the difference) instead of one.
  :meth:`Architect.virtual_step_gradients` does the first two, :meth:`Architect.finite_difference_hvp`
  the difference; :mod:`nasbook.oneshot.diagnostics` checks both against autograd.

``passes`` counts forward/backward passes, which is how DARTS' cost is converted into
evaluation-equivalents (see :mod:`nasbook.strategies.darts`).
"""
from __future__ import annotations

from typing import Callable

import torch
from torch import nn

from nasbook.oneshot.cell_supernet import CellSuperNet
from nasbook.oneshot.supernet import SuperNet

Batch = tuple[torch.Tensor, torch.Tensor]
PASSES = {"first": 1, "second": 4}  # forward/backward passes per architecture step


class Architect:
    """Steps α of ``net`` with Adam on the validation loss, first or second order.

    Args:
        order: ``"first"`` or ``"second"`` (see the module docstring).
        lr, betas, weight_decay: Adam on α (DARTS: 3e-4, (0.5, 0.999), 1e-3).
        xi: the virtual step size ξ of the second-order approximation (DARTS uses the
            weights' learning rate).
    """

    def __init__(self, net: SuperNet | CellSuperNet, criterion: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
                 order: str = "first", lr: float = 3e-4, betas: tuple[float, float] = (0.5, 0.999),
                 weight_decay: float = 1e-3, xi: float = 0.01) -> None:
        self.net = net
        self.criterion = criterion
        self.order = order
        self.xi = xi
        self.optimizer = torch.optim.Adam(net.arch_parameters(), lr=lr, betas=betas, weight_decay=weight_decay)
        self.passes = 0

    def step(self, train: Batch, val: Batch) -> float:
        """One α update; returns the validation loss at the current weights (before the step)."""
        self.optimizer.zero_grad()
        if self.order == "second":
            loss = self.unrolled_gradient(train, val)
        else:
            loss = self.criterion(self.net(val[0]), val[1])
            grads = torch.autograd.grad(loss, self.net.arch_parameters())
            for alpha, g in zip(self.net.arch_parameters(), grads):
                alpha.grad = g
        self.optimizer.step()
        self.passes += PASSES[self.order]
        return float(loss.detach())

    def loss(self, batch: Batch) -> torch.Tensor:
        return self.criterion(self.net(batch[0]), batch[1])

    def unrolled_gradient(self, train: Batch, val: Batch) -> torch.Tensor:
        """Set α.grad to the second-order estimate; return the validation loss at w.

        Each term of  ∇_α L_val(w', α) − ξ ∇²_{α,w} L_train(w, α) · v  is one method below;
        :func:`nasbook.oneshot.diagnostics.check_second_order` checks them against autograd.
        """
        weights = self.net.weights()
        with torch.no_grad():
            val_loss_at_w = self.loss(val)
        backup = [w.detach().clone() for w in weights]
        d_alpha, v = self.virtual_step_gradients(train, val)  # leaves the weights at w'
        with torch.no_grad():
            for w, saved in zip(weights, backup):
                w.copy_(saved)
        hvp = self.finite_difference_hvp(train, v)
        for alpha, d, h in zip(self.net.arch_parameters(), d_alpha, hvp):
            alpha.grad = d - self.xi * h
        return val_loss_at_w

    def virtual_step_gradients(self, train: Batch, val: Batch) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        """Move w to w' = w − ξ ∇_w L_train(w, α) (plain SGD, whatever steps the real weights)
        and return ∇_α L_val(w', α) and v = ∇_{w'} L_val(w', α). The weights stay at w'."""
        weights, alphas = self.net.weights(), self.net.arch_parameters()
        grad_w = torch.autograd.grad(self.loss(train), weights, allow_unused=True)
        with torch.no_grad():
            for w, g in zip(weights, grad_w):
                if g is not None:
                    w.sub_(self.xi * g)
        grads = torch.autograd.grad(self.loss(val), alphas + weights, allow_unused=True)
        d_alpha = [torch.zeros_like(a) if g is None else g for a, g in zip(alphas, grads[:len(alphas)])]
        v = [torch.zeros_like(w) if g is None else g for w, g in zip(weights, grads[len(alphas):])]
        return d_alpha, v

    def finite_difference_hvp(self, batch: Batch, v: list[torch.Tensor], radius: float = 0.01) -> list[torch.Tensor]:
        """∇²_{α,w} L(w, α) · v at the current w by a central difference (DARTS eq. 8):
        (∇_α L(w + εv) − ∇_α L(w − εv)) / 2ε with ε = radius / ‖v‖ (DARTS: 0.01, so w moves by
        0.01 either way). The weights are restored."""
        weights = self.net.weights()
        backup = [w.detach().clone() for w in weights]
        eps = radius / (torch.sqrt(sum((g * g).sum() for g in v)) + 1e-12)
        with torch.no_grad():
            for w, saved, g in zip(weights, backup, v):
                w.copy_(saved + eps * g)
        grad_plus = self.alpha_gradient(batch)
        with torch.no_grad():
            for w, saved, g in zip(weights, backup, v):
                w.copy_(saved - eps * g)
        grad_minus = self.alpha_gradient(batch)
        with torch.no_grad():
            for w, saved in zip(weights, backup):
                w.copy_(saved)
        return [(gp - gm) / (2 * eps) for gp, gm in zip(grad_plus, grad_minus)]

    def alpha_gradient(self, batch: Batch) -> list[torch.Tensor]:
        grads = torch.autograd.grad(self.loss(batch), self.net.arch_parameters(), allow_unused=True)
        return [torch.zeros_like(a) if g is None else g for a, g in zip(self.net.arch_parameters(), grads)]


def weight_step(net: nn.Module, optimizer: torch.optim.Optimizer, criterion: Callable, train: Batch) -> float:
    """The inner step: one optimiser step on w from a training batch; returns its loss."""
    optimizer.zero_grad()
    loss = criterion(net(train[0]), train[1])
    loss.backward()
    optimizer.step()
    return float(loss.detach())
