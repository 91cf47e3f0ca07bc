"""The search space: every architecture nasbook may propose.

A search space is a set of named categorical choices. An *architecture* is a plain dict
that picks one value per key, e.g. ``{"num_hidden_layers": 2, "hidden_layer_size": 64, ...}``.
The article's space (6 keys, 5*5*3*4*3*4 = 3,600 architectures) is the built-in default.

Why categorical? Every NAS strategy here (random, RL, evolution, DARTS) reasons about a
finite menu per key; "integer or float" would only add bookkeeping without teaching more.
"""
from __future__ import annotations

import itertools
from typing import Any, Iterator, Mapping

import numpy as np

from nasbook.validation import NasbookError, check_float, check_int, fail

Arch = dict[str, Any]

ACTIVATIONS = ("ReLU", "LeakyReLU", "Tanh", "Sigmoid", "GELU", "ELU", "SiLU", "Identity")
OPTIMIZERS = ("Adam", "SGD", "RMSprop", "AdamW")

# Upper limits that catch typos (a width of 1,000,000 would exhaust the memory, not teach).
MAX_VALUES = {"num_hidden_layers": 100, "hidden_layer_size": 16384}

# What each key may hold, and the value an MLP uses when a space leaves the key out.
KEY_RULES: dict[str, tuple[str, Any]] = {
    "num_hidden_layers": ("integers from 1 to 100", 1),
    "hidden_layer_size": ("integers from 1 to 16384", 64),
    "activation_function": ("names from " + ", ".join(ACTIVATIONS), "ReLU"),
    "learning_rate": ("numbers in (0, 1)", 0.001),
    "optimizer": ("names from " + ", ".join(OPTIMIZERS), "Adam"),
    "dropout_rate": ("numbers in [0, 1)", 0.0),
}
DEFAULTS: dict[str, Any] = {key: rule[1] for key, rule in KEY_RULES.items()}

ARTICLE_SPACE: dict[str, list[Any]] = {
    "num_hidden_layers": [1, 2, 3, 4, 5],
    "hidden_layer_size": [32, 64, 128, 256, 512],
    "activation_function": ["ReLU", "LeakyReLU", "Tanh"],
    "learning_rate": [0.1, 0.01, 0.001, 0.0001],
    "optimizer": ["Adam", "SGD", "RMSprop"],
    "dropout_rate": [0.0, 0.2, 0.4, 0.6],
}


def _check_value(key: str, value: Any, where: str) -> Any:
    """Validate one choice of one key; return it normalised (ints stay ints)."""
    field = f"{where}[{key!r}]"
    if key in ("num_hidden_layers", "hidden_layer_size"):
        return check_int(field, value, minimum=1, maximum=MAX_VALUES[key])
    if key == "activation_function":
        if value not in ACTIVATIONS:
            raise fail(field, value, "one of " + ", ".join(ACTIVATIONS))
        return value
    if key == "optimizer":
        if value not in OPTIMIZERS:
            raise fail(field, value, "one of " + ", ".join(OPTIMIZERS))
        return value
    if key == "learning_rate":
        try:
            number = check_float(field, value, 0.0, 1.0, high_open=True)
        except NasbookError:
            number = 0.0
        if number == 0.0:
            raise fail(field, value, "a finite number in (0, 1)")
        return number
    return check_float(field, value, 0.0, 1.0, high_open=True)  # dropout_rate


class SearchSpace:
    """A validated, ordered set of categorical choices.

    >>> space = SearchSpace({"num_hidden_layers": [1, 2], "activation_function": ["ReLU", "Tanh"]})
    >>> space.size
    4

    Keys the space leaves out are fixed at :data:`DEFAULTS` when a model is built.
    """

    def __init__(self, choices: Mapping[str, list[Any]] | None = None) -> None:
        choices = ARTICLE_SPACE if choices is None else choices
        if not isinstance(choices, Mapping) or not choices:
            raise fail("space", choices, "a non-empty dict of key -> list of choices, keys from "
                       + ", ".join(KEY_RULES))
        self.choices: dict[str, list[Any]] = {}
        for key, values in choices.items():
            if key not in KEY_RULES:
                raise fail("space key", key, "one of " + ", ".join(KEY_RULES))
            if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
                raise fail(f"space[{key!r}]", values, "a list of choices")
            values = [_check_value(key, v, "space") for v in values]
            if not values:
                raise fail(f"space[{key!r}]", values, f"at least one choice ({KEY_RULES[key][0]})")
            if len(set(values)) != len(values):
                dup = next(v for v in values if values.count(v) > 1)
                raise fail(f"space[{key!r}]", values, f"distinct choices ({dup!r} appears twice)")
            self.choices[key] = values

    # -- basic facts -------------------------------------------------------------------
    @property
    def keys(self) -> list[str]:
        return list(self.choices)

    @property
    def size(self) -> int:
        """Number of distinct architectures: the product of the choice counts."""
        return int(np.prod([len(v) for v in self.choices.values()]))

    def __len__(self) -> int:
        return self.size

    def __repr__(self) -> str:
        return f"SearchSpace({self.choices!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SearchSpace) and self.choices == other.choices

    def to_dict(self) -> dict[str, list[Any]]:
        return {k: list(v) for k, v in self.choices.items()}

    # -- architectures -----------------------------------------------------------------
    def validate(self, arch: Any, field: str = "arch") -> Arch:
        """Return ``arch`` if it picks one allowed value for every key, else raise."""
        if not isinstance(arch, Mapping):
            raise fail(field, arch, "a dict with keys " + ", ".join(self.keys))
        missing = [k for k in self.keys if k not in arch]
        extra = [k for k in arch if k not in self.choices]
        if missing or extra:
            raise fail(field, dict(arch), f"exactly the keys {self.keys} "
                       f"(missing {missing}, unexpected {extra})")
        for key, values in self.choices.items():
            if arch[key] not in values:
                raise fail(f"{field}[{key!r}]", arch[key], f"one of {values}")
        return {k: arch[k] for k in self.keys}

    def complete(self, arch: Mapping[str, Any]) -> Arch:
        """The architecture with the keys this space leaves out filled by DEFAULTS."""
        return {**DEFAULTS, **arch}

    def encode(self, arch: Mapping[str, Any]) -> tuple[int, ...]:
        """Architecture -> tuple of choice indices (one per key)."""
        arch = self.validate(arch)
        return tuple(self.choices[k].index(arch[k]) for k in self.keys)

    def decode(self, indices: Any) -> Arch:
        """Tuple of choice indices -> architecture."""
        indices = list(indices)
        if len(indices) != len(self.keys):
            raise fail("indices", indices, f"{len(self.keys)} indices, one per key {self.keys}")
        arch = {}
        for key, i in zip(self.keys, indices):
            n = len(self.choices[key])
            arch[key] = self.choices[key][check_int(f"indices[{key!r}]", i, 0, n - 1)]
        return arch

    def index(self, arch: Mapping[str, Any]) -> int:
        """The architecture's position in :meth:`enumerate` order (0 .. size-1)."""
        sizes = [len(v) for v in self.choices.values()]
        return int(np.ravel_multi_index(self.encode(arch), sizes))

    def enumerate(self) -> Iterator[Arch]:
        """Every architecture, in a fixed order (the last key changes fastest)."""
        for values in itertools.product(*self.choices.values()):
            yield dict(zip(self.keys, values))

    def __iter__(self) -> Iterator[Arch]:
        return self.enumerate()

    # -- moves used by search strategies -----------------------------------------------
    def sample(self, rng: np.random.Generator) -> Arch:
        """A uniformly random architecture."""
        return {k: v[int(rng.integers(len(v)))] for k, v in self.choices.items()}

    def mutate(self, arch: Mapping[str, Any], rng: np.random.Generator) -> Arch:
        """Change one randomly chosen key to a *different* value (keys with one choice stay)."""
        arch = self.validate(arch)
        keys = [k for k in self.keys if len(self.choices[k]) > 1]
        if not keys:
            return arch
        key = keys[int(rng.integers(len(keys)))]
        others = [v for v in self.choices[key] if v != arch[key]]
        return {**arch, key: others[int(rng.integers(len(others)))]}

    def neighbours(self, arch: Mapping[str, Any]) -> list[Arch]:
        """All architectures that differ from ``arch`` in exactly one key."""
        arch = self.validate(arch)
        return [{**arch, key: v} for key in self.keys for v in self.choices[key] if v != arch[key]]


def as_space(space: "SearchSpace | Mapping[str, list[Any]] | None") -> SearchSpace:
    """Accept a SearchSpace, a plain dict of choices, or None (the article's space)."""
    if isinstance(space, SearchSpace):
        return space
    return SearchSpace(space)

