"""Aging against kill-the-worst: the removal rules, the paired experiment, its verdicts."""
import numpy as np
import pytest

import nasbook
from nasbook import NasbookError
from nasbook.evaluation.toy import ToyEvaluator
from nasbook.experiments.aging import AGING, WORST, aging_vs_worst, evolution_curves
from nasbook.experiments.stats import AGAINST, FOR, INCONCLUSIVE
from nasbook.strategies.evolution import Evolution, KillTheWorst, differences
from nasbook.tabular.table import load_table


def population_bests(result):
    return [entry["best"] for entry in result.trace]


def test_kill_the_worst_keeps_its_champion_and_aging_lets_it_go():
    worst = nasbook.search(KillTheWorst(population_size=6, sample_size=3), evaluator=ToyEvaluator(),
                           budget=80, seed=1, progress=False)
    bests = population_bests(worst)
    assert all(b2 <= b1 for b1, b2 in zip(bests, bests[1:]))  # the best member never leaves
    for entry in worst.trace:
        assert len(entry["population"]) <= 6
    aging = nasbook.search(Evolution("default", population_size=6, sample_size=3), evaluator=ToyEvaluator(),
                           budget=80, seed=1, progress=False)
    assert any(b2 > b1 for b1, b2 in zip(population_bests(aging), population_bests(aging)[1:]))
    assert [t.arch for t in aging.trials[:6]] == [t.arch for t in worst.trials[:6]]  # same first population


def test_kill_the_worst_removes_the_highest_score_and_failures_first():
    strategy = KillTheWorst(population_size=3, sample_size=2)
    strategy.setup(ToyEvaluator().space, seed=0)
    trials = ToyEvaluator(diverge=lambda a: a["optimizer"] == "SGD").evaluate_many(strategy.ask())
    strategy.tell(trials)
    child = ToyEvaluator().evaluate_many(strategy.ask())
    before = list(strategy.population) + child
    strategy.tell(child)
    survivors = list(strategy.population)
    assert len(survivors) == 3
    removed = [t for t in before if all(t is not s for s in survivors)]
    assert len(removed) == 1 and removed[0].score == max(t.score for t in before)


def test_differences_names_the_closest_elite_and_the_changed_keys():
    elites = [{"a": 1, "b": 2, "c": 3}, {"a": 1, "b": 5, "c": 6}]
    assert differences({"a": 1, "b": 5, "c": 3}, elites) == (0, {"b": 5})
    assert differences({"a": 1, "b": 5, "c": 6}, elites) == (1, {})


def test_study_pairs_the_seeds_and_judges_each_checkpoint():
    table = load_table()
    study = aging_vs_worst(seeds=6, budget=30, checkpoints=(10, 30, 500), table=table)
    assert set(study.curves) == {AGING, WORST} and study.checkpoints == [10, 30]
    for curves in study.curves.values():
        assert curves.shape == (6, 30) and (curves >= 0).all()
        assert np.isfinite(curves).all()  # (not monotone: the pick is the best *observed* score, its true regret may rise)
    assert len(study.verdicts) == 2 and all(v.outcome in (FOR, AGAINST, INCONCLUSIVE) for v in study.verdicts)
    assert all(v.n == 6 and "after" in v.claim for v in study.verdicts)
    effect = np.median(study.regrets(AGING, 30) - study.regrets(WORST, 30))
    assert study.verdicts[1].effect == pytest.approx(effect)
    again = aging_vs_worst(seeds=6, budget=30, checkpoints=(10, 30), table=table)
    assert all((again.curves[k] == study.curves[k]).all() for k in study.curves)  # seeded: repeatable
    assert (study.curves[AGING] == evolution_curves(lambda: Evolution("default", 10, 5), 6, 30, table)).all()


@pytest.mark.parametrize("kwargs, field", [({"seeds": 0}, "seeds"), ({"budget": 0}, "budget"),
                                           ({"population_size": 1}, "population_size"),
                                           ({"sample_size": 20}, "sample_size")])
def test_study_refuses_bad_settings_before_running(kwargs, field):
    with pytest.raises(NasbookError, match=field):
        aging_vs_worst(**kwargs)
