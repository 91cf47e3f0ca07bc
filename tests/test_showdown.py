"""The showdown's regret bookkeeping, on a small hand-made table (no training)."""
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nasbook.tabular import BENCH_PROTOCOL, BenchTable
from nasbook.tabular.build import empty_arrays, metadata
from nasbook.experiments.showdown import SHOWDOWN, available, regret_curve, showdown, split_name, summarise
from nasbook.loop.outer import search
from nasbook.loop.result import SearchResult
from nasbook.tabular.evaluator import TabularEvaluator
from nasbook.spaces.space import SearchSpace
from nasbook.trial import Trial

ROOT = Path(__file__).resolve().parents[1]
SPACE = {"num_hidden_layers": [1, 2, 3], "hidden_layer_size": [8, 16, 32, 64], "learning_rate": [0.1, 0.01, 0.001]}


@pytest.fixture(scope="module")
def table():
    """36 architectures with made-up scores: a smooth bowl plus seed noise, one always diverging."""
    space = SearchSpace(SPACE)
    arrays = empty_arrays(space.size, (0, 1, 2), BENCH_PROTOCOL)
    rng = np.random.default_rng(0)
    for i, arch in enumerate(space.enumerate()):
        idx = np.array(space.encode(arch))
        base = 0.1 + 0.05 * np.sum((idx - [1, 2, 1]) ** 2)
        arrays["val_curve"][i] = base + 0.01 * rng.random((3, 1)) + np.array([0.3, 0.2, 0.1, 0.0])
        arrays["train_curve"][i] = base
        arrays["seconds"][i], arrays["steps"][i] = 0.5, 10
        arrays["params"][i], arrays["latency"][i] = 100 * (i + 1), 1e-5 * (i + 1)
    arrays["status"][0] = 1  # architecture 0 diverges with every seed
    arrays["done"][:] = True
    return BenchTable(arrays, metadata(space, "synthetic", BENCH_PROTOCOL, (0, 1, 2)))


def make_result(table, indices, charged=0.0):
    trials = [table.trial(table.space.decode(np.unravel_index(i, table.shape)), 0) for i in indices]
    return SearchResult(strategy="x", mode="default", seed=0, budget=10, trials=trials, seconds=0.0,
                        device="cpu", charged_evaluations=charged)


def test_regret_curve_follows_the_incumbent(table):
    best = table.index(table.optimum_arch)
    curve = regret_curve(make_result(table, [0, 5, best, 7]), table, budget=6)
    assert math.isinf(curve[0])  # the first trial diverged: nothing found yet
    assert curve[1] == pytest.approx(table.mean_val_loss[5] - table.optimum)
    assert curve[2] == curve[3] == curve[5] == 0.0  # best found; stays found
    charged = regret_curve(make_result(table, [best], charged=3.5), table, budget=6)
    assert np.isinf(charged[:4]).all() and charged[4] == 0.0  # supernet paid first


def test_summarise_median_and_iqr():
    curves = np.array([[3.0, 1.0], [2.0, 2.0], [1.0, np.inf], [0.0, 0.0]])
    out = summarise(curves, [1, 2])
    assert out["median_regret"]["1"] == 1.5 and out["iqr_regret"]["1"] == pytest.approx(1.5)
    assert out["median_regret"]["2"] == 1.5 and out["iqr_regret"]["2"] is None  # inf quartile
    assert json.loads(json.dumps(out)) == out


def test_showdown_runs_strategies_and_reports_missing(table):
    out = showdown(["random", "local", "no-such/seed"], seeds=3, budget=20, table=table, checkpoints=(10, 20, 50))
    assert set(out["strategies"]) == {"random", "local"} and "no-such/seed" in out["missing"]
    assert out["curves"]["local"].shape == (3, 20)
    assert set(out["strategies"]["local"]["median_regret"]) == {"10", "20"}
    assert out["simulated"]["random"] == pytest.approx(0.5 * 20, rel=0.3)  # ~0.5 s per fresh lookup
    again = showdown(["local"], seeds=3, budget=20, table=table, workers=2)
    assert np.array_equal(again["curves"]["local"], out["curves"]["local"])  # deterministic, any workers


def test_multi_fidelity_strategies_meet_the_others_at_equal_compute(table):
    from nasbook.experiments.showdown import run_one

    out = showdown(["random", "hyperband"], seeds=3, budget=12, table=table, checkpoints=(5, 12))
    assert out["x"] == "evaluation-equivalents" and out["curves"]["hyperband"].shape == (3, 12)
    assert showdown(["random"], seeds=1, budget=5, table=table, checkpoints=(5,))["x"] == "evaluations"
    result = search("hyperband", space=table.space, budget=12, seed=1, evaluator=TabularEvaluator(table),
                    progress=False)
    assert len(result.trials) > 12  # many cheap trials: counting trials would flatter it
    curve = out["curves"]["hyperband"][1]
    assert curve[-1] == table.regret(result.best.arch)  # the pick: the best of the longest-trained
    assert tuple(out["picks"]["hyperband"][1]) == (table.index(result.best.arch), result.best.seed)
    assert np.array_equal(run_one("hyperband", 1, 12, table, records={})[0], curve)


def test_names_of_the_contract():
    assert SHOWDOWN == ("random", "local", "rl/article", "rl/default", "evolution/article", "evolution/default",
                        "darts/article", "darts/default", "optuna-tpe")
    assert split_name("rl/article") == ("rl", "article") and split_name("local") == ("local", "default")
    assert split_name("rl/seed") == ("rl", "article")  # the old name of the article's mode
    names, missing = available(SHOWDOWN)
    assert set(names) | set(missing) == set(SHOWDOWN)


def test_showdown_script_json_contract():
    out = subprocess.run([sys.executable, "benchmarks/showdown.py", "--seeds", "2", "--budget", "12",
                          "--strategies", "random,local", "--json"], cwd=ROOT, capture_output=True, text=True,
                         timeout=300, check=True)
    last = json.loads(out.stdout.strip().splitlines()[-1])
    assert last["budget"] == 12 and last["seeds"] == 2 and set(last["strategies"]) == {"random", "local"}
    assert set(last["strategies"]["random"]) == {"median_regret", "iqr_regret"}
    assert set(last["strategies"]["random"]["median_regret"]) == {"10"}
    assert set(last["test_loss"]) == {"random", "local"} and all(v > 0 for v in last["test_loss"].values())
    assert "median [inter-quartile range]" in out.stdout and "held-out test split" in out.stdout


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["article", "default"])
def test_recorded_darts_replays_exactly_like_the_real_run(table, mode):
    from nasbook.tabular import recorded
    from nasbook.experiments.showdown import run_one

    run = recorded.record_one(mode, 3, 0, table)
    assert run["charged"] > 0 and run["proposals"] and run["extra_steps"] > 0
    real_curve, real_clock, _, real_pick = run_one(f"darts/{mode}", 0, 3, table, records={})
    replayed, clock, _, pick = run_one(f"darts/{mode}", 0, 3, table, records={recorded.key(mode, 3, 0): run})
    assert np.array_equal(real_curve, replayed) and clock == real_clock and pick == real_pick


def test_showdown_runs_darts_once_per_checkpoint_budget(table):
    from nasbook.tabular import recorded

    records = {recorded.key("seed", n, s): {"charged": n - 1, "extra_steps": 1, "proposals": [s + 1]}
               for n in (10, 20) for s in range(2)}
    out = showdown(["darts/article"], seeds=2, budget=20, table=table, checkpoints=(10, 20), records=records)
    curves = out["curves"]["darts/article"]
    assert np.isnan(curves[:, :9]).all() and np.isfinite(curves[:, [9, 19]]).all()
    assert curves[1, 9] == pytest.approx(table.regret(table.space.decode(np.unravel_index(2, table.shape))))


def test_showdown_can_leave_unrecorded_darts_runs_out(table):
    from nasbook.tabular import recorded

    records = {recorded.key("seed", 10, 0): {"charged": 9, "extra_steps": 1, "proposals": [1]}}  # an old key
    out = showdown(["darts/article"], seeds=2, budget=10, table=table, checkpoints=(10,), records=records,
                   train_missing=False)
    assert out["runs"]["darts/article"] == {"10": 1}
    assert out["strategies"]["darts/article"]["median_regret"]["10"] == pytest.approx(
        table.regret(table.space.decode(np.unravel_index(1, table.shape))))


@pytest.fixture(scope="module")
def curve_table():
    """The article's whole space as a made-up learning-curve table (the default protocol: every epoch
    1..20, two seeds, test losses): a smooth bowl whose curves fall with the epochs."""
    from nasbook.tabular import CURVE_PROTOCOL

    space = SearchSpace()
    arrays = empty_arrays(space.size, (0, 1), CURVE_PROTOCOL, test=True)
    codes = np.array([space.encode(arch) for arch in space.enumerate()], dtype=float)
    base = 0.05 + 0.01 * ((codes - codes.mean(axis=0)) ** 2).sum(axis=1)
    epochs = np.arange(1, 21)
    noise = 0.002 * np.random.default_rng(0).random((space.size, 2, 1))
    arrays["val_curve"][:] = base[:, None, None] + noise + 0.5 / epochs
    arrays["test_curve"][:] = arrays["val_curve"] + 0.01
    arrays["train_curve"][:] = base[:, None, None] + 0.4 / epochs
    arrays["seconds"][:], arrays["steps"][:], arrays["done"][:] = 2.0, 260, True
    arrays["params"][:], arrays["latency"][:] = 1000, 1e-4
    return BenchTable(arrays, metadata(space, "synthetic", CURVE_PROTOCOL, (0, 1)))


def test_the_multi_fidelity_names_join_the_showdown():
    from nasbook.experiments.showdown import EVERY, MULTI_FIDELITY
    from nasbook.strategies import STRATEGIES

    assert MULTI_FIDELITY == ("sh", "hyperband", "bohb", "asha", "optuna-hyperband")
    assert EVERY == SHOWDOWN + MULTI_FIDELITY
    assert all(STRATEGIES[split_name(n)[0]].multi_fidelity for n in MULTI_FIDELITY)
    assert not any(STRATEGIES[split_name(n)[0]].multi_fidelity for n in SHOWDOWN)


def test_on_the_curve_table_darts_replays_its_recording_and_says_under_which_protocol(curve_table):
    from nasbook.tabular import recorded

    assert recorded.scorable(curve_table) and recorded.replay_note(load_seed_table()) == ""
    out = showdown(["darts/default", "hyperband", "random"], seeds=2, budget=10, table=curve_table,
                   checkpoints=(10,), train_missing=False)
    assert out["runs"]["darts/default"] == {"10": 2}  # replayed, not trained
    note = out["notes"]["darts/default"]
    assert "'bench'" in note and "'default'" in note and set(out["notes"]) == {"darts/default"}
    run = recorded.load_records()[recorded.key("default", 10, 0)]
    proposed = [curve_table.space.decode(np.unravel_index(i, curve_table.shape)) for i in run["proposals"]]
    assert out["strategies"]["darts/default"]["median_regret"]["10"] is not None
    assert out["curves"]["darts/default"][0, -1] in [curve_table.regret(a) for a in proposed]
    assert not recorded.scorable(make_fixture_space_table())  # another space: nothing to replay


def load_seed_table():
    from nasbook.tabular import load_table

    return load_table()


def make_fixture_space_table():
    space = SearchSpace(SPACE)
    arrays = empty_arrays(space.size, (0,), BENCH_PROTOCOL)
    return BenchTable(arrays, metadata(space, "synthetic", BENCH_PROTOCOL, (0,)))


def test_a_table_with_test_losses_gives_the_picks_test_loss_without_retraining(curve_table):
    from nasbook.experiments.heldout import pick_test_losses

    out = showdown(["random", "sh"], seeds=3, budget=6, table=curve_table, checkpoints=(6,))
    losses = pick_test_losses(out, curve_table)
    for name, picks in out["picks"].items():
        expected = [curve_table.test_loss(curve_table.space.decode(np.unravel_index(i, curve_table.shape)),
                                          curve_table.seeds.index(s)) for i, s in picks]
        np.testing.assert_array_equal(losses[name], expected)


def test_against_judges_every_strategy_against_a_baseline_at_a_budget(table):
    from nasbook.experiments.showdown import against
    from nasbook.experiments.stats import judge
    from nasbook import NasbookError

    out = showdown(["random", "local", "hyperband"], seeds=8, budget=12, table=table, checkpoints=(6, 12))
    verdicts = against(out, "random", at=6)
    assert set(verdicts) == {"local", "hyperband"}
    expected = judge({f"{n} has lower regret than random at 6": (out["curves"][n][:, 5], out["curves"]["random"][:, 5])
                      for n in ("local", "hyperband")})
    assert [v.p_adjusted for v in verdicts.values()] == [v.p_adjusted for v in expected]
    assert against(out, "random")["local"].claim.endswith("at 12")
    with pytest.raises(NasbookError, match="baseline"):
        against(out, "nope")


def test_against_alone_is_each_pair_by_itself(table):
    from nasbook.experiments.showdown import against
    from nasbook.experiments.stats import compare

    out = showdown(["random", "local", "evolution"], seeds=8, budget=12, table=table, checkpoints=(12,))
    alone = against(out, "random", holm=False)
    for name, v in alone.items():
        assert v == compare(out["curves"][name][:, -1], out["curves"]["random"][:, -1],
                            f"{name} has lower regret than random at 12")
        assert v.p == v.p_adjusted
