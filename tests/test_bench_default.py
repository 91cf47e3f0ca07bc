"""The learning-curve table (``default`` protocol, every epoch): building it stacked and in
resumable chunks, looking up any epoch, and the article-protocol table still answering as before."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from nasbook.cli import main
from nasbook.evaluation.protocols import Protocol, loss_function
from nasbook.evaluation.training import Evaluator
from nasbook.spaces.space import SearchSpace
from nasbook.tabular import CURVE_PATH, CURVE_PROTOCOL, BenchTable, build_file, load_table
from nasbook.tabular.build import load_arrays
from nasbook.validation import NasbookError

ROOT = Path(__file__).resolve().parents[1]
TINY = {"num_hidden_layers": [1, 2], "hidden_layer_size": [8, 16], "activation_function": ["ReLU"],
        "learning_rate": [0.1, 0.001], "optimizer": ["Adam", "SGD"], "dropout_rate": [0.0, 0.2]}
PROTOCOL = Protocol("default", epochs=3, batch_size=64, checkpoints=(1, 2, 3))
SEEDS = (0, 1, 2)
TOLERANCE = {"abs": 1e-3, "rel": 1e-2}  # stacked vs one by one: equal up to float rounding (docs/fast.md)
# ...which learning rates of 0.01 and 0.1 can amplify chaotically over 260 steps (docs/bench.md):
# both are valid trainings, but only runs at learning rates <= 0.001 are expected to match
TIMINGS = ("seconds", "epoch_seconds", "latency")  # measured, so never equal between builds


def build(path: Path, **kwargs) -> BenchTable:
    build_file(str(path), SearchSpace(TINY), "synthetic", PROTOCOL, SEEDS, **kwargs)
    return BenchTable.load(path)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> BenchTable:
    """32 architectures x 3 seeds x 3 epochs, built stacked for real (a few seconds)."""
    return build(tmp_path_factory.mktemp("curve") / "tiny.npz")


def retrain(table: BenchTable, arch: dict, seed_index: int) -> tuple:
    """One-by-one training with the table's protocol: the trial and the final test loss."""
    evaluator = Evaluator(task=table.task_name, protocol=table.protocol, device="cpu", cache=False, batched=False)
    trial, model = evaluator.fit(table.space.complete(arch), table.seeds[seed_index])
    task = evaluator.task
    with torch.no_grad():
        test = float(loss_function(task)(model.eval()(task.X_test), task.y_test))
    return trial, test


def check_sample(table: BenchTable, n: int, seed: int, widest: int = 512) -> None:
    """A seeded sample of runs (learning rate <= 0.001, width <= ``widest``) re-trains one by
    one to the table's numbers within TOLERANCE."""
    rng = np.random.default_rng(seed)
    fits = np.array([a["learning_rate"] <= 0.001 and a["hidden_layer_size"] <= widest
                     for a in table.space.enumerate()])
    runs = np.argwhere(table.done_runs & fits[:, None])
    for i, j in runs[rng.choice(len(runs), size=n, replace=False)]:
        arch = table.space.decode(np.unravel_index(int(i), table.shape))
        trained, test = retrain(table, arch, int(j))
        stored = table.trial(arch, int(j))
        assert trained.status == stored.status and trained.params == stored.params, arch
        assert trained.steps == stored.steps
        if stored.ok:
            assert list(trained.val_curve.values()) == pytest.approx(list(table.curve(arch, int(j))), **TOLERANCE)
            assert trained.train_curve == pytest.approx(stored.train_curve, **TOLERANCE)
            assert test == pytest.approx(table.test_loss(arch, int(j)), **TOLERANCE)


def test_tiny_table_records_every_epoch_and_was_built_stacked(tiny):
    assert tiny.complete and tiny.size == 32 and tiny.seeds == [0, 1, 2]
    assert tiny.meta["stacked"] and tiny.meta["format"] == 2 and tiny.meta["done_pairs"] == 96
    assert tiny.epochs == 3 and tiny.checkpoints == (1, 2, 3)
    ok = tiny.ok_runs
    for kind in ("val", "train", "test"):
        assert np.isfinite(tiny.arrays[f"{kind}_curve"][ok]).all(), kind
    assert (tiny.arrays["epoch_seconds"][ok] > 0).all() and (tiny.arrays["latency"] > 0).all()


def test_a_seeded_sample_retrains_to_the_table(tiny):
    check_sample(tiny, n=4, seed=16)


def test_lookups_at_every_epoch_agree_with_each_other(tiny):
    arch = tiny.space.decode([1, 1, 0, 1, 0, 1])
    for j in range(3):
        val, train = tiny.curve(arch, j), tiny.curve(arch, j, kind="train")
        for epoch in range(1, tiny.epochs + 1):
            short = tiny.trial(arch, j, epochs=epoch)
            assert short.val_loss == tiny.loss_at(arch, epoch, j) == val[epoch - 1]
            assert short.train_curve == pytest.approx(list(train[:epoch]))
            assert list(short.val_curve) == [str(e) for e in range(1, epoch + 1)]
            assert short.steps == 13 * epoch  # 800 training rows in batches of 64
            assert short.seconds == pytest.approx(tiny.trial(arch, j).seconds * epoch / tiny.epochs)
            assert tiny.loss_at(arch, epoch, j, kind="test") == tiny.curve(arch, j, kind="test")[epoch - 1]
    assert tiny.trial(arch, 2, epochs=3).val_loss == tiny.trial(arch, 2).val_loss
    assert np.array_equal(tiny.mean_loss_at(tiny.epochs), tiny.mean_val_loss)
    assert np.allclose(tiny.mean_loss_at(1), np.nanmean(tiny.arrays["val_curve"][:, :, 0], axis=1))


def test_a_run_that_diverged_later_was_fine_at_an_earlier_epoch(tiny):
    arrays = {k: v.copy() for k, v in tiny.arrays.items()}
    arch = tiny.space.decode([0, 0, 0, 0, 0, 0])
    i = tiny.index(arch)
    arrays["status"][i, 0] = 1  # diverged in epoch 2
    arrays["train_curve"][i, 0, 1:] = [np.inf, np.nan]
    arrays["val_curve"][i, 0, 1:] = np.nan
    table = BenchTable(arrays, tiny.meta)
    assert table.trial(arch, 0, epochs=1).ok and table.trial(arch, 0, epochs=1).val_loss == tiny.loss_at(arch, 1)
    assert table.trial(arch, 0, epochs=2).status == table.trial(arch, 0).status == "diverged"
    assert table.mean_loss_at(2)[i] == pytest.approx(np.mean(tiny.arrays["val_curve"][i, 1:, 1]))


def test_bad_epochs_seeds_and_kinds_are_refused_with_clear_errors(tiny):
    arch = tiny.space.decode([0] * 6)
    for epoch in (0, 4, 2.5, "2"):
        with pytest.raises(NasbookError, match="epoch"):
            tiny.loss_at(arch, epoch)
    with pytest.raises(NasbookError, match="epoch"):
        tiny.trial(arch, 0, epochs=4)
    for seed_index in (3, -1, "0"):
        with pytest.raises(NasbookError, match="seed_index"):
            tiny.curve(arch, seed_index)
    with pytest.raises(NasbookError, match="kind"):
        tiny.curve(arch, 0, kind="validation")


def test_an_interrupted_build_resumes_to_the_same_table(tiny, tmp_path):
    path = tmp_path / "resumed.npz"

    def stop_after_two(k: int, arrays: dict) -> None:
        if arrays["done"].sum() >= 2 * 16:  # two of the first round's chunks (16 runs each)
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        build(path, on_chunk=stop_after_two)
    partial = BenchTable.load(path)  # the finished chunks were saved before the interruption
    assert not partial.complete and partial.meta["done_pairs"] == 32
    assert partial.done_runs[:, :2].sum() == 32 and not partial.done_runs[:, 2].any()  # seeds come in rounds
    arch = partial.space.decode(np.unravel_index(int(np.flatnonzero(partial.built)[0]), partial.shape))
    with pytest.raises(NasbookError, match="seed_index"):
        partial.trial(arch, 2)
    with pytest.raises(NasbookError, match="table path"):  # another setup is refused, not mixed in
        build_file(str(path), SearchSpace(TINY), "synthetic", PROTOCOL, (0, 1))
    resumed = build(path)
    assert resumed.complete and resumed.meta["build_seconds"] > 0
    for key, column in tiny.arrays.items():
        if key not in TIMINGS:
            assert np.array_equal(resumed.arrays[key], column, equal_nan=True), key


def test_the_article_table_still_loads_and_answers_as_before():
    table = load_table()
    arrays = table.arrays
    assert table.meta["format"] == 1 and arrays["done"].ndim == 1 and table.complete
    rng = np.random.default_rng(3)
    for i in rng.choice(table.size, size=5, replace=False):
        arch = table.space.decode(np.unravel_index(int(i), table.shape))
        trial = table.trial(arch, 1)
        if trial.ok:
            assert trial.val_loss == float(arrays["val_curve"][i, 1, -1]) == table.loss_at(arch, 10, 1)
            assert trial.val_curve["5"] == table.loss_at(arch, 5, 1) == table.trial(arch, 1, epochs=5).val_loss
        assert trial.seconds == float(arrays["seconds"][i, 1]) and trial.steps == int(arrays["steps"][i, 1])
    with pytest.raises(NasbookError, match=r"\[1, 2, 5, 10\]"):
        table.loss_at(arch, 3)
    with pytest.raises(NasbookError, match="kind"):
        table.test_loss(arch)  # the article table recorded no test loss


def test_cli_builds_the_curve_table_and_a_rerun_continues(tmp_path):
    out = tmp_path / "cli.npz"
    args = ["bench", "build", "--protocol", "default", "--limit", "1", "--seeds", "1", "--out", str(out)]
    assert main(args) == 0
    again = subprocess.run([sys.executable, "-m", "nasbook", *args[:4], "--limit", "2", *args[6:]], cwd=ROOT,
                           check=True, capture_output=True, text=True, timeout=120)
    assert "2 of 3600" in again.stdout
    arrays, meta = load_arrays(str(out))
    assert arrays["done"][:2].all() and not arrays["done"][2:].any() and meta["stacked"]
    assert meta["protocol"]["checkpoints"] == list(range(1, 21))
    assert main([*args[:4], "--seeds", "2", *args[8:]]) == 2  # another setup: refused, not mixed in


# -- the shipped learning-curve table ------------------------------------------------------
@pytest.mark.skipif(not CURVE_PATH.exists(), reason="the learning-curve table is not built yet")
def test_shipped_curve_table_retrains_to_its_numbers():
    table = load_table(CURVE_PATH)
    assert table.protocol == CURVE_PROTOCOL and table.meta["stacked"] and len(table.seeds) >= 2
    assert table.space == SearchSpace() and table.task_name == "synthetic"
    check_sample(table, n=3, seed=2026, widest=256)  # up to 5 x 256: about a second each
