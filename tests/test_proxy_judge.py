"""Zero-cost proxies judged against a truth: correlations, baselines, the cache, the warm start."""
import itertools

import numpy as np
import pytest

from nasbook.experiments import stats
from nasbook.experiments.proxy_judge import (CachedProxy, best_proxy, correlation, correlation_rows, difference_interval,
                                             judgement, table_truth, top_mask, warm_start_comparison)
from nasbook.experiments.proxy_scores import (BASELINES, SCORES_PATH, SEEDED, ProxyScores, cell_card, compute_scores,
                                              load_scores, proxy_batch, timed_scores)
from nasbook.loop.outer import search
from nasbook.spaces.cell import EDGE_KEYS, cell_expression, unique_cells
from nasbook.strategies.warm_start import WarmStart
from nasbook.tabular.evaluator import TabularEvaluator
from nasbook.tasks import make_task
from nasbook.validation import NasbookError
from table_helpers import fake_table

SMALL = {key: ["none", "conv_3x3"] for key in EDGE_KEYS}  # 64 cells


def small_cells():
    return [dict(zip(EDGE_KEYS, ops)) for ops in itertools.product(*SMALL.values())]


def fake_truth(cells):
    """A made-up loss of each cell's isomorphism class: more convolutions in its expression, lower."""
    expressions = [cell_expression(c) for c in cells]
    order = sorted(set(expressions))
    return np.array([2.0 - 0.1 * e.count("conv_3x3") - 1e-4 * order.index(e) for e in expressions])


def small_table(truth):
    """A table of the 64 small cells whose every run's loss is ``truth`` (2 seeds, 4 checkpoints)."""
    return fake_table(np.broadcast_to(truth[:, None, None], (len(truth), 2, 4)), space=SMALL)


def fake_scores(truth, seeds=(0, 1, 2), noise=0.5):
    """Scores whose synflow is the truth (reversed) plus seed noise, the rest unrelated."""
    cells = small_cells()
    scores = ProxyScores.empty(cells, seeds, "digits_images")
    rng = np.random.default_rng(0)
    for j in range(len(seeds)):
        scores.arrays["seeded"][:, j] = rng.normal(size=(len(cells), len(SEEDED)))
        scores.arrays["seeded"][:, j, SEEDED.index("synflow")] = -truth + noise * rng.normal(size=len(cells))
    scores.arrays["baselines"][:] = rng.normal(size=(len(cells), len(BASELINES)))
    scores.arrays["seconds"][:] = 0.01
    scores.arrays["calls"][:] = 1
    scores.done[:] = True
    return scores


def test_correlation_signs_infinities_and_missing_truth():
    truth = np.array([0.1, 0.2, 0.3, 0.4, np.inf, np.nan])
    assert correlation(-truth[:5], truth[:5]) == pytest.approx(1.0)  # lower loss, higher score: perfect
    assert correlation(truth[:5], truth[:5], "kendall") == pytest.approx(-1.0)
    proxy = np.array([4.0, 3.0, 2.0, 1.0, -np.inf, np.nan])  # -inf ranks last; the untrained cell is left out
    assert correlation(proxy, truth) == pytest.approx(1.0)
    with pytest.raises(NasbookError, match="proxy"):
        correlation(np.array([1.0, np.nan, 2.0, 3.0]), np.array([0.1, 0.2, 0.3, 0.4]))


def test_top_mask_keeps_the_best_fraction_of_trained_cells():
    truth = np.array([5.0, 1.0, np.nan, 3.0, 2.0, 4.0, 0.5, 6.0, 7.0, 8.0])
    assert np.flatnonzero(top_mask(truth, 0.3)).tolist() == [1, 4, 6]  # 30 % of the 9 trained
    assert top_mask(truth, 0.5).sum() == 4


def test_rows_and_judgement_find_the_informative_proxy_and_beat_the_baselines():
    truth = fake_truth(small_cells())
    rows = correlation_rows(fake_scores(truth, noise=0.05), truth)
    assert len(rows) == len(SEEDED + BASELINES) * 2 * 2 * 3  # proxies x scopes x methods x seeds
    assert best_proxy(rows) == "synflow"
    summary = judgement(rows)
    row = summary.loc["synflow all spearman"]
    assert row[("rho", "mean")] > 0.8 and row[("minus_params", "low")] > 0  # beats params on every seed
    params = summary.loc["params all kendall"]
    assert params[("minus_params", "mean")] == 0.0  # a baseline against itself
    assert (rows.loc[rows.scope == "top", "cells"] == round(0.1 * 64)).all()


def test_difference_interval_is_a_paired_bootstrap_over_cells():
    truth = fake_truth(small_cells())
    rng = np.random.default_rng(1)
    good, bad = -truth + 0.05 * rng.normal(size=64), rng.normal(size=64)
    gap = difference_interval(good, bad, truth, resamples=199)
    assert isinstance(gap, stats.Interval) and gap.low > 0.5 and gap.low <= gap.estimate <= gap.high
    assert difference_interval(good, bad, truth, resamples=199) == gap  # seeded


def test_warm_start_trains_the_scorers_picks_first_and_pays_for_them():
    cells = small_cells()
    truth = fake_truth(cells)
    table = small_table(truth)
    scorer = CachedProxy(fake_scores(truth, noise=0.0), "synflow")
    assert scorer.seconds == pytest.approx(0.02)  # building the network + the proxy
    warm = WarmStart(strategy="evolution", scorer=scorer, candidates=30, top=10, seconds_per_evaluation=0.1)
    result = search(warm, space=table.space, budget=20, seed=3, evaluator=TabularEvaluator(table), progress=False)
    assert result.charged_evaluations == pytest.approx(30 * 0.02 / 0.1)
    assert len(result.trials) == 20 - 6  # the charge takes its (whole) evaluations from the budget
    first = [t.val_loss for t in result.trials[:10]]
    assert first == sorted(first)  # the oracle's picks, best first
    assert result.strategy == "warm evolution"
    cold = search("evolution", space=table.space, budget=20, seed=3, evaluator=TabularEvaluator(table), progress=False)
    assert min(first) <= min(t.val_loss for t in cold.trials[:10])
    with pytest.raises(NasbookError, match="scorer"):
        WarmStart(strategy="random")


def test_warm_start_comparison_judges_paired_seeds():
    cells = small_cells()
    truth = fake_truth(cells)
    table = small_table(truth)
    out = warm_start_comparison(table, CachedProxy(fake_scores(truth, noise=0.0), "synflow"), "random", seeds=8,
                                budget=10, candidates=20, top=5, at=(5, 10))
    assert out["warm"].shape == out["cold"].shape == (8, 10)
    assert out["seconds_per_evaluation"] == 1.0 and out["charged_evaluations"] == pytest.approx(20 * 0.02)
    assert out["scoring_seconds"] == pytest.approx(20 * 0.02)
    assert np.isinf(out["warm"][:, 0]).all()  # the first unit went to scoring
    assert [v.outcome for v in out["verdicts"]][1] in (stats.FOR, stats.INCONCLUSIVE)
    assert (out["warm"][:, -1] <= out["cold"][:, -1]).mean() >= 0.5


def test_scores_are_cached_resumably_and_read_by_isomorphism_class(tmp_path):
    cells = unique_cells()[40:43]
    path = tmp_path / "scores.npz"
    whole = compute_scores(path, seeds=(0, 1), cells=cells, chunk=2, log=None)
    assert whole.done.all() and whole.seconds_per_cell("naswot") > 0
    again = load_scores(path)
    again.done[1] = False
    again.arrays["seeded"][1] = np.nan
    from nasbook.tabular.build import save_table
    save_table(str(path), again.arrays, again.meta)
    resumed = compute_scores(path, seeds=(0, 1), log=None)
    assert np.array_equal(resumed.arrays["seeded"], whole.arrays["seeded"])
    task = make_task("digits_images")
    live, _ = timed_scores(cells[2], task, 1, SEEDED)
    assert resumed.of(cells[2], "snip", 1) == np.float32(live["snip"])
    with pytest.raises(NasbookError, match="seeds"):
        compute_scores(path, seeds=(0,), log=None)
    X, y = proxy_batch(task, 5)
    assert len(X) == 64 and not np.array_equal(X, proxy_batch(task, 6)[0])


def test_the_cell_card_shows_everything_at_once():
    cells = small_cells()
    truth = fake_truth(cells)
    table = small_table(truth)
    arch = cells[-1]  # six 3x3 convolutions: the best of the fake table
    card = cell_card(arch, table, seeds=(0, 1))
    assert card["table_loss"] == pytest.approx(truth[-1]) and card["table_rank"] == 1 and card["table_size"] == 64
    assert set(card["proxies"]) == set(SEEDED) and len(card["per_seed"]["naswot"]) == 2
    assert card["params"] > 178 and card["flops"] > 0 and card["is_canonical"]
    dead = dict(arch, edge_1_0="none", edge_2_0="none")  # node 2's only live input is dead node 1
    alone = cell_card(dead)
    assert not alone["is_canonical"] and alone["table_loss"] is None and "none~1" in alone["canonical"]


@pytest.mark.skipif(not SCORES_PATH.exists(), reason="the proxy scores are not computed yet")
def test_the_shipped_scores_cover_every_unique_cell_and_match_a_recomputation():
    scores = load_scores()
    assert len(scores.archs) == 6466 and scores.seeds == [0, 1, 2]
    if scores.done.all():
        task = make_task("digits_images")
        for i in (17, 4000):
            live, _ = timed_scores(scores.archs[i], task, 2, SEEDED + BASELINES)
            assert scores.of(scores.archs[i], "naswot", 2) == np.float32(live["naswot"])
            assert scores.column("flops")[i] == live["flops"]
            for proxy in ("grad_norm", "snip"):  # batch norm on the batch's statistics, as recomputed
                assert scores.of(scores.archs[i], proxy, 2) == pytest.approx(live[proxy], rel=1e-5)


def test_a_constant_score_orders_nothing():
    truth = np.array([0.3, 0.1, 0.2, 0.4])
    assert correlation(np.ones(4), truth) == correlation(np.ones(4), truth, "kendall") == 0.0
    gap = difference_interval(-truth, np.ones(4), truth, resamples=99)
    assert gap.estimate == 1.0 and gap.low <= 1.0


def test_a_truth_of_the_wrong_length_is_refused():
    with pytest.raises(NasbookError, match="truth"):
        correlation_rows(fake_scores(np.zeros(64)), np.zeros(10))
