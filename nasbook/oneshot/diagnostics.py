"""Check and diagnose DARTS: the second-order gradient against autograd, and how sharp α sits.

* :func:`check_second_order` – the :class:`~nasbook.oneshot.architect.Architect`'s central
  finite difference for ∇²_{α,w} L_train · v, and its whole second-order α gradient, against
  the exact values from autograd's double backward (differentiating through the virtual step
  w' = w − ξ ∇_w L_train(w, α) with ``torch.func.functional_call``);
* :func:`dominant_eigenvalue` – the largest-magnitude eigenvalue of ∇²_α L_val, by power
  iteration on Hessian-vector products. Zela et al. (2020, "Understanding and robustifying
  DARTS") found that it grows as DARTS heads for architectures that do badly once
  discretised: a sharp minimum in α means the jump to a one-hot α costs much loss;
* :func:`discretisation_gap` – the supernet's loss with its mixed α next to the loss of the
  argmax architecture *on the same weights* (a single path at α's corner).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import torch
from torch.func import functional_call

from nasbook.oneshot.architect import Architect, Batch
from nasbook.oneshot.supernet import SuperNet
from nasbook.validation import check_float, check_int

Criterion = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def _flat(tensors: list[torch.Tensor]) -> torch.Tensor:
    return torch.cat([t.reshape(-1) for t in tensors])


def relative_error(estimate: list[torch.Tensor], exact: list[torch.Tensor]) -> float:
    """‖estimate − exact‖ / ‖exact‖ over all tensors together."""
    e, x = _flat(estimate), _flat(exact)
    return float((e - x).norm() / x.norm().clamp_min(1e-300))


def exact_hvp(net: SuperNet, criterion: Criterion, batch: Batch, v: list[torch.Tensor]) -> list[torch.Tensor]:
    """∇²_{α,w} L(w, α) · v by double backward: ∇_α (∇_w L · v)."""
    weights, alphas = net.weights(), net.arch_parameters()
    grad_w = torch.autograd.grad(criterion(net(batch[0]), batch[1]), weights, create_graph=True, allow_unused=True)
    dot = sum((g * u).sum() for g, u in zip(grad_w, v) if g is not None)
    hvp = torch.autograd.grad(dot, alphas, allow_unused=True)
    return [torch.zeros_like(a) if h is None else h for a, h in zip(alphas, hvp)]


def exact_second_order(net: SuperNet, criterion: Criterion, train: Batch, val: Batch, xi: float) -> list[torch.Tensor]:
    """d/dα L_val(w − ξ ∇_w L_train(w, α), α), exactly: autograd through the virtual step."""
    names = [n for n, p in net.named_parameters() if not any(p is a for a in net.arch_parameters())]
    weights = net.weights()
    grad_w = torch.autograd.grad(criterion(net(train[0]), train[1]), weights, create_graph=True, allow_unused=True)
    moved = {n: w if g is None else w - xi * g for n, w, g in zip(names, weights, grad_w)}
    val_loss = criterion(functional_call(net, moved, (val[0],)), val[1])
    grads = torch.autograd.grad(val_loss, net.arch_parameters(), allow_unused=True)
    return [torch.zeros_like(a) if g is None else g for a, g in zip(net.arch_parameters(), grads)]


@dataclass(frozen=True)
class SecondOrderCheck:
    """nasbook's finite differences next to autograd's exact values (relative errors)."""

    hvp_error: float  # ‖FD Hessian-vector product − double backward‖ / ‖double backward‖
    gradient_error: float  # the same for the whole second-order α gradient
    hvp_norm: float
    gradient_norm: float
    dtype: str
    radius: float  # how far the difference moves w (DARTS: 0.01); the gradient always uses 0.01


def check_second_order(net: SuperNet, criterion: Criterion, train: Batch, val: Batch,
                       xi: float = 0.01, radius: float = 0.01) -> SecondOrderCheck:
    """Run the architect's second-order pieces on ``net`` and compare each with autograd.

    Leaves ``net``'s weights as they were (α.grad is overwritten). The central difference has
    a rounding error and a truncation error: O(ε²) where L is smooth, larger where the ±0.01
    step crosses ReLU kinks. Run ``net`` in float64 with a smaller ``radius`` to tell them apart.
    The whole gradient is closer than the HVP: the HVP enters it multiplied by ξ.
    """
    architect = Architect(net, criterion, order="second", xi=xi)
    weights = net.weights()
    backup = [w.detach().clone() for w in weights]
    _, v = architect.virtual_step_gradients(train, val)  # v = ∇_{w'} L_val at w'
    with torch.no_grad():
        for w, saved in zip(weights, backup):
            w.copy_(saved)
    fd = architect.finite_difference_hvp(train, v, check_float("radius", radius, 0.0, 1.0))
    exact = exact_hvp(net, criterion, train, v)
    architect.unrolled_gradient(train, val)  # sets α.grad, restores w
    estimate = [a.grad.detach().clone() for a in net.arch_parameters()]
    truth = exact_second_order(net, criterion, train, val, xi)
    return SecondOrderCheck(relative_error(fd, exact), relative_error(estimate, truth),
                            float(_flat(exact).norm()), float(_flat(truth).norm()), str(backup[0].dtype), radius)


def dominant_eigenvalue(net: SuperNet, criterion: Criterion, batch: Batch, iterations: int = 30,
                        seed: int = 0) -> float:
    """The largest-magnitude eigenvalue of ∇²_α L(w, α), by power iteration (Zela et al., 2020)."""
    iterations = check_int("iterations", iterations, 1, 10_000)
    alphas = net.arch_parameters()
    grads = torch.autograd.grad(criterion(net(batch[0]), batch[1]), alphas, create_graph=True)
    flat = _flat(list(grads))
    g = torch.Generator().manual_seed(seed)
    v = torch.randn(flat.shape, generator=g, dtype=flat.dtype).to(flat.device)
    v = v / v.norm()
    eigenvalue = 0.0
    for _ in range(iterations):
        hv = _flat(list(torch.autograd.grad(flat @ v, alphas, retain_graph=True)))
        eigenvalue = float(v @ hv)  # the Rayleigh quotient of the current direction
        if hv.norm() == 0:
            return 0.0
        v = hv / hv.norm()
    return eigenvalue


@torch.no_grad()
def discretisation_gap(net: SuperNet, criterion: Criterion, batch: Batch, arch: dict[str, Any]) -> tuple[float, float]:
    """(loss of the mixed supernet, loss of ``arch``'s single path) on the same weights and batch."""
    return float(criterion(net(batch[0]), batch[1])), float(criterion(net(batch[0], arch), batch[1]))
