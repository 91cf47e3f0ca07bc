"""Headless tests of notebook 01's architecture explorer and notebook 04's evolution sliders:
set values as a click would, check what the widgets show."""
import html

import pytest

from nasbook import NasbookError, Protocol
from nasbook.evaluation.toy import ToyEvaluator
from nasbook.experiments.aging import evolution_curves
from nasbook.spaces.space import SearchSpace
from nasbook.strategies.evolution import Evolution
from nasbook.viz.widgets import ArchitectureExplorer, EvolutionExplorer

PNG = b"\x89PNG"
TINY = {"num_hidden_layers": [1, 2, 3], "hidden_layer_size": [4, 8, 16], "activation_function": ["ReLU", "Tanh"],
        "learning_rate": [0.1, 0.01], "optimizer": ["Adam"], "dropout_rate": [0.0]}


def png(image) -> bytes:
    """An Image widget's bytes (ipywidgets 7 keeps bytes, 8 a memoryview)."""
    return bytes(image.value)


def text(widget) -> str:
    return html.unescape(widget.value)


class CurveToy(ToyEvaluator):
    """The toy evaluator, with a short learning curve so the explorer has something to draw."""

    def train(self, arch, seed):
        trial = super().train(arch, seed)
        if trial.ok:
            trial.train_curve = [trial.val_loss * 2, trial.val_loss * 1.2]
            trial.val_curve = {"1": trial.val_loss * 1.5, "2": trial.val_loss}
        return trial


def test_explorer_trains_the_start_and_each_move():
    toy = CurveToy(SearchSpace(TINY), cache=True)
    explorer = ArchitectureExplorer(toy, TINY, start={"num_hidden_layers": 1, "hidden_layer_size": 8,
                                                      "activation_function": "Tanh", "learning_rate": 0.01})
    assert set(explorer.controls) == {"num_hidden_layers", "hidden_layer_size", "activation_function", "learning_rate"}
    assert explorer.fixed == {"optimizer": "Adam", "dropout_rate": 0.0}
    assert explorer.controls["num_hidden_layers"].description == "depth"
    assert png(explorer.plot).startswith(PNG) and len(explorer.tried) == 1 and toy.calls == 1
    first = explorer.plot.value
    explorer.controls["hidden_layer_size"].value = 16  # what a slider move does
    assert len(explorer.tried) == 2 and explorer.arch["hidden_layer_size"] == 16
    assert bytes(explorer.plot.value) != bytes(first)
    trial = explorer.set(activation_function="ReLU", num_hidden_layers=3)
    assert trial.arch == explorer.arch and len(explorer.tried) == 3  # set() trains once, at the end
    best = min(explorer.tried.values(), key=lambda t: t.score)
    table = text(explorer.table)
    assert "3 architectures tried" in table and f"{best.score:.4f}" in table
    assert table.index(f"{best.score:.4f}") == min(table.index(f"{t.score:.4f}") for t in explorer.tried.values())
    assert f"L_val = {trial.score:.4f}" in text(explorer.title)
    explorer.set(hidden_layer_size=16, activation_function="Tanh", num_hidden_layers=1)  # tried before: cached
    assert len(explorer.tried) == 3 and toy.calls == 3


def test_explorer_shows_a_failed_training_and_refuses_bad_input():
    toy = CurveToy(SearchSpace(TINY), diverge=lambda a: a["learning_rate"] == 0.1)
    explorer = ArchitectureExplorer(toy, TINY)
    explorer.set(learning_rate=0.1)
    assert "diverged" in text(explorer.title)
    with pytest.raises(NasbookError, match="key"):
        explorer.set(optimizer="SGD")  # fixed: no control
    with pytest.raises(NasbookError, match="evaluator"):
        ArchitectureExplorer("synthetic", TINY)


def test_explorer_with_real_training_draws_both_curves():
    from nasbook import Evaluator

    small = {"num_hidden_layers": [1, 2], "hidden_layer_size": [4, 8]}
    evaluator = Evaluator(task="synthetic", protocol=Protocol("curve", epochs=3, batch_size=None,
                                                              checkpoints=(1, 2, 3)), device="cpu")
    explorer = ArchitectureExplorer(evaluator, small)
    trial = explorer.set(num_hidden_layers=2)
    assert trial.ok and len(trial.train_curve) == 3 and png(explorer.plot).startswith(PNG)


def test_evolution_sliders_rerun_on_the_table_and_redraw():
    explorer = EvolutionExplorer(budget=30, seeds=2)
    assert png(explorer.plot).startswith(PNG) and list(explorer.curves) == ["aging evolution"]
    assert explorer.curves["aging evolution"].shape == (2, 30)
    assert "population 10, tournament 5" in text(explorer.summary)
    expected = evolution_curves(lambda: Evolution("default", 10, 5), 2, 30, explorer.table)
    assert (explorer.curves["aging evolution"] == expected).all()
    before = bytes(explorer.plot.value)
    explorer.tournament.value = 2  # what a slider move does
    assert "tournament 2" in text(explorer.summary) and bytes(explorer.plot.value) != before
    assert (explorer.curves["aging evolution"] == evolution_curves(
        lambda: Evolution("default", 10, 2), 2, 30, explorer.table)).all()
    explorer.kill_worst.value = True
    assert list(explorer.curves) == ["aging evolution", "kill the worst"] and "kill the worst" in text(explorer.summary)


def test_tournament_slider_follows_the_population():
    explorer = EvolutionExplorer(budget=20, seeds=1, population_size=8, sample_size=6)
    explorer.population.value = 3
    assert explorer.tournament.value == 3 and explorer.tournament.max == 3
    assert "population 3, tournament 3" in text(explorer.summary)
    explorer.population.value = 12
    assert explorer.tournament.max == 12 and explorer.tournament.value == 3
    assert "population 12, tournament 3" in text(explorer.summary)


@pytest.mark.parametrize("kwargs, field", [({"population_size": 1}, "population_size"),
                                           ({"sample_size": 11}, "sample_size"), ({"seeds": 0}, "seeds"),
                                           ({"population_size": 51, "sample_size": 5}, "population_size")])
def test_evolution_sliders_refuse_bad_settings(kwargs, field):
    with pytest.raises(NasbookError, match=field):
        EvolutionExplorer(budget=10, **kwargs)
