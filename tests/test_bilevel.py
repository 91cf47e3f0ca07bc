"""Notebook 01's helpers: the landscape, the shrunken training split, the split losses, the plots."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from nasbook import Evaluator, NasbookError, Protocol  # noqa: E402
from nasbook.evaluation.toy import ToyEvaluator  # noqa: E402
from nasbook.experiments.bilevel import head_rows, landscape, split_losses  # noqa: E402
from nasbook.spaces.mlp import short_label  # noqa: E402
from nasbook.spaces.space import SearchSpace  # noqa: E402
from nasbook.tasks import make_task  # noqa: E402
from nasbook.viz.plots import plot_landscape, plot_training  # noqa: E402

GRID = {"num_hidden_layers": [1, 2, 3], "hidden_layer_size": [4, 8], "activation_function": ["Tanh"],
        "learning_rate": [0.01], "optimizer": ["Adam"], "dropout_rate": [0.0]}


def test_landscape_places_every_score_by_its_two_varying_keys():
    toy = ToyEvaluator(SearchSpace(GRID))
    scores = landscape(toy, SearchSpace(GRID), seeds=[0, 1])
    assert scores.shape == (2, 3, 2) and np.isfinite(scores).all()
    arch = {**{k: v[0] for k, v in GRID.items()}, "num_hidden_layers": 3, "hidden_layer_size": 8}
    assert scores[1, 2, 1] == toy.loss(arch)
    with pytest.raises(NasbookError, match="grid"):
        landscape(toy, SearchSpace({**GRID, "hidden_layer_size": [4]}), seeds=[0])


def test_head_rows_keeps_validation_and_test_whole():
    task = make_task("synthetic")
    small = head_rows(task, 40)
    assert len(small.X_train) == 40 and torch.equal(small.X_train, task.X_train[:40])
    assert small.X_val is task.X_val and small.X_test is task.X_test and small.name == "synthetic[:40]"
    with pytest.raises(NasbookError, match="rows"):
        head_rows(task, 0)


def test_split_losses_scores_the_trained_model_on_the_named_splits():
    task = head_rows(make_task("synthetic"), 40)
    evaluator = Evaluator(task=task, protocol=Protocol("short", epochs=5, batch_size=None), device="cpu")
    arch = {"num_hidden_layers": 1, "hidden_layer_size": 8, "activation_function": "Tanh",
            "learning_rate": 0.01, "optimizer": "Adam", "dropout_rate": 0.0}
    trial, model = evaluator.fit(arch, seed=0)
    losses = split_losses(model, task)
    assert set(losses) == {"train", "val"} and losses["val"] == pytest.approx(trial.val_loss)
    assert set(split_losses(model, task, ("test",))) == {"test"}
    with pytest.raises(NasbookError, match="split"):
        split_losses(model, task, ("holdout",))
    with pytest.raises(NasbookError, match="test split"):
        split_losses(model, _no_test(task), ("test",))


def _no_test(task):
    import dataclasses

    return dataclasses.replace(task, X_test=None, y_test=None)


def test_plots_and_label():
    toy = ToyEvaluator(SearchSpace(GRID))
    trial = toy.evaluate({k: v[0] for k, v in GRID.items()})
    trial.train_curve, trial.val_curve = [1.0, 0.5, 0.25], {"1": 1.2, "3": 0.4}
    fig, ax = plt.subplots()
    plot_training(trial, ax=ax, label="1×4")
    assert [len(line.get_xdata()) for line in ax.lines] == [3, 2] and "1×4 train loss (inner)" in ax.lines[0].get_label()
    fig, ax = plt.subplots()
    plot_landscape(np.array([[1.0, 0.5], [0.1, 2.0]]), [1, 2], [4, 8], ax=ax)
    star = ax.lines[-1]
    assert (star.get_xdata()[0], star.get_ydata()[0]) == (0, 1)  # column 0, row 1: the lowest
    plt.close("all")
    assert short_label({"num_hidden_layers": 2, "hidden_layer_size": 64, "activation_function": "ReLU"}) == "2×64   ReLU"
