"""Turn an architecture dict into a PyTorch network (a multilayer perceptron).

The network is ``[Linear -> activation -> dropout] × num_hidden_layers -> Linear``.
Two details make trials reproducible and thread-safe without touching PyTorch's global
random state:

* weights are initialised from an explicit ``torch.Generator`` (same scheme as
  ``nn.Linear``'s default: uniform in ±1/sqrt(fan_in)), on the CPU, so the same seed gives
  the same starting weights on every device;
* dropout draws its masks from a generator the trainer passes in.
"""
from __future__ import annotations

import math
from typing import Any, Mapping

import torch
from torch import nn

ACTIVATION_LAYERS = {
    "ReLU": nn.ReLU, "LeakyReLU": nn.LeakyReLU, "Tanh": nn.Tanh, "Sigmoid": nn.Sigmoid,
    "GELU": nn.GELU, "ELU": nn.ELU, "SiLU": nn.SiLU, "Identity": nn.Identity,
}
OPTIMIZER_CLASSES = {
    "Adam": torch.optim.Adam, "SGD": torch.optim.SGD, "RMSprop": torch.optim.RMSprop,
    "AdamW": torch.optim.AdamW,
}


def init_linear(layer: nn.Linear, generator: torch.Generator) -> None:
    """PyTorch's default Linear initialisation, drawn from ``generator``."""
    bound = 1.0 / math.sqrt(layer.in_features)
    with torch.no_grad():
        layer.weight.uniform_(-bound, bound, generator=generator)
        layer.bias.uniform_(-bound, bound, generator=generator)


class MLP(nn.Module):
    """A plain multilayer perceptron described by an architecture dict."""

    def __init__(self, arch: Mapping[str, Any], in_features: int, out_features: int,
                 seed: int = 0) -> None:
        super().__init__()
        self.dropout_rate = float(arch["dropout_rate"])
        width = int(arch["hidden_layer_size"])
        sizes = [in_features] + [width] * int(arch["num_hidden_layers"])
        self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        self.activation = ACTIVATION_LAYERS[arch["activation_function"]]()
        self.head = nn.Linear(sizes[-1], out_features)
        g = torch.Generator().manual_seed(seed)
        for layer in [*self.hidden, self.head]:
            init_linear(layer, g)
        self.mask_generator: torch.Generator | None = None  # set by the trainer for dropout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.hidden:
            x = self.activation(layer(x))
            if self.training and self.dropout_rate > 0:
                x = dropout(x, self.dropout_rate, self.mask_generator)
        return self.head(x)


def dropout(x: torch.Tensor, rate: float, generator: torch.Generator | None) -> torch.Tensor:
    """Inverted dropout with masks from ``generator`` (same maths as ``nn.Dropout``).

    ``nasbook.evaluation.stacked`` draws and applies the same masks, in the same order of operations,
    for a stacked population; the shipped benchmark table was trained with exactly this.
    """
    keep = torch.rand(x.shape, generator=generator, device=x.device) >= rate
    return x * keep / (1.0 - rate)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def make_optimizer(arch: Mapping[str, Any], params: Any) -> torch.optim.Optimizer:
    """The optimiser and learning rate the architecture names (PyTorch defaults otherwise)."""
    return OPTIMIZER_CLASSES[arch["optimizer"]](params, lr=float(arch["learning_rate"]))
