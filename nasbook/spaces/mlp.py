"""The article's model family: a multilayer perceptron, and the article's search space.

The network is ``[Linear -> activation -> dropout] × num_hidden_layers -> Linear``. Six keys
describe it; half of them are really hyperparameters of its training (learning rate,
optimiser, dropout), which is how the article frames NAS:

=====================  ===========================  =========  ============================
key                    may hold                     default    article's choices
=====================  ===========================  =========  ============================
num_hidden_layers      integers from 1 to 100       1          1, 2, 3, 4, 5
hidden_layer_size      integers from 1 to 16384     64         32, 64, 128, 256, 512
activation_function    ReLU, LeakyReLU, Tanh, ...   ReLU       ReLU, LeakyReLU, Tanh
learning_rate          numbers in (0, 1)            0.001      0.1, 0.01, 0.001, 0.0001
optimizer              Adam, SGD, RMSprop, AdamW    Adam       Adam, SGD, RMSprop
dropout_rate           numbers in [0, 1)            0.0        0.0, 0.2, 0.4, 0.6
=====================  ===========================  =========  ============================

(5·5·3·4·3·4 = 3,600 architectures.) Two details make trials reproducible and thread-safe
without touching PyTorch's global random state:

* weights are initialised from an explicit ``torch.Generator`` (the scheme of ``nn.Linear``'s
  default: uniform in ±1/sqrt(fan_in)), on the CPU, so a seed gives the same starting weights
  on every device;
* dropout draws its masks from the network's own generator, seeded with the same seed and
  made on the device of the first batch it sees.
"""
from __future__ import annotations

import copy
import math
from typing import TYPE_CHECKING, Any, Mapping

import torch
from torch import nn

from nasbook.spaces.family import ModelFamily
from nasbook.validation import NasbookError, check_float, check_int, fail

if TYPE_CHECKING:
    from nasbook.tasks import Task

ACTIVATION_LAYERS = {
    "ReLU": nn.ReLU, "LeakyReLU": nn.LeakyReLU, "Tanh": nn.Tanh, "Sigmoid": nn.Sigmoid,
    "GELU": nn.GELU, "ELU": nn.ELU, "SiLU": nn.SiLU, "Identity": nn.Identity,
}
OPTIMIZER_CLASSES = {
    "Adam": torch.optim.Adam, "SGD": torch.optim.SGD, "RMSprop": torch.optim.RMSprop,
    "AdamW": torch.optim.AdamW,
}
ACTIVATIONS = tuple(ACTIVATION_LAYERS)
OPTIMIZERS = tuple(OPTIMIZER_CLASSES)
MAX_VALUES = {"num_hidden_layers": 100, "hidden_layer_size": 16384}  # catch typos, not limit learning

ARTICLE_SPACE: dict[str, list[Any]] = {
    "num_hidden_layers": [1, 2, 3, 4, 5],
    "hidden_layer_size": [32, 64, 128, 256, 512],
    "activation_function": ["ReLU", "LeakyReLU", "Tanh"],
    "learning_rate": [0.1, 0.01, 0.001, 0.0001],
    "optimizer": ["Adam", "SGD", "RMSprop"],
    "dropout_rate": [0.0, 0.2, 0.4, 0.6],
}


class MLPFamily(ModelFamily):
    """The multilayer perceptrons of the article's space (any subset of its six keys)."""

    name = "mlp"
    rules = {
        "num_hidden_layers": "an integer from 1 to 100",
        "hidden_layer_size": "an integer from 1 to 16384",
        "activation_function": "one of " + ", ".join(ACTIVATIONS),
        "learning_rate": "a finite number in (0, 1)",
        "optimizer": "one of " + ", ".join(OPTIMIZERS),
        "dropout_rate": "a finite number in [0, 1)",
    }
    defaults = {"num_hidden_layers": 1, "hidden_layer_size": 64, "activation_function": "ReLU",
                "learning_rate": 0.001, "optimizer": "Adam", "dropout_rate": 0.0}

    def check_value(self, key: str, value: Any, field: str) -> Any:
        field = f"{field}[{key!r}]"
        if key in MAX_VALUES:
            return check_int(field, value, minimum=1, maximum=MAX_VALUES[key])
        if key in ("activation_function", "optimizer"):
            names = ACTIVATIONS if key == "activation_function" else OPTIMIZERS
            if not isinstance(value, str) or value not in names:
                raise fail(field, value, self.rules[key])
            return value
        if key == "learning_rate":
            try:
                rate = check_float(field, value, 0.0, 1.0, high_open=True)
            except NasbookError:
                rate = 0.0
            if rate == 0.0:
                raise fail(field, value, self.rules[key])
            return rate
        return check_float(field, value, 0.0, 1.0, high_open=True)  # dropout_rate

    def build(self, arch: Mapping[str, Any], task: "Task", seed: int = 0) -> "MLP":
        return MLP(arch, task.in_features, task.out_features, seed=seed)

    def make_optimizer(self, arch: Mapping[str, Any], params: Any) -> torch.optim.Optimizer:
        """The optimiser and learning rate the architecture names (PyTorch's defaults otherwise)."""
        return OPTIMIZER_CLASSES[arch["optimizer"]](params, lr=float(arch["learning_rate"]))

    def to_plain(self, model: nn.Module) -> nn.Sequential:
        """The :class:`MLP` as ``nn.Sequential(Flatten, [Linear, activation, Dropout] × n, Linear)``,
        its weights copied: in eval mode it computes exactly what ``model`` computes."""
        if not isinstance(model, MLP):
            raise fail("model", type(model).__name__, "an MLP built by the mlp family")
        hidden, head = copy.deepcopy(model.hidden), copy.deepcopy(model.head)  # nn.Linear already
        layers: list[nn.Module] = [nn.Flatten()]
        for layer in hidden:
            layers += [layer, type(model.activation)()]
            if model.dropout_rate > 0:
                layers.append(nn.Dropout(model.dropout_rate))
        return nn.Sequential(*layers, head)

    def source(self, arch: Mapping[str, Any], task: "Task") -> str:
        """The ``build_model()`` source of :meth:`to_plain`'s network (nn.Linear's own initialisation)."""
        lines = ["        nn.Flatten(),"]
        sizes = [task.in_features] + [int(arch["hidden_layer_size"])] * int(arch["num_hidden_layers"])
        for a, b in zip(sizes[:-1], sizes[1:]):
            lines += [f"        nn.Linear({a}, {b}),", f"        nn.{arch['activation_function']}(),"]
            if float(arch["dropout_rate"]) > 0:
                lines.append(f"        nn.Dropout({float(arch['dropout_rate'])!r}),")
        lines.append(f"        nn.Linear({sizes[-1]}, {task.out_features}),")
        return ("def build_model() -> nn.Module:\n"
                '    """The network, freshly initialised (PyTorch\'s default initialisation)."""\n'
                "    return nn.Sequential(\n" + "\n".join(lines) + "\n    )\n")

    def stack_key(self, arch: Mapping[str, Any]) -> tuple:
        """Same depth, width and activation: same layer shapes, so they can be stacked."""
        return (arch["num_hidden_layers"], arch["hidden_layer_size"], arch["activation_function"])


MLP_FAMILY = MLPFamily()


def init_linear(layer: nn.Linear, generator: torch.Generator) -> None:
    """PyTorch's default Linear initialisation, drawn from ``generator``."""
    bound = 1.0 / math.sqrt(layer.in_features)
    with torch.no_grad():
        layer.weight.uniform_(-bound, bound, generator=generator)
        if layer.bias is not None:
            layer.bias.uniform_(-bound, bound, generator=generator)


class MLP(nn.Module):
    """A plain multilayer perceptron described by an architecture dict.

    Inputs with more than one feature dimension (images) are flattened first.
    """

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
        self.seed = seed
        self.mask_generator: torch.Generator | None = None  # made at the first training batch

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() > 2:
            x = x.flatten(1)
        for layer in self.hidden:
            x = self.activation(layer(x))
            if self.training and self.dropout_rate > 0:
                x = dropout(x, self.dropout_rate, self.masks(x.device))
        return self.head(x)

    def masks(self, device: torch.device) -> torch.Generator:
        """The generator of this network's dropout masks: seeded with its seed, on its device."""
        if self.mask_generator is None:
            self.mask_generator = torch.Generator(device=device).manual_seed(self.seed)
        return self.mask_generator


def dropout(x: torch.Tensor, rate: float, generator: torch.Generator | None) -> torch.Tensor:
    """Inverted dropout with masks from ``generator`` (the maths of ``nn.Dropout``).

    The stacked population (:mod:`nasbook.evaluation.stacked`) calls this same function for
    each member; the shipped benchmark table was trained with exactly this formula.
    """
    keep = torch.rand(x.shape, generator=generator, device=x.device) >= rate
    return x * keep / (1.0 - rate)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def short_label(arch: Mapping[str, Any]) -> str:
    """A one-line, column-aligned label of an MLP architecture: ``"2×64  ReLU      lr=0.01   Adam    dropout=0.2"``.

    Keys the architecture does not have are left out (a tiny space may fix some).
    """
    parts = [f"{arch.get('num_hidden_layers', '?')}×{arch.get('hidden_layer_size', '?')!s:<4}"]
    for key, text in (("activation_function", "{:<9}"), ("learning_rate", "lr={!s:<6}"),
                      ("optimizer", "{:<7}"), ("dropout_rate", "dropout={}")):
        if key in arch:
            parts.append(text.format(arch[key]))
    return " ".join(parts).rstrip()
