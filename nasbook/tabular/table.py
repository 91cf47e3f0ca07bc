"""Read the tabular benchmark: look up how an architecture trained, without training it.

    table = load_table()                 # the file shipped in nasbook/data
    table.trial(arch, seed_index=0)      # a Trial, exactly as the Evaluator returned it
    table.optimum, table.optimum_arch    # the best architecture of the whole space

The learning-curve table (``load_table(CURVE_PATH)``: the ``default`` protocol, a checkpoint
after every epoch) answers any epoch, as if training had stopped there:

    table.trial(arch, seed_index=0, epochs=5)   # the Trial of a 5-epoch training
    table.curve(arch, seed_index=0)             # validation loss after epochs 1..20
    table.loss_at(arch, 5, seed_index=0)        # one of them ("train"/"test" with kind=)
    table.test_loss(arch, seed_index=0)         # held-out test loss after the last epoch
    table.mean_loss_at(5)                       # every architecture's epoch-5 score

The cell table (``load_table(CELLS_PATH)``) trained one cell per isomorphism class; every cell
of the space gets its class's row (``table.representative``: the row of each cell, in
``space.index`` order; :meth:`BenchTable.isomorphic`), so it answers for all 15,625 cells.

An architecture's *true* score is :attr:`BenchTable.mean_val_loss`: its final validation
loss averaged over the training seeds that did not diverge (``inf`` if all diverged).
Regret (how far a search's pick is from the best possible) is measured with it.
"""
from __future__ import annotations

import functools
import math
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np

from nasbook.evaluation.protocols import Protocol
from nasbook.spaces.space import SearchSpace
from nasbook.trial import STATUSES, Trial
from nasbook.validation import check_choice, check_int, fail
from nasbook.tabular.build import load_arrays

if TYPE_CHECKING:
    from nasbook.tasks import Task

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "data" / "bench_synthetic.npz"
CURVE_PATH = DEFAULT_PATH.with_name("bench_synthetic_default.npz")  # the learning-curve table
CELLS_PATH = DEFAULT_PATH.with_name("bench_digits_cells.npz")  # the cell space on digits_images
KINDS = ("val", "train", "test")  # which loss a curve lookup reads


def fine_after(status: Any, train: np.ndarray, val: Any, last: bool) -> Any:
    """Which runs were fine after an epoch (element-wise over arrays): a run that ended ``ok``,
    and, before the last epoch, one that diverged later — its training losses up to then
    (``train``, the last axis) and its validation loss then (``val``) are finite."""
    ok = status == STATUSES.index("ok")
    if last:
        return ok
    return ok | ((status == STATUSES.index("diverged")) & np.isfinite(train).all(axis=-1) & np.isfinite(val))


class BenchTable:
    """The arrays of one built table plus the space, protocol and seeds it was built with."""

    def __init__(self, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
        self.rows = arrays  # as stored: one row per trained architecture (or isomorphism class)
        self.representative = arrays.get("representative")  # each architecture's row (None: its own)
        if self.representative is not None:  # every architecture reads its class's row
            arrays = {k: v[self.representative] for k, v in arrays.items() if k != "representative"}
        self.arrays, self.meta = arrays, meta
        self.space = SearchSpace(meta["space"])
        p = meta["protocol"]
        self.protocol = Protocol(p["name"], epochs=p["epochs"], batch_size=p["batch_size"],
                                 checkpoints=tuple(p["checkpoints"]))
        if self.protocol.checkpoints[-1] != self.protocol.epochs:
            raise fail("table protocol.checkpoints", self.protocol.checkpoints,
                       f"a list ending at the last epoch ({self.protocol.epochs})")
        self.seeds: list[int] = list(meta["seeds"])
        self.task_name: str = meta["task"]
        done = arrays["done"]  # format 1: one flag per architecture; 2: per (architecture, seed)
        self.done_runs = np.broadcast_to(done[:, None], arrays["status"].shape) if done.ndim == 1 else done
        self.built = self.done_runs.any(axis=1)  # (archs,): at least one seed trained
        self.ok_runs = self.done_runs & (arrays["status"] == STATUSES.index("ok"))
        self.val_loss = np.where(self.ok_runs, arrays["val_curve"][..., -1], np.nan)  # (archs, seeds)
        self.mean_val_loss = self.mean_loss_at(self.protocol.epochs)  # (archs,)

    @classmethod
    def load(cls, path: "str | Path" = DEFAULT_PATH) -> "BenchTable":
        if not Path(path).exists():
            raise fail("table path", str(path), "an existing file built by `nasbook bench build`")
        return cls(*load_arrays(str(path)))

    @functools.cached_property
    def task(self) -> "Task":
        """The task the table was trained on, made once (every lookup evaluator on the table shares it:
        making ``digits_images`` takes longer than a whole 100-evaluation search on the table)."""
        from nasbook.tasks import make_task

        return make_task(self.task_name)

    # -- facts about the whole space ----------------------------------------------------
    @property
    def size(self) -> int:
        return len(self.mean_val_loss)

    @property
    def complete(self) -> bool:
        """Every architecture trained with every seed."""
        return bool(self.done_runs.all())

    @property
    def covers_space(self) -> bool:
        """Every architecture has a truth: at least one trained seed (the cell table: seed 0 of
        every class, more seeds on a sample). A search on such a table never meets a cell it has
        not trained, and its regret is measured against the whole space's optimum."""
        return bool(self.built.all())

    @property
    def optimum(self) -> float:
        """The lowest true score in the space (the zero of regret)."""
        return float(np.min(self.mean_val_loss))

    @property
    def optimum_arch(self) -> dict[str, Any]:
        return self.space.at(int(np.argmin(self.mean_val_loss)))

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(v) for v in self.space.choices.values())

    def isomorphic(self, a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
        """Whether two architectures share a row: the same isomorphism class (cell table), or equal."""
        i, j = self.space.index(a), self.space.index(b)
        return bool(i == j if self.representative is None else self.representative[i] == self.representative[j])

    def score(self, arch: Mapping[str, Any]) -> float:
        """The true score of ``arch``: :attr:`mean_val_loss` of its row (its class's, in a cell table)."""
        return float(self.mean_val_loss[self.index(arch)])

    def regret(self, arch: Mapping[str, Any]) -> float:
        """True score of ``arch`` minus the optimum (0 for the best architecture)."""
        return self.score(arch) - self.optimum

    # -- one architecture ---------------------------------------------------------------
    def index(self, arch: Mapping[str, Any]) -> int:
        i = self.space.index(arch)
        if not self.built[i]:
            raise fail("arch", dict(arch), "an architecture the (partial) table has trained")
        return i

    def run(self, arch: Mapping[str, Any], seed_index: int) -> tuple[int, int]:
        """(row, seed position) of a trained run, or a clear error naming what is there."""
        i = self.index(arch)
        j = check_int("seed_index", seed_index, 0, len(self.seeds) - 1)
        if not self.done_runs[i, j]:
            trained = [int(k) for k in np.flatnonzero(self.done_runs[i])]
            raise fail("seed_index", seed_index, f"a seed position this partial table has trained for {dict(arch)}: {trained}")
        return i, j

    def check_epoch(self, epoch: int) -> int:
        """``epoch`` if the table recorded the validation loss after it (a checkpoint)."""
        epoch = check_int("epoch", epoch, 1, self.protocol.epochs)
        if epoch not in self.protocol.checkpoints:
            raise fail("epoch", epoch, f"an epoch this table recorded: one of {list(self.protocol.checkpoints)}")
        return epoch

    def trial(self, arch: Mapping[str, Any], seed_index: int = 0, epochs: "int | None" = None) -> Trial:
        """The recorded training of ``arch`` with the table's ``seed_index``-th seed, stopped
        after ``epochs`` (a checkpoint; default: all): its ``val_loss`` is the loss then, its
        curves end there, its seconds and steps are those of the epochs it trained."""
        i, j = self.run(arch, seed_index)
        k = self.protocol.epochs if epochs is None else self.check_epoch(epochs)
        a = self.arrays
        curve = a["train_curve"][i, j, :k]
        curve = curve[~np.isnan(curve)]
        checkpoints = [c for c in self.protocol.checkpoints if c <= k]
        val = a["val_curve"][i, j, :len(checkpoints)]
        ok = bool(fine_after(a["status"][i, j], a["train_curve"][i, j, :k], val[-1], k == self.protocol.epochs))
        status = "ok" if ok else STATUSES[max(1, int(a["status"][i, j]))]
        trained = max(1, int(np.count_nonzero(~np.isnan(a["train_curve"][i, j]))))  # epochs it ran
        share = len(curve) / trained  # the part of the recorded run this trial stands for
        return Trial(arch=dict(arch), val_loss=float(val[-1]) if ok else None, status=status,
                     reason="" if ok else "diverged when the table was built",
                     train_curve=[float(x) for x in curve],
                     val_curve={str(c): float(v) for c, v in zip(checkpoints, val) if not math.isnan(v)},
                     params=int(a["params"][i]), seconds=float(a["seconds"][i, j]) * share,
                     steps=round(int(a["steps"][i, j]) * share), seed=self.seeds[j],
                     extras={"latency": float(a["latency"][i]), "table_seed": self.seeds[j],
                             **({"flops": int(a["flops"][i])} if "flops" in a else {})})

    # -- learning curves: any recorded epoch ---------------------------------------------
    def curve(self, arch: Mapping[str, Any], seed_index: int = 0, kind: str = "val") -> np.ndarray:
        """The ``kind`` loss of one run: ``"train"`` after every epoch, ``"val"``/``"test"``
        at each of :attr:`checkpoints` (every epoch in the learning-curve table); NaN after
        a divergence."""
        i, j = self.run(arch, seed_index)
        return self.arrays[self.column(kind)][i, j].copy()

    def loss_at(self, arch: Mapping[str, Any], epoch: int, seed_index: int = 0, kind: str = "val") -> float:
        """The ``kind`` loss of one run after ``epoch`` (NaN if it had diverged by then)."""
        return float(self.curve(arch, seed_index, kind)[self.position(epoch, kind)])

    def test_loss(self, arch: Mapping[str, Any], seed_index: int = 0) -> float:
        """Held-out test loss after the last epoch (NaN for a diverged run)."""
        return self.loss_at(arch, self.protocol.epochs, seed_index, kind="test")

    def mean_loss_at(self, epoch: int, kind: str = "val") -> np.ndarray:
        """Every architecture's ``kind`` loss after ``epoch`` averaged over its seeds that had
        not diverged by then (``inf`` where none, or not built): the true score at that epoch."""
        a = self.arrays
        values = a[self.column(kind)][:, :, self.position(epoch, kind)]
        val = a["val_curve"][:, :, self.protocol.checkpoints.index(epoch)] if epoch in self.protocol.checkpoints else 0.0
        fine = fine_after(a["status"], a["train_curve"][:, :, :epoch], val, epoch == self.protocol.epochs)
        good = self.done_runs & fine & np.isfinite(values)
        runs = good.sum(axis=1)
        mean = np.where(good, values, 0.0).sum(axis=1) / np.maximum(runs, 1)
        return np.where((runs > 0) & self.built, mean, np.inf)

    def position(self, epoch: int, kind: str) -> int:
        """Where ``epoch`` sits in a ``kind`` curve: training losses hold every epoch, the
        others the checkpoints (refused, naming them, if ``epoch`` is not one)."""
        if kind == "train":
            return check_int("epoch", epoch, 1, self.protocol.epochs) - 1
        return self.protocol.checkpoints.index(self.check_epoch(epoch))

    def column(self, kind: str) -> str:
        """The array a ``kind`` of loss lives in; refuses one this table did not record."""
        kind = check_choice("kind", kind, KINDS)
        if f"{kind}_curve" not in self.arrays:
            raise fail("kind", kind, f"a loss this table recorded: {[k for k in KINDS if f'{k}_curve' in self.arrays]}")
        return f"{kind}_curve"

    @property
    def checkpoints(self) -> tuple[int, ...]:
        """The epochs after which validation (and test) losses were recorded."""
        return self.protocol.checkpoints

    @property
    def epochs(self) -> int:
        return self.protocol.epochs

    def seed_noise(self, top: int = 100) -> dict[str, float]:
        """How much the training seed moves the final validation loss, next to the regrets it
        should separate: the seed standard deviation (``ddof=1``, over runs that did not
        diverge) of the optimum, its median over the ``top`` best architectures and over all
        architectures, and the regret of the architectures ranked 2nd, 10th and
        ``top``-th. Unbuilt architectures are left out (a partial table measures what it has)."""
        with warnings.catch_warnings():  # an architecture with one good run has no spread: NaN
            warnings.simplefilter("ignore", RuntimeWarning)
            std = np.nanstd(self.val_loss, axis=1, ddof=1)
        order = np.argsort(self.mean_val_loss)
        order = order[np.isfinite(self.mean_val_loss[order])]
        regret = self.mean_val_loss[order] - self.mean_val_loss[order[0]]
        top = min(top, len(order))
        return {"architectures": len(order), "optimum_std": float(std[order[0]]),
                f"top{top}_median_std": float(np.nanmedian(std[order[:top]])),
                "median_std": float(np.nanmedian(std[order])),
                "regret_rank2": float(regret[min(1, len(order) - 1)]),
                "regret_rank10": float(regret[min(9, len(order) - 1)]), f"regret_rank{top}": float(regret[top - 1])}

    def frame(self) -> "Any":
        """One row per architecture: its choices, true score, spread over seeds, cost."""
        import pandas as pd

        rows = list(self.space.enumerate())
        df = pd.DataFrame(rows)
        df["mean_val_loss"] = self.mean_val_loss
        with warnings.catch_warnings():  # an all-diverged row has no spread: NaN, quietly
            warnings.simplefilter("ignore", RuntimeWarning)
            df["std_val_loss"] = np.nanstd(self.val_loss, axis=1)
        df["diverged_seeds"] = (self.arrays["status"] != 0).sum(axis=1)
        df["params"] = self.arrays["params"]
        df["latency"] = self.arrays["latency"]
        if "flops" in self.arrays:
            df["flops"] = self.arrays["flops"]
        if self.representative is not None:
            df["row"] = self.representative  # cells with the same row are isomorphic
        seconds = self.arrays["seconds"]
        with warnings.catch_warnings():  # a partial table: average the runs it trained
            warnings.simplefilter("ignore", RuntimeWarning)
            df["seconds"] = seconds.mean(axis=1) if self.complete else np.nanmean(
                np.where(self.done_runs, seconds, np.nan), axis=1)
        return df[self.built]


@functools.lru_cache(maxsize=4)
def load_table(path: "str | Path" = DEFAULT_PATH) -> BenchTable:
    """The table at ``path`` (default: the one shipped with nasbook), loaded once per process."""
    return BenchTable.load(path)
