"""The cell space's tabular benchmark: one row per isomorphism class answering for every cell,
seed 0 for all and every seed for a sample, re-trainable by a real Evaluator, searchable."""
from pathlib import Path

import numpy as np
import pytest
import torch

from nasbook import search
from nasbook.cli import main
from nasbook.evaluation.protocols import Protocol
from nasbook.evaluation.training import Evaluator
from nasbook.spaces.cell import CELL_SPACE, canonical, cell_expression, unique_cells
from nasbook.spaces.space import SearchSpace
from nasbook.strategies import STRATEGIES
from nasbook.tabular import BenchTable, TabularEvaluator
from nasbook.tabular.build import CELL_PROTOCOL, build_file, load_arrays, plan_chunks, seed_sample, table_rows
from nasbook.tabular.table import CELLS_PATH

SMALL = {"edge_1_0": ["none", "skip_connect", "conv_1x1"], "edge_2_1": ["none", "avg_pool_3x3"],
         "edge_3_2": ["none", "conv_1x1"], "edge_3_0": ["none", "skip_connect"]}  # 24 cells, 14 classes
PROTOCOL = Protocol("cells", epochs=2, batch_size=None, checkpoints=(1, 2))  # two full-batch steps: fast
SEEDS = (0, 1, 2)
TIMINGS = ("seconds", "epoch_seconds", "latency")  # measured, never equal between builds


def build(path: Path, **kwargs) -> BenchTable:
    space = SearchSpace(SMALL)
    sample = seed_sample(len(table_rows(space)[0]), 3)
    build_file(str(path), space, "digits_images", PROTOCOL, SEEDS, batched=False, sample=sample, test=True,
               latency_repeats=2, **kwargs)
    return BenchTable.load(path)


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> BenchTable:
    threads = torch.get_num_threads()  # a module fixture is built before conftest's one_thread applies
    torch.set_num_threads(1)
    try:
        return build(tmp_path_factory.mktemp("cells") / "small.npz")
    finally:
        torch.set_num_threads(threads)


def test_the_cell_space_trains_one_row_per_isomorphism_class():
    space = SearchSpace(CELL_SPACE)
    rows, representative = table_rows(space)
    assert len(rows) == 6466 and rows == unique_cells() and representative.shape == (15625,)
    cells = list(space.enumerate())
    for k in np.random.default_rng(0).choice(15625, 50, replace=False):
        assert cell_expression(rows[representative[k]]) == cell_expression(cells[k])


def test_the_cell_build_trains_seed_0_everywhere_before_the_sample_seeds():
    space = SearchSpace(CELL_SPACE)
    rows = table_rows(space)[0]
    evaluator = Evaluator(task="digits_images", protocol=CELL_PROTOCOL, device="cpu", family=space.family, batched=False)
    chunks = plan_chunks(evaluator, rows, (0, 1, 2), list(range(len(rows))), seed_sample(len(rows)))
    first = [pair for chunk in chunks[:65] for pair in chunk]
    assert max(len(c) for c in chunks) == 100 and sorted(first) == [(i, 0) for i in range(6466)]
    assert sorted(pair for chunk in chunks[65:] for pair in chunk) == [(i, j) for i in seed_sample(6466) for j in (1, 2)]


def test_the_small_table_answers_every_cell_and_seeds_the_sample(small):
    assert small.size == 24 and len(small.rows["done"]) == 14
    assert small.done_runs[:, 0].all() and not small.complete  # seed 0 everywhere...
    sampled = small.rows["done"].all(axis=1)
    assert sampled.sum() == 3 and (small.rows["done"].sum(axis=1)[~sampled] == 1).all()  # ...all seeds for 3 classes
    assert small.meta["sample"] == seed_sample(14, 3) and small.meta["done_pairs"] == 14 + 3 * 2
    for kind in ("val", "train", "test"):
        assert np.isfinite(small.arrays[f"{kind}_curve"][small.ok_runs]).all(), kind
    assert (small.arrays["params"] > 0).all() and (small.arrays["flops"] > 0).all() and (small.arrays["latency"] > 0).all()
    frame = small.frame()
    assert len(frame) == 24 and {"flops", "row", "params", "latency"} <= set(frame.columns)


def test_isomorphic_cells_share_their_class_row(small):
    dead = {"edge_1_0": "none", "edge_2_1": "avg_pool_3x3", "edge_3_2": "none", "edge_3_0": "skip_connect"}
    alive = {**dead, "edge_1_0": "conv_1x1"}
    pruned = {**dead, "edge_2_1": "none"}  # edge 2<-1 starts at node 1, which nothing reaches
    assert small.isomorphic(dead, pruned) and not small.isomorphic(dead, alive)
    assert small.trial(dead).val_loss == small.trial(pruned).val_loss
    assert small.trial(dead).val_loss != small.trial(alive).val_loss
    assert small.trial(alive).extras["flops"] > small.trial(dead).extras["flops"]


def test_a_seeded_sample_retrains_to_the_table_exactly(small):
    evaluator = Evaluator(task=small.task_name, protocol=small.protocol, device="cpu", cache=False,
                          family=small.space.family, batched=False)
    runs = np.argwhere(small.done_runs)
    for i, j in runs[np.random.default_rng(3).choice(len(runs), 4, replace=False)]:
        arch = small.space.decode(np.unravel_index(int(i), small.shape))
        trained, stored = evaluator.train(small.space.complete(arch), small.seeds[j]), small.trial(arch, int(j))
        assert (trained.val_loss, trained.train_curve, trained.steps) == (stored.val_loss, stored.train_curve, stored.steps)
        assert list(trained.val_curve.values()) == list(small.curve(arch, int(j)))


def test_an_interrupted_build_resumes_to_the_same_table(small, tmp_path):
    def stop(k: int, arrays: dict) -> None:
        raise KeyboardInterrupt  # after the first chunk: the seed-0 round

    with pytest.raises(KeyboardInterrupt):
        build(tmp_path / "t.npz", on_chunk=stop)
    partial = BenchTable.load(tmp_path / "t.npz")
    assert partial.done_runs[:, 0].all() and not partial.done_runs[:, 1:].any()
    resumed = build(tmp_path / "t.npz")
    for key, column in small.rows.items():
        if key not in TIMINGS:
            assert np.array_equal(resumed.rows[key], column, equal_nan=True), key


@pytest.mark.parametrize("name", sorted(set(STRATEGIES) - {"darts"}))
def test_every_strategy_but_darts_searches_the_cell_table(small, name):
    result = search(name, space=small.space, evaluator=TabularEvaluator(small), budget=8, seed=1, progress=False)
    assert result.trials
    for trial in result.trials:
        assert set(trial.arch) == set(SMALL) and small.done_runs[small.space.index(trial.arch)].any()


def test_a_table_with_seed_0_everywhere_covers_the_space_and_never_fails_a_trial(small):
    assert small.covers_space and not small.complete  # every cell a truth, not every seed
    evaluator = TabularEvaluator(small)
    result = search("random", space=small.space, evaluator=evaluator, budget=24, seed=3, progress=False)
    several = small.done_runs.sum(axis=1) > 1
    for trial in result.trials:  # a cell outside the sample always reads seed 0
        i = small.space.index(trial.arch)
        assert trial.ok and (several[i] or trial.seed == small.seeds[0])


def test_a_search_on_a_partial_table_sees_the_rest_as_failed_trials(small):
    arrays = {k: v.copy() for k, v in small.rows.items()}
    arrays["done"][7:] = False  # classes 7.. not trained yet
    partial = BenchTable(arrays, small.meta)
    assert not partial.covers_space
    result = search("random", space=partial.space, evaluator=TabularEvaluator(partial), budget=24, seed=0, progress=False)
    built = [partial.built[partial.space.index(t.arch)] for t in result.trials]
    assert all(t.ok == b for t, b in zip(result.trials, built)) and any(built) and not all(built)
    assert partial.built[partial.space.index(result.best.arch)]


def test_the_command_builds_the_cell_table(tmp_path):
    out = tmp_path / "cli.npz"
    assert main(["bench", "build", "--space", "cells", "--limit", "1", "--sample", "0", "--out", str(out)]) == 0
    arrays, meta = load_arrays(str(out))
    assert meta["protocol"]["name"] == CELL_PROTOCOL.name and meta["task"] == "digits_images"
    assert arrays["done"].shape == (6466, 3) and arrays["done"].sum() == 1 and arrays["representative"].shape == (15625,)


@pytest.mark.skipif(not CELLS_PATH.exists(), reason="the cell table is not built yet")
def test_the_shipped_table_retrains_under_its_protocol():
    table = BenchTable.load(CELLS_PATH)
    assert table.size == 15625 and table.protocol == CELL_PROTOCOL and table.task_name == "digits_images"
    evaluator = Evaluator(task=table.task_name, protocol=table.protocol, device="cpu", cache=False,
                          family=table.space.family, batched=False)
    runs = np.argwhere(table.rows["done"])
    for r, j in runs[np.random.default_rng(0).choice(len(runs), 2, replace=False)]:
        arch = table.space.decode(np.unravel_index(int(np.flatnonzero(table.representative == r)[0]), table.shape))
        trained = evaluator.train(table.space.complete(arch), table.seeds[j])
        assert trained.val_loss == pytest.approx(table.trial(arch, int(j)).val_loss, rel=1e-4)
