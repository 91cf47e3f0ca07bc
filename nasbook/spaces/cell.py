"""A NAS-Bench-201-style cell space: the kind of space NAS papers search.

A **cell** is a small directed acyclic graph of 4 nodes. Node 0 is the cell's input, node 3 its
output; every pair ``i < j`` is joined by an edge ``edge_j_i`` that carries one operation, and
each node sums what its incoming edges bring::

    node_1 = op_1_0(node_0)
    node_2 = op_2_0(node_0) + op_2_1(node_1)
    node_3 = op_3_0(node_0) + op_3_1(node_1) + op_3_2(node_2)

Six edges, five operations each: 5**6 = 15,625 cells. The operations are NAS-Bench-201's
(Dong & Yang, 2020), so its numbers can be checked here:

================  ==================================================================
``none``          the zero function: the edge is absent
``skip_connect``  the identity: no parameters
``conv_1x1``      ReLU -> 1x1 convolution -> batch norm
``conv_3x3``      ReLU -> 3x3 convolution -> batch norm
``avg_pool_3x3``  3x3 average pooling (stride 1): no parameters
================  ==================================================================

Two parameter-free operations (``none``, ``skip_connect``) are what DARTS collapses onto;
two convolutions and a pooling give the cell something to learn with and something cheap.

The network (:class:`CellNetwork`) stacks the *same* cell: a 3x3 stem convolution, ``cells``
cells, then for each of ``reductions`` a reduction (2x2 average pooling and a 1x1 convolution
doubling the channels) and ``cells`` more cells, global average pooling, a linear head. The
defaults (8 channels, 1 cell, no reduction: the digits are only 8x8) are small on purpose: one
default-protocol training on the digits (``make_task("digits_images")``, 20 epochs of 17
batches) takes from half a second (a cell of ``none``) to a few seconds (six convolutions) on
one CPU core. On a CPU a step's time is mostly per-operation overhead, so it grows with the
number of operations in the cell, hardly with the channels.

**Isomorphism.** Different cells can compute the same function. An edge whose input cannot be
reached from node 0, or from whose end node 3 cannot be reached, contributes nothing: it is
equivalent to ``none`` (:func:`canonical`). NAS-Bench-201 goes further (:func:`cell_expression`):
it writes the output as an expression of the input, where a skip connection passes its input's
expression through and sums are sorted, and counts 6,466 distinct expressions among the
15,625 cells (:func:`unique_cells`).
"""
from __future__ import annotations

import itertools
import math
from typing import TYPE_CHECKING, Any, Mapping

import torch
from torch import nn

from nasbook.spaces.family import ModelFamily
from nasbook.spaces.mlp import init_linear
from nasbook.validation import check_int, fail

if TYPE_CHECKING:
    from nasbook.tasks import Task

OPS = ("none", "skip_connect", "conv_1x1", "conv_3x3", "avg_pool_3x3")
NODES = 4
EDGES = tuple((j, i) for j in range(1, NODES) for i in range(j))  # (to, from): (1,0), (2,0), (2,1), ...
EDGE_KEYS = tuple(f"edge_{j}_{i}" for j, i in EDGES)
CELL_SPACE: dict[str, list[str]] = {key: list(OPS) for key in EDGE_KEYS}  # 15,625 cells


def init_conv(conv: nn.Conv2d, generator: torch.Generator) -> None:
    """PyTorch's default Conv2d initialisation (uniform in ±1/sqrt(fan_in)), drawn from ``generator``."""
    bound = 1.0 / math.sqrt(conv.in_channels // conv.groups * math.prod(conv.kernel_size))
    with torch.no_grad():
        conv.weight.uniform_(-bound, bound, generator=generator)
        if conv.bias is not None:
            conv.bias.uniform_(-bound, bound, generator=generator)


def relu_conv_bn(channels_in: int, channels_out: int, kernel: int) -> nn.Sequential:
    return nn.Sequential(nn.ReLU(), nn.Conv2d(channels_in, channels_out, kernel, padding=kernel // 2, bias=False),
                         nn.BatchNorm2d(channels_out))


def make_op(name: str, channels: int) -> nn.Module | None:
    """The module of one edge's operation (None for ``none``: the edge is left out)."""
    if name == "none":
        return None
    if name == "skip_connect":
        return nn.Identity()
    if name == "avg_pool_3x3":
        return nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)
    return relu_conv_bn(channels, channels, 1 if name == "conv_1x1" else 3)


class Cell(nn.Module):
    """One cell: each node the sum of its incoming edges' operations (zeros if all are ``none``)."""

    def __init__(self, arch: Mapping[str, str], channels: int) -> None:
        super().__init__()
        self.ops = nn.ModuleDict()
        for key in EDGE_KEYS:
            op = make_op(arch[key], channels)
            if op is not None:
                self.ops[key] = op

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        nodes = [x]
        for j in range(1, NODES):
            terms = [self.ops[f"edge_{j}_{i}"](nodes[i]) for i in range(j) if f"edge_{j}_{i}" in self.ops]
            nodes.append(sum(terms[1:], terms[0]) if terms else torch.zeros_like(x))
        return nodes[-1]


class CellNetwork(nn.Module):
    """Stem -> cells -> [reduction -> cells] × reductions -> global pool -> linear head."""

    def __init__(self, arch: Mapping[str, str], input_shape: tuple[int, ...], classes: int,
                 channels: int = 8, cells: int = 1, reductions: int = 0, seed: int = 0) -> None:
        super().__init__()
        if len(input_shape) != 3:
            raise fail("task.input_shape", input_shape, "(channels, height, width): the cell family needs "
                       "images (e.g. make_task('digits_images'))")
        layers: list[nn.Module] = [nn.Conv2d(input_shape[0], channels, 3, padding=1, bias=False),
                                   nn.BatchNorm2d(channels)]
        for stage in range(reductions + 1):
            if stage:
                layers += [nn.AvgPool2d(2, ceil_mode=True), *relu_conv_bn(channels, 2 * channels, 1)]
                channels *= 2
            layers += [Cell(arch, channels) for _ in range(cells)]
        self.body = nn.Sequential(*layers)
        self.act = nn.ReLU()  # a module, so hooks (NASWOT's activation codes) see the last ReLU too
        self.head = nn.Linear(channels, classes)
        g = torch.Generator().manual_seed(seed)
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                init_conv(module, g)
        init_linear(self.head, g)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.act(self.body(x)).mean((2, 3)))


class CellFamily(ModelFamily):
    """CNNs that stack one NAS-Bench-201 cell; its keys are the six edges ``edge_j_i``."""

    name = "cell"
    rules = {key: "one of " + ", ".join(OPS) for key in EDGE_KEYS}
    defaults = {key: "skip_connect" for key in EDGE_KEYS}  # an edge a space leaves out passes its input on

    def __init__(self, channels: int = 8, cells: int = 1, reductions: int = 0) -> None:
        self.channels = check_int("channels", channels, 1, 1024)
        self.cells = check_int("cells", cells, 1, 32)
        self.reductions = check_int("reductions", reductions, 0, 4)

    def check_value(self, key: str, value: Any, field: str) -> str:
        if not isinstance(value, str) or value not in OPS:
            raise fail(f"{field}[{key!r}]", value, self.rules[key])
        return value

    def make_optimizer(self, arch: Mapping[str, Any], params: Any) -> torch.optim.Optimizer:
        """Adam, learning rate 0.01: at 0.001 most cells are still far from trained after 20 epochs."""
        return torch.optim.Adam(params, lr=0.01)

    def build(self, arch: Mapping[str, Any], task: "Task", seed: int = 0) -> CellNetwork:
        return CellNetwork(self.complete(arch), task.input_shape, task.out_features, channels=self.channels,
                           cells=self.cells, reductions=self.reductions, seed=seed)

    def __repr__(self) -> str:
        return f"<model family 'cell': {self.channels} channels, {self.cells} cell(s) per stage, {self.reductions} reduction(s)>"


CELL_FAMILY = CellFamily()


# -- isomorphism ------------------------------------------------------------------------
def canonical(arch: Mapping[str, str]) -> dict[str, str]:
    """``arch`` with every edge that cannot matter set to ``none``: edges whose input node is
    unreachable from node 0, or from whose end node 3 is unreachable (through non-``none`` edges)."""
    arch = CELL_FAMILY.complete(arch)
    live = {(j, i) for (j, i), key in zip(EDGES, EDGE_KEYS) if arch[key] != "none"}
    reached = {0}
    for j in range(1, NODES):
        if any((j, i) in live and i in reached for i in range(j)):
            reached.add(j)
    reaches = {NODES - 1}
    for i in range(NODES - 2, -1, -1):
        if any((j, i) in live and j in reaches for j in range(i + 1, NODES)):
            reaches.add(i)
    return {key: arch[key] if (j, i) in live and i in reached and j in reaches else "none"
            for (j, i), key in zip(EDGES, EDGE_KEYS)}


def cell_expression(arch: Mapping[str, str]) -> str:
    """The cell's output as an expression of its input, NAS-Bench-201's way (its ``to_unique_str``
    with ``consider_zero=True``): ``#`` is zero, a skip connection passes its input's expression
    on, an operation wraps it (``(0)@conv_3x3``), a node joins its terms sorted. Two cells with
    the same expression are isomorphic. (NAS-Bench-201 keeps a ``#`` term in a sum of several
    inputs, so a node fed by ``none`` and a conv is told apart from one fed by the conv alone, and
    two cells that differ only by nodes 1 and 2 trading places can count twice; dropping the ``#``
    terms would merge 15,625 cells into 5,390 classes. We keep its rule to compare with its table.)"""
    arch = CELL_FAMILY.complete(arch)
    nodes = ["0"]
    for j in range(1, NODES):
        terms = []
        for i in range(j):
            op = arch[f"edge_{j}_{i}"]
            if op == "none" or nodes[i] == "#":
                terms.append("#")
            else:
                terms.append(nodes[i] if op == "skip_connect" else f"({nodes[i]})@{op}")
        nodes.append("+".join(sorted(terms)))
    return nodes[-1]


def all_cells() -> list[dict[str, str]]:
    """All 5**6 = 15,625 cells, in the order of ``SearchSpace(CELL_SPACE).enumerate()``."""
    return [dict(zip(EDGE_KEYS, ops)) for ops in itertools.product(OPS, repeat=len(EDGE_KEYS))]


def unique_cells() -> list[dict[str, str]]:
    """One cell (the first met) per isomorphism class of :func:`cell_expression`: 6,466 of 15,625."""
    seen: dict[str, dict[str, str]] = {}
    for arch in all_cells():
        seen.setdefault(cell_expression(arch), arch)
    return list(seen.values())


def cell_label(arch: Mapping[str, str]) -> str:
    """NAS-Bench-201's string of a cell: ``|conv_3x3~0|+|none~0|skip_connect~1|+|...|``."""
    arch = CELL_FAMILY.complete(arch)
    return "+".join("|" + "|".join(f"{arch[f'edge_{j}_{i}']}~{i}" for i in range(j)) + "|"
                    for j in range(1, NODES))
