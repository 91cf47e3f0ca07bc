"""The cell family: a NAS-Bench-201 cell stacked in a small CNN, its isomorphisms, every strategy on it."""
import numpy as np
import pytest
import torch

import nasbook
from nasbook import Evaluator, NasbookError, SearchSpace, read_log
from nasbook.evaluation import Protocol
from nasbook.spaces.cell import (CELL_FAMILY, CELL_SPACE, EDGE_KEYS, OPS, CellFamily, all_cells, canonical,
                                 cell_expression, cell_label, unique_cells)
from nasbook.spaces.family import family_for
from nasbook.tasks import make_task

TINY = Protocol("tiny", epochs=1, batch_size=512)  # one epoch of 3 batches: seconds for a whole search
ALL = {key: "conv_3x3" for key in EDGE_KEYS}
EMPTY = {key: "none" for key in EDGE_KEYS}


@pytest.fixture(scope="module")
def images():
    return make_task("digits_images")


def test_the_cell_space_infers_its_family_and_has_15625_cells():
    space = SearchSpace(CELL_SPACE)
    assert space.family is CELL_FAMILY and family_for(list(CELL_SPACE)) is CELL_FAMILY
    assert space.size == 5 ** 6 == 15_625 and list(space.keys) == list(EDGE_KEYS)
    assert EDGE_KEYS == ("edge_1_0", "edge_2_0", "edge_2_1", "edge_3_0", "edge_3_1", "edge_3_2")
    assert {"none", "skip_connect"} <= set(OPS)
    assert all_cells()[:3] == [space.decode(i) for i in ([0] * 6, [0] * 5 + [1], [0] * 5 + [2])]


def test_bad_keys_and_ops_are_refused_naming_them():
    with pytest.raises(NasbookError, match=r"space\['edge_1_0'\]='conv_5x5' is not allowed; one of none, skip_connect"):
        SearchSpace({"edge_1_0": ["none", "conv_5x5"]})
    with pytest.raises(NasbookError, match=r"arch key='edge_0_1' is not allowed; a key of the cell family"):
        CELL_FAMILY.complete({"edge_0_1": "none"})
    with pytest.raises(NasbookError, match=r"channels=0 is not allowed"):
        CellFamily(channels=0)
    with pytest.raises(NasbookError, match=r"task.input_shape=\(64,\) is not allowed; \(channels, height, width\)"):
        CELL_FAMILY.build(ALL, make_task("digits"))


def test_the_digits_images_task_is_the_digits_reshaped(images):
    flat = make_task("digits")
    assert images.input_shape == (1, 8, 8) and images.out_features == 10
    assert torch.equal(images.X_train.flatten(1), flat.X_train) and torch.equal(images.y_val, flat.y_val)


def test_build_is_seeded_and_a_cell_of_none_edges_ignores_its_input(images):
    a, b = CELL_FAMILY.build(ALL, images, seed=1), CELL_FAMILY.build(ALL, images, seed=1)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert not torch.equal(next(a.parameters()), next(CELL_FAMILY.build(ALL, images, seed=2).parameters()))
    x = images.X_val[:16]
    assert a(x).shape == (16, 10)
    empty = CELL_FAMILY.build(EMPTY, images, seed=0).eval()
    out = empty(x)
    assert torch.allclose(out, out[:1].expand_as(out))  # the same output for every image: the head's bias
    params = {op: sum(p.numel() for p in CELL_FAMILY.build({k: op for k in EDGE_KEYS}, images).parameters())
              for op in OPS}
    assert params["none"] == params["skip_connect"] == params["avg_pool_3x3"] < params["conv_1x1"] < params["conv_3x3"]
    assert CellFamily(reductions=1).build(ALL, images)(x).shape == (16, 10)


def test_edges_that_cannot_reach_the_output_are_none():
    dead_end = {**EMPTY, "edge_1_0": "conv_3x3", "edge_3_0": "skip_connect"}  # node 1 leads nowhere
    assert canonical(dead_end) == {**EMPTY, "edge_3_0": "skip_connect"}
    cut_off = {**EMPTY, "edge_2_1": "conv_3x3", "edge_3_2": "conv_1x1"}  # node 1 is never fed
    assert canonical(cut_off) == EMPTY
    assert canonical(ALL) == ALL
    assert len({tuple(canonical(arch).values()) for arch in all_cells()}) == 9_445


def test_nas_bench_201s_count_of_unique_cells_is_reproduced():
    through_skip = {**EMPTY, "edge_1_0": "skip_connect", "edge_3_1": "conv_3x3"}  # node 1 is the input
    assert cell_expression(through_skip) == cell_expression({**EMPTY, "edge_3_0": "conv_3x3"})
    one = {**EMPTY, "edge_1_0": "skip_connect", "edge_3_0": "conv_1x1", "edge_3_1": "conv_3x3"}
    assert cell_expression(one) == cell_expression({**one, "edge_3_0": "conv_3x3", "edge_3_1": "conv_1x1"})  # a sum
    swapped = {**EMPTY, "edge_1_0": "conv_3x3", "edge_2_0": "conv_1x1", "edge_3_1": "skip_connect", "edge_3_2": "skip_connect"}
    mirror = {**swapped, "edge_1_0": "conv_1x1", "edge_2_0": "conv_3x3"}  # nodes 1 and 2 trade places...
    assert cell_expression(swapped) != cell_expression(mirror)  # ...which NAS-Bench-201's rule does not see
    assert cell_expression(ALL) != cell_expression({**ALL, "edge_3_0": "conv_1x1"})
    assert len(unique_cells()) == 6_466  # NAS-Bench-201 (Dong & Yang, 2020), its 5 operations
    assert cell_label(ALL).startswith("|conv_3x3~0|+|conv_3x3~0|conv_3x3~1|+")


def test_the_evaluator_trains_a_cell_reproducibly(images):
    first = Evaluator(task=images, protocol=TINY, family=CELL_FAMILY, device="cpu").evaluate(ALL, seed=0)
    again = Evaluator(task=images, protocol=TINY, family=CELL_FAMILY, device="cpu").evaluate(ALL, seed=0)
    assert first.ok and first.val_loss == again.val_loss and first.params == 3_730


@pytest.mark.parametrize("strategy", sorted(nasbook.STRATEGIES))
def test_every_strategy_searches_the_cell_space_with_real_training(strategy, images):
    if strategy == "optuna-tpe":
        pytest.importorskip("optuna")
    result = nasbook.search(strategy, space=CELL_SPACE, task=images, budget=4, seed=0, progress=False,
                            protocol=TINY, device="cpu")
    assert all(t.ok for t in result.trials)
    if strategy == "darts":  # the supernet takes what it can of budget - 1; then only the derived cell is trained
        assert len({tuple(t.arch.values()) for t in result.trials}) == 1
    else:
        assert len(result.trials) == 4
    assert SearchSpace(CELL_SPACE).validate(result.best_arch) == result.best_arch


def test_a_cell_search_logs_and_resumes_exactly(tmp_path, images):
    kw = dict(space=CELL_SPACE, task=images, budget=4, seed=1, progress=False, protocol=TINY, device="cpu")
    full = nasbook.search("evolution", **kw)
    seen: list[int] = []
    log = tmp_path / "cell.jsonl"
    part = nasbook.search("evolution", log=log, callback=lambda trial, strategy: seen.append(1),
                          stop=lambda: len(seen) >= 2, **kw)
    assert part.interrupted and len(part.trials) == 2
    resumed = nasbook.search("evolution", log=log, resume=True, **kw)
    assert [t.arch for t in resumed.trials] == [t.arch for t in full.trials]
    assert [t.val_loss for t in resumed.trials] == [t.val_loss for t in full.trials]
    _, logged, warnings = read_log(log)
    assert [t.arch for t in logged] == [t.arch for t in full.trials] and warnings == []


def test_sampled_cells_are_valid_architectures():
    space = SearchSpace(CELL_SPACE)
    arch = space.sample(np.random.default_rng(0))
    assert space.validate(arch) == arch and set(arch.values()) <= set(OPS)
    assert all(space.validate(n) for n in space.neighbours(arch)) and len(space.neighbours(arch)) == 6 * 4
