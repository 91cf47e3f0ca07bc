"""DARTS' collapse, measured: does a longer search drift onto parameter-free operations?

DARTS is known to degrade as its supernet trains longer: α moves onto ``skip_connect`` (and
``none``, pooling), operations that need no training to look good in a supernet whose other
paths are still learning, and the derived cell gets worse (Zela et al., 2020; Liang et al.,
2019 "DARTS+"; on NAS-Bench-201, Dong & Yang, 2020, report DARTS ending on all-skip cells).

:func:`collapse` measures it on a cell space. For each seed it trains one supernet for the
longest setting; because a run of ``E`` epochs draws its random numbers the same way for every
``E``, the α of a 10-epoch search *is* the α after epoch 10 of a 40-epoch search, so one run
answers every shorter setting (``tests/test_cell_darts.py`` checks this). At each setting it
records the share of softmax(α) on parameter-free ops, how many of the derived cell's edges are
parameter-free, and what the derived cell is really worth: ``truth(cell)``, a callable, so a
table (:func:`truth_from` a ``TabularEvaluator``), real training (an ``Evaluator``) or, in tests,
a made-up function can answer.

The **remedy** measured beside it is DARTS+'s early stopping (``DARTS(max_skips=2)``): stop
once the derived cell has two skip connections. Since its run is plain DARTS's run up to the
stop, its cell is read from the same trajectory: the cell at the first epoch whose cell has
``max_skips`` skips, else the cell at the end. :func:`remedy_verdict` compares the two over
seeds with a paired Wilcoxon test and a bootstrap interval (:mod:`nasbook.experiments.stats`).
"""
from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

import numpy as np

from nasbook.experiments.stats import Verdict, compare
from nasbook.oneshot.cell_supernet import PARAMETER_FREE, count_ops, parameter_free_mass
from nasbook.spaces.cell import CELL_SPACE, cell_label
from nasbook.spaces.space import SearchSpace, as_space
from nasbook.strategies.darts import DARTS
from nasbook.validation import check_int, fail

Truth = Callable[[Mapping[str, str]], float]


def truth_from(evaluator: Any, seed: int = 0) -> Truth:
    """``arch -> evaluator.evaluate(arch, seed).score``: a table's score, or a real training's."""
    return lambda arch: float(evaluator.evaluate(dict(arch), seed=seed).score)


class TableOrTraining:
    """A truth for a partial cell table: the table's score (mean validation loss over its training
    seeds) where it has trained the cell, else ``evaluator``'s training of it at ``seed`` — with the
    table's own protocol that is the very run the table's build will store for seed 0.
    ``from_table`` and ``trained`` count the cells answered each way."""

    def __init__(self, table: Any, evaluator: Any, seed: int = 0) -> None:
        self.table, self.evaluator, self.seed = table, evaluator, seed
        self.from_table, self.trained = 0, 0

    def __call__(self, arch: Mapping[str, str]) -> float:
        i = self.table.space.index(arch)
        if self.table.built[i]:
            self.from_table += 1
            return float(self.table.mean_val_loss[i])
        self.trained += 1
        return float(self.evaluator.evaluate(dict(arch), seed=self.seed).score)


def darts_trajectory(evaluator: Any, epochs: int, seed: int,
                     space: "SearchSpace | Mapping[str, list[str]]" = CELL_SPACE, **darts: Any) -> list[dict[str, Any]]:
    """The trace of one DARTS supernet on ``evaluator``'s task: softmax(α) per edge after each epoch."""
    strategy = DARTS(epochs=epochs, **darts)
    strategy.setup(as_space(space), seed, evaluator)
    strategy.prepare()
    return [entry for entry in strategy.trace if entry.get("kind") == "darts" and not entry.get("diverged")]


def derived(alphas: Mapping[str, list[float]], space: SearchSpace) -> dict[str, str]:
    """The cell DARTS derives from one trace entry: each edge's most probable op."""
    return {key: space.choices[key][int(np.argmax(alphas[key]))] for key in space.keys}


def collapse(truth: Truth, evaluator: Any, epochs: Sequence[int] = (5, 10, 20, 40), seeds: Sequence[int] = (0, 1, 2),
             space: "SearchSpace | Mapping[str, list[str]]" = CELL_SPACE, max_skips: int = 2,
             **darts: Any) -> "Any":
    """One row per (seed, epochs, method) for plain DARTS and DARTS+ (early stopping at ``max_skips``).

    ``evaluator`` gives DARTS its task, protocol (mini-batch size) and cell family; ``truth`` scores
    the derived cells; ``darts`` passes on to :class:`~nasbook.strategies.darts.DARTS` (``order``,
    ``alpha_lr``, ...). Columns: ``seed, epochs, method, stopped_at`` (the epoch whose α was used),
    ``mass`` (share of softmax(α) on parameter-free ops), ``free_edges`` and ``skips`` (edges of the
    derived cell that are parameter-free / skip connections), ``cell`` (its NAS-Bench-201 string),
    ``loss`` (``truth(cell)``).
    """
    import pandas as pd

    space = as_space(space)
    epochs = sorted({check_int("epochs", e, 1, 100_000) for e in epochs})
    max_skips = check_int("max_skips", max_skips, 1, 6)
    if not seeds:
        raise fail("seeds", seeds, "at least one seed")
    rows, scores = [], {}  # scores: truth by cell string, so each cell is scored once
    for seed in seeds:
        trace = darts_trajectory(evaluator, max(epochs), seed, space, **darts)
        cells = [derived(entry["alphas"], space) for entry in trace]
        stop = next((i for i, cell in enumerate(cells) if count_ops(cell, ("skip_connect",)) >= max_skips), None)
        for e in epochs:
            last = min(e, len(trace)) - 1  # a diverged supernet ends early
            for method, at in (("darts", last), ("darts+", last if stop is None else min(stop, last))):
                cell, label = cells[at], cell_label(cells[at])
                if label not in scores:
                    scores[label] = float(truth(cell))
                rows.append({"seed": seed, "epochs": e, "method": method, "stopped_at": at + 1,
                             "mass": parameter_free_mass(trace[at]["alphas"], space.choices),
                             "free_edges": count_ops(cell, PARAMETER_FREE), "skips": count_ops(cell, ("skip_connect",)),
                             "cell": label, "loss": scores[label]})
    return pd.DataFrame(rows)


def remedy_verdict(frame: "Any", epochs: int | None = None, alpha: float = 0.05) -> Verdict:
    """Is DARTS+'s cell truly better than plain DARTS's at ``epochs`` (default: the longest), over seeds?"""
    epochs = int(frame["epochs"].max()) if epochs is None else epochs
    at = frame[frame["epochs"] == epochs]
    plain = at[at["method"] == "darts"].sort_values("seed")["loss"].to_numpy()
    stopped = at[at["method"] == "darts+"].sort_values("seed")["loss"].to_numpy()
    return compare(stopped, plain, f"DARTS+ derives truly better cells than DARTS after {epochs} epochs", alpha)


def summary(frame: "Any") -> "Any":
    """Per (method, epochs): the median over seeds of mass, free edges, skips and loss."""
    return frame.groupby(["method", "epochs"])[["mass", "free_edges", "skips", "loss"]].median()
