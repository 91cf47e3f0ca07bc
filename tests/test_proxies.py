"""Proxies, rank correlation and the performance predictor (nasbook/experiments/proxies.py)."""
import math

import numpy as np
import pytest

from nasbook import Evaluator, NasbookError, SearchSpace
from nasbook.experiments.proxies import (PerformancePredictor, compare_fidelities, held_out_truth, over_seeds,
                                        predictor_screening, proxy_evaluator, rank_correlation, subset_task,
                                        supernet_rankings, table_fidelities, top_k_overlap)
from nasbook.evaluation.toy import ToyEvaluator
from table_helpers import fake_table

SMALL = SearchSpace({"num_hidden_layers": [1, 2], "hidden_layer_size": [8, 16],
                     "activation_function": ["Tanh"], "learning_rate": [0.01, 0.001],
                     "optimizer": ["Adam"], "dropout_rate": [0.0]})


def test_rank_correlation_same_order_reversed_and_failures_dropped():
    x = [1.0, 2.0, 3.0, 4.0]
    assert rank_correlation(x, [10, 20, 30, 40]) == pytest.approx(1.0)
    assert rank_correlation(x, [4, 3, 2, 1], "kendall") == pytest.approx(-1.0)
    # a failed trial (inf) is dropped instead of poisoning the correlation
    assert rank_correlation(x + [math.inf], [1, 2, 3, 4, 0.5]) == pytest.approx(1.0)
    assert math.isnan(rank_correlation([1, 2], [1, 2]))


def test_rank_correlation_refuses_bad_input():
    with pytest.raises(NasbookError, match="method"):
        rank_correlation([1, 2, 3], [1, 2, 3], method="pearson")
    with pytest.raises(NasbookError, match="y"):
        rank_correlation([1, 2, 3], [1, 2])


def test_top_k_overlap():
    assert top_k_overlap([1, 2, 3, 4], [1, 2, 3, 4], 2) == 1.0
    assert top_k_overlap([1, 2, 3, 4], [4, 3, 2, 1], 2) == 0.0
    assert top_k_overlap([1, 2, 3, 4], [2, 1, 4, 3], 2) == 1.0


def test_subset_task_keeps_validation_split_and_is_seeded():
    full = subset_task("synthetic", 1.0)
    part = subset_task("synthetic", 0.25, seed=3)
    assert len(part.X_train) == 200 and len(full.X_train) == 800
    assert part.X_val.equal(full.X_val) and part.y_val.equal(full.y_val)
    assert part.X_train.equal(subset_task("synthetic", 0.25, seed=3).X_train)
    with pytest.raises(NasbookError, match="fraction"):
        subset_task("synthetic", 0.0)


def test_proxy_evaluator_trains_fewer_steps_on_fewer_rows_and_stays_deterministic():
    arch = SMALL.sample(np.random.default_rng(0))
    full = proxy_evaluator(protocol="seed", device="cpu").evaluate(arch, seed=0)
    short = proxy_evaluator(epochs=5, protocol="seed", device="cpu").evaluate(arch, seed=0)
    small = proxy_evaluator(fraction=0.25, epochs=5, protocol="seed", device="cpu")
    a = small.evaluate(arch, seed=0)
    b = proxy_evaluator(fraction=0.25, epochs=5, protocol="seed", device="cpu").evaluate(arch, seed=0)
    assert full.steps == 10 and short.steps == 5 and a.steps == 5
    assert len(small.task.X_train) == 200 and small.protocol.name == "article@5ep"
    assert a.val_loss == b.val_loss and short.val_loss != full.val_loss != a.val_loss


def test_compare_fidelities_reports_the_reference_as_perfect():
    archs = list(SMALL.enumerate())
    rows = compare_fidelities(archs, Evaluator(protocol="seed", device="cpu"),
                              {"short": proxy_evaluator(epochs=2, protocol="seed", device="cpu")}, k=3)
    assert [r["proxy"] for r in rows] == ["full", "short"]
    assert rows[0]["spearman"] == pytest.approx(1.0) and rows[0]["top3_overlap"] == 1.0
    assert -1.0 <= rows[1]["spearman"] <= 1.0 and len(rows[1]["scores"]) == len(archs)
    assert rows[1]["seconds"] > 0
    assert rows[0]["steps"] == 10 * len(archs) and rows[1]["steps"] == 2 * len(archs)


def test_predictor_learns_the_toy_landscape_from_a_few_trials():
    space = SearchSpace()
    toy = ToyEvaluator(space)
    rng = np.random.default_rng(0)
    train = [toy.evaluate(space.sample(rng)) for _ in range(60)]
    test = [space.sample(rng) for _ in range(200)]
    predictor = PerformancePredictor(space, n_estimators=50, seed=0).fit(train)
    predicted = predictor.predict(test)
    assert predicted.shape == (200,) and np.all(predicted > 0)
    assert rank_correlation(predicted, [toy.loss(a) for a in test]) > 0.6
    again = PerformancePredictor(space, n_estimators=50, seed=0).fit(train).predict(test)
    assert np.array_equal(predicted, again)


def test_predictor_skips_failures_and_refuses_too_little_data():
    space = SearchSpace()
    toy = ToyEvaluator(space, diverge=lambda a: a["learning_rate"] == 0.1)
    rng = np.random.default_rng(1)
    trials = [toy.evaluate(space.sample(rng)) for _ in range(30)]
    assert any(not t.ok for t in trials)
    assert np.all(np.isfinite(PerformancePredictor(space, n_estimators=10).fit(trials).predict([trials[0].arch])))
    with pytest.raises(NasbookError, match="fit"):
        PerformancePredictor(space).predict([trials[0].arch])
    with pytest.raises(NasbookError, match="trials"):
        PerformancePredictor(space).fit([t for t in trials if not t.ok][:1])


def test_held_out_truth_leaves_the_proxy_seed_out():
    final = np.array([[1.0, 2.0, 4.0], [3.0, 3.0, 3.0]] + [[1.0, 1.0, 1.0]] * 6)
    diverged = np.zeros((8, 3), dtype=bool)
    diverged[1, 1:] = True  # architecture 1 only trained with seed 0
    table = fake_table(np.repeat(final[:, :, None], 4, axis=2), diverged)
    assert held_out_truth(table, 0)[0] == 3.0 and held_out_truth(table, 2)[0] == 1.5
    assert held_out_truth(table, 0)[1] == math.inf and held_out_truth(table, 1)[1] == 3.0
    with pytest.raises(NasbookError, match="seed_index"):
        held_out_truth(table, 3)
    with pytest.raises(NasbookError, match="seeds"):
        held_out_truth(fake_table(np.ones((8, 1, 4))), 0)


def test_table_fidelities_score_each_seed_against_the_others():
    rng = np.random.default_rng(0)
    quality = np.arange(8.0)
    curve = quality[:, None, None] + rng.normal(0, 0.01, (8, 3, 4))  # every checkpoint ranks like the truth ...
    curve[:, :, 0] = rng.random((8, 3))                             # ... except the first, which is noise
    rows = table_fidelities(fake_table(curve), top_fraction=0.5, ks=(2,))
    assert len(rows) == 3 * 4 and set(rows["epochs"]) == {1, 2, 5, 10}
    last = rows[rows["epochs"] == 10]
    assert (last["spearman"] == 1.0).all() and (last["top2_overlap"] == 1.0).all()
    assert (last["spearman_top"] == 1.0).all()  # the best half, in the right order
    summary = over_seeds(rows, by="epochs")
    assert summary.loc[10, ("spearman", "mean")] == 1.0 and summary.loc[10, ("spearman", "low")] == 1.0
    assert summary.loc[1, ("spearman", "low")] < summary.loc[1, ("spearman", "mean")] < summary.loc[1, ("spearman", "high")]
    assert list(summary.columns.get_level_values(1)[:3]) == ["mean", "low", "high"]


def test_over_seeds_t_interval():
    import pandas as pd
    from scipy import stats

    rows = pd.DataFrame({"seed": [0, 1, 2], "g": ["a"] * 3, "x": [1.0, 2.0, 3.0]})
    summary = over_seeds(rows, by="g")
    half = stats.t.ppf(0.975, 2) * 1.0 / math.sqrt(3)  # sd of 1, 2, 3 is 1
    assert summary.loc["a", ("x", "mean")] == 2.0
    assert summary.loc["a", ("x", "high")] == pytest.approx(2.0 + half)


def test_predictor_screening_is_seeded_and_never_worse_than_its_start():
    curve = np.repeat(np.arange(1.0, 9.0)[:, None, None], 3, axis=1).repeat(4, axis=2)
    rows = predictor_screening(fake_table(curve), seeds=[0, 1, 2], n_train=3, n_screen=2, n_estimators=10)
    assert list(rows["seed"]) == [0, 1, 2]
    assert (rows["regret_random"] <= rows["regret_first"]).all()  # noiseless table: more lookups never hurt
    assert (rows["regret_predictor"] <= rows["regret_first"]).all()
    again = predictor_screening(fake_table(curve), seeds=[0, 1, 2], n_train=3, n_screen=2, n_estimators=10)
    assert rows.equals(again)
    with pytest.raises(NasbookError, match="n_train"):
        predictor_screening(fake_table(curve), seeds=[0], n_train=7, n_screen=2)


def test_supernet_rankings_one_row_per_seed_and_budget():
    space = SearchSpace({**SMALL.to_dict(), "learning_rate": [0.01], "hidden_layer_size": [8]})
    reference = [float(i) for i in range(space.size)]
    rows = supernet_rankings(space, reference, steps=[2, 4], seeds=[0, 1], device="cpu", k=1)
    assert list(zip(rows["seed"], rows["steps"])) == [(0, 2), (0, 4), (1, 2), (1, 4)]
    assert rows["top1_overlap"].isin([0.0, 1.0]).all()
    with pytest.raises(NasbookError, match="reference_scores"):
        supernet_rankings(space, reference[:1], steps=[2], seeds=[0], device="cpu")


def test_table_fidelities_on_a_partial_table_chosen_epochs_and_intervals():
    rng = np.random.default_rng(1)
    space = {"num_hidden_layers": [1, 2, 3], "hidden_layer_size": [8, 16, 32, 64], "activation_function": ["ReLU"],
             "learning_rate": [0.1, 0.01, 0.001, 0.0001], "optimizer": ["Adam"], "dropout_rate": [0.0]}
    curve = np.arange(48.0)[:, None, None] + rng.normal(0, 3.0, (48, 3, 4))
    table = fake_table(curve, space=space)
    table.done_runs = table.done_runs.copy()
    table.done_runs[:, 2] = False  # a third seed not trained yet: skipped
    table.done_runs[0, 1] = False  # architecture 0 has no truth for proxy seed 0, no proxy for seed 1
    table.val_loss = np.where(table.done_runs, table.val_loss, np.nan)
    rows = table_fidelities(table, top_fraction=0.5, ks=(2,), epochs=[2, 10], resamples=99)
    assert list(rows["seed"]) == [0, 0, 1, 1] and list(rows["epochs"]) == [2, 10, 2, 10]
    for _, row in rows.iterrows():
        assert row["spearman_low"] <= row["spearman"] <= row["spearman_high"]
        assert row["spearman_top_low"] <= row["spearman_top"] <= row["spearman_top_high"]
    with pytest.raises(NasbookError, match="epoch"):
        table_fidelities(table, epochs=[3])
