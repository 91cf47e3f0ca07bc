"""Any-time performance against compute (nasbook.experiments.anytime): a multi-fidelity search
is read after n evaluation-equivalents, its pick the best of its longest-trained trials."""
import math

import numpy as np
import pytest

import nasbook
from nasbook.evaluation.toy import ToyEvaluator
from nasbook.experiments.anytime import best_by_compute, incumbents, uses_fidelity
from nasbook.fidelity import cost
from nasbook.loop.result import SearchResult
from nasbook.trial import Trial
from nasbook.viz import plots


def trial(name: str, loss: float | None, epochs: int | None = None, start: int = 0) -> Trial:
    ok = loss is not None
    return Trial(arch={"a": name}, val_loss=loss, status="ok" if ok else "diverged", epochs=epochs,
                 continued_from=start)


def result(trials: list[Trial], full: int | None = 10, charged: float = 0.0) -> SearchResult:
    return SearchResult(strategy="x", mode="default", seed=0, budget=10, trials=trials, seconds=0.0,
                        device="cpu", charged_evaluations=charged, full_epochs=full)


def test_the_pick_is_the_best_of_the_longest_trained_and_compute_adds_up():
    trials = [trial("a", 0.5, 1), trial("b", 0.2, 1), trial("c", None, 1), trial("b", 0.4, 5, start=1),
              trial("b", 0.3, 10, start=5), trial("d", 0.1, 1), trial("e", 0.25, 10)]
    spent, picks = incumbents(result(trials))
    np.testing.assert_allclose(spent, np.cumsum([cost(t, 10) for t in trials]))
    assert spent[-1] == pytest.approx(0.1 + 0.1 + 0.1 + 0.4 + 0.5 + 0.1 + 1.0)
    # a longer training outranks a shorter one: the 1-epoch 0.1 never displaces the full 0.3
    assert [p.val_loss for p in picks] == [0.5, 0.2, 0.2, 0.4, 0.3, 0.3, 0.25]
    assert picks[-1] is result(trials).best
    curve = best_by_compute(result(trials), 3)  # after 1 unit: the 5-epoch b; after 2: 0.3; after 3: 0.25
    np.testing.assert_allclose(curve, [0.4, 0.3, 0.25])


def test_a_full_fidelity_search_counts_one_unit_per_evaluation_and_pays_its_charge_first():
    trials = [trial("a", None), trial("b", 0.5), trial("c", 0.7), trial("d", 0.2)]
    curve = best_by_compute(result(trials, full=None), 6)
    np.testing.assert_array_equal(curve, [math.inf, 0.5, 0.5, 0.2, 0.2, 0.2])  # best so far, as before
    charged = best_by_compute(result(trials[1:2], full=None, charged=2.5), 6)
    assert np.isinf(charged[:3]).all() and (charged[3:] == 0.5).all()  # 2.5 + 1 is done by unit 4
    barely = best_by_compute(result(trials[1:2], full=None, charged=2 + 1e-10), 6)
    assert np.isinf(barely[:3]).all() and barely[3] == 0.5  # a charge is whole units, rounded up (as always)


def test_twenty_twentieths_are_one_unit():
    trials = [trial("a", 0.9 - k / 100, k, start=k - 1) for k in range(1, 21)]
    curve = best_by_compute(result(trials, full=20), 2)
    assert curve[0] == pytest.approx(0.9 - 0.2) and curve[1] == curve[0]


def test_plot_regret_draws_a_multi_fidelity_search_against_compute():
    runs = [nasbook.search("hyperband", budget=4, seed=s, evaluator=ToyEvaluator(epochs=10), progress=False)
            for s in range(2)]
    assert all(uses_fidelity(run) for run in runs)
    ax = plots.plot_regret(runs, label="hyperband", logy=False)
    assert ax.get_xlabel() == "evaluation-equivalents"
    xs = ax.lines[0].get_xdata()
    assert xs[-1] == max(math.ceil(run.spent - 1e-9) for run in runs) <= 4
    expected = np.mean([best_by_compute(run, len(xs)) for run in runs], axis=0)
    np.testing.assert_allclose(ax.lines[0].get_ydata(), expected)
    full = [nasbook.search("random", budget=4, seed=0, evaluator=ToyEvaluator(), progress=False)]
    assert plots.plot_regret(full, logy=False).get_xlabel() == "evaluations"
    drawn = plots.plot_regret(np.ones((2, 3)), x="evaluation-equivalents")  # the showdown's curves, labelled
    assert drawn.get_xlabel() == "evaluation-equivalents"
    with pytest.raises(nasbook.NasbookError, match="x"):
        plots.plot_regret(np.ones((2, 3)), x="trials")


def test_time_to_reach_is_when_the_pick_first_scores_the_target():
    from nasbook.experiments.anytime import time_to_reach

    trials = [trial("a", 0.5, 1), trial("b", 0.1, 1), trial("b", 0.3, 10, start=1), trial("c", 0.2, 10)]
    for seconds, t in zip([1.0, 2.0, 4.0, 8.0], trials):
        t.elapsed = seconds
    searched = result(trials)
    assert time_to_reach(searched, 0.5) == 1.0
    assert time_to_reach(searched, 0.1) == 2.0  # the 1-epoch 0.1 was the pick then (what stopping returns)
    assert time_to_reach(searched, 0.05) is None
    # only full trainings: the full 0.3 at 4 s, then the full 0.2 at 8 s
    assert time_to_reach(searched, 0.3, full=True) == 4.0 and time_to_reach(searched, 0.2, full=True) == 8.0
    assert time_to_reach(searched, 0.1, full=True) is None
