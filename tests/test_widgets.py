"""Headless tests of the dashboard and the space editor: set values, click, wait, check."""
import html
import math
import threading
import time

import pytest
import torch

import nasbook
from nasbook.loop.runlog import read_log
from nasbook.spaces.space import SearchSpace
from nasbook.evaluation.toy import ToyEvaluator
from nasbook.viz.widgets import LiveView, SearchDashboard, SpaceEditor

PNG = b"\x89PNG"


class SlowToy(ToyEvaluator):
    """A toy evaluator that takes a little time per trial, so Stop can land mid-search."""

    def train(self, arch, seed):
        time.sleep(0.03)
        return super().train(arch, seed)


class Broken(ToyEvaluator):
    def evaluate_many(self, *args, **kwargs):
        raise RuntimeError("the GPU caught fire")


def text(widget) -> str:
    """What an HTML widget shows, with entities decoded."""
    return html.unescape(widget.value)


def wait_until(condition, timeout=20.0):
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.01)


def test_run_button_searches_and_updates_plot_table_and_result():
    toy = ToyEvaluator(diverge=lambda a: a["learning_rate"] == 0.1)
    dash = SearchDashboard(evaluator=toy)
    dash.budget.value, dash.seed.value = 15, 3
    dash.run_button.click()
    assert dash.running or dash.result is not None  # click() returned without waiting
    result = dash.wait(timeout=30)
    assert result is dash.result and result.evaluations == 15 and result.seed == 3
    expected = nasbook.search("random", budget=15, seed=3, evaluator=ToyEvaluator(
        diverge=lambda a: a["learning_rate"] == 0.1), progress=False)
    assert [t.arch for t in result.trials] == [t.arch for t in expected.trials]
    assert dash.progress.value == dash.progress.max == 15
    assert bytes(dash.live.progress_plot.value).startswith(PNG)
    assert "Top" in text(dash.live.table) and f"{result.best_val_loss:.4g}" in text(dash.live.table)
    assert "finished" in dash.status.value and f"{result.failures} failed" in dash.status.value
    assert not dash.run_button.disabled and dash.stop_button.disabled
    assert dash.live.strategy_plot.layout.display == "none"  # random search has no own view


def test_a_multi_fidelity_search_fills_the_progress_bar_with_compute_not_trials():
    from nasbook.viz.widgets.live import progress_count

    dash = SearchDashboard(evaluator=ToyEvaluator(epochs=10), strategy="hyperband", budget=4)
    result = dash.run(timeout=30)
    assert len(result.trials) > 4  # many cheap trials: counting them would overfill the bar
    assert dash.progress.value == pytest.approx(result.spent) and result.spent <= dash.progress.max == 4
    assert dash.progress.description == f"{result.spent:.1f} eval-eq"
    assert "evaluation-equivalents" in dash.status.value
    first = result.trials[:3]
    assert progress_count(first, 10)[0] == pytest.approx(sum(t.epochs - t.continued_from for t in first) / 10)
    full = nasbook.search("random", budget=3, evaluator=ToyEvaluator(), progress=False).trials
    assert progress_count(full, None) == (3, "3 trials")


def test_stop_ends_the_search_early_and_keeps_finished_trials(tmp_path):
    dash = SearchDashboard(evaluator=SlowToy(), log_dir=tmp_path, budget=500)
    assert dash.start()
    assert dash.running  # the kernel thread is free while the search runs
    wait_until(lambda: dash.progress.value >= 3)
    dash.stop_button.click()
    result = dash.wait(timeout=20)
    assert not dash.running
    assert result.interrupted and 3 <= result.evaluations < 500
    assert "stopped" in dash.status.value
    assert dash.progress.value == result.evaluations
    logs = list(tmp_path.glob("*.jsonl"))
    assert len(logs) == 1
    header, trials, warnings = read_log(logs[0])
    assert [t.arch for t in trials] == [t.arch for t in result.trials] and not warnings
    assert bytes(dash.live.progress_plot.value).startswith(PNG)  # the final redraw happened


@pytest.mark.parametrize("field, value, words", [
    ("budget", 0, "budget=0"), ("budget", -5, "budget=-5"), ("seed", -1, "seed=-1"),
])
def test_bad_fields_show_a_message_and_train_nothing(field, value, words):
    toy = ToyEvaluator()
    dash = SearchDashboard(evaluator=toy)
    getattr(dash, field).value = value
    dash.run_button.click()
    assert words in text(dash.message) and "not allowed" in text(dash.message)
    assert dash._thread is None and toy.calls == 0 and dash.result is None


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU, so cuda is valid")
def test_unavailable_device_is_refused_before_training():
    dash = SearchDashboard(budget=2)
    dash.device.value = "cuda"
    assert dash.start() is False
    assert "device='cuda'" in text(dash.message) and dash._thread is None


def test_an_error_inside_the_search_is_shown_not_raised():
    dash = SearchDashboard(evaluator=Broken(), budget=3)
    dash.run()
    assert "the GPU caught fire" in text(dash.message) and dash.error
    assert dash.status.value == "failed" and dash.result is None
    assert not dash.run_button.disabled


def test_second_run_while_running_is_refused():
    dash = SearchDashboard(evaluator=SlowToy(), budget=100)
    dash.start()
    assert dash.start() is False and "already running" in text(dash.message)
    dash.stop()
    dash.wait(timeout=20)


def test_real_evaluator_run_and_cache_on_rerun():
    small = {"num_hidden_layers": [1, 2], "hidden_layer_size": [8, 16]}  # fast on a busy CPU
    dash = SearchDashboard(space=small, budget=2, protocol="seed", device="cpu")
    first = dash.run(timeout=120)
    assert first.evaluations == 2 and first.failures == 0 and first.cache_hits == 0
    second = dash.run(timeout=120)
    assert second.cache_hits == 2 and second.best_val_loss == first.best_val_loss
    assert dash.results == [first, second]


# -- the space editor ------------------------------------------------------------------------
def test_editor_size_updates_live_and_offers_more_choices():
    editor = SpaceEditor()
    assert editor.space == SearchSpace() and "3,600" in editor.size_label.value
    editor.buttons["optimizer"]["SGD"].value = False  # what a click does
    assert editor.space.size == 2400 and "2,400" in editor.size_label.value
    editor.toggle("activation_function", "GELU")
    assert editor.space.choices["activation_function"] == ["ReLU", "LeakyReLU", "Tanh", "GELU"]
    assert editor.space.size == 3200


def test_editor_refuses_to_empty_a_key_with_a_message():
    editor = SpaceEditor()
    seen = []
    editor.on_change(seen.append)
    for value in [1, 2, 3, 4, 5]:
        editor.toggle("num_hidden_layers", value)
    assert "needs at least one choice" in text(editor.message) and "num_hidden_layers" in text(editor.message)
    assert editor.space.choices["num_hidden_layers"] == [5]  # the last one stayed on
    assert editor.buttons["num_hidden_layers"][5].value is True
    assert len(seen) == 4 and seen[-1].size == 720  # the refused edit told no one
    editor.set_choices("optimizer", [])
    assert "space['optimizer']=[]" in text(editor.message)
    editor.set_choices("optimizer", ["Nadam"])
    assert "not allowed" in text(editor.message) and len(editor.space.choices["optimizer"]) == 3
    editor.toggle("optimizer", "SGD")  # a good edit clears the message
    assert editor.message.value == ""


def test_edited_space_feeds_the_dashboard():
    editor = SpaceEditor()
    dash = SearchDashboard(space=editor, evaluator=ToyEvaluator(editor.space), budget=12)
    editor.set_choices("num_hidden_layers", [2])
    assert "720" in dash.space_info.value
    result = dash.run(timeout=30)
    assert result.evaluations == 12
    assert {t.arch["num_hidden_layers"] for t in result.trials} == {2}


# -- the live view -----------------------------------------------------------------------------
RL_TRACE = [{"kind": "rl", "update": u, "probs": {"optimizer": [0.5, 0.3, 0.2]}} for u in range(3)]


def test_live_view_draws_the_strategy_view_and_throttles():
    view = LiveView(every=100)
    trials = nasbook.search("random", budget=5, evaluator=ToyEvaluator(), progress=False).trials
    assert view.update(trials, RL_TRACE, SearchSpace(), force=True)
    assert bytes(view.strategy_plot.value).startswith(PNG) and view.strategy_plot.layout.display is None
    assert "learned" in view.strategy_note.value
    assert view.update(trials, [], None) is False and view.redraws == 1  # throttled
    assert view.update(trials, [], None, force=True) and view.strategy_plot.layout.display == "none"
    for kind, entry in [("population", {"generation": 0, "scores": [1.0, math.inf]}),
                        ("darts", {"epoch": 0, "alphas": {"optimizer": [0.2, 0.5, 0.3]}})]:
        assert view.update(trials, [{"kind": kind, **entry}], SearchSpace(), force=True)
        assert bytes(view.strategy_plot.value).startswith(PNG)


def test_callback_runs_in_a_worker_thread():
    threads = []
    dash = SearchDashboard(evaluator=ToyEvaluator(), budget=3)
    original = dash.live.update

    def spy(*args, **kwargs):
        threads.append(threading.current_thread().name)
        return original(*args, **kwargs)

    dash.live.update = spy
    dash.run(timeout=30)
    assert threads and set(threads) == {"nasbook-search"}


def test_evolution_run_shows_its_population_view():
    dash = SearchDashboard(evaluator=ToyEvaluator(), budget=30)
    dash.strategy.value = "evolution"
    result = dash.run(timeout=30)
    assert result.strategy == "evolution" and result.trace
    assert bytes(dash.live.strategy_plot.value).startswith(PNG)
    assert dash.live.strategy_plot.layout.display is None


@pytest.mark.parametrize("name", sorted(nasbook.STRATEGIES))
def test_every_registered_strategy_runs_in_the_dashboard(name):
    dash = SearchDashboard(evaluator=ToyEvaluator(), budget=12, strategy=name)
    result = dash.run(timeout=60)
    assert not dash.run_button.disabled and dash.stop_button.disabled
    if result is None:  # a strategy that needs a real task (DARTS trains a supernet on it)
        assert "darts" in name and dash.error and "error" in text(dash.message)
    else:
        assert result.spent <= 12 + 1e-9 and dash.error is None  # evaluation-equivalents (k/E at a fidelity)
        assert bytes(dash.live.progress_plot.value).startswith(PNG)
