"""The cell supernet: one network that holds every cell of a NAS-Bench-201-style space at once.

The MLP supernet (:mod:`nasbook.oneshot.supernet`) has to invent its relaxations (exit heads,
channel masks). A cell needs none: every edge already *is* a choice among operations, and
DARTS' **mixed operation** relaxes it directly (Liu, Simonyan & Yang, 2019)::

    mixed_edge(x) = Σ_o softmax(α_edge)_o · op_o(x)

One row of α per edge (6 × 5 for the full space), shared by every stacked cell, as DARTS shares
one α among its normal cells. The candidate ops are built by :func:`nasbook.spaces.cell.make_op`,
the very function the discrete :class:`~nasbook.spaces.cell.CellNetwork` uses, and the stem,
reductions and head are laid out the same way. So a derived cell is exactly the network that an
evaluator (or a table built by one) trains and scores; ``tests/test_cell_darts.py`` checks that a
single path of the supernet *is* that network with the supernet's weights.

Two ways to run the same weights, as for the MLP supernet:

* **relaxed** (``net(x)``, DARTS): every edge a mixed op; ``none`` contributes zeros, so it only
  dilutes the other ops' weights — which is how the edge "switches off";
* **single path** (``net(x, arch)``, weight sharing): each edge runs only ``arch``'s op.

A single path is the relaxed net at a corner of α (softmax one-hot on ``arch``'s ops).

**Batch norm.** The convolutions end in batch norm. Its running averages would mix the
statistics of every path and every α, which describe no single network; so the supernet's batch
norms always normalise with the statistics of the batch in front of them (training and
evaluation alike), as weight-sharing papers recalibrate them per path. Their affine weights are
shared like every other weight.
"""
from __future__ import annotations

from typing import Any, Mapping

import torch
from torch import nn

from nasbook.oneshot.supernet import OneShot
from nasbook.spaces.cell import CELL_FAMILY, EDGE_KEYS, NODES, CellFamily, init_conv, make_op, relu_conv_bn
from nasbook.spaces.mlp import init_linear
from nasbook.spaces.space import SearchSpace, as_space
from nasbook.validation import check_choice, fail

PARAMETER_FREE = ("none", "skip_connect", "avg_pool_3x3")  # the ops DARTS is known to collapse onto
# early-stopping indicators of collapse: DARTS' parameter name -> the ops it counts in the derived cell
COLLAPSE_INDICATORS = {"max_skips": ("skip_connect",), "max_free_edges": PARAMETER_FREE}


class MixedOp(nn.Module):
    """One edge: every candidate op, mixed by softmax(α) or run one at a time."""

    def __init__(self, names: list[str], channels: int) -> None:
        super().__init__()
        self.names = list(names)
        self.ops = nn.ModuleDict({name: op for name in names if (op := make_op(name, channels)) is not None})

    def forward(self, x: torch.Tensor, weights: torch.Tensor | None = None, name: str | None = None) -> torch.Tensor:
        """``weights`` (one per name): the mix; else the op ``name`` alone (``none``: zeros)."""
        if weights is None:
            return self.ops[name](x) if name in self.ops else torch.zeros_like(x)
        terms = [w * self.ops[n](x) for w, n in zip(weights, self.names) if n in self.ops]
        return sum(terms[1:], terms[0]) if terms else torch.zeros_like(x)


class MixedCell(nn.Module):
    """A cell whose every edge is a :class:`MixedOp` (each node sums its incoming edges)."""

    def __init__(self, choices: Mapping[str, list[str]], channels: int) -> None:
        super().__init__()
        self.edges = nn.ModuleDict({key: MixedOp(choices[key], channels) for key in EDGE_KEYS})

    def forward(self, x: torch.Tensor, probs: Mapping[str, torch.Tensor] | None = None,
                arch: Mapping[str, str] | None = None) -> torch.Tensor:
        nodes = [x]
        for j in range(1, NODES):
            terms = [self.edges[f"edge_{j}_{i}"](nodes[i], None if probs is None else probs[f"edge_{j}_{i}"],
                                                 None if arch is None else arch[f"edge_{j}_{i}"])
                     for i in range(j)]
            nodes.append(sum(terms[1:], terms[0]))
        return nodes[-1]


class CellSuperNet(OneShot):
    """The :class:`~nasbook.spaces.cell.CellNetwork` with a :class:`MixedCell`, and α (edges × ops).

    Args:
        choices: the ops each edge may take (a cell space's choices; an edge the space leaves
            out gets the family's default, ``skip_connect``, alone: one α that softmaxes to 1).
        input_shape, classes: the task's image shape (C, H, W) and number of classes.
        channels, cells, reductions: as :class:`~nasbook.spaces.cell.CellFamily`.
        seed: initialises the weights from its own generator (no global random state).
    """

    def __init__(self, choices: Mapping[str, list[str]], input_shape: tuple[int, ...], classes: int,
                 channels: int = 8, cells: int = 1, reductions: int = 0, seed: int = 0) -> None:
        super().__init__()
        if len(input_shape) != 3:
            raise fail("task.input_shape", input_shape, "(channels, height, width): a cell supernet needs "
                       "images (e.g. make_task('digits_images'))")
        self.choices = {key: list(choices.get(key, [CELL_FAMILY.defaults[key]])) for key in EDGE_KEYS}
        self.stem = nn.Sequential(nn.Conv2d(input_shape[0], channels, 3, padding=1, bias=False),
                                  nn.BatchNorm2d(channels))
        self.stages = nn.ModuleList()  # each: (reduction or identity, its mixed cells)
        for stage in range(reductions + 1):
            reduce: nn.Module = nn.Identity()
            if stage:
                reduce = nn.Sequential(nn.AvgPool2d(2, ceil_mode=True), *relu_conv_bn(channels, 2 * channels, 1))
                channels *= 2
            self.stages.append(nn.ModuleList([reduce, nn.ModuleList(MixedCell(self.choices, channels)
                                                                    for _ in range(cells))]))
        self.act = nn.ReLU()
        self.head = nn.Linear(channels, classes)
        g = torch.Generator().manual_seed(seed)
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                init_conv(module, g)
            if isinstance(module, nn.BatchNorm2d):  # batch statistics only (module docstring)
                module.track_running_stats, module.running_mean, module.running_var = False, None, None
                module.num_batches_tracked = None
        init_linear(self.head, g)
        self.alphas = nn.ParameterDict({key: nn.Parameter(torch.zeros(len(self.choices[key]))) for key in EDGE_KEYS})
        self.steps = 0  # single-path training so far (weight_sharing.train_supernet adds to both)
        self.seconds = 0.0

    @classmethod
    def for_space(cls, space: "SearchSpace | Mapping[str, list[Any]]", input_shape: tuple[int, ...],
                  classes: int, family: CellFamily = CELL_FAMILY, seed: int = 0) -> "CellSuperNet":
        """The supernet of a cell space, shaped like ``family``'s networks."""
        space = as_space(space)
        if any(key not in EDGE_KEYS for key in space.keys):
            raise fail("space", space.keys, "a cell space (keys among " + ", ".join(EDGE_KEYS) + ")")
        return cls(space.choices, input_shape, classes, channels=family.channels, cells=family.cells,
                   reductions=family.reductions, seed=seed)

    def arch_parameters(self) -> list[nn.Parameter]:
        """α: one row per edge, in edge order (stepped by the architect on the validation split)."""
        return [self.alphas[key] for key in EDGE_KEYS]

    def forward(self, x: torch.Tensor, arch: Mapping[str, str] | None = None) -> torch.Tensor:
        """``arch=None``: every edge mixed by softmax(α) (DARTS); else only ``arch``'s ops."""
        probs = None
        if arch is None:
            probs = {key: torch.softmax(alpha, dim=-1) for key, alpha in self.alphas.items()}
        else:
            arch = {key: check_choice(f"arch[{key!r}]", arch.get(key, CELL_FAMILY.defaults[key]), self.choices[key])
                    for key in EDGE_KEYS}
        h = self.stem(x)
        for reduce, cells in self.stages:
            h = reduce(h)
            for cell in cells:
                h = cell(h, probs, arch)
        return self.head(self.act(h).mean((2, 3)))

    @torch.no_grad()
    def probabilities(self) -> dict[str, list[float]]:
        """softmax(α) per edge, in the order of that edge's choices."""
        return {key: torch.softmax(alpha, -1).tolist() for key, alpha in self.alphas.items()}

    def derive(self) -> dict[str, str]:
        """The discrete cell: each edge's most probable op (``none`` included, as NAS-Bench-201's
        DARTS does; the original DARTS drops ``none`` and keeps two inputs per node)."""
        return {key: self.choices[key][int(alpha.detach().argmax())] for key, alpha in self.alphas.items()}


def parameter_free_mass(probabilities: Mapping[str, list[float]], choices: Mapping[str, list[str]]) -> float:
    """The share of α's softmax mass on parameter-free ops, averaged over the edges (0 to 1)."""
    shares = [sum(p for p, name in zip(probabilities[key], choices[key]) if name in PARAMETER_FREE)
              for key in probabilities]
    return sum(shares) / len(shares)


def count_ops(arch: Mapping[str, str], names: tuple[str, ...] = PARAMETER_FREE) -> int:
    """How many of ``arch``'s edges carry one of ``names`` (e.g. ``("skip_connect",)``)."""
    return sum(arch[key] in names for key in EDGE_KEYS if key in arch)
