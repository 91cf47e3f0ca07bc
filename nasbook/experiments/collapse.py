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

The **remedies** measured beside it are early stopping on a collapse indicator: DARTS+'s
(``DARTS(max_skips=2)``: stop once the derived cell has two skip connections) and its
generalisation to every parameter-free edge (``DARTS(max_free_edges=k)``: ``none``, skip,
pooling), because on this task the drift goes onto ``none`` and pooling. Since a stopped run is
plain DARTS's run up to the stop, its cell is read from the same trajectory: the cell at the
first epoch that reaches the threshold, else the cell at the end. ``k = 1`` by default: chosen
on supernet seeds 0-2 (docs/strategies.md), before seeds 3 on were recorded.

The shipped measurement is a **recording** (:data:`RECORDING_PATH`, built by
:func:`extend_recording` one seed at a time, resumable): per seed the softmax(α) and derived cell
after every epoch. :func:`collapse_from_recording` turns it and the cell table into the frame,
:func:`collapse_verdicts` judges it (paired Wilcoxon, bootstrap intervals, Holm:
:mod:`nasbook.experiments.stats`) and :func:`worth` says what the picks are worth against the
table's optimum and a random cell.
"""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import torch

from nasbook.experiments.stats import Verdict, compare, judge, median_interval
from nasbook.oneshot.cell_supernet import COLLAPSE_INDICATORS, PARAMETER_FREE, count_ops, parameter_free_mass
from nasbook.spaces.cell import CELL_SPACE, cell_label
from nasbook.spaces.space import SearchSpace, as_space
from nasbook.strategies.darts import DARTS
from nasbook.validation import check_int, fail

Truth = Callable[[Mapping[str, str]], float]
RECORDING_PATH = Path(__file__).resolve().parents[1] / "data" / "cell_collapse.json"  # the measurement shipped


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
        if self.table.built[self.table.space.index(arch)]:
            self.from_table += 1
            return self.table.score(arch)
        self.trained += 1
        return float(self.evaluator.evaluate(dict(arch), seed=self.seed).score)


def darts_trajectory(evaluator: Any, epochs: int, seed: int,
                     space: "SearchSpace | Mapping[str, list[str]]" = CELL_SPACE, **darts: Any) -> list[dict[str, Any]]:
    """The trace of one DARTS supernet on ``evaluator``'s task: softmax(α) per edge after each epoch."""
    strategy = DARTS(epochs=epochs, **darts)
    strategy.setup(as_space(space), seed, evaluator)
    strategy.prepare()
    return [entry for entry in strategy.trace if entry.get("kind") == "darts" and not entry.get("diverged")]


def record_run(evaluator: Any, epochs: int, seed: int,
               space: "SearchSpace | Mapping[str, list[str]]" = CELL_SPACE, **darts: Any) -> dict[str, Any]:
    """One supernet's trajectory as plain data: per epoch softmax(α) (edge × op, 4 decimals), the
    derived cell (each edge's op index, a digit string: from the unrounded α, where rounding could
    tie) and the supernet's losses, plus the seconds and :func:`stops`. About 14 kB per 64 epochs."""
    space = as_space(space)
    start = time.perf_counter()
    trace = darts_trajectory(evaluator, epochs, seed, space, **darts)
    seconds = time.perf_counter() - start
    cells = [derived(entry["alphas"], space) for entry in trace]
    return {"seed": int(seed), "epochs": len(trace), "seconds": round(seconds, 1),
            "alphas": [[[round(p, 3) for p in entry["alphas"][key]] for key in space.keys] for entry in trace],
            "cells": ["".join(str(space.choices[key].index(cell[key])) for key in space.keys) for cell in cells],
            "train_loss": [round(entry["train_loss"], 4) for entry in trace],
            "val_loss": [round(entry["val_loss"], 4) for entry in trace], "stops": stops(cells)}


def stops(cells: Sequence[Mapping[str, str]]) -> dict[str, list[int | None]]:
    """When each early-stopping rule would stop this trajectory: per rule, for thresholds 1 to 6,
    the first epoch (1-based) whose derived cell reaches it, or None if none does."""
    return {rule: [None if (i := stop_index(cells, rule, k)) is None else i + 1 for k in range(1, 7)]
            for rule in COLLAPSE_INDICATORS}


def extend_recording(path: "str | Path", evaluator: Any, seeds: Sequence[int], epochs: int,
                     space: "SearchSpace | Mapping[str, list[str]]" = CELL_SPACE, **darts: Any) -> dict[str, Any]:
    """Add one :func:`record_run` per seed the recording at ``path`` lacks, saving after each, so an
    interrupted measurement resumes where it stopped. The settings are stored with the runs; a
    recording made with other settings is refused rather than mixed."""
    space = as_space(space)
    settings = {"task": getattr(evaluator.task, "name", "?"), "batch_size": evaluator.protocol.batch_size,
                "channels": getattr(evaluator.family, "channels", None), "epochs": int(epochs),
                "space": space.choices, "darts": darts, "torch": torch.__version__, "threads": torch.get_num_threads()}
    path = Path(path)
    recording = json.loads(path.read_text()) if path.exists() else {"settings": settings, "runs": []}
    for key in ("task", "batch_size", "channels", "epochs", "space", "darts"):
        if recording["settings"][key] != settings[key]:
            raise fail(f"recording settings[{key!r}]", recording["settings"][key],
                       f"{settings[key]!r}, as asked (start a new recording for other settings)")
    done = {run["seed"] for run in recording["runs"]}
    for seed in seeds:
        if int(seed) in done:
            continue
        recording["runs"].append(record_run(evaluator, epochs, seed, space, **darts))
        path.write_text(json.dumps(recording, separators=(",", ":")))
    return recording


def derived(alphas: Mapping[str, list[float]], space: SearchSpace) -> dict[str, str]:
    """The cell DARTS derives from one trace entry: each edge's most probable op."""
    return {key: space.choices[key][int(np.argmax(alphas[key]))] for key in space.keys}


def stop_index(cells: Sequence[Mapping[str, str]], rule: str, limit: int) -> int | None:
    """The epoch index (0-based) at which ``DARTS(rule=limit)`` stops: the first derived cell with
    ``limit`` edges of the rule's ops (:data:`COLLAPSE_INDICATORS`); None if it never does."""
    ops = COLLAPSE_INDICATORS[rule]
    return next((i for i, cell in enumerate(cells) if count_ops(cell, ops) >= limit), None)


def trajectory_rows(seed: int, alphas: Sequence[Mapping[str, list[float]]], cells: Sequence[Mapping[str, str]],
                    epochs: Sequence[int], remedies: Mapping[str, int], score: Truth,
                    space: SearchSpace) -> list[dict[str, Any]]:
    """The rows of one supernet's trajectory (softmax(α) and the derived cell after each epoch):
    plain DARTS and each early-stopping remedy at every search length. A remedy's run *is* plain
    DARTS's run up to its stop (same random draws), so its cell is read from the same trajectory."""
    stops = {rule: stop_index(cells, rule, limit) for rule, limit in remedies.items()}
    rows = []
    for e in epochs:
        last = min(e, len(alphas)) - 1  # a diverged supernet ends early
        methods = [("darts", last, False)]  # (method, the epoch index it keeps, whether it stopped early)
        for rule, stop in stops.items():
            fired = stop is not None and stop <= last
            methods.append((f"{rule}={remedies[rule]}", stop if fired else last, fired))
        for method, at, fired in methods:
            cell = cells[at]
            rows.append({"seed": int(seed), "epochs": e, "method": method, "stopped_at": at + 1, "stopped": fired,
                         "mass": parameter_free_mass(alphas[at], space.choices),
                         "free_edges": count_ops(cell, PARAMETER_FREE), "skips": count_ops(cell, ("skip_connect",)),
                         "cell": cell_label(cell), "loss": score(cell)})
    return rows


def scored_once(truth: Truth) -> Truth:
    """``truth`` remembering its answers by cell, so each derived cell is scored (trained) once."""
    scores: dict[str, float] = {}

    def score(cell: Mapping[str, str]) -> float:
        label = cell_label(cell)
        if label not in scores:
            scores[label] = float(truth(cell))
        return scores[label]
    return score


def collapse(truth: Truth, evaluator: Any, epochs: Sequence[int] = (5, 10, 20, 40), seeds: Sequence[int] = (0, 1, 2),
             space: "SearchSpace | Mapping[str, list[str]]" = CELL_SPACE, max_skips: int | None = 2,
             max_free_edges: int | None = 1, **darts: Any) -> "Any":
    """One row per (seed, epochs, method): plain DARTS (``"darts"``) and each early-stopping remedy
    (``"max_skips=2"``: DARTS+; ``"max_free_edges=1"``; None leaves a remedy out).

    ``evaluator`` gives DARTS its task, protocol (mini-batch size) and cell family; ``truth`` scores
    the derived cells; ``darts`` passes on to :class:`~nasbook.strategies.darts.DARTS` (``order``,
    ``alpha_lr``, ...). Columns: ``seed, epochs, method, stopped_at`` (the epoch whose α was used),
    ``stopped`` (the remedy fired), ``mass`` (share of softmax(α) on parameter-free ops),
    ``free_edges`` and ``skips`` (edges of the derived cell that are parameter-free / skip
    connections), ``cell`` (its NAS-Bench-201 string), ``loss`` (``truth(cell)``).
    """
    import pandas as pd

    space = as_space(space)
    epochs = sorted({check_int("epochs", e, 1, 100_000) for e in epochs})
    remedies = checked_remedies(max_skips, max_free_edges)
    if not seeds:
        raise fail("seeds", seeds, "at least one seed")
    score, rows = scored_once(truth), []
    for seed in seeds:
        trace = darts_trajectory(evaluator, max(epochs), seed, space, **darts)
        alphas = [entry["alphas"] for entry in trace]
        rows += trajectory_rows(seed, alphas, [derived(a, space) for a in alphas], epochs, remedies, score, space)
    return pd.DataFrame(rows)


def checked_remedies(max_skips: int | None, max_free_edges: int | None) -> dict[str, int]:
    """The remedies asked for, validated: rule name -> threshold (None leaves a rule out)."""
    given = {"max_skips": max_skips, "max_free_edges": max_free_edges}
    return {rule: check_int(rule, limit, 1, 6) for rule, limit in given.items() if limit is not None}


def remedy_verdict(frame: "Any", remedy: str = "max_skips", epochs: int | None = None, alpha: float = 0.05) -> Verdict:
    """Is ``remedy``'s cell (``"max_skips"`` or ``"max_free_edges"``) truly better than plain DARTS's
    at ``epochs`` (default: the longest), paired over seeds?"""
    epochs = int(frame["epochs"].max()) if epochs is None else epochs
    at = frame[frame["epochs"] == epochs]
    method = remedy_method(frame, remedy)
    plain = at[at["method"] == "darts"].sort_values("seed")["loss"].to_numpy()
    stopped = at[at["method"] == method].sort_values("seed")["loss"].to_numpy()
    return compare(stopped, plain, f"{method} derives truly better cells than DARTS after {epochs} epochs", alpha)


def remedy_method(frame: "Any", remedy: str) -> str:
    """The frame's method name of ``remedy`` (``"max_skips"`` -> ``"max_skips=2"``)."""
    names = [m for m in frame["method"].unique() if m.split("=")[0] == remedy]
    if not names:
        raise fail("remedy", remedy, f"one of the frame's remedies {sorted(set(frame['method']) - {'darts'})}")
    return names[0]


def summary(frame: "Any") -> "Any":
    """Per (method, epochs): the median over seeds of mass, free edges, skips and loss."""
    return frame.groupby(["method", "epochs"])[["mass", "free_edges", "skips", "loss"]].median()


# -- the recorded measurement, judged against a table ------------------------------------------
def collapse_from_recording(path: "str | Path" = RECORDING_PATH, table: Any = None,
                            epochs: Sequence[int] | None = None, seeds: Sequence[int] | None = None,
                            max_skips: int | None = 2, max_free_edges: int | None = 1) -> "Any":
    """:func:`collapse`'s frame from a recording (:func:`extend_recording`) instead of new searches,
    with the truth from ``table`` (a cell :class:`~nasbook.tabular.BenchTable`; default the shipped
    cell table): its mean validation loss of each derived cell, plus ``regret`` (minus the table's
    optimum) and ``better`` (the share of the space's cells that are truly better). ``epochs``:
    the search lengths to read (default 4, 8, 16, ... up to the recording's length: before about 4
    epochs α is still leaving its uniform start, and the question is what happens after);
    ``seeds``: the supernet seeds to read (default all recorded)."""
    import pandas as pd

    if table is None:
        from nasbook.tabular import CELLS_PATH, load_table

        table = load_table(CELLS_PATH)
    recording = json.loads(Path(path).read_text())
    space = as_space(recording["settings"]["space"])
    longest = recording["settings"]["epochs"]
    epochs = {*(2 ** i for i in range(2, longest.bit_length())), longest} if epochs is None else epochs
    epochs = sorted({check_int("epochs", e, 1, longest) for e in epochs})
    losses, score = np.asarray(table.mean_val_loss), scored_once(table.score)
    remedies, rows = checked_remedies(max_skips, max_free_edges), []
    for run in recording["runs"]:
        if seeds is not None and run["seed"] not in seeds:
            continue
        alphas = [dict(zip(space.keys, per_edge)) for per_edge in run["alphas"]]
        cells = [{key: space.choices[key][int(op)] for key, op in zip(space.keys, digits)} for digits in run["cells"]]
        rows += trajectory_rows(run["seed"], alphas, cells, epochs, remedies, score, space)
    frame = pd.DataFrame(rows)
    frame["regret"] = frame["loss"] - table.optimum
    frame["better"] = [float(np.mean(losses < loss)) for loss in frame["loss"]]
    return frame


def collapse_verdicts(frame: "Any", alpha: float = 0.05) -> list[Verdict]:
    """The claims of the measurement, Holm-adjusted together (:func:`~nasbook.experiments.stats.judge`),
    each paired over seeds: from the shortest to the longest search the parameter-free mass grows
    and the derived cell's true loss gets worse (collapse); at the longest, each remedy's cell is
    truly better than plain DARTS's."""
    short, long = int(frame["epochs"].min()), int(frame["epochs"].max())

    def column(method: str, epochs: int, name: str) -> np.ndarray:
        rows = frame[(frame["method"] == method) & (frame["epochs"] == epochs)]
        return rows.sort_values("seed")[name].to_numpy()

    claims = {f"parameter-free mass grows from {short} to {long} epochs":
              (column("darts", short, "mass"), column("darts", long, "mass")),
              f"the derived cell is truly worse after {long} epochs than after {short}":
              (column("darts", short, "loss"), column("darts", long, "loss"))}
    for method in sorted(set(frame["method"]) - {"darts"}):
        claims[f"{method} derives truly better cells than DARTS after {long} epochs"] = (
            column(method, long, "loss"), column("darts", long, "loss"))
    return judge(claims, alpha=alpha)


def worth(frame: "Any", table: Any = None) -> "Any":
    """What the picks are really worth, per (method, epochs): the median true loss over seeds with
    its 95 % bootstrap interval, the median regret, the median share of the space truly better,
    and how often the remedy stopped; beside them the table's optimum and a random cell's median."""
    import pandas as pd

    rows = []
    for (method, epochs), group in frame.groupby(["method", "epochs"]):
        interval = median_interval(group["loss"].to_numpy())
        rows.append({"method": method, "epochs": epochs, "loss": interval.estimate, "low": interval.low,
                     "high": interval.high, "regret": float(group["regret"].median()),
                     "better": float(group["better"].median()), "stopped": float(group["stopped"].mean())})
    out = pd.DataFrame(rows)
    if table is not None:
        out["optimum"], out["random_median"] = table.optimum, float(np.median(table.mean_val_loss))
    return out
