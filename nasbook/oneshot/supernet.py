"""The DARTS supernet: one network that holds every architecture of the space at once.

DARTS (Liu, Simonyan & Yang, 2019) replaces each discrete choice by a *softmax-weighted mix*
of all its options, so the choice becomes differentiable. The mixing logits are the
*architecture parameters* α; the ordinary weights w are shared by all architectures.
For an MLP space nasbook relaxes three keys:

* **activation** – every hidden layer outputs ``Σ_j softmax(α_act)_j · act_j(Linear(x))``
  (a *mixed op*: the candidates share the layer's Linear and differ only in the activation);
* **depth** – the network has the deepest allowed number of layers, with an *exit* head after
  each allowed depth; the output is ``Σ_d softmax(α_depth)_d · exit_d(h_d)``;
* **width** – every layer is as wide as the widest choice, and its output is multiplied by
  the expected channel mask ``Σ_k softmax(α_width)_k · [1]*width_k + [0]*(W − width_k)``, so
  narrower choices are the first channels of the wide layer (weight sharing).

A key with a single choice has a single α that softmaxes to 1: it is simply fixed. The
network owns w and α, but separately (``weights()`` / ``arch_parameters()``): the inner
optimiser steps w, the :class:`~nasbook.oneshot.architect.Architect` steps α.
"""
from __future__ import annotations

import torch
from torch import nn

from nasbook.spaces.mlp import ACTIVATION_LAYERS, init_linear


class SuperNet(nn.Module):
    """A relaxed MLP over ``activations`` × ``depths`` × ``widths``.

    Args:
        activations: candidate activation names (one mixed op per hidden layer).
        depths: allowed numbers of hidden layers (one exit head per depth).
        widths: allowed layer widths (channel masks over the widest).
        per_layer_activation: one α row per layer (the article's relaxation) instead of one
            α row shared by all layers (matches a space that picks one activation per network).
        seed: initialises the weights from its own generator (no global random state).
    """

    def __init__(self, in_features: int, out_features: int, activations: list[str], depths: list[int],
                 widths: list[int], per_layer_activation: bool = False, seed: int = 0) -> None:
        super().__init__()
        self.activation_names = list(activations)
        self.depths = list(depths)
        self.widths = list(widths)
        width, depth = max(widths), max(depths)
        sizes = [in_features] + [width] * depth
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        self.exits = nn.ModuleList(nn.Linear(width, out_features) for _ in self.depths)
        self.activations = nn.ModuleList(ACTIVATION_LAYERS[name]() for name in activations)
        masks = torch.zeros(len(widths), width)
        for k, w in enumerate(widths):
            masks[k, :w] = 1.0
        self.register_buffer("masks", masks)
        g = torch.Generator().manual_seed(seed)
        for layer in [*self.layers, *self.exits]:
            init_linear(layer, g)
        rows = depth if per_layer_activation else 1
        self.alpha_activation = nn.Parameter(torch.zeros(rows, len(activations)))
        self.alpha_depth = nn.Parameter(torch.zeros(len(depths)))
        self.alpha_width = nn.Parameter(torch.zeros(len(widths)))

    def arch_parameters(self) -> list[nn.Parameter]:
        """α: the architecture parameters (stepped by the architect on the validation split)."""
        return [self.alpha_activation, self.alpha_depth, self.alpha_width]

    def weights(self) -> list[nn.Parameter]:
        """w: every other parameter (stepped by the inner optimiser on the training split)."""
        alphas = {id(a) for a in self.arch_parameters()}
        return [p for p in self.parameters() if id(p) not in alphas]

    def init_alphas(self, scale: float, generator: torch.Generator) -> None:
        """α ~ scale · N(0, 1) (DARTS uses 1e-3; the article's code uses 1)."""
        with torch.no_grad():
            for alpha in self.arch_parameters():
                alpha.copy_(scale * torch.randn(alpha.shape, generator=generator))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        p_act = torch.softmax(self.alpha_activation, dim=-1)
        p_depth = torch.softmax(self.alpha_depth, dim=-1)
        mask = torch.softmax(self.alpha_width, dim=-1) @ self.masks  # expected channel mask
        out = 0.0
        h = x
        for i, layer in enumerate(self.layers):
            z = layer(h)
            p = p_act[min(i, len(p_act) - 1)]
            h = sum(p[j] * act(z) for j, act in enumerate(self.activations)) * mask
            if i + 1 in self.depths:
                k = self.depths.index(i + 1)
                out = out + p_depth[k] * self.exits[k](h)
        return out

    @torch.no_grad()
    def probabilities(self) -> dict[str, list[list[float]] | list[float]]:
        """softmax(α) for each relaxed choice (activation: one row per α row)."""
        return {"activation": torch.softmax(self.alpha_activation, -1).tolist(),
                "depth": torch.softmax(self.alpha_depth, -1).tolist(),
                "width": torch.softmax(self.alpha_width, -1).tolist()}
