"""Proxies, rank correlation and the performance predictor (nasbook/experiments/proxies.py)."""
import math

import numpy as np
import pytest

from nasbook import Evaluator, NasbookError, SearchSpace
from nasbook.experiments.proxies import (PerformancePredictor, compare_fidelities, proxy_evaluator,
                             rank_correlation, subset_task, top_k_overlap)
from nasbook.evaluation.toy import ToyEvaluator

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
