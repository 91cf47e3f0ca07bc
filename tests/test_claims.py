"""The article's claims and their experiments, on a tiny hand-made table (a few retrainings)."""
import math

import numpy as np
import pytest
import torch

from nasbook import NasbookError
from nasbook.evaluation.protocols import loss_function
from nasbook.evaluation.training import Evaluator
from nasbook.experiments import claims, heldout, memory, subspaces
from nasbook.experiments.checklist import checklist, checklist_markdown
from nasbook.experiments.report import summary_markdown, val_vs_test, verdict_frame
from nasbook.experiments.showdown import NO_PICK, showdown
from nasbook.experiments.stats import AGAINST, FOR, INCONCLUSIVE
from nasbook.spaces.space import SearchSpace
from nasbook.tabular import BENCH_PROTOCOL, BenchTable
from nasbook.tabular.build import empty_arrays, metadata

SPACE = {"num_hidden_layers": [1, 2, 3], "hidden_layer_size": [8, 16, 32, 64], "learning_rate": [0.1, 0.01, 0.001]}
SIZES = {"small": {"num_hidden_layers": 2, "learning_rate": 0.01}, "broad": {}}  # 4 and 36 architectures


@pytest.fixture(scope="module")
def table():
    """36 architectures: a smooth bowl plus seed noise (made up; retrained picks really train)."""
    space = SearchSpace(SPACE)
    arrays = empty_arrays(space.size, (0, 1, 2), BENCH_PROTOCOL)
    rng = np.random.default_rng(0)
    for i, arch in enumerate(space.enumerate()):
        base = 0.1 + 0.05 * np.sum((np.array(space.encode(arch)) - [1, 2, 1]) ** 2)
        arrays["val_curve"][i] = base + 0.01 * rng.random((3, 1))
        arrays["train_curve"][i] = base
        arrays["seconds"][i], arrays["steps"][i], arrays["params"][i] = 0.5, 10, 100
    arrays["done"][:] = True
    return BenchTable(arrays, metadata(space, "synthetic", BENCH_PROTOCOL, (0, 1, 2)))


@pytest.fixture(scope="module")
def evidence(table):
    return claims.gather(table, seeds=6, budget=12, size_seeds=6, size_budget=4,
                         names=("random", "local", "evolution/default"), measure_memory=False, sizes=SIZES)


# -- the experiments --------------------------------------------------------------------
def test_sub_table_keeps_the_matching_rows(table):
    sub = subspaces.sub_table(table, {"num_hidden_layers": 2})
    assert sub.size == 12 and sub.space.choices["num_hidden_layers"] == [2]
    for arch in sub.space.enumerate():
        assert sub.mean_val_loss[sub.index(arch)] == table.mean_val_loss[table.index(arch)]
    assert subspaces.sub_table(table, {}) is table
    with pytest.raises(NasbookError, match="optimizer"):
        subspaces.sub_table(table, {"optimizer": "Adam"})
    with pytest.raises(NasbookError, match=r"one of \[1, 2, 3\]"):
        subspaces.sub_table(table, {"num_hidden_layers": 7})


def test_the_article_sizes_are_fixed_in_advance():
    space = SearchSpace()
    sizes = {name: int(np.prod([1 if k in fixed else len(v) for k, v in space.choices.items()]))
             for name, fixed in subspaces.SIZES.items()}
    assert sizes == {"small": 75, "medium": 300, "broad": 3600}


def test_pick_quantile_is_the_share_of_the_space_that_beats_the_pick(table):
    best = table.index(table.optimum_arch)
    assert subspaces.pick_quantile(table, best) == 0.0
    assert subspaces.pick_quantile(table, None) == 1.0
    worst = int(np.argmax(table.mean_val_loss))
    assert subspaces.pick_quantile(table, worst) == pytest.approx(35 / 36)


def test_size_experiment_runs_every_strategy_on_every_size(table):
    out = subspaces.size_experiment(table, names=("random", "local"), seeds=3, budget=4, sizes=SIZES)
    assert set(out) == {"small", "broad"} and set(out["small"]) == {"random", "local"}
    assert all(q.shape == (3,) and ((0 <= q) & (q <= 1)).all() for d in out.values() for q in d.values())


def test_recordings_apply_only_to_the_table_they_were_made_on(table):
    assert not subspaces.recorded_for(table, subspaces.SUBSPACE_RECORDS)  # another space


def test_showdown_keeps_each_seeds_pick(table):
    out = showdown(["random"], seeds=3, budget=8, table=table, checkpoints=(8,))
    picks = out["picks"]["random"]
    assert picks.shape == (3, 2) and (picks[:, 0] >= 0).all() and set(picks[:, 1]) <= {0, 1, 2}
    for seed, (index, _) in enumerate(picks):  # the pick is what the regret curve scores
        arch = table.space.decode(np.unravel_index(index, table.shape))
        assert out["curves"]["random"][seed, -1] == table.regret(arch)


def test_test_loss_retrains_the_pick_and_scores_the_test_split(table):
    arch = table.space.complete(table.space.decode(np.unravel_index(5, table.shape)))
    evaluator = Evaluator("synthetic", protocol=table.protocol, device="cpu", cache=False)
    trial, model = evaluator.fit(arch, 1)
    task = evaluator.task
    with torch.no_grad():
        expected = float(loss_function(task)(model.eval()(task.X_test), task.y_test))
    assert heldout.test_loss(table, 5, 1) == pytest.approx(expected, rel=1e-6)
    assert heldout.test_loss(table, 5, 1) == heldout.test_loss(table, 5, 1)  # cached, deterministic


def test_pick_test_losses_mark_missing_runs_and_no_pick(table):
    out = {"picks": {"a": np.array([[5, 0], list(NO_PICK), [5, 0]])},
           "curves": {"a": np.array([[0.1], [np.inf], [np.nan]])}}
    losses = heldout.pick_test_losses(out, table)["a"]
    assert np.isfinite(losses[0]) and math.isinf(losses[1]) and math.isnan(losses[2])
    assert heldout.distinct_picks(out) == 1


def test_memory_measures_one_epoch_of_each(monkeypatch):
    assert memory.largest_network(SearchSpace()) == {
        "num_hidden_layers": 5, "hidden_layer_size": 512, "activation_function": "ReLU",
        "learning_rate": 0.1, "optimizer": "Adam", "dropout_rate": 0.0}
    peak = memory.measure_here("network", "synthetic", "cpu", batch_size=None)
    assert peak["bytes"] >= 0 and "RSS" in peak["method"]
    with pytest.raises(NasbookError, match="what"):
        memory.peak_bytes("everything")


# -- the claims and their verdicts --------------------------------------------------------
def test_every_claim_names_its_experiment_and_says_why_when_untestable():
    for claim in claims.CLAIMS:
        assert claim.text and claim.experiment
        assert (claim.kind == "not testable") == bool(claim.not_testable)
    large = next(c for c in claims.CLAIMS if "large dataset" in c.text)
    assert large.kind == "not testable" and large.not_testable.startswith("not testable here because")


def test_weigh_on_a_real_tiny_run(evidence):
    findings = claims.weigh(evidence)
    by = {f.claim.text: f for f in findings}
    assert len(findings) == len(claims.CLAIMS)
    local = by["less likely to get stuck in local optima"]
    assert local.verdict is not None and local.verdict.n == 6 and local.on_test is not None
    assert by["best for broad spaces"].verdict is not None  # the size experiment ran
    assert by["best when compute is critical"].verdict is None and "not run here" in by[
        "best when compute is critical"].note  # no DARTS in this run
    assert by["the most memory-efficient"].note == "not measured in this run"
    adjusted = [f.verdict for f in findings if f.verdict is not None]
    assert all(v.p_adjusted >= v.p for v in adjusted)  # Holm across the set


def made_up(a_regret, b_regret, memory_bytes=(100, 100)):
    """Evidence whose numbers are chosen: 'local' vs 'evolution/default', and peak memory."""
    curves = {"evolution/default": np.asarray(a_regret, float)[:, None], "local": np.asarray(b_regret, float)[:, None]}
    out = {"seeds": len(a_regret), "budget": 1, "curves": curves, "missing": {}, "runs": {}}
    test = {name: c[:, 0] + 1.0 for name, c in curves.items()}
    peaks = {"supernet": {"bytes": memory_bytes[0], "method": "made up"},
             "network": {"bytes": memory_bytes[1], "method": "made up"}}
    return claims.Evidence(None, out, test, {}, 1, peaks)


LOCAL = [c for c in claims.CLAIMS if c.text in ("less likely to get stuck in local optima", "the most memory-efficient")]
LOW, HIGH = np.linspace(0.1, 0.2, 12), np.linspace(0.5, 0.6, 12)


@pytest.mark.parametrize("a, b, memory_bytes, outcomes", [
    (LOW, HIGH, (50, 100), (FOR, FOR)),
    (HIGH, LOW, (300, 100), (AGAINST, AGAINST)),
    (LOW, LOW[::-1], (105, 100), (INCONCLUSIVE, INCONCLUSIVE)),
])
def test_a_known_case_of_each_verdict(a, b, memory_bytes, outcomes):
    findings = claims.weigh(made_up(a, b, memory_bytes), LOCAL)
    assert tuple(f.verdict.outcome for f in findings) == outcomes
    assert findings[0].on_test.outcome == outcomes[0]  # the test losses move with the regrets here


def test_the_summary_is_generated_from_the_numbers():
    better = summary_markdown(claims.weigh(made_up(LOW, HIGH, (50, 100)), LOCAL))
    worse = summary_markdown(claims.weigh(made_up(HIGH, LOW, (300, 100)), LOCAL))
    assert better != worse
    assert "2 FOR, 0 AGAINST" in better and "0 FOR, 2 AGAINST" in worse
    assert "**The evidence supports** (2)" in better and "contradicts" in worse
    assert "ratio 0.50" in better and "ratio 3.00" in worse
    assert "2 of 2" not in better and "1 of 1 strategy comparisons get the same verdict" in better


def test_the_summary_shows_where_validation_and_test_disagree():
    ev = made_up(LOW, HIGH)
    ev.test["evolution/default"], ev.test["local"] = HIGH + 1, LOW + 1  # test says the opposite
    text = summary_markdown(claims.weigh(ev, LOCAL))
    assert "0 of 1 strategy comparisons get the same verdict" in text
    assert "FOR on validation, AGAINST on test" in text


def test_verdict_table_and_val_vs_test(evidence):
    findings = claims.weigh(evidence)
    frame = verdict_frame(findings)
    assert len(frame) == len(claims.CLAIMS) and set(frame["verdict"]) <= {FOR, AGAINST, INCONCLUSIVE, "not tested"}
    ranks, rho = val_vs_test(evidence)
    assert set(ranks.index) == {"random", "local", "evolution/default"}
    assert sorted(ranks["rank by test"]) == [1, 2, 3] and -1 <= rho.statistic <= 1


def test_checklist_is_filled_in_from_the_run(evidence):
    frame = checklist(evidence, claims.weigh(evidence))
    done = dict(zip(frame["practice"], frame["done"]))
    assert done["random search baseline"] == "yes"
    assert done["random sampling with weight sharing (baseline for one-shot methods)"] == "yes"  # no DARTS ran
    assert done["held-out test evaluation of the final picks"] == "yes"
    assert "seeds 0..5 for 3 of 3 strategies" in checklist_markdown(frame)
