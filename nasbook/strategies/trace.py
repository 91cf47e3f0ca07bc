"""What a strategy records in ``self.trace``: one typed snapshot per step, each naming its kind.

A trace entry is a plain ``dict`` (a :class:`~typing.TypedDict`), so a notebook reads it as
before — ``entry["best"]``, ``entry.get("kind")`` — while the types below say which fields
each kind holds. ``kind`` is required: it is how plots and the dashboard pick the entries
they draw (:func:`nasbook.viz.plots.trace_entries`), never by guessing from other fields.

======================  ==================  ===========================================
kind                    written by          holds
======================  ==================  ===========================================
``"rl"``                REINFORCE           the policy's probabilities after an update
``"population"``        Evolution, Pareto   the population alive in one generation
``"darts"``             DARTS               softmax(α) after one supernet epoch
``"local_optimum"``     LocalSearch         a hill top, reached before a restart
``"rung"``              SH, Hyperband,      one finished rung of a bracket: who was
                        BOHB, ASHA          trained at its epochs, who was promoted
======================  ==================  ===========================================
"""
from __future__ import annotations

from typing import Any, Literal, TypedDict, Union

try:
    from typing import NotRequired  # Python 3.11+
except ImportError:  # Python 3.10: typing_extensions comes with torch
    from typing_extensions import NotRequired


class RLEntry(TypedDict):
    """REINFORCE after update ``update`` (0 = the initial policy)."""

    kind: Literal["rl"]
    update: int
    probs: dict[str, list[float]]  # per key, the probability of each choice
    rewards: list[float]
    baseline: float | None
    skipped: bool  # True when nothing was learned (a diverged episode, an overflowing gradient)


class Member(TypedDict):
    arch: dict[str, Any]
    score: float
    status: str


class PopulationEntry(TypedDict):
    """Evolution's population after generation ``generation`` (oldest member first)."""

    kind: Literal["population"]
    generation: int
    population: list[Member]
    best: float
    new: int  # trials that joined in this step
    cache_hits: int


class ParetoEntry(TypedDict):
    """Pareto evolution's population: archs, their objectives (minimised) and the front's rows."""

    kind: Literal["population"]
    generation: int
    population: list[dict[str, Any]]
    objectives: list[list[float]]
    front: list[int]


class DartsEntry(TypedDict):
    """DARTS after supernet epoch ``epoch``: softmax(α) per relaxed key."""

    kind: Literal["darts"]
    epoch: int
    alphas: dict[str, list[float]]
    train_loss: NotRequired[float]
    val_loss: NotRequired[float]
    diverged: NotRequired[bool]  # present (True) on the epoch where the supernet diverged
    stopped: NotRequired[bool]  # present (True) on the epoch where early stopping (max_skips, max_free_edges) stopped it
    stopped_by: NotRequired[str]  # which of them: "max_skips" or "max_free_edges"


class LocalOptimumEntry(TypedDict):
    """Local search reached a point no neighbour improves on, after ``evaluations`` trials."""

    kind: Literal["local_optimum"]
    local_optimum: dict[str, Any]
    score: float
    evaluations: int


class RungEntry(TypedDict):
    """A finished rung: its trials at ``epochs`` epochs and the architectures promoted from it."""

    kind: Literal["rung"]
    bracket: int  # which bracket (0, 1, ...; ASHA has one, 0)
    rung: int  # 0 = the cheapest fidelity
    epochs: int
    trials: list[Member]
    promoted: list[dict[str, Any]]


TraceEntry = Union[RLEntry, PopulationEntry, ParetoEntry, DartsEntry, LocalOptimumEntry, RungEntry, dict]
"""Any entry; a student's strategy may add its own kinds (a dict with a ``"kind"``)."""
