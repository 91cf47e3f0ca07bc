"""Headless tests of notebook 06's pictures (nasbook/viz/fidelity_plots.py) and its bracket
widget (nasbook/viz/widgets/brackets.py), on a hand-made learning-curve table."""
import html

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import nasbook  # noqa: E402
from nasbook import NasbookError  # noqa: E402
from nasbook.evaluation.protocols import Protocol  # noqa: E402
from nasbook.experiments.proxies import table_fidelities  # noqa: E402
from nasbook.spaces.space import SearchSpace  # noqa: E402
from nasbook.tabular import BenchTable, TabularEvaluator  # noqa: E402
from nasbook.tabular.build import metadata  # noqa: E402
from nasbook.viz.fidelity_plots import (plot_brackets, plot_learning_curves, plot_rank_correlation,  # noqa: E402
                                        plot_survivors, rung_frame)
from nasbook.viz.widgets import BracketExplorer  # noqa: E402

SPACE = {"num_hidden_layers": [1, 2, 3], "hidden_layer_size": [8, 16, 32, 64], "activation_function": ["ReLU", "Tanh"],
         "learning_rate": [0.1, 0.01, 0.001, 0.0001], "optimizer": ["Adam"], "dropout_rate": [0.0]}
EPOCHS = 9


def curve_table(seeds: int = 2) -> BenchTable:
    """96 architectures x ``seeds`` seeds, a loss after each of 9 epochs: architecture i ends at
    quality q_i; every fourth one is a slow starter (high early, good late)."""
    rng = np.random.default_rng(0)
    n = 96
    quality = rng.permutation(n) / n + 0.05
    slow = (np.arange(n) % 4 == 0)[:, None, None]
    e = np.arange(1, EPOCHS + 1)[None, None, :]
    val = quality[:, None, None] * (1 + np.where(slow, 3.0, 0.5) / e) + rng.normal(0, 0.005, (n, seeds, EPOCHS))
    arrays = {"val_curve": val, "test_curve": val * 1.1, "train_curve": val * 0.9,
              "status": np.zeros((n, seeds), dtype=np.int8), "seconds": np.ones((n, seeds)),
              "epoch_seconds": np.full((n, seeds), 1 / EPOCHS), "steps": np.full((n, seeds), 90),
              "params": np.arange(n) + 10, "latency": np.ones(n), "done": np.ones((n, seeds), dtype=bool)}
    protocol = Protocol("default", epochs=EPOCHS, batch_size=64, checkpoints=tuple(range(1, EPOCHS + 1)))
    return BenchTable(arrays, metadata(SearchSpace(SPACE), "synthetic", protocol, tuple(range(seeds))))


@pytest.fixture(scope="module")
def table():
    return curve_table()


def png(image) -> bytes:
    return bytes(image.value)  # ipywidgets 7 keeps bytes, 8 a memoryview


def test_learning_curves_and_rank_correlations_draw(table):
    archs = list(table.space.enumerate())[:30]
    fig, (a, b) = plt.subplots(1, 2)
    plot_learning_curves(table, archs, ax=a)
    assert len(a.lines) == 30 and a.get_yscale() == "log"
    rows = table_fidelities(table, epochs=[1, 3, 9], resamples=50)
    plot_rank_correlation(rows, ax=b)
    assert len(b.lines) >= 4  # two seeds x (whole space, top)
    plt.close(fig)


def test_rungs_are_read_from_the_trace_as_the_strategy_ran_them(table):
    result = nasbook.search("hyperband", evaluator=TabularEvaluator(table), space=table.space, budget=12, seed=0, progress=False)
    frame = rung_frame(result.trace)
    rungs = [e for e in result.trace if e.get("kind") == "rung"]
    assert len(frame) == len(rungs) and list(frame["trained"]) == [len(e["trials"]) for e in rungs]
    assert frame["bracket"].nunique() >= 2  # Hyperband hedges: several brackets
    zero = frame[frame["bracket"] == 0]
    assert list(zero["epochs"]) == [1, 3, 9] and list(zero["trained"]) == sorted(zero["trained"], reverse=True)
    assert (frame["promoted"] <= frame["trained"]).all()
    fig, (a, b) = plt.subplots(1, 2)
    plot_brackets(result.trace, ax=a)
    plot_survivors(result.trace, bracket=0, truth=table.regret, ax=b)
    first = rungs[0]
    dots = sum(len(c.get_offsets()) for c in b.collections)
    assert dots == sum(len(e["trials"]) for e in rungs if e["bracket"] == 0) + 1  # + the winner's star
    assert [t.get_text() for t in b.get_xticklabels()][0] == f"1 ep\n({len(first['trials'])})"
    plt.close(fig)
    empty = plot_survivors([], bracket=0)
    assert "no finished rung" in empty.get_title()


def test_the_widget_redraws_on_every_slider_and_reports_the_run(table):
    w = BracketExplorer(table, budget=12, eta=3, min_epochs=1)
    assert png(w.plot).startswith(b"\x89PNG")
    assert rung_frame(w.result.trace)["epochs"].iloc[:3].tolist() == [1, 3, 9]
    text = html.unescape(w.summary.value)
    assert "bracket 0:" in text and "1 ep" in text and "pick's regret" in text
    assert w.result.spent <= 12 + 1e-9
    before = png(w.plot)
    w.eta.value = 2  # a slider move re-runs the strategy
    assert png(w.plot) != before and rung_frame(w.result.trace)["epochs"].iloc[0] == 1
    assert w.result.trials[0].epochs == 1
    w.min_epochs.value = 3
    assert all(t.epochs >= 3 for t in w.result.trials)
    w.strategy.value = "sh"
    assert w.result.strategy == "sh" and rung_frame(w.result.trace)["bracket"].nunique() >= 1
    again = BracketExplorer(table, strategy="sh", budget=12, eta=2, min_epochs=3)
    assert [(t.arch, t.epochs) for t in again.result.trials] == [(t.arch, t.epochs) for t in w.result.trials]


def test_the_widget_refuses_bad_settings_naming_them(table):
    with pytest.raises(NasbookError, match="min_epochs"):
        BracketExplorer(table, min_epochs=9)  # the full fidelity: no bracket could halve
    with pytest.raises(NasbookError, match="strategy"):
        BracketExplorer(table, strategy="random")
    with pytest.raises(NasbookError, match="eta"):
        BracketExplorer(table, eta=1)
