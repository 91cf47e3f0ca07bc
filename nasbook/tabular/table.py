"""Read the tabular benchmark: look up how an architecture trained, without training it.

    table = load_table()                 # the file shipped in nasbook/data
    table.trial(arch, seed_index=0)      # a Trial, exactly as the Evaluator returned it
    table.optimum, table.optimum_arch    # the best architecture of the whole space

An architecture's *true* score is :attr:`BenchTable.mean_val_loss`: its final validation
loss averaged over the training seeds that did not diverge (``inf`` if all diverged).
Regret (how far a search's pick is from the best possible) is measured with it.
"""
from __future__ import annotations

import functools
import math
import warnings
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from nasbook.evaluation.protocols import Protocol
from nasbook.spaces.space import SearchSpace
from nasbook.trial import STATUSES, Trial
from nasbook.validation import check_int, fail
from nasbook.tabular.build import load_arrays

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "data" / "bench_synthetic.npz"


class BenchTable:
    """The arrays of one built table plus the space, protocol and seeds it was built with."""

    def __init__(self, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
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
        ok = arrays["status"] == STATUSES.index("ok")
        self.val_loss = np.where(ok, arrays["val_curve"][..., -1], np.nan)  # (archs, seeds)
        runs = ok.sum(axis=1)
        mean = np.where(ok, self.val_loss, 0.0).sum(axis=1) / np.maximum(runs, 1)
        self.mean_val_loss = np.where((runs > 0) & arrays["done"], mean, np.inf)  # (archs,)

    @classmethod
    def load(cls, path: "str | Path" = DEFAULT_PATH) -> "BenchTable":
        if not Path(path).exists():
            raise fail("table path", str(path), "an existing file built by `nasbook bench build`")
        return cls(*load_arrays(str(path)))

    # -- facts about the whole space ----------------------------------------------------
    @property
    def size(self) -> int:
        return len(self.mean_val_loss)

    @property
    def complete(self) -> bool:
        return bool(self.arrays["done"].all())

    @property
    def optimum(self) -> float:
        """The lowest true score in the space (the zero of regret)."""
        return float(np.min(self.mean_val_loss))

    @property
    def optimum_arch(self) -> dict[str, Any]:
        return self.space.decode(np.unravel_index(int(np.argmin(self.mean_val_loss)), self.shape))

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(v) for v in self.space.choices.values())

    def regret(self, arch: Mapping[str, Any]) -> float:
        """True score of ``arch`` minus the optimum (0 for the best architecture)."""
        return float(self.mean_val_loss[self.index(arch)] - self.optimum)

    # -- one architecture ---------------------------------------------------------------
    def index(self, arch: Mapping[str, Any]) -> int:
        i = self.space.index(arch)
        if not self.arrays["done"][i]:
            raise fail("arch", dict(arch), "an architecture the (partial) table has trained")
        return i

    def trial(self, arch: Mapping[str, Any], seed_index: int = 0, epochs: "int | None" = None) -> Trial:
        """The recorded training of ``arch`` with the table's ``seed_index``-th seed, stopped
        after ``epochs`` (one of the table's checkpoints; default: all): its ``val_loss`` is the
        loss then, its curves end there, its seconds and steps are those of the epochs it trained."""
        i = self.index(arch)
        j = check_int("seed_index", seed_index, 0, len(self.seeds) - 1)
        k = self.protocol.epochs if epochs is None else check_int("epochs", epochs, 1, self.protocol.epochs)
        if k not in self.protocol.checkpoints:
            raise fail("epochs", epochs, f"an epoch this table recorded: one of {list(self.protocol.checkpoints)}")
        a = self.arrays
        curve = a["train_curve"][i, j, :k]
        curve = curve[~np.isnan(curve)]
        checkpoints = [c for c in self.protocol.checkpoints if c <= k]
        val = a["val_curve"][i, j, :len(checkpoints)]
        ok = len(curve) == k and bool(np.isfinite(curve).all()) and bool(np.isfinite(val[-1]))  # fine at epoch k
        status = "ok" if ok else STATUSES[max(1, int(a["status"][i, j]))]
        share = 1.0 if epochs is None else len(curve) / max(1, int(np.count_nonzero(~np.isnan(a["train_curve"][i, j]))))
        return Trial(arch=dict(arch), val_loss=float(val[-1]) if ok else None, status=status,
                     reason="" if ok else "diverged when the table was built",
                     train_curve=[float(x) for x in curve],
                     val_curve={str(c): float(v) for c, v in zip(checkpoints, val) if not math.isnan(v)},
                     params=int(a["params"][i]), seconds=float(a["seconds"][i, j]) * share,
                     steps=round(int(a["steps"][i, j]) * share), seed=self.seeds[j],
                     extras={"latency": float(a["latency"][i]), "table_seed": self.seeds[j]})

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
        df["seconds"] = self.arrays["seconds"].mean(axis=1)
        return df[self.arrays["done"]]


@functools.lru_cache(maxsize=4)
def load_table(path: "str | Path" = DEFAULT_PATH) -> BenchTable:
    """The table at ``path`` (default: the one shipped with nasbook), loaded once per process."""
    return BenchTable.load(path)
