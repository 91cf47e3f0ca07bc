"""Model families: what turns an architecture of a search space into a PyTorch network.

A :class:`~nasbook.spaces.space.SearchSpace` is only a menu of named choices; it does not
know what ``{"num_hidden_layers": 2, ...}`` *means*. A model family does. It owns:

* **its keys and their rules** – which keys an architecture may set and what each may hold
  (an integer from 1 to 100, one of a list of names, ...), checked with a message that names
  the key, the value and what is allowed;
* **their defaults** – the value a key takes when a space leaves it out (a space of two keys
  still describes a whole network);
* **build(arch, task, seed)** – the ``torch.nn.Module`` itself, its weights drawn from
  ``seed`` so the same architecture and seed always start from the same weights;
* **make_optimizer(arch, params)** – how the architecture says its weights are trained (for
  the MLP family the learning rate and the optimiser are keys of the space).

The evaluator (the inner loop) only ever calls these four things, so a new family — a cell of
a convolutional network next — plugs into every strategy, the loop and the run log unchanged.
A family of your own is one small class (see docs/spaces.md)::

    class Linear(ModelFamily):             # a "network" of one linear layer
        name = "linear"
        rules = {"bias": "True or False"}
        defaults = {"bias": True}

        def check_value(self, key, value, field):
            if not isinstance(value, bool):
                raise fail(field, value, self.rules[key])
            return value

        def build(self, arch, task, seed=0):
            layer = nn.Linear(task.in_features, task.out_features, bias=arch["bias"])
            init_linear(layer, torch.Generator().manual_seed(seed))   # no global random state
            return nn.Sequential(nn.Flatten(), layer)

    space = SearchSpace({"bias": [True, False]}, family=Linear())
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, Mapping

import torch
from torch import nn

from nasbook.validation import NasbookError, fail

if TYPE_CHECKING:  # only for type hints: tasks do not depend on families
    from nasbook.tasks import Task


class ModelFamily(ABC):
    """Turns architectures (dicts of choices) into networks. Subclass it for a new kind of network.

    Subclasses set :attr:`name`, :attr:`rules` and :attr:`defaults` and implement
    :meth:`check_value` and :meth:`build`; :meth:`complete` and :meth:`check_choices` follow.
    """

    name: str = "family"
    rules: dict[str, str] = {}  # key -> what it may hold, in words (used in error messages)
    defaults: dict[str, Any] = {}  # key -> the value used when a space leaves the key out

    @abstractmethod
    def check_value(self, key: str, value: Any, field: str) -> Any:
        """Return ``value`` (normalised, e.g. ``numpy.int64(2)`` -> ``2``) if ``key`` may hold it, else raise."""

    @abstractmethod
    def build(self, arch: Mapping[str, Any], task: "Task", seed: int = 0) -> nn.Module:
        """A fresh network for the complete architecture ``arch`` on ``task``, weights drawn from ``seed``."""

    def make_optimizer(self, arch: Mapping[str, Any], params: Any) -> torch.optim.Optimizer:
        """The optimiser that trains ``arch``'s weights (default: Adam, learning rate 0.001)."""
        return torch.optim.Adam(params, lr=1e-3)

    def check_key(self, key: Any, field: str) -> str:
        if key not in self.rules:
            raise fail(field, key, f"a key of the {self.name} family: " + ", ".join(self.rules))
        return key

    def check_choices(self, choices: Mapping[str, list[Any]]) -> dict[str, list[Any]]:
        """Check a space's choices against the family's rules; returns them normalised."""
        return {self.check_key(key, "space key"): [self.check_value(key, v, "space") for v in values]
                for key, values in choices.items()}

    def complete(self, arch: Mapping[str, Any]) -> dict[str, Any]:
        """The whole architecture: ``arch``'s values checked, keys it leaves out set to :attr:`defaults`."""
        if not isinstance(arch, Mapping):
            raise fail("arch", arch, f"a dict with keys from {', '.join(self.rules)}")
        for key in arch:
            self.check_key(key, "arch key")
        return {key: self.check_value(key, arch[key], "arch") if key in arch else self.defaults[key]
                for key in self.rules}

    # -- taking the winner away (result.best_model(), result.export()) --------------------
    def to_plain(self, model: nn.Module) -> nn.Module:
        """``model`` (built by :meth:`build`) as a network of ``torch.nn`` classes only, same weights.

        A family that cannot do this yet refuses by name; the MLP family can."""
        raise NasbookError(f"the {self.name} family cannot export its networks as plain PyTorch yet "
                           f"(it has no to_plain()); only the mlp family can, so far")

    def plain_module(self, arch: Mapping[str, Any], task: "Task", seed: int = 0) -> nn.Module:
        """A fresh network for ``arch`` (the weights :meth:`build` draws from ``seed``), of ``torch.nn`` classes only."""
        return self.to_plain(self.build(arch, task, seed))

    def source(self, arch: Mapping[str, Any], task: "Task") -> str:
        """Python source of a ``build_model()`` for ``arch`` on ``task`` that imports only torch
        (see :mod:`nasbook.spaces.export`); a family that cannot, refuses by name."""
        raise NasbookError(f"the {self.name} family cannot write its networks as PyTorch source yet "
                           f"(it has no source()); only the mlp family can, so far")

    def stack_key(self, arch: Mapping[str, Any]) -> tuple | None:
        """Architectures with the same key can be trained as one stacked network
        (:mod:`nasbook.evaluation.stacked`); None (the default) means they cannot."""
        return None

    def __repr__(self) -> str:
        return f"<model family {self.name!r}>"


def known_families() -> dict[str, ModelFamily]:
    """The families nasbook ships, by name (imported here, late, so each module stays independent)."""
    from nasbook.spaces.cell import CELL_FAMILY
    from nasbook.spaces.mlp import MLP_FAMILY

    return {MLP_FAMILY.name: MLP_FAMILY, CELL_FAMILY.name: CELL_FAMILY}


def make_family(family: "str | ModelFamily") -> ModelFamily:
    """A family by name (``"mlp"``) or an instance passed through."""
    if isinstance(family, ModelFamily):
        return family
    families = known_families()
    if not isinstance(family, str) or family not in families:  # a list is not a name either
        raise fail("family", family, "a ModelFamily instance or one of " + ", ".join(map(repr, families)))
    return families[family]


def family_for(keys: list[str]) -> ModelFamily | None:
    """The shipped family whose keys include all of ``keys`` (None if there is none)."""
    for family in known_families().values():
        if all(key in family.rules for key in keys):
            return family
    return None
