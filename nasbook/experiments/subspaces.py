"""Spaces of growing size, cut from one tabular benchmark: does a strategy's edge grow or shrink?

The article says evolution is best for *broad* spaces and DARTS for *small, well-defined*
ones. One space cannot test that: we need the same strategies on spaces of different sizes,
scored the same way. A :func:`sub_table` fixes some keys of the table's space to one value
each and keeps the rows that match — a complete tabular benchmark of a smaller space, with
the same training runs (nothing is retrained). :data:`SIZES` names three, fixed before
looking at any result:

* ``"small"`` (75 architectures): learning rate, optimiser and dropout fixed at the values
  DARTS itself uses for the keys it does not relax (0.001, Adam, 0.0: :data:`FIXED_DEFAULTS`),
  so only depth, width and activation vary — exactly the space DARTS searches by gradient;
* ``"medium"`` (300): learning rate and optimiser fixed, dropout free;
* ``"broad"`` (3,600): the whole table.

Regret is not comparable across spaces (a smaller space has a worse optimum), so
:func:`pick_quantile` scores a pick by the **share of its space that is better** than it
(0: the space's best; 0.5: a median architecture). A strategy's *edge over random search*
on one space is its pick's quantile minus random search's, seed by seed (negative: better
than random).

DARTS trains a supernet, so it cannot be looked up; as in the showdown its runs on these
sub-spaces were recorded once (:func:`record_subspace_darts`, ``benchmarks/showdown.py
--record-subspace-darts``) and are replayed from ``nasbook/data/darts_subspaces.json``.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable, Mapping

import numpy as np

from nasbook.spaces.space import SearchSpace
from nasbook.strategies.darts import FIXED_DEFAULTS
from nasbook.tabular import recorded
from nasbook.tabular.table import BenchTable
from nasbook.validation import fail

SIZES: dict[str, dict[str, Any]] = {
    "small": dict(FIXED_DEFAULTS),
    "medium": {"learning_rate": FIXED_DEFAULTS["learning_rate"], "optimizer": FIXED_DEFAULTS["optimizer"]},
    "broad": {},
}
SUBSPACE_RECORDS = Path(__file__).resolve().parent.parent / "data" / "darts_subspaces.json"


def sub_table(table: BenchTable, fixed: Mapping[str, Any]) -> BenchTable:
    """The table of the sub-space where each key of ``fixed`` takes its one given value."""
    choices = table.space.to_dict()
    for key, value in fixed.items():
        if key not in choices:
            raise fail("fixed", key, f"a key of the table's space ({table.space.keys})")
        if value not in choices[key]:
            raise fail(f"fixed[{key!r}]", value, f"one of {choices[key]}")
        choices[key] = [value]
    if not fixed:
        return table
    meta = {**table.meta, "space": choices, "parent_size": table.size}

    rows = [table.space.index(arch) for arch in SearchSpace(choices).enumerate()]
    return BenchTable({name: column[rows] for name, column in table.arrays.items()}, meta)


def pick_quantile(table: BenchTable, index: int | None) -> float:
    """The share of the table's architectures whose true score beats the one at ``index``
    (1.0 when there is no pick: a search that never finished a trial)."""
    if index is None:
        return 1.0
    return float(np.mean(table.mean_val_loss < table.mean_val_loss[index]))


def load_subspace_records(path: "str | Path" = SUBSPACE_RECORDS) -> dict[str, dict[str, dict[str, Any]]]:
    """Recorded DARTS runs per sub-space name, keyed like :func:`recorded.key` (empty: none)."""
    path = Path(path)
    if not path.exists():
        return {}
    spaces = json.loads(path.read_text())["spaces"]
    return {size: {recorded.key(r["mode"], r["budget"], r["seed"]): r for r in runs}
            for size, runs in spaces.items()}


def record_subspace_darts(table: BenchTable, sizes: Iterable[str], seeds: int, budget: int,
                          mode: str = "default", path: "str | Path" = SUBSPACE_RECORDS) -> None:
    """Run real DARTS on each named sub-space for ``seeds`` seeds and save the runs (kept
    runs are skipped; the file is rewritten after every run, so a partial recording counts)."""
    path = Path(path)
    doc = json.loads(path.read_text()) if path.exists() else {
        "about": "real DARTS runs on sub-spaces of the tabular benchmark (nasbook.experiments.subspaces)",
        "protocol": table.meta["protocol"], "sizes": {}, "spaces": {}}
    for size in sizes:
        sub = sub_table(table, SIZES[size])
        doc["sizes"][size] = SIZES[size]
        runs = doc["spaces"].setdefault(size, [])
        done = {recorded.key(r["mode"], r["budget"], r["seed"]) for r in runs}
        for seed in range(seeds):
            if recorded.key(mode, budget, seed) not in done:
                runs.append(recorded.record_one(mode, budget, seed, sub))
                path.write_text(json.dumps(doc) + "\n")


def recorded_for(table: BenchTable, path: "str | Path") -> bool:
    """True when ``table`` can score the DARTS recording at ``path``: recorded on the article's
    space and task, which ``table`` must have too (else its proposals mean nothing). Any
    protocol: a recording made under another protocol than ``table``'s is scored on it, as
    :func:`nasbook.tabular.recorded.replay_note` says."""
    return recorded.scorable(table, path)


def size_experiment(table: BenchTable, names: Iterable[str] = ("random", "evolution/default", "darts/default"),
                    seeds: int = 12, budget: int = 25, workers: int = 1,
                    sizes: Mapping[str, Mapping[str, Any]] = SIZES) -> dict[str, dict[str, np.ndarray]]:
    """``{size: {name: each seed's pick quantile}}`` for every space in ``sizes`` (name -> fixed keys).

    Every strategy runs with the same seeds and ``budget`` on each sub-table. DARTS replays
    recorded runs only (``NaN`` for a seed without one, or when the recording was made under
    another protocol than ``table``'s): the whole table uses the showdown's recording, the
    sub-spaces :data:`SUBSPACE_RECORDS`.
    """
    from nasbook.experiments.showdown import showdown  # showdown imports nothing from here

    sub_records = load_subspace_records() if recorded_for(table, SUBSPACE_RECORDS) else {}
    whole = recorded.load_records() if recorded_for(table, recorded.RECORD_PATH) else {}
    result: dict[str, dict[str, np.ndarray]] = {}
    for size, fixed in sizes.items():
        sub = sub_table(table, fixed)
        out = showdown(names, seeds=seeds, budget=budget, table=sub, checkpoints=(budget,),
                       workers=workers, records=whole if not fixed else
                       sub_records.get(size, {}) if dict(fixed) == SIZES.get(size) else {},
                       train_missing=False)
        result[size] = {name: np.array([np.nan if np.isnan(ran) else pick_quantile(sub, None if pick[0] < 0 else pick[0])
                                        for pick, ran in zip(out["picks"][name], out["curves"][name][:, -1])])
                        for name in out["picks"]}
    return result
