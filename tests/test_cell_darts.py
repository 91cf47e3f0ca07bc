"""DARTS and weight sharing on the cell space (oneshot/cell_supernet.py, experiments/collapse.py, sharing.py)."""
import json
import math

import pytest
import torch

import nasbook
from nasbook import Evaluator, NasbookError, SearchSpace, Task
from nasbook.evaluation import Protocol
from nasbook.experiments.collapse import (collapse, collapse_from_recording, collapse_verdicts, darts_trajectory,
                                          extend_recording, remedy_verdict, truth_from, worth)
from nasbook.experiments.sharing import judge_weight_sharing
from nasbook.oneshot.cell_supernet import CellSuperNet, count_ops, parameter_free_mass
from nasbook.oneshot.weight_sharing import inherited_scores, train_supernet
from nasbook.spaces.family import ModelFamily
from nasbook.spaces.cell import CELL_SPACE, EDGE_KEYS, OPS, CellFamily, CellNetwork
from nasbook.strategies import DARTS
from nasbook.tasks import make_task

TINY = Protocol("tiny", epochs=1, batch_size=48)  # two supernet steps per epoch
SMALL = CellFamily(channels=2)
SPACE = SearchSpace(CELL_SPACE, family=SMALL)  # an evaluator trains only its own family's spaces
ARCH = {"edge_1_0": "conv_3x3", "edge_2_0": "none", "edge_2_1": "skip_connect",
        "edge_3_0": "avg_pool_3x3", "edge_3_1": "conv_1x1", "edge_3_2": "conv_3x3"}


@pytest.fixture(scope="module")
def tiny():
    full = make_task("digits_images")
    return Task.from_arrays("tiny_images", full.X_train[:96], full.y_train[:96], full.X_val[:48], full.y_val[:48],
                            loss="cross_entropy")


def evaluator(task):
    return Evaluator(task=task, protocol=TINY, family=SMALL, device="cpu")


def fake_truth(arch):  # convolutions are good, parameter-free edges cost 0.1 each
    return 1.0 + 0.1 * count_ops(arch) - 0.01 * (arch["edge_3_2"] == "conv_3x3")


def test_a_single_path_is_the_cell_network_with_the_supernets_weights():
    net = CellSuperNet(CELL_SPACE, (1, 8, 8), 10, channels=3, seed=0)
    cells = CellNetwork(ARCH, (1, 8, 8), 10, channels=3)
    cells.body[0].load_state_dict(net.stem[0].state_dict())
    cells.body[1].load_state_dict(net.stem[1].state_dict(), strict=False)  # the supernet keeps no running stats
    for key, op in cells.body[2].ops.items():
        op.load_state_dict(net.stages[0][1][0].edges[key].ops[ARCH[key]].state_dict(), strict=False)
    cells.head.load_state_dict(net.head.state_dict())
    x = torch.randn(6, 1, 8, 8)
    assert torch.allclose(net(x, ARCH), cells.train()(x), atol=1e-5)
    mixed = net(x)
    with torch.no_grad():  # a corner of α: softmax one-hot on ARCH's ops
        for key, alpha in net.alphas.items():
            alpha.fill_(-1e4)[OPS.index(ARCH[key])] = 1e4
    assert torch.allclose(net(x), net(x, ARCH), atol=1e-5) and not torch.allclose(mixed, net(x), atol=1e-3)
    assert net.derive() == ARCH and parameter_free_mass(net.probabilities(), net.choices) == pytest.approx(0.5)


@pytest.mark.parametrize("order", ["first", "second"])
def test_darts_searches_the_cell_and_records_alpha_per_edge(order, tiny):
    result = nasbook.search(DARTS(order=order, epochs=3), space=SPACE, evaluator=evaluator(tiny), budget=20,
                            seed=0, progress=False)
    assert [e["epoch"] for e in result.trace] == [1, 2, 3]
    for entry in result.trace:
        assert list(entry["alphas"]) == list(EDGE_KEYS)
        assert all(len(p) == len(OPS) and abs(sum(p) - 1) < 1e-5 for p in entry["alphas"].values())
    last = result.trace[-1]["alphas"]
    assert result.trials[0].arch == {k: OPS[p.index(max(p))] for k, p in last.items()}
    assert SearchSpace(CELL_SPACE).validate(result.best_arch) == result.best_arch
    passes = 3 * 2 * (1 + (4 if order == "second" else 1))  # epochs × steps × (weight + α passes)
    assert result.extra_steps == passes and result.charged_evaluations == passes / 2


def test_with_no_epochs_given_the_supernet_gets_all_but_one_evaluation(tiny):
    result = nasbook.search("darts", space=SPACE, evaluator=evaluator(tiny), budget=3, seed=0, progress=False)
    assert len(result.trace) == 1 and result.charged_evaluations == 2.0 and len(result.trials) == 1


def test_a_longer_search_passes_through_the_shorter_ones(tiny):
    short = darts_trajectory(evaluator(tiny), 2, seed=4, space=SPACE)
    long = darts_trajectory(evaluator(tiny), 3, seed=4, space=SPACE)
    assert [e["alphas"] for e in long[:2]] == [e["alphas"] for e in short]


def test_darts_plus_stops_at_the_first_cell_with_max_skips(tiny):
    space = SearchSpace({**CELL_SPACE, "edge_1_0": ["skip_connect"]}, family=SMALL)  # every cell has a skip
    strategy = DARTS(epochs=4, max_skips=1)
    strategy.setup(space, 0, evaluator(tiny))
    strategy.prepare()
    assert len(strategy.trace) == 1 and strategy.trace[0]["stopped"] and strategy.chosen["edge_1_0"] == "skip_connect"
    convs = SearchSpace({"edge_3_0": ["conv_1x1", "conv_3x3"]}, family=SMALL)  # the other edges: fixed skips
    strategy = DARTS(epochs=2, max_skips=1)
    strategy.setup(convs, 0, evaluator(tiny))
    strategy.prepare()  # fixed edges are not searched: they neither stop it nor enter the trace
    assert len(strategy.trace) == 2 and [list(e["alphas"]) for e in strategy.trace] == [["edge_3_0"]] * 2
    assert list(strategy.chosen) == ["edge_3_0"]
    frame = collapse(fake_truth, evaluator(tiny), epochs=(1, 3), seeds=(0,), space=space, max_skips=1,
                     max_free_edges=None)
    plus = frame[(frame.method == "max_skips=1") & (frame.epochs == 3)].iloc[0]
    assert plus.stopped_at == 1 and plus.stopped and set(frame.method) == {"darts", "max_skips=1"}
    plain = frame[(frame.method == "darts") & (frame.epochs == 3)].iloc[0]
    assert plain.stopped_at == 3 and not plain.stopped


def test_max_free_edges_stops_on_any_parameter_free_edge_and_says_which_rule(tiny):
    space = SearchSpace({**CELL_SPACE, "edge_1_0": ["skip_connect"], "edge_2_0": ["avg_pool_3x3"]}, family=SMALL)
    strategy = DARTS(epochs=4, max_free_edges=2)  # two free edges in every cell: stops at once
    strategy.setup(space, 0, evaluator(tiny))
    strategy.prepare()
    assert len(strategy.trace) == 1 and strategy.trace[0]["stopped_by"] == "max_free_edges"
    both = DARTS(epochs=4, max_skips=1, max_free_edges=2)  # both fire: the first rule is the one named
    both.setup(space, 0, evaluator(tiny))
    both.prepare()
    assert len(both.trace) == 1 and both.trace[0]["stopped_by"] == "max_skips"
    plain = DARTS(epochs=2)  # the same search, never stopped: the same first epoch
    plain.setup(space, 0, evaluator(tiny))
    plain.prepare()
    assert len(plain.trace) == 2 and "stopped" not in plain.trace[0]
    assert plain.trace[0]["alphas"] == strategy.trace[0]["alphas"]
    frame = collapse(fake_truth, evaluator(tiny), epochs=(2,), seeds=(0,), space=space, max_free_edges=2)
    stopped = frame.set_index("method").loc["max_free_edges=2"]
    assert stopped.stopped_at == 1 and stopped.stopped and stopped.free_edges >= 2


def test_collapse_records_mass_cells_and_their_truth(tiny):
    seen = []
    frame = collapse(lambda a: seen.append(a) or fake_truth(a), evaluator(tiny), epochs=(1, 2), seeds=(0, 1),
                     space=SPACE)
    assert len(frame) == 2 * 2 * 3 and set(frame.method) == {"darts", "max_skips=2", "max_free_edges=1"}
    assert frame["mass"].between(0, 1).all() and frame["free_edges"].between(0, 6).all()
    assert len(seen) == len(set(frame.cell))  # each cell scored once
    assert all(fake_truth(a) in set(frame.loss) for a in seen)
    verdict = remedy_verdict(frame, "max_free_edges")
    assert verdict.n == 2 and verdict.outcome == "INCONCLUSIVE"  # two seeds can never decide
    assert math.isfinite(truth_from(evaluator(tiny))(ARCH))


def test_weight_sharing_on_cells_ranks_against_a_known_truth(tiny):
    space = SPACE
    net = train_supernet(space, task=tiny, steps=4, batch_size=16, seed=0, device="cpu")
    assert isinstance(net, CellSuperNet) and net.steps == 4
    known = {}

    def truth(arch):  # seed 0's own inherited scores: seed 0 must rank them perfectly
        known[tuple(arch.values())] = inherited_scores(net, [arch], task=tiny)[0]
        return known[tuple(arch.values())]

    judged = judge_weight_sharing(space, truth, tiny, n=6, seeds=(0, 1), steps=4, batch_size=16)
    assert len(judged.archs) == 6 == len({tuple(a.values()) for a in judged.archs})
    first = judged.frame.iloc[0]
    assert first.spearman == pytest.approx(1.0) and first.kendall == pytest.approx(1.0) and first.regret == 0
    assert -1 <= judged.frame.iloc[1].spearman <= 1
    assert judged.spearman.low <= judged.spearman.estimate <= judged.spearman.high
    assert judged.regret_optimum is None and judged.frame.regret_optimum.isna().all()  # no optimum given


def test_weight_sharing_within_the_top_and_against_the_optimum(tiny):
    net = train_supernet(SPACE, task=tiny, steps=4, batch_size=16, seed=0, device="cpu")

    def truth(arch):  # seed 0's own inherited scores: seed 0 ranks them perfectly, the top too
        return inherited_scores(net, [arch], task=tiny)[0]

    judged = judge_weight_sharing(SPACE, truth, tiny, n=10, seeds=(0,), steps=4, batch_size=16,
                                  optimum=-1.0, top_fraction=0.3)
    row = judged.frame.iloc[0]
    assert row.spearman_top == pytest.approx(1.0) and row.kendall_top == pytest.approx(1.0)
    assert row.regret_optimum == pytest.approx(row.pick_loss + 1.0) and row.seconds >= row.train_seconds > 0
    assert judged.regret_optimum.estimate == pytest.approx(row.regret_optimum) and "optimum" in str(judged)
    import numpy as np
    from nasbook.experiments.sharing import equal_cost_evaluations
    from table_helpers import fake_table

    table = fake_table(np.ones((64, 1, 4)), space={key: ["none", "conv_3x3"] for key in EDGE_KEYS})  # 10 steps a run
    assert equal_cost_evaluations(judged, 100, table) >= 10  # 100 steps, and the scoring on top
    with pytest.raises(NasbookError, match="top_fraction"):
        judge_weight_sharing(SPACE, truth, tiny, n=10, seeds=(0,), steps=1, top_fraction=2.0)


def test_the_supernets_steps_buy_random_search_as_many_trainings():
    import numpy as np
    from nasbook.experiments.sharing import random_search_regrets, steps_to_evaluations, table_score
    from table_helpers import fake_table

    small = {key: ["none", "conv_3x3"] for key in EDGE_KEYS}
    table = fake_table(np.linspace(0.1, 1.0, 64 * 2 * 4).reshape(64, 2, 4), space=small)
    steps = int(table.arrays["steps"][table.done_runs].mean())
    assert steps_to_evaluations(steps, table) == 1 and steps_to_evaluations(10 * steps + 1, table) == 11
    arch = table.space.decode((1,) * 6)
    assert table_score(table)(arch) == pytest.approx(table.mean_val_loss[table.space.index(arch)])
    few, many = random_search_regrets(table, 2, seeds=8), random_search_regrets(table, 40, seeds=8)
    assert few.shape == (8,) and (few >= 0).all() and np.median(many) <= np.median(few)


def test_bad_settings_are_refused(tiny):
    class Linear(ModelFamily):  # a family DARTS has no relaxation for
        name, rules, defaults = "linear", {"bias": "True or False"}, {"bias": True}

        def check_value(self, key, value, field):
            return value

        def build(self, arch, task, seed=0):
            return torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(task.in_features, task.out_features))

    with pytest.raises(NasbookError, match=r"space='a space of the linear family' is not allowed; a space of the mlp or"):
        DARTS().setup(SearchSpace({"bias": [True, False]}, family=Linear()), 0, evaluator(tiny))
    with pytest.raises(NasbookError, match=r"mode='article' is not allowed; 'default' on a cell space"):
        DARTS(mode="article").setup(SearchSpace(CELL_SPACE), 0, evaluator(tiny))
    with pytest.raises(NasbookError, match=r"max_skips=2 is not allowed; None on an MLP space"):
        DARTS(max_skips=2).setup(SearchSpace({"hidden_layer_size": [4, 8]}), 0, Evaluator(device="cpu"))
    with pytest.raises(NasbookError, match=r"max_free_edges=1 is not allowed; None on an MLP space"):
        DARTS(max_free_edges=1).setup(SearchSpace({"hidden_layer_size": [4, 8]}), 0, Evaluator(device="cpu"))
    with pytest.raises(NasbookError, match=r"max_skips=0 is not allowed"):
        DARTS(max_skips=0)
    with pytest.raises(NasbookError, match=r"max_free_edges=7 is not allowed"):
        DARTS(max_free_edges=7)


def test_a_partial_tables_truth_reads_the_table_else_trains():
    import numpy as np
    from nasbook.experiments.collapse import TableOrTraining
    from nasbook.tabular import BenchTable
    from table_helpers import fake_table

    small = {key: ["none", "conv_3x3"] for key in EDGE_KEYS}
    full = fake_table(np.full((64, 2, 4), 0.5), space=small)
    done = np.zeros(64, dtype=bool)
    done[0] = True  # only the all-none cell is trained
    table = BenchTable(dict(full.arrays, done=done), full.meta)

    class Trains:  # stands in for an Evaluator: a known score, counted
        calls = 0

        def evaluate(self, arch, seed):
            Trains.calls += 1
            return type("T", (), {"score": 0.25 + seed})()

    truth = TableOrTraining(table, Trains(), seed=1)
    assert truth({key: "none" for key in EDGE_KEYS}) == pytest.approx(0.5)
    assert truth({key: "conv_3x3" for key in EDGE_KEYS}) == pytest.approx(1.25)
    assert (truth.from_table, truth.trained, Trains.calls) == (1, 1, 1)


def test_trained_sample_draws_distinct_trained_rows_only():
    import numpy as np
    from nasbook.experiments.sharing import trained_sample
    from nasbook.tabular import BenchTable
    from table_helpers import fake_table

    small = {key: ["none", "conv_3x3"] for key in EDGE_KEYS}
    full = fake_table(np.full((64, 2, 4), 0.5), space=small)
    done = np.arange(64) % 4 == 0  # 16 trained
    table = BenchTable(dict(full.arrays, done=done), full.meta)
    picks = trained_sample(table, 10, seed=0)
    rows = [table.space.index(a) for a in picks]
    assert len(set(rows)) == 10 and all(done[r] for r in rows)
    assert picks == trained_sample(table, 10, seed=0) and picks != trained_sample(table, 10, seed=1)
    with pytest.raises(NasbookError, match="n"):
        trained_sample(table, 17, seed=0)  # more than the table has trained


def test_a_recording_extends_one_seed_at_a_time_and_keeps_its_settings(tiny, tmp_path):
    path = tmp_path / "collapse.json"
    first = extend_recording(path, evaluator(tiny), seeds=(3,), epochs=2, space=SPACE)
    again = extend_recording(path, evaluator(tiny), seeds=(3, 4), epochs=2, space=SPACE)  # seed 3 is not rerun
    assert [run["seed"] for run in again["runs"]] == [3, 4] and again["runs"][0] == first["runs"][0]
    run = again["runs"][1]
    trace = darts_trajectory(evaluator(tiny), 2, seed=4, space=SPACE)
    assert run["epochs"] == 2 and len(run["alphas"]) == len(run["cells"]) == 2
    assert run["alphas"][-1][0] == [round(p, 3) for p in trace[-1]["alphas"]["edge_1_0"]]
    assert set(run["stops"]) == {"max_skips", "max_free_edges"} and all(len(v) == 6 for v in run["stops"].values())
    with pytest.raises(NasbookError, match=r"recording settings\['epochs'\]=2 is not allowed"):
        extend_recording(path, evaluator(tiny), seeds=(5,), epochs=3, space=SPACE)


def fake_recording(path, seeds=10):
    """Ten seeds (enough to survive Holm's adjustment over four claims) whose cells gain one ``none`` edge per epoch (and α mass with them)."""
    small = {key: ["none", "conv_3x3"] for key in EDGE_KEYS}
    runs = []
    for seed in range(seeds):
        cells = ["".join("0" if i < e + seed % 2 else "1" for i in range(6)) for e in range(4)]
        alphas = [[[0.1 * e + 0.01 * seed + 0.2, 0.8 - 0.1 * e - 0.01 * seed] for _ in range(6)] for e in range(4)]
        runs.append({"seed": seed, "epochs": 4, "seconds": 1.0, "alphas": alphas, "cells": cells})
    path.write_text(json.dumps({"settings": {"space": small, "epochs": 4}, "runs": runs}))
    return small


def test_the_recording_is_judged_against_the_table(tmp_path):
    import itertools

    import numpy as np
    from table_helpers import fake_table

    small = fake_recording(tmp_path / "rec.json")
    nones = [sum(op == "none" for op in ops) for ops in itertools.product(*small.values())]
    table = fake_table(np.repeat(np.asarray(nones, dtype=float)[:, None, None] * 0.1 + 0.5, 4, axis=2), space=small)
    assert [table.mean_val_loss[table.space.index(dict(zip(small, ops)))] for ops in [("none",) * 6]] == [
        pytest.approx(1.1)]
    frame = collapse_from_recording(tmp_path / "rec.json", table, epochs=(1, 2, 4), max_skips=2, max_free_edges=2)
    later = collapse_from_recording(tmp_path / "rec.json", table, seeds=(1, 2))  # default: 4 epochs on
    assert set(later.epochs) == {4} and set(later.seed) == {1, 2}
    assert sorted(set(frame.epochs)) == [1, 2, 4] and len(frame) == 10 * 3 * 3
    long = frame[frame.epochs == 4].set_index(["method", "seed"])
    assert long.loc[("darts", 0)].free_edges == 3 and long.loc[("darts", 0)].loss == pytest.approx(0.8)
    assert long.loc[("max_free_edges=2", 0)].stopped_at == 3 and long.loc[("max_free_edges=2", 1)].stopped_at == 2
    assert not long.loc[("max_skips=2", 0)].stopped  # no skips in this space: DARTS+ never fires
    assert long.loc[("darts", 0)].regret == pytest.approx(0.3) and 0 < long.loc[("darts", 0)].better < 1
    verdicts = {v.claim: v.outcome for v in collapse_verdicts(frame)}
    assert verdicts == {"parameter-free mass grows from 1 to 4 epochs": "FOR",
                        "the derived cell is truly worse after 4 epochs than after 1": "FOR",
                        "max_free_edges=2 derives truly better cells than DARTS after 4 epochs": "FOR",
                        "max_skips=2 derives truly better cells than DARTS after 4 epochs": "INCONCLUSIVE"}
    shown = worth(frame, table).set_index(["method", "epochs"])
    assert shown.loc[("darts", 4)].low <= shown.loc[("darts", 4)].loss <= shown.loc[("darts", 4)].high
    assert shown.loc[("max_free_edges=2", 4)].stopped == 1 and shown.loc[("darts", 4)].optimum == pytest.approx(0.5)


def test_stops_say_when_each_rule_would_stop_a_trajectory():
    from nasbook.experiments.collapse import stops

    convs = {key: "conv_3x3" for key in EDGE_KEYS}
    cells = [convs, {**convs, "edge_1_0": "none"}, {**convs, "edge_1_0": "skip_connect", "edge_2_0": "avg_pool_3x3"}]
    assert stops(cells) == {"max_skips": [3, None, None, None, None, None],
                            "max_free_edges": [2, 3, None, None, None, None]}
