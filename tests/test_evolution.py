"""Evolution, both modes: budgets, proposals in the space, determinism, failures, the cache."""
import math

import pytest
import torch

import nasbook
from nasbook import NasbookError
from nasbook.strategies import Evolution
from nasbook.strategies.evolution import ranked
from nasbook.evaluation.toy import ToyEvaluator
from nasbook.trial import Trial

MODES = ("seed", "default")


@pytest.mark.parametrize("mode", MODES)
def test_budget_space_and_determinism(mode):
    toy = ToyEvaluator()
    a = nasbook.search("evolution", mode=mode, evaluator=toy, budget=37, seed=3, progress=False)
    b = nasbook.search("evolution", mode=mode, evaluator=ToyEvaluator(), budget=37, seed=3, progress=False)
    assert a.evaluations == 37 == toy.calls
    assert all(toy.space.validate(t.arch) for t in a.trials)
    assert [t.arch for t in a.trials] == [t.arch for t in b.trials]
    assert a.trace == b.trace and len(a.trace) > 0
    c = nasbook.search("evolution", mode=mode, evaluator=ToyEvaluator(), budget=37, seed=4, progress=False)
    assert [t.arch for t in c.trials] != [t.arch for t in a.trials]


def test_seed_mode_is_the_article_generation_loop():
    result = nasbook.search("evolution", mode="seed", evaluator=ToyEvaluator(), budget=50, seed=0, progress=False)
    assert len(result.trace) == 5  # 10 x 5 generations
    for before, after in zip(result.trace, result.trace[1:]):
        pop = sorted(before["population"], key=lambda m: m["score"])
        elites = [m["arch"] for m in pop[:5]]
        assert [m["arch"] for m in after["population"][:5]] == elites  # the best half survives unchanged
        assert after["best"] <= before["best"]  # elitism: the best never gets worse


def test_seed_mode_elites_are_cache_hits_with_a_real_evaluator():
    space = {"num_hidden_layers": [1, 2], "hidden_layer_size": [4, 8], "learning_rate": [0.1, 0.01],
             "optimizer": ["Adam", "SGD"]}  # tiny networks: real training, milliseconds each
    result = nasbook.search("evolution", mode="seed", space=space, protocol="seed", device="cpu", budget=20,
                            seed=0, progress=False)
    assert result.evaluations == 20
    assert result.cache_hits >= 5  # generation 2 re-evaluates the 5 elites from the cache
    assert all(t.seconds == 0 and t.steps == 0 for t in result.trials if t.cached)
    assert result.summary()["cache_hits"] == result.cache_hits


def test_default_mode_ages_out_the_oldest_and_never_repeats_needlessly():
    result = nasbook.search("evolution", evaluator=ToyEvaluator(), budget=60, seed=1, progress=False)
    archs = [t.arch for t in result.trials]
    for snapshot, step in zip(result.trace[1:], range(11, 61)):  # after the first population, one child per tell
        assert [m["arch"] for m in snapshot["population"]] == archs[step - 10:step]
    assert len({tuple(a.values()) for a in archs}) >= 55  # re-mutation avoids most repeats


@pytest.mark.parametrize("mode, budget", [("default", 100), ("seed", 200)])
def test_finds_the_toy_optimum_more_often_than_random_search(mode, budget, count_optimum_hits):
    evolution = count_optimum_hits("evolution", mode, budget)
    random = count_optimum_hits("random", "default", budget)
    # measured: default@100 12/20, seed@200 17/20, random 0/20 and 1/20
    assert evolution >= 8 and evolution > random + 5


@pytest.mark.parametrize("mode", MODES)
def test_diverging_architectures_never_rank_first(mode):
    toy = ToyEvaluator(diverge=lambda arch: arch["learning_rate"] == 0.1)
    result = nasbook.search("evolution", mode=mode, evaluator=toy, budget=80, seed=0, progress=False)
    assert result.failures > 0
    assert result.best.ok and result.best.arch["learning_rate"] != 0.1 and math.isfinite(result.best_val_loss)
    for snapshot in result.trace:
        scores = [m["score"] for m in snapshot["population"]]
        assert not any(math.isnan(s) for s in scores)
        assert snapshot["best"] == min(scores)


def test_ranked_puts_failures_last_and_is_stable():
    a, b = Trial({"x": 1}, 0.5), Trial({"x": 2}, None, status="diverged")
    c, d = Trial({"x": 3}, float("nan")), Trial({"x": 4}, 0.5)
    assert [t.arch["x"] for t in ranked([b, a, c, d])] == [1, 4, 2, 3]


def test_bad_parameters_are_refused():
    with pytest.raises(NasbookError, match="population_size=1"):
        Evolution(population_size=1)
    with pytest.raises(NasbookError, match="sample_size=11"):
        Evolution(population_size=10, sample_size=11)


# the real diverging architecture (1x64 ReLU, SGD at lr 0.1 on synthetic) plus three that train
REAL = {"num_hidden_layers": [1], "hidden_layer_size": [64], "activation_function": ["ReLU"],
        "learning_rate": [0.1, 0.01], "optimizer": ["SGD", "Adam"], "dropout_rate": [0.0]}


@pytest.mark.parametrize("mode", MODES)
def test_a_real_diverging_architecture_never_ranks_first(mode):
    result = nasbook.search("evolution", mode=mode, space=REAL, protocol="seed", device="cpu", budget=12,
                            seed=0, progress=False)
    diverged = [t for t in result.trials if t.status == "diverged"]
    assert diverged and all(t.arch["optimizer"] == "SGD" and t.arch["learning_rate"] == 0.1 for t in diverged)
    assert result.best.ok and math.isfinite(result.best_val_loss)
    assert all(math.isfinite(snapshot["best"]) for snapshot in result.trace)
