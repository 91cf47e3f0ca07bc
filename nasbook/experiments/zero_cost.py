"""Zero-cost proxies: score an untrained network from one batch, without training it.

Training one architecture is the inner loop's whole cost. A *zero-cost proxy* looks at the
network at initialisation — its weights, one forward (and backward) pass on one batch — and
returns a number that, one hopes, ranks architectures like their trained accuracy does
(Mellor et al., 2021; Abdelfattah et al., 2021). Five here, each a plain function
``proxy(model, batch, seed) -> float`` where higher means "predicted better":

* :func:`synflow` — sum over weights of ``|θ · ∂R/∂θ|``, where ``R`` is the output summed
  for an all-ones input after every weight is replaced by its absolute value (Tanaka et al.,
  2020). Data-independent: the batch only gives the input shape.
* :func:`naswot` — "NAS without training": each input's binary code of which activation
  units are positive; the kernel ``K[i, j] = N_A − hamming(c_i, c_j)`` (``N_A`` units) counts
  where two inputs agree; the score is ``log |det K|``. Inputs the network cannot tell
  apart make ``K`` singular (``-inf``).
* :func:`grad_norm` — the summed L2 norms of the loss gradients of the weights;
* :func:`snip` — the summed ``|θ · ∂L/∂θ|`` (Lee et al., 2019): how much the loss would change
  if each weight were removed.
* :func:`param_count` and :func:`flops` — the baselines a proxy must beat: bigger networks
  are often simply better, and these cost nothing at all.

"Weights" are those of ``nn.Conv2d`` and ``nn.Linear`` layers (not biases, not batch norm), as
in the proxies' reference code. Every proxy works on a deep copy of ``model`` in eval mode (no
dropout; batch norm uses its initial statistics), so it never changes the model, and it is a
deterministic function of the weights and the batch. The two gradient proxies, grad_norm and
SNIP, put the copy's batch norms in training mode (:func:`batch_statistics`): they normalise with
the batch's own statistics, as the reference code scores them (Abdelfattah et al., 2021, score a
network in training mode). It matters: on the cell space, eval mode's batch norm is the identity
at initialisation and both proxies ranked cells no better than chance (Spearman's ρ against the
cell table 0.015 and -0.002 on 400 classes), batch statistics gave 0.53 and 0.52. ``seed`` is there so every proxy has the
same signature; these five draw no random numbers, and a proxy of your own that does (random
labels, a random input) should draw them from ``torch.Generator().manual_seed(seed)``. Both
families work: the MLP (its activations, whichever they are) and the cell CNN.
"""
from __future__ import annotations

import copy
from typing import Callable

import torch
from torch import nn

from nasbook.evaluation.protocols import loss_function
from nasbook.spaces.mlp import ACTIVATION_LAYERS, count_parameters

Batch = tuple[torch.Tensor, torch.Tensor]  # (inputs, targets), e.g. the first 64 training rows
WEIGHTED = (nn.Conv2d, nn.Linear)
ACTIVATIONS = tuple(ACTIVATION_LAYERS.values())


def weights(model: nn.Module) -> list[torch.Tensor]:
    """The weights the proxies score: of every Conv2d and Linear layer, in module order."""
    return [m.weight for m in model.modules() if isinstance(m, WEIGHTED)]


def frozen_copy(model: nn.Module) -> nn.Module:
    """A deep copy in eval mode with cleared gradients: a proxy never changes the model it scores."""
    clone = copy.deepcopy(model).eval()
    clone.zero_grad(set_to_none=True)
    return clone


def param_count(model: nn.Module, batch: Batch | None = None, seed: int = 0) -> float:
    """The number of trainable parameters (the baseline every proxy must beat)."""
    return float(count_parameters(model))


def flops(model: nn.Module, batch: Batch, seed: int = 0) -> float:
    """Multiply-accumulates of one forward pass on one input, counted in Conv2d and Linear layers
    (pooling, batch norm and additions are left out: they are small beside them)."""
    total = 0

    def count(module: nn.Module, inputs: tuple, output: torch.Tensor) -> None:
        nonlocal total
        if isinstance(module, nn.Conv2d):
            per_output = module.in_channels // module.groups * module.kernel_size[0] * module.kernel_size[1]
            total += output[0].numel() * per_output
        else:
            total += module.in_features * module.out_features
    clone = frozen_copy(model)
    hooks = [m.register_forward_hook(count) for m in clone.modules() if isinstance(m, WEIGHTED)]
    with torch.no_grad():
        clone(batch[0][:1])
    for hook in hooks:
        hook.remove()
    return float(total)


def synflow(model: nn.Module, batch: Batch, seed: int = 0) -> float:
    """Synaptic flow: ``Σ |θ · ∂R/∂θ|`` with ``R = sum(f_|θ|(1))``, in float64 (data-independent)."""
    clone = frozen_copy(model).double()
    with torch.no_grad():
        for p in clone.parameters():
            p.abs_()
    ones = torch.ones((1, *batch[0].shape[1:]), dtype=torch.float64, device=batch[0].device)
    clone(ones).sum().backward()
    return float(sum((w.detach() * w.grad).abs().sum() for w in weights(clone) if w.grad is not None))


def batch_statistics(model: nn.Module) -> nn.Module:
    """``model`` with every batch norm in training mode (normalising with the batch's statistics),
    everything else as it was (dropout stays off, so a score stays deterministic)."""
    for module in model.modules():
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            module.train()
    return model


def loss_gradients(model: nn.Module, batch: Batch) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """(weight, ∂loss/∂weight) for every scored weight, after one backward pass on ``batch``
    through a copy whose batch norms use the batch's statistics (:func:`batch_statistics`)."""
    clone = batch_statistics(frozen_copy(model))
    X, y = batch
    criterion = loss_function(_LossTask(y))
    criterion(clone(X), y).backward()
    return [(w.detach(), w.grad if w.grad is not None else torch.zeros_like(w)) for w in weights(clone)]


class _LossTask:
    """Just enough of a task for :func:`loss_function`: class labels mean cross-entropy."""

    def __init__(self, y: torch.Tensor) -> None:
        self.loss = "mse" if y.is_floating_point() else "cross_entropy"


def grad_norm(model: nn.Module, batch: Batch, seed: int = 0) -> float:
    """``Σ_layers ‖∂L/∂W‖₂`` at initialisation, on ``batch``."""
    return float(sum(g.norm() for _, g in loss_gradients(model, batch)))


def snip(model: nn.Module, batch: Batch, seed: int = 0) -> float:
    """SNIP's connection sensitivity, ``Σ |W · ∂L/∂W|``, on ``batch``."""
    return float(sum((w * g).abs().sum() for w, g in loss_gradients(model, batch)))


def activation_codes(model: nn.Module, X: torch.Tensor) -> torch.Tensor:
    """(inputs × units) 0/1 codes: which units are positive at every activation layer's input."""
    codes: list[torch.Tensor] = []
    clone = frozen_copy(model)
    hooks = [m.register_forward_hook(lambda module, inputs, output: codes.append((inputs[0] > 0).flatten(1)))
             for m in clone.modules() if isinstance(m, ACTIVATIONS)]
    with torch.no_grad():
        clone(X)
    for hook in hooks:
        hook.remove()
    return torch.cat(codes, 1).double() if codes else torch.zeros(len(X), 0, dtype=torch.float64)


def naswot_kernel(codes: torch.Tensor) -> torch.Tensor:
    """``K = c cᵀ + (1 − c)(1 − c)ᵀ``: units where two inputs are both on plus both off, = N_A − hamming."""
    return codes @ codes.T + (1 - codes) @ (1 - codes).T


def naswot(model: nn.Module, batch: Batch, seed: int = 0) -> float:
    """``log |det K|`` of the activation-pattern kernel on ``batch`` (``-inf`` if two inputs look alike)."""
    return float(torch.linalg.slogdet(naswot_kernel(activation_codes(model, batch[0])))[1])


PROXIES: dict[str, Callable[[nn.Module, Batch, int], float]] = {
    "synflow": synflow, "naswot": naswot, "grad_norm": grad_norm, "snip": snip,
    "params": param_count, "flops": flops,
}


def proxy_scores(model: nn.Module, batch: Batch, seed: int = 0) -> dict[str, float]:
    """Every proxy of :data:`PROXIES` on ``model`` and ``batch``, by name."""
    return {name: proxy(model, batch, seed) for name, proxy in PROXIES.items()}
