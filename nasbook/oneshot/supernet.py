"""The supernet: one network that holds every architecture of the MLP space at once.

A *supernet* is the deepest, widest MLP of the space. Every architecture of the space is a
part of it, so every architecture can be run on the supernet's weights without owning any.
The same weights can be run two ways, and this class offers both:

**Relaxed** (``net(x)``, what DARTS trains; Liu, Simonyan & Yang, 2019). Each discrete choice is
replaced by a *softmax-weighted mix* of all its options, so the choice becomes differentiable.
The mixing logits are the *architecture parameters* α; the ordinary weights w are shared by all
architectures. nasbook relaxes three keys:

* **activation** – every hidden layer outputs ``Σ_j softmax(α_act)_j · act_j(Linear(x))``.
  This is a *mixed op*: one output made of every candidate op, weighted by α. The candidates
  share the layer's Linear and differ only in the activation;
* **depth** – the network has the deepest allowed number of layers, with an *exit* head after
  each allowed depth; the output is ``Σ_d softmax(α_depth)_d · exit_d(h_d)``;
* **width** – every layer is as wide as the widest choice, and its output is multiplied by
  the expected channel mask ``Σ_k softmax(α_width)_k · [1]*width_k + [0]*(W − width_k)``, so
  narrower choices are the first channels of the wide layer.

**Single path** (``net(x, arch)``, what weight sharing trains; Guo et al., 2020). Only the one
sub-network ``arch`` names runs: its ``d`` first layers, the first ``k`` units of each (a slice
of each weight matrix), its activation ``f``, and the exit head of depth ``d``. Nothing is mixed
and α is not used.

**Why the same weights serve both.** A single path is the relaxed network at a *corner* of α:
when softmax(α) puts all its mass on ``f``, on width ``k`` and on depth ``d``, the mixed op is
``f``, the channel mask keeps exactly the first ``k`` units (so the next layer only reads those:
the slice), and only exit ``d`` contributes. DARTS moves α smoothly between the corners; weight
sharing jumps from one corner to another. Either way a sub-network is the same function of the
same w (``tests/test_oneshot.py`` checks both statements).

A key with a single choice has a single α that softmaxes to 1: it is simply fixed. The
network owns w and α, but separately (``weights()`` / ``arch_parameters()``): the inner
optimiser steps w, the :class:`~nasbook.oneshot.architect.Architect` steps α.
"""
from __future__ import annotations

from typing import Any, Mapping

import torch
from torch import nn
from torch.nn import functional as F

from nasbook.spaces.mlp import ACTIVATION_LAYERS, init_linear
from nasbook.spaces.space import SearchSpace, as_space
from nasbook.validation import check_choice, fail

STRUCTURE_KEYS = ("num_hidden_layers", "hidden_layer_size", "activation_function")


class OneShot(nn.Module):
    """What every supernet shares: its parameters split into α (the architecture, stepped by the
    architect on the validation split) and w (the weights, stepped on the training split).
    A subclass says which are α in :meth:`arch_parameters`."""

    def arch_parameters(self) -> list[nn.Parameter]:
        raise NotImplementedError

    def weights(self) -> list[nn.Parameter]:
        """w: every other parameter (stepped by the inner optimiser on the training split)."""
        alphas = {id(a) for a in self.arch_parameters()}
        return [p for p in self.parameters() if id(p) not in alphas]

    def init_alphas(self, scale: float, generator: torch.Generator) -> None:
        """α ~ scale · N(0, 1) (DARTS uses 1e-3; the article's code uses 1)."""
        with torch.no_grad():
            for alpha in self.arch_parameters():
                alpha.copy_(scale * torch.randn(alpha.shape, generator=generator))


class SuperNet(OneShot):
    """The MLP over ``activations`` × ``depths`` × ``widths``, run relaxed or one path at a time.

    Args:
        activations: candidate activation names (one mixed op per hidden layer).
        depths: allowed numbers of hidden layers (one exit head per depth).
        widths: allowed layer widths (channel masks over the widest).
        per_layer_activation: one α row per layer (as the article, which however gives every
            candidate its own Linear where this supernet shares one per layer) instead of one
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
        self.steps = 0  # single-path training so far (weight_sharing.train_supernet adds to both)
        self.seconds = 0.0

    @classmethod
    def for_space(cls, space: "SearchSpace | Mapping[str, list[Any]] | None", in_features: int,
                  out_features: int, seed: int = 0) -> "SuperNet":
        """The supernet of ``space``: its activations, its depths (sorted) and its widths.

        Only the structure keys (depth, width, activation) shape a network; the space's other
        keys (learning rate, optimiser, dropout) describe training and are ignored here.
        """
        space = as_space(space)
        if any(key not in space.choices for key in STRUCTURE_KEYS):
            raise fail("space", space.keys, "a space with the keys " + ", ".join(STRUCTURE_KEYS))
        return cls(in_features, out_features, space.choices["activation_function"],
                   sorted(space.choices["num_hidden_layers"]), space.choices["hidden_layer_size"], seed=seed)

    def arch_parameters(self) -> list[nn.Parameter]:
        """α: the architecture parameters (stepped by the architect on the validation split)."""
        return [self.alpha_activation, self.alpha_depth, self.alpha_width]

    def forward(self, x: torch.Tensor, arch: Mapping[str, Any] | None = None) -> torch.Tensor:
        """``arch=None``: the relaxed mix of every architecture (DARTS); else only ``arch``'s path."""
        return self.relaxed(x) if arch is None else self.single_path(x, arch)

    def relaxed(self, x: torch.Tensor) -> torch.Tensor:
        """Every layer a mixed op, the width a soft channel mask, the output a mix of exits."""
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

    def single_path(self, x: torch.Tensor, arch: Mapping[str, Any]) -> torch.Tensor:
        """The sub-network ``arch``: first ``d`` layers, first ``k`` units of each, one activation."""
        depth = int(check_choice("arch['num_hidden_layers']", arch["num_hidden_layers"], self.depths))
        width = int(check_choice("arch['hidden_layer_size']", arch["hidden_layer_size"], self.widths))
        name = check_choice("arch['activation_function']", arch["activation_function"], self.activation_names)
        activation = self.activations[self.activation_names.index(name)]
        h = x
        for layer in self.layers[:depth]:  # rows: this layer's k units; columns: the units h has
            h = activation(F.linear(h, layer.weight[:width, : h.shape[-1]], layer.bias[:width]))
        head = self.exits[self.depths.index(depth)]
        return F.linear(h, head.weight[:, :width], head.bias)

    @torch.no_grad()
    def probabilities(self) -> dict[str, list[list[float]] | list[float]]:
        """softmax(α) for each relaxed choice (activation: one row per α row)."""
        return {"activation": torch.softmax(self.alpha_activation, -1).tolist(),
                "depth": torch.softmax(self.alpha_depth, -1).tolist(),
                "width": torch.softmax(self.alpha_width, -1).tolist()}
