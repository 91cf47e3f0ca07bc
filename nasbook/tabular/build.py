"""Build the tabular benchmark: train every architecture of a space with several seeds.

NAS-Bench-101/201 made NAS research reproducible by training a whole space once and
shipping the table of results. ``build_table`` does the same for nasbook's default space
on the ``synthetic`` task: for each architecture and each training seed it records the
validation loss at the protocol's checkpoints (a learning curve), the training loss of
every epoch, the parameter count, the measured training time and a CPU inference latency.

Three tables ship (docs/bench.md):

* ``bench_synthetic.npz`` – the article's protocol (:data:`BENCH_PROTOCOL`: full batch,
  10 epochs) with validation checkpoints at epochs 1, 2, 5 and 10, trained one by one;
* ``bench_synthetic_default.npz`` – the learning-curve table: the ``default`` protocol
  (:data:`CURVE_PROTOCOL`: mini-batches of 64, 20 epochs) with validation *and test* loss
  after every epoch, trained stacked (:mod:`nasbook.evaluation.stacked`, same-shape
  networks together), which is several times faster at mini-batch 64 on a CPU;
* ``bench_digits_cells.npz`` – the cell space (:mod:`nasbook.spaces.cell`) on ``digits_images``
  under :data:`CELL_PROTOCOL`, validation and test loss after every epoch. Only one cell per
  isomorphism class is trained (:func:`table_rows`: 6,466 of 15,625); the table's
  ``representative`` column sends every cell of the space to its class's row. Seed 0 for every
  class, then seeds 1 and 2 for a seeded sample of :data:`CELL_SAMPLE` classes (the seed noise).

The work is cut into *chunks* (:func:`plan_chunks`): groups of same-shape architectures
for some seeds. :func:`build_file` saves the table after every finished chunk (atomically),
so an interrupted build continues where it stopped: ``nasbook bench build`` again.
"""
from __future__ import annotations

import json
import math
import os
import time
from typing import Any, Callable

import numpy as np
import torch

from torch import nn

from nasbook.evaluation.protocols import Protocol, loss_function
from nasbook.evaluation.stacked import train_population
from nasbook.evaluation.training import Evaluator
from nasbook.spaces.space import SearchSpace, as_space
from nasbook.trial import STATUSES, Trial
from nasbook.validation import fail

BENCH_PROTOCOL = Protocol("bench", epochs=10, batch_size=None, checkpoints=(1, 2, 5, 10))
BENCH_SEEDS = (0, 1, 2)
CURVE_PROTOCOL = Protocol("default", epochs=20, batch_size=64, checkpoints=tuple(range(1, 21)))
CURVE_SEEDS = (0, 1, 2)
FORMAT_VERSION = 2  # 2: ``done`` per (architecture, seed), optional test_curve and epoch_seconds
CELL_PROTOCOL = Protocol("cells", epochs=4, batch_size=64, checkpoints=(1, 2, 3, 4))
CELL_SEEDS = (0, 1, 2)
CELL_SAMPLE = 200  # classes trained with every seed of CELL_SEEDS (the rest: the first seed only)
CHUNK_RUNS = 100  # runs per chunk when a family cannot stack (the cells): a save every ~minute
CHUNK_FLOATS = 2 ** 19  # activations per stacked chunk: small chunks save progress often, and
# wide networks, where a chunk of this size holds only a few members, gain little from stacking on a CPU
Chunk = list[tuple[int, int]]  # (architecture index, seed position) pairs trained together


def table_rows(space: SearchSpace) -> tuple[list[dict[str, Any]], np.ndarray]:
    """The architectures a table trains and, for each architecture of ``space`` (in
    ``space.index`` order), the row that answers for it. Every architecture is its own row,
    except in a cell space: there isomorphic cells (:func:`~nasbook.spaces.cell.cell_expression`,
    NAS-Bench-201's rule) compute the same function, so one row — the first cell of the class —
    answers for the whole class."""
    archs = [space.complete(a) for a in space.enumerate()]
    if space.family is None or space.family.name != "cell":
        return archs, np.arange(len(archs))
    from nasbook.spaces.cell import cell_expression

    classes: dict[str, int] = {}
    representative = np.array([classes.setdefault(cell_expression(a), len(classes)) for a in archs])
    first = np.unique(representative, return_index=True)[1]  # each class's first cell
    return [archs[k] for k in first], representative


def seed_sample(rows: int, size: int = CELL_SAMPLE, seed: int = 0) -> list[int]:
    """The rows trained with every seed (sorted): a seeded random sample of ``size`` of ``rows``."""
    return sorted(int(i) for i in np.random.default_rng(seed).choice(rows, min(size, rows), replace=False))


def empty_arrays(n_archs: int, seeds: tuple[int, ...], protocol: Protocol,
                 test: bool = False) -> dict[str, np.ndarray]:
    """The table's columns, filled with NaN / zeros; row i is architecture ``space.index == i``
    (or, when :func:`table_rows` merges isomorphic architectures, the i-th class)."""
    s, c, e = len(seeds), len(protocol.checkpoints), protocol.epochs
    arrays = {
        "val_curve": np.full((n_archs, s, c), np.nan),  # validation loss at each checkpoint
        "train_curve": np.full((n_archs, s, e), np.nan),  # training loss of each epoch
        "status": np.zeros((n_archs, s), dtype=np.int8),  # index into trial.STATUSES
        "seconds": np.zeros((n_archs, s), dtype=np.float32),  # measured training time
        "epoch_seconds": np.zeros((n_archs, s), dtype=np.float32),  # seconds per epoch trained
        "steps": np.zeros((n_archs, s), dtype=np.int32),
        "params": np.zeros(n_archs, dtype=np.int64),
        "latency": np.zeros(n_archs, dtype=np.float32),  # CPU seconds for one forward pass
        "done": np.zeros((n_archs, s), dtype=bool),  # this (architecture, seed) is trained
    }
    if test:
        arrays["test_curve"] = np.full((n_archs, s, c), np.nan)  # test loss at each checkpoint
    return arrays


@torch.no_grad()
def measure_latency(model: nn.Module, input_shape: tuple[int, ...], rows: int = 200,
                    repeats: int = 20) -> float:
    """Median seconds of one forward pass of ``model`` over ``rows`` inputs on the CPU (eval mode)."""
    model = model.eval()
    x = torch.zeros(rows, *input_shape)
    model(x)  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        model(x)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def plan_chunks(evaluator: Evaluator, archs: list[dict[str, Any]], seeds: tuple[int, ...],
                indices: list[int], sample: "list[int] | None" = None) -> list[Chunk]:
    """Cut the build into chunks, always the same way for the same arguments (so a resumed
    build trains exactly the groups an uninterrupted one would).

    Seeds come in rounds — the first two seeds of every architecture, then each further
    seed — so a build stopped early still has whole seeds. Within a round, same-shape
    architectures form one chunk (split where a stacked group would outgrow
    ``evaluator.population_floats``); chunks run in a seeded random order, so a partial
    table is a sample of the whole space, not just its smallest networks.

    With a ``sample`` (row indices) the first seed of every architecture comes first, then
    the further seeds of the sample only. A family that cannot stack (the cells) trains one
    by one in shuffled chunks of :data:`CHUNK_RUNS` runs.
    """
    if sample is None:
        rounds = [(indices, list(range(min(2, len(seeds)))))] + [(indices, [j]) for j in range(2, len(seeds))]
    else:
        wanted = set(indices)
        rounds = [(indices, [0]), ([i for i in sample if i in wanted], list(range(1, len(seeds))))]
    chunks: list[Chunk] = []
    for r, (rows, positions) in enumerate(rounds):
        pairs = [(i, j) for i in rows for j in positions]
        work = [(archs[i], seeds[j]) for i, j in pairs]
        if pairs and evaluator.family.stack_key(archs[pairs[0][0]]) is None:
            shuffled = np.random.default_rng(r).permutation(len(pairs))
            chunks += [[pairs[p] for p in shuffled[k:k + CHUNK_RUNS]]
                       for k in range(0, len(pairs), CHUNK_RUNS)]
            continue
        if evaluator.batched:
            jobs = evaluator.plan(work)
        else:  # one by one: still one chunk per shape, so a save follows a group, not every run
            groups: dict[Any, list[int]] = {}
            for p, (arch, _) in enumerate(work):
                groups.setdefault(evaluator.family.stack_key(arch), []).append(p)
            jobs = sorted(groups.values())
        order = np.random.default_rng(r).permutation(len(jobs))
        chunks += [[pairs[p] for p in jobs[k]] for k in order]
    return chunks


def record(arrays: dict[str, np.ndarray], protocol: Protocol, i: int, j: int, trial: Trial) -> None:
    """Write one trained (architecture ``i``, seed position ``j``) into the arrays."""
    arrays["status"][i, j] = STATUSES.index(trial.status)
    arrays["seconds"][i, j] = trial.seconds
    arrays["epoch_seconds"][i, j] = trial.seconds / max(1, len(trial.train_curve))
    arrays["steps"][i, j] = trial.steps
    arrays["train_curve"][i, j, :len(trial.train_curve)] = trial.train_curve
    for k, epoch in enumerate(protocol.checkpoints):
        arrays["val_curve"][i, j, k] = trial.val_curve.get(str(epoch), math.nan)
        if "test_curve" in arrays:
            arrays["test_curve"][i, j, k] = trial.extras.get("test_curve", {}).get(str(epoch), math.nan)
    arrays["params"][i] = trial.params or arrays["params"][i]
    arrays["done"][i, j] = True


def train_recorded(evaluator: Evaluator, arch: dict[str, Any], seed: int) -> Trial:
    """``evaluator.train(arch, seed)`` that also scores the test split after every checkpoint
    (``extras["test_curve"]``), for the one-by-one builder. It trains epoch by epoch
    (``evaluator.advance``), which gives exactly the weights of training straight through."""
    try:
        run, protocol, task = evaluator.begin(arch, seed), evaluator.protocol, evaluator.task
        criterion, X_test, y_test = loss_function(task), task.X_test, task.y_test
        test_curve, seconds, steps = {}, 0.0, 0
        for epoch in range(1, protocol.epochs + 1):
            trial = evaluator.advance(run, epoch)
            seconds, steps = seconds + trial.seconds, steps + trial.steps
            if trial.status != "ok":
                break
            if epoch in protocol.checkpoints:
                test_curve[str(epoch)] = Evaluator._val_loss(run.model, criterion, X_test, y_test)
    except Exception as err:  # as Evaluator.evaluate: a failure is a recorded trial, not a crash
        return Trial(arch=arch, val_loss=None, status="failed", reason=f"{type(err).__name__}: {err}", seed=seed)
    trial.seconds, trial.steps, trial.epochs = seconds, steps, None
    trial.extras["test_curve"] = test_curve
    return trial


def build_table(space: "SearchSpace | None" = None, task: str = "synthetic",
                protocol: Protocol = BENCH_PROTOCOL, seeds: tuple[int, ...] = BENCH_SEEDS,
                indices: "list[int] | None" = None, arrays: "dict[str, np.ndarray] | None" = None,
                batched: bool = False, on_chunk: Callable[[int, dict[str, np.ndarray]], None] | None = None,
                sample: "list[int] | None" = None, test: bool = False, latency_repeats: int = 20,
                ) -> dict[str, np.ndarray]:
    """Train the rows at ``indices`` (default: all rows of :func:`table_rows`) with every seed
    (or, with a ``sample`` of rows, the first seed for all and every seed for the sample);
    return the arrays.

    ``batched=True`` trains each chunk stacked and records the test loss too (the
    learning-curve table); ``batched=False`` trains one by one, bit-identical to
    ``Evaluator.train``, recording the test loss at each checkpoint when ``test=True``.
    ``arrays`` continues a partial build (trained pairs are skipped); ``on_chunk(k, arrays)``
    is called after the k-th chunk of :func:`plan_chunks` is done (progress bars, saves).
    A table whose rows merge isomorphic architectures also holds ``representative`` (each
    architecture's row) and ``flops`` (multiply-accumulates of one forward pass on one input).
    """
    from nasbook.experiments.zero_cost import flops  # late: the experiments import the tabular package

    space = as_space(space)
    evaluator = Evaluator(task=task, protocol=protocol, device="cpu", cache=False, family=space.family,
                          batched=batched)
    evaluator.population_floats = CHUNK_FLOATS
    archs, representative = table_rows(space)
    test = (batched or test) and evaluator.task.X_test is not None
    if arrays is None:
        arrays = empty_arrays(len(archs), tuple(seeds), protocol, test)
        if len(archs) < space.size:
            arrays.update(representative=representative, flops=np.zeros(len(archs), dtype=np.int64))
    indices = list(range(len(archs))) if indices is None else list(indices)
    for k, chunk in enumerate(plan_chunks(evaluator, archs, tuple(seeds), indices, sample)):
        todo = [(i, j) for i, j in chunk if not arrays["done"][i, j]]
        if not todo:
            continue
        if batched:
            trials = train_population([archs[i] for i, _ in todo], [seeds[j] for _, j in todo],
                                      evaluator.task, protocol, evaluator.device, test=test)
        elif test:
            trials = [train_recorded(evaluator, archs[i], seeds[j]) for i, j in todo]
        else:
            trials = [evaluator.evaluate(archs[i], seeds[j]) for i, j in todo]  # one by one; a failure is a trial
        for (i, j), trial in zip(todo, trials):
            record(arrays, protocol, i, j, trial)
            if arrays["latency"][i] == 0:
                network = space.family.build(archs[i], evaluator.task, seed=0)
                arrays["latency"][i] = measure_latency(network, evaluator.task.input_shape, repeats=latency_repeats)
                if "flops" in arrays:
                    arrays["flops"][i] = flops(network, (evaluator.task.X_train[:1], evaluator.task.y_train[:1]))
        if on_chunk is not None:
            on_chunk(k, arrays)
    return arrays


def metadata(space: SearchSpace, task: str, protocol: Protocol, seeds: tuple[int, ...],
             **extra: Any) -> dict[str, Any]:
    """What the table was built from, stored next to the arrays (as a JSON string)."""
    return {"format": FORMAT_VERSION, "space": space.to_dict(), "task": task,
            "protocol": {"name": protocol.name, "epochs": protocol.epochs, "batch_size": protocol.batch_size,
                         "checkpoints": list(protocol.checkpoints)},
            "seeds": list(seeds), "torch": torch.__version__, "threads": torch.get_num_threads(), **extra}


def build_file(path: str, space: "SearchSpace | None" = None, task: str = "synthetic",
               protocol: Protocol = CURVE_PROTOCOL, seeds: tuple[int, ...] = CURVE_SEEDS,
               indices: "list[int] | None" = None, batched: bool = True, fresh: bool = False,
               save_every: int = 1, on_chunk: Callable[[int, dict[str, np.ndarray]], None] | None = None,
               sample: "list[int] | None" = None, test: bool = False, latency_repeats: int = 20,
               ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Build (or continue building) the table at ``path``, saving after every ``save_every``
    finished chunks and at the end; returns the arrays and metadata written last.

    A partial table already at ``path`` is continued when it was built with the same space,
    task, protocol, seeds, training path and seed sample (else refused: pass ``fresh=True`` to
    start over). ``sample``, ``test`` and ``latency_repeats`` are :func:`build_table`'s.
    Each save replaces the file atomically, so an interrupted build loses at most the
    chunks finished since the last save.
    """
    space = as_space(space)
    setup = metadata(space, task, protocol, seeds, stacked=batched,
                     **({} if sample is None else {"sample": [int(i) for i in sample]}))
    arrays, spent = None, 0.0
    if os.path.exists(path) and not fresh:
        arrays, found = load_arrays(path)
        keys = ("space", "task", "protocol", "seeds", "stacked", "sample")
        if arrays["done"].ndim != 2 or any(found.get(k, False) != setup.get(k, False) for k in keys):
            raise fail("table path", path, f"a partial table built with the same {', '.join(keys)} "
                       "(or start over with fresh=True / --fresh)")
        spent = float(found.get("build_seconds", 0.0))
    start, finished = time.perf_counter(), [0]

    def meta_now(arrays: dict[str, np.ndarray]) -> dict[str, Any]:
        return {**setup, "complete": bool(arrays["done"].all()),
                "build_seconds": round(spent + time.perf_counter() - start, 1),
                "done_pairs": int(arrays["done"].sum()), "nproc": os.cpu_count(),
                "load_average": [round(x, 2) for x in os.getloadavg()]}

    def after_chunk(k: int, arrays: dict[str, np.ndarray]) -> None:
        finished[0] += 1
        if finished[0] % save_every == 0:
            save_table(path, arrays, meta_now(arrays))
        if on_chunk is not None:
            on_chunk(k, arrays)

    arrays = build_table(space, task, protocol, seeds, indices, arrays, batched, after_chunk, sample, test,
                         latency_repeats)
    meta = meta_now(arrays)
    save_table(path, arrays, meta)
    return arrays, meta


def save_table(path: str, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
    """Write the arrays plus a JSON metadata string to a compressed ``.npz`` (no pickle),
    atomically: a crash mid-write leaves the previous file whole."""
    tmp = f"{path}.tmp.npz"
    np.savez_compressed(tmp, meta=np.array(json.dumps(meta)), **arrays)
    os.replace(tmp, path)


def load_arrays(path: str) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Read a table written by :func:`save_table` (``allow_pickle=False``: data, never code)."""
    with np.load(path, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files if k != "meta"}
        meta = json.loads(str(data["meta"]))
    return arrays, meta
