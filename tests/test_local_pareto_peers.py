"""Local search, Pareto evolution and the Optuna TPE peer, on the analytic toy evaluator."""
import sys

import numpy as np
import pytest

import nasbook
from nasbook.strategies.pareto import dominates
from nasbook.strategies.pareto_evolution import ParetoEvolution, crowding_distance, front_indices, objective_matrix
from nasbook.evaluation.toy import ToyEvaluator
from nasbook.trial import Trial
from nasbook.validation import NasbookError


def run(strategy, budget, seed=0, evaluator=None, **kw):
    evaluator = evaluator or ToyEvaluator()
    return nasbook.search(strategy, budget=budget, seed=seed, evaluator=evaluator, progress=False, **kw), evaluator


# -- local search ---------------------------------------------------------------------------
def test_local_search_climbs_to_the_toy_optimum_without_repeats():
    result, toy = run("local", budget=150)
    assert result.best_arch == toy.optimum  # the toy bowl has no local optima but the global one
    assert result.cache_hits == 0  # never proposes an architecture twice
    assert len({tuple(t.arch.values()) for t in result.trials}) == 150


def test_local_search_restarts_at_a_local_optimum_and_is_deterministic():
    result, toy = run("local", budget=300)
    optima = [t["local_optimum"] for t in result.trace]
    assert optima and optima[0] == toy.optimum  # it stopped climbing there, then restarted
    again, _ = run("local", budget=300)
    assert [t.arch for t in again.trials] == [t.arch for t in result.trials]
    other, _ = run("local", budget=300, seed=1)
    assert [t.arch for t in other.trials] != [t.arch for t in result.trials]


def test_local_search_survives_diverged_trials():
    toy = ToyEvaluator(diverge=lambda a: a["learning_rate"] == 0.1)
    result, _ = run("local", budget=120, evaluator=toy)
    assert result.failures > 0 and np.isfinite(result.best_val_loss)
    assert result.best_arch["learning_rate"] != 0.1


# -- Pareto evolution ----------------------------------------------------------------------
def trial(loss, params, ok=True):
    return Trial(arch={}, val_loss=loss if ok else None, status="ok" if ok else "diverged", params=params,
                 extras={"latency": params / 1e6})


def test_objectives_front_and_crowding():
    trials = [trial(0.1, 1000), trial(0.2, 100), trial(0.3, 50), trial(0.25, 500), trial(0.05, 9, ok=False)]
    points = objective_matrix(trials)
    assert points.shape == (5, 2) and np.isinf(points[4]).all()
    assert front_indices(trials) == [0, 1, 2]  # (0.25, 500) is dominated by (0.2, 100)
    assert objective_matrix(trials, ("val_loss", "latency"))[1, 1] == pytest.approx(1e-4)
    crowd = crowding_distance(points[[0, 1, 2]])
    assert np.isinf(crowd[0]) and np.isinf(crowd[2]) and 0 < crowd[1] < np.inf
    with pytest.raises(NasbookError, match="latency"):
        objective_matrix([Trial(arch={}, val_loss=0.1)], ("val_loss", "latency"))
    with pytest.raises(NasbookError, match="objective"):
        ParetoEvolution(objective="size")


class SizedToy(ToyEvaluator):
    """The toy bowl plus a parameter count, so loss and size pull apart."""

    def train(self, arch, seed):
        t = super().train(arch, seed)
        t.params = arch["num_hidden_layers"] * arch["hidden_layer_size"] ** 2
        return t


def test_pareto_evolution_keeps_a_spread_front():
    result, toy = run(ParetoEvolution(population_size=10), budget=60, evaluator=SizedToy())
    assert result.evaluations == 60 and result.cache_hits == 0
    assert len(result.trace) == 6  # one generation per 10 children
    last = result.trace[-1]
    assert len(last["population"]) == 10
    points = np.array(last["objectives"])
    front = points[last["front"]]
    assert len(front) >= 2  # a trade-off curve, not one point
    assert not any(dominates(p, q) for p in points for q in front)  # nothing beats the front
    best_so_far = min(np.array(result.trace[0]["objectives"])[:, 0])
    assert points[:, 0].min() <= best_so_far  # elitist: the best loss never gets lost
    again, _ = run(ParetoEvolution(population_size=10), budget=60, evaluator=SizedToy())
    assert [t.arch for t in again.trials] == [t.arch for t in result.trials]


def test_pareto_evolution_latency_needs_an_evaluator_that_records_it():
    with pytest.raises(NasbookError, match="latency"):
        run(ParetoEvolution(objective="latency", population_size=4), budget=8)


# -- Optuna TPE peer -----------------------------------------------------------------------
def test_optuna_tpe_runs_in_the_loop_deterministically():
    pytest.importorskip("optuna")  # an optional dependency; the next test covers its absence
    toy = ToyEvaluator(diverge=lambda a: a["optimizer"] == "SGD")
    result, _ = run("optuna-tpe", budget=40, evaluator=toy)
    assert result.evaluations == 40 and result.failures > 0 and np.isfinite(result.best_val_loss)
    again, _ = run("optuna-tpe", budget=40, evaluator=ToyEvaluator(diverge=lambda a: a["optimizer"] == "SGD"))
    assert [t.arch for t in again.trials] == [t.arch for t in result.trials]
    random, _ = run("random", budget=40)
    assert result.best_val_loss <= random.best_val_loss  # TPE learns something on the bowl


def test_optuna_tpe_says_when_optuna_is_missing(monkeypatch):
    monkeypatch.setitem(sys.modules, "optuna", None)  # makes `import optuna` raise ImportError
    with pytest.raises(NasbookError, match="pip install"):
        run("optuna-tpe", budget=2)
    from nasbook.experiments.showdown import available

    names, missing = available(["random", "optuna-tpe"])
    assert names == ["random"] and "Optuna is not installed" in missing["optuna-tpe"]
