"""The tabular benchmark: building, saving, reading, and the lookup evaluator."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import nasbook
from nasbook.tabular import BENCH_PROTOCOL, BenchTable, TabularEvaluator, build_table, load_table
from nasbook.cli import main
from nasbook.tabular.build import load_arrays, metadata, save_table
from nasbook.evaluation.training import Evaluator
from nasbook.spaces.space import SearchSpace
from nasbook.validation import NasbookError

ROOT = Path(__file__).resolve().parents[1]
TINY = {"num_hidden_layers": [1, 2], "hidden_layer_size": [8, 16], "activation_function": ["ReLU"],
        "learning_rate": [0.1, 0.01], "optimizer": ["Adam"], "dropout_rate": [0.0]}
DIVERGING = {"num_hidden_layers": 1, "hidden_layer_size": 64, "activation_function": "ReLU",
             "learning_rate": 0.1, "optimizer": "SGD", "dropout_rate": 0.0}


@pytest.fixture(scope="module")
def tiny_table(tmp_path_factory):
    """An 8-architecture table, 2 seeds, built for real (a couple of seconds)."""
    space = SearchSpace(TINY)
    arrays = build_table(space, seeds=(0, 1))
    path = tmp_path_factory.mktemp("bench") / "tiny.npz"
    save_table(str(path), arrays, metadata(space, "synthetic", BENCH_PROTOCOL, (0, 1)))
    return BenchTable.load(path)


def test_tiny_table_round_trips_and_matches_training(tiny_table):
    assert tiny_table.size == 8 and tiny_table.complete and tiny_table.seeds == [0, 1]
    arch = tiny_table.space.decode([1, 0, 0, 1, 0, 0])
    trained = Evaluator(protocol=BENCH_PROTOCOL, device="cpu").evaluate(arch, 1)
    looked_up = tiny_table.trial(arch, seed_index=1)
    assert looked_up.val_loss == pytest.approx(trained.val_loss, rel=1e-6)
    assert looked_up.val_curve.keys() == trained.val_curve.keys() == {"1", "2", "5", "10"}
    assert looked_up.train_curve == pytest.approx(trained.train_curve, rel=1e-6)
    assert looked_up.params == trained.params and looked_up.steps == trained.steps == 10
    assert looked_up.extras["latency"] > 0 and looked_up.seconds > 0


def test_true_score_and_regret(tiny_table):
    best = tiny_table.optimum_arch
    assert tiny_table.regret(best) == 0.0
    assert all(tiny_table.regret(a) >= 0 for a in tiny_table.space.enumerate())
    expected = np.nanmean(tiny_table.val_loss, axis=1)
    assert np.allclose(tiny_table.mean_val_loss, expected)
    assert len(tiny_table.frame()) == 8


def test_tabular_evaluator_is_deterministic_and_caches(tiny_table):
    arch = tiny_table.space.decode([0, 1, 0, 1, 0, 0])
    ev = TabularEvaluator(tiny_table)
    first = ev.evaluate(arch, seed=3)
    again = ev.evaluate(arch, seed=3)
    assert again.cached and again.seconds == 0 and again.val_loss == first.val_loss
    assert ev.clock == pytest.approx(first.seconds) and ev.lookups == 1
    assert first.extras["simulated_clock"] == pytest.approx(first.seconds)
    assert TabularEvaluator(tiny_table).evaluate(arch, seed=3).val_loss == first.val_loss
    # different search seeds draw different training seeds: both table seeds get used
    drawn = {TabularEvaluator(tiny_table).evaluate(arch, seed=s).seed for s in range(20)}
    assert drawn == {0, 1}


def test_tabular_evaluator_runs_a_search_and_rejects_foreign_archs(tiny_table):
    ev = TabularEvaluator(tiny_table)
    result = nasbook.search("random", space=tiny_table.space, budget=10, seed=0, evaluator=ev, progress=False)
    assert result.evaluations == 10
    assert ev.clock == pytest.approx(sum(t.seconds for t in result.trials))
    with pytest.raises(NasbookError, match="hidden_layer_size"):
        ev.evaluate({**tiny_table.space.decode([0] * 6), "hidden_layer_size": 999})


def test_partial_table_refuses_unbuilt_archs(tmp_path):
    space = SearchSpace(TINY)
    arrays = build_table(space, seeds=(0,), indices=[0, 1])
    save_table(str(tmp_path / "p.npz"), arrays, metadata(space, "synthetic", BENCH_PROTOCOL, (0,)))
    table = BenchTable.load(tmp_path / "p.npz")
    assert not table.complete and np.isinf(table.mean_val_loss[2:]).all()
    with pytest.raises(NasbookError, match="trained"):
        table.trial(space.decode([1, 1, 0, 1, 0, 0]))
    with pytest.raises(NasbookError, match="table path"):
        BenchTable.load(tmp_path / "missing.npz")


def test_cli_builds_a_partial_table_and_resumes(tmp_path):
    out = tmp_path / "cli.npz"
    args = ["bench", "build", "--limit", "2", "--seeds", "1", "--out", str(out)]
    assert main(args) == 0
    done = subprocess.run([sys.executable, "-m", "nasbook", *args[:3], "3", *args[4:], "--resume"], cwd=ROOT,
                          check=True, capture_output=True, text=True, timeout=120)
    assert "3 of 3600" in done.stdout
    arrays, meta = load_arrays(str(out))
    assert arrays["done"][:3].all() and not arrays["done"][3:].any() and meta["seeds"] == [0]
    assert main([*args[:3], "0", *args[4:]]) == 2  # refused before any training


# -- the shipped table ---------------------------------------------------------------------
def test_shipped_table_covers_the_whole_space():
    table = load_table()
    assert table.complete and table.space == SearchSpace() and len(table.seeds) >= 3
    assert table.protocol == BENCH_PROTOCOL and table.task_name == "synthetic"
    assert np.isfinite(table.optimum) and (table.arrays["latency"] > 0).all()
    assert (table.arrays["params"] > 0).all()
    diverging = table.index(DIVERGING)
    assert (table.arrays["status"][diverging] != 0).all()  # the known diverging arch diverged
    assert DEFAULT_SIZE_LIMIT > Path(nasbook.tabular.DEFAULT_PATH).stat().st_size


DEFAULT_SIZE_LIMIT = 5_000_000


def test_shipped_table_matches_retraining_a_random_sample():
    """Re-train a seeded random sample of (architecture, seed) entries from the whole table,
    chaotic corners (learning rate 0.1, 5 x 512) included: same code, same seed, same device
    give the same numbers, so they must match the table exactly."""
    table = load_table()
    rng = np.random.default_rng(2026)
    evaluator = Evaluator(task=table.task_name, protocol=table.protocol, device="cpu", cache=False)
    for _ in range(6):
        i, j = int(rng.integers(table.size)), int(rng.integers(len(table.seeds)))
        arch = table.space.decode(np.unravel_index(i, table.shape))
        trained, stored = evaluator.evaluate(arch, table.seeds[j]), table.trial(arch, j)
        assert trained.status == stored.status, arch
        assert trained.params == stored.params and trained.steps == stored.steps
        if stored.ok:
            assert trained.val_loss == pytest.approx(stored.val_loss, rel=1e-6), (arch, j)
            assert list(trained.val_curve.values()) == pytest.approx(list(stored.val_curve.values()), rel=1e-6)
            assert trained.train_curve == pytest.approx(stored.train_curve, rel=1e-6)
    lr_01 = [a for a in table.space.enumerate() if a["learning_rate"] == 0.1 and a["dropout_rate"] > 0
             and a["hidden_layer_size"] >= 256][::40][:3]  # the corner most sensitive to rounding
    for arch in lr_01:
        trained, stored = evaluator.evaluate(arch, table.seeds[0]), table.trial(arch, 0)
        assert trained.status == stored.status
        if stored.ok:
            assert trained.val_loss == pytest.approx(stored.val_loss, rel=1e-6), arch
