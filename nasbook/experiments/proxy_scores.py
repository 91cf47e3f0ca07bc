"""Zero-cost proxy scores of every cell, computed once and kept in a small file.

:mod:`nasbook.experiments.zero_cost` scores one network. Judging the proxies needs them on
every cell of the space (6,466 unique cells, :func:`~nasbook.spaces.cell.unique_cells`) and
for several *proxy seeds*, because a proxy depends on two random things:

* the **initialisation** — seed ``s`` builds the network with ``family.build(arch, task, s)``;
* the **minibatch** — seed ``s`` draws its :data:`BATCH` training rows with a
  ``torch.Generator`` seeded ``s`` (:func:`proxy_batch`).

``params`` and ``flops`` depend on the cell only: they are computed once per cell.

**What it costs.** All proxies of one cell take some 30 ms of one CPU core (measured per
proxy and stored in the file: :meth:`ProxyScores.seconds_per_cell`), so 6,466 cells × 3 seeds
take about ten CPU minutes — too long for a notebook, short enough to do once. The command ::

    python -m nasbook.experiments.proxy_scores            # resumable: run it again to continue

writes :data:`SCORES_PATH` after every chunk of cells (atomically, like the tabular builds), and
:func:`load_scores` reads it. :func:`cell_card` is everything one cell shows at once (its table
score, parameters, FLOPs and proxy values): what the notebook's cell-drawing widget displays.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np
import torch

from nasbook.experiments.zero_cost import PROXIES, Batch
from nasbook.spaces.cell import CELL_FAMILY, EDGE_KEYS, OPS, CellFamily, canonical, cell_expression, cell_label, unique_cells
from nasbook.tabular.build import load_arrays, save_table
from nasbook.tasks import Task, make_task
from nasbook.validation import NasbookError, check_int, fail

if TYPE_CHECKING:
    from nasbook.tabular.table import BenchTable

SEEDED = ("synflow", "naswot", "grad_norm", "snip")  # depend on the initialisation and the minibatch
BASELINES = ("params", "flops")  # depend on the cell only: the scores a proxy must beat
BATCH = 64  # training rows a proxy sees (NASWOT's kernel is BATCH x BATCH)
SCORES_PATH = Path(__file__).resolve().parent.parent / "data" / "zero_cost_digits_cells.npz"


def proxy_batch(task: Task, seed: int, size: int = BATCH) -> Batch:
    """``size`` training rows of ``task`` drawn without replacement by a generator seeded ``seed``."""
    size = check_int("size", size, 1, len(task.X_train))
    rows = torch.randperm(len(task.X_train), generator=torch.Generator().manual_seed(seed))[:size]
    return task.X_train[rows], task.y_train[rows]


def timed_scores(arch: Mapping[str, str], task: Task, seed: int, names: Sequence[str],
                 family: CellFamily = CELL_FAMILY) -> tuple[dict[str, float], dict[str, float]]:
    """The proxies ``names`` of ``arch`` at proxy seed ``seed``, and the CPU seconds each took
    (``"build"``: building and initialising the network)."""
    start = time.process_time()
    model = family.build(arch, task, seed)
    batch = proxy_batch(task, seed)
    seconds = {"build": time.process_time() - start}
    scores = {}
    for name in names:
        start = time.process_time()
        scores[name] = PROXIES[name](model, batch, seed)
        seconds[name] = time.process_time() - start
    return scores, seconds


# -- the cache --------------------------------------------------------------------------
class ProxyScores:
    """Proxy scores of a list of cells: ``seeded`` (cells, seeds, len(SEEDED)) and ``baselines``
    (cells, len(BASELINES)); ``done`` marks the cells computed so far (a partial file is fine)."""

    def __init__(self, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
        self.arrays, self.meta = arrays, meta
        self.seeds: list[int] = list(meta["seeds"])
        self.archs = [dict(zip(EDGE_KEYS, (OPS[i] for i in row))) for row in arrays["cells"]]
        self.done = arrays["done"]
        self.row = {cell_expression(arch): i for i, arch in enumerate(self.archs)}

    @classmethod
    def empty(cls, cells: Sequence[Mapping[str, str]], seeds: Sequence[int], task: str) -> "ProxyScores":
        n = len(cells)
        arrays = {"cells": np.array([[OPS.index(c[k]) for k in EDGE_KEYS] for c in cells], dtype=np.uint8),
                  "seeded": np.full((n, len(seeds), len(SEEDED)), np.nan, dtype=np.float32),
                  "baselines": np.full((n, len(BASELINES)), np.nan, dtype=np.float32),
                  "done": np.zeros(n, dtype=bool),
                  "seconds": np.zeros(1 + len(SEEDED) + len(BASELINES)),  # build, proxies: CPU seconds in all
                  "calls": np.zeros(1 + len(SEEDED) + len(BASELINES), dtype=np.int64)}
        return cls(arrays, {"seeds": list(seeds), "task": task, "batch": BATCH,
                            "timed": ["build", *SEEDED, *BASELINES], "proxies": [*SEEDED, *BASELINES]})

    def column(self, proxy: str, seed_index: int = 0) -> np.ndarray:
        """One proxy's score of every cell (at the ``seed_index``-th seed; baselines have one)."""
        if proxy in BASELINES:
            return self.arrays["baselines"][:, BASELINES.index(proxy)].astype(float)
        if proxy not in SEEDED:
            raise fail("proxy", proxy, f"one of {[*SEEDED, *BASELINES]}")
        j = check_int("seed_index", seed_index, 0, len(self.seeds) - 1)
        return self.arrays["seeded"][:, j, SEEDED.index(proxy)].astype(float)

    def of(self, arch: Mapping[str, str], proxy: str, seed_index: int = 0) -> float:
        """The stored score of ``arch`` (any cell: read from the cell of its isomorphism class)."""
        i = self.row.get(cell_expression(arch))
        if i is None or not self.done[i]:
            raise fail("arch", dict(arch), "a cell whose proxies this file has computed")
        return float(self.column(proxy, seed_index)[i])

    def seconds_per_cell(self, proxy: str) -> float:
        """Mean CPU seconds (one thread) of one call of ``proxy`` (or ``"build"``) on one cell."""
        k = self.meta["timed"].index(proxy)
        return float(self.arrays["seconds"][k] / max(1, self.arrays["calls"][k]))

    def compute(self, i: int, task: Task, family: CellFamily = CELL_FAMILY) -> None:
        """Fill in cell ``i``: every seeded proxy at every seed, the baselines once, timed."""
        timed = self.meta["timed"]
        for j, seed in enumerate(self.seeds):
            names = SEEDED + (BASELINES if j == 0 else ())
            scores, seconds = timed_scores(self.archs[i], task, seed, names, family)
            self.arrays["seeded"][i, j] = [scores[p] for p in SEEDED]
            if j == 0:
                self.arrays["baselines"][i] = [scores[p] for p in BASELINES]
            for name, s in seconds.items():
                self.arrays["seconds"][timed.index(name)] += s
                self.arrays["calls"][timed.index(name)] += 1
        self.done[i] = True


def load_scores(path: "str | Path" = SCORES_PATH) -> ProxyScores:
    """The proxy scores written by :func:`compute_scores` (by default the file nasbook ships)."""
    if not Path(path).exists():
        raise fail("scores path", str(path), "an existing file written by `python -m nasbook.experiments.proxy_scores`")
    return ProxyScores(*load_arrays(str(path)))


def compute_scores(path: "str | Path", seeds: Sequence[int] = (0, 1, 2), cells: Sequence[Mapping[str, str]] | None = None,
                   task: str = "digits_images", chunk: int = 200, family: CellFamily = CELL_FAMILY,
                   log: Any = print) -> ProxyScores:
    """Compute (or continue computing) the scores of ``cells`` (default: every unique cell) into
    ``path``, saving after every ``chunk`` cells; a file already there is continued, not redone."""
    chunk = check_int("chunk", chunk, 1)
    if Path(path).exists():
        scores = load_scores(path)
        if scores.seeds != list(seeds):
            raise fail("seeds", list(seeds), f"the seeds of the file being continued, {scores.seeds}")
    else:
        scores = ProxyScores.empty(unique_cells() if cells is None else cells, seeds, task)
    the_task = make_task(scores.meta["task"])
    todo = [int(i) for i in np.flatnonzero(~scores.done)]
    for start in range(0, len(todo), chunk):
        for i in todo[start:start + chunk]:
            scores.compute(i, the_task, family)
        save_table(str(path), scores.arrays, scores.meta)
        if log:
            log(f"{int(scores.done.sum())} of {len(scores.done)} cells scored")
    return scores


# -- one cell, everything at once: what the widget shows -----------------------------------
def cell_card(arch: Mapping[str, str], table: "BenchTable | None" = None, seeds: Sequence[int] = (0,),
              task: "str | Task" = "digits_images", family: CellFamily = CELL_FAMILY) -> dict[str, Any]:
    """Everything the cell-drawing widget shows for ``arch``, computed live (some 30 ms a seed):

    its label, its canonical form (dead edges set to ``none``) and whether it is the cell itself,
    every proxy (the mean over ``seeds``, and per seed under ``"per_seed"``), parameters and FLOPs,
    and — given a ``table`` — its true score (``table_loss``: mean validation loss over the
    table's training seeds; ``None`` when the table has not trained it) and its rank in the table.
    """
    arch = family.complete(arch)
    the_task = make_task(task) if isinstance(task, str) else task
    per_seed = [timed_scores(arch, the_task, seed, SEEDED, family)[0] for seed in seeds]
    baselines, _ = timed_scores(arch, the_task, seeds[0] if seeds else 0, BASELINES, family)
    card: dict[str, Any] = {
        "arch": dict(arch), "label": cell_label(arch), "canonical": cell_label(canonical(arch)),
        "is_canonical": canonical(arch) == dict(arch),
        "params": int(baselines["params"]), "flops": int(baselines["flops"]),
        "proxies": {p: float(np.mean([s[p] for s in per_seed])) for p in SEEDED},
        "per_seed": {p: [s[p] for s in per_seed] for p in SEEDED},
        "table_loss": None, "table_rank": None, "table_size": None,
    }
    if table is not None:
        card.update(table_facts(arch, table))
    return card


def table_facts(arch: Mapping[str, str], table: "BenchTable") -> dict[str, Any]:
    """``table_loss`` (true score), ``table_rank`` (1 = best among trained cells), ``table_size``."""
    truth = np.asarray(table.mean_val_loss, dtype=float)
    trained = np.isfinite(truth)
    try:
        loss = float(truth[table.index(arch)])
    except NasbookError:  # a cell the (partial) table has not trained, or not in its space
        return {"table_loss": None, "table_rank": None, "table_size": int(trained.sum())}
    if not np.isfinite(loss):
        return {"table_loss": None, "table_rank": None, "table_size": int(trained.sum())}
    return {"table_loss": loss, "table_rank": int((truth[trained] < loss).sum()) + 1, "table_size": int(trained.sum())}


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m nasbook.experiments.proxy_scores [--seeds 3] [--path FILE] [--chunk 200]``."""
    parser = argparse.ArgumentParser(description="Score every unique cell with every zero-cost proxy (resumable).")
    parser.add_argument("--seeds", type=int, default=3, help="proxy seeds 0..N-1 (default 3)")
    parser.add_argument("--path", default=str(SCORES_PATH))
    parser.add_argument("--chunk", type=int, default=200, help="cells between saves")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)  # the seconds per proxy are one thread's
    scores = compute_scores(args.path, seeds=tuple(range(args.seeds)), chunk=args.chunk)
    for name in scores.meta["timed"]:
        print(f"{name:>10}: {scores.seconds_per_cell(name) * 1000:.2f} ms of CPU per cell")


if __name__ == "__main__":
    main()
