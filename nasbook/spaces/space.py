"""The search space: every architecture nasbook may propose.

A search space is a set of named categorical choices. An *architecture* is a plain dict
that picks one value per key, e.g. ``{"num_hidden_layers": 2, "hidden_layer_size": 64, ...}``
or, for a cell, ``{"edge_1_0": "conv_3x3", "edge_2_0": "skip_connect", ...}``. The keys are
anything you name; the space itself only knows the menu (size, sampling, mutation,
neighbours, encoding). What an architecture *means* — the network it becomes — is its
:class:`~nasbook.spaces.family.ModelFamily`'s business: ``space.family``.

The article's space (6 keys, 5*5*3*4*3*4 = 3,600 architectures of the MLP family) is the
built-in default.

Why categorical? Every NAS strategy here (random, RL, evolution, DARTS) reasons about a
finite menu per key; "integer or float" would only add bookkeeping without teaching more.
"""
from __future__ import annotations

import itertools
import math
from typing import Any, Iterator, Mapping

import numpy as np

from nasbook.spaces.family import ModelFamily, family_for, make_family
from nasbook.spaces.mlp import ARTICLE_SPACE
from nasbook.validation import check_int, fail

Arch = dict[str, Any]
CHOICE_TYPES = "strings, numbers, True/False or None"


def plain_choice(value: Any, field: str) -> Any:
    """A choice as plain JSON-ready Python (``numpy.int64(2)`` -> ``2``), or an error."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return value
    raise fail(field, value, f"{CHOICE_TYPES} (a run log stores choices as JSON)")


class SearchSpace:
    """A validated, ordered set of named categorical choices, and the family that builds them.

    >>> space = SearchSpace({"num_hidden_layers": [1, 2], "activation_function": ["ReLU", "Tanh"]})
    >>> space.size, space.family.name
    (4, 'mlp')
    >>> SearchSpace({"edge_1_0": ["none", "skip_connect", "conv_3x3"]}).family.name
    'cell'
    >>> SearchSpace({"colour": ["red", "blue"]}).family is None
    True

    Args:
        choices: key -> list (or tuple) of distinct choices: strings, numbers, True/False or
            None. ``None`` is the article's space.
        family: the :class:`~nasbook.spaces.family.ModelFamily` (or its name, ``"mlp"``) whose
            networks these are; its rules check every choice, and keys the space leaves out
            take its defaults when a network is built. ``None`` picks the shipped family whose
            keys include all of the space's (the MLP's six keys -> ``"mlp"``), else none: a
            plain space, for a toy or lookup-table evaluator, or one you give a family later.
    """

    def __init__(self, choices: Mapping[str, list[Any]] | None = None,
                 family: "str | ModelFamily | None" = None) -> None:
        choices = ARTICLE_SPACE if choices is None else choices
        if not isinstance(choices, Mapping) or not choices:
            raise fail("space", choices, "a non-empty dict of key -> list of choices")
        plain: dict[str, list[Any]] = {}
        for key, values in choices.items():
            if not isinstance(key, str) or not key:
                raise fail("space key", key, "a non-empty string")
            if not isinstance(values, (list, tuple)):
                raise fail(f"space[{key!r}]", values, "a list of choices (or a tuple; a set or a dict has "
                           "no fixed order, so a run could not be repeated or resumed)")
            if not values:
                raise fail(f"space[{key!r}]", list(values), "at least one choice")
            plain[key] = list(values)
        self.family = family_for(list(plain)) if family is None else make_family(family)
        if self.family is not None:  # its rules first: they say best what a key may hold
            plain = self.family.check_choices(plain)
        for key, values in plain.items():
            values = plain[key] = [plain_choice(v, f"space[{key!r}]") for v in values]
            if len(set(map(typed, values))) != len(values):
                dup = next(v for v in values if [typed(x) for x in values].count(typed(v)) > 1)
                raise fail(f"space[{key!r}]", values, f"distinct choices ({dup!r} appears twice)")
        self.choices = plain

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
        family = "" if self.family in (None, family_for(self.keys)) else f", family={self.family.name!r}"
        return f"SearchSpace({self.choices!r}{family})"

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, SearchSpace) and self.family is other.family
                and {k: list(map(typed, v)) for k, v in self.choices.items()}
                == {k: list(map(typed, v)) for k, v in other.choices.items()})

    def to_dict(self) -> dict[str, list[Any]]:
        return {k: list(v) for k, v in self.choices.items()}

    # -- architectures -----------------------------------------------------------------
    def encode(self, arch: Any, field: str = "arch") -> tuple[int, ...]:
        """Architecture -> tuple of choice indices (one per key); raises if ``arch`` is not in the space."""
        if not isinstance(arch, Mapping):
            raise fail(field, arch, "a dict with keys " + ", ".join(self.keys))
        missing = [k for k in self.keys if k not in arch]
        extra = [k for k in arch if k not in self.choices]
        if missing or extra:
            raise fail(field, dict(arch), f"exactly the keys {self.keys} "
                       f"(missing {missing}, unexpected {extra})")
        return tuple(self.position(key, arch[key], field) for key in self.keys)

    def validate(self, arch: Any, field: str = "arch") -> Arch:
        """``arch`` in the space's own terms (its keys in order, its values), or an error."""
        return self.decode(self.encode(arch, field))

    def position(self, key: str, value: Any, field: str = "arch") -> int:
        """Where ``value`` stands among ``key``'s choices. Types count: ``True`` is not ``1``
        and ``2.0`` is not ``2``; a numpy scalar counts as its Python value."""
        if isinstance(value, np.generic):
            value = value.item()
        for i, choice in enumerate(self.choices[key]):
            if type(choice) is type(value) and choice == value:
                return i
        raise fail(f"{field}[{key!r}]", value, f"one of {self.choices[key]}")

    def complete(self, arch: Mapping[str, Any]) -> Arch:
        """The whole architecture a network is built from: the keys this space leaves out are
        filled with its family's defaults (a plain space has nothing to fill)."""
        return dict(arch) if self.family is None else self.family.complete(arch)

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

    def at(self, index: int) -> Arch:
        """The architecture at position ``index`` of :meth:`enumerate` (the inverse of :meth:`index`)."""
        index = check_int("index", index, 0, self.size - 1)
        return self.decode(np.unravel_index(index, [len(v) for v in self.choices.values()]))

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
        current = dict(zip(self.keys, self.encode(arch)))
        keys = [k for k in self.keys if len(self.choices[k]) > 1]
        if not keys:
            return self.validate(arch)
        key = keys[int(rng.integers(len(keys)))]
        others = [i for i in range(len(self.choices[key])) if i != current[key]]
        return self.decode([others[int(rng.integers(len(others)))] if k == key else current[k] for k in self.keys])

    def neighbours(self, arch: Mapping[str, Any]) -> list[Arch]:
        """All architectures that differ from ``arch`` in exactly one key."""
        arch, current = self.validate(arch), dict(zip(self.keys, self.encode(arch)))
        return [{**arch, key: v} for key in self.keys for i, v in enumerate(self.choices[key]) if i != current[key]]


def typed(value: Any) -> tuple[type, Any]:
    """A choice with its type, so that ``True`` and ``1`` (equal in Python) stay distinct."""
    return (type(value), value)


def as_space(space: "SearchSpace | Mapping[str, list[Any]] | None") -> SearchSpace:
    """Accept a SearchSpace, a plain dict of choices, or None (the article's space)."""
    if isinstance(space, SearchSpace):
        return space
    return SearchSpace(space)

