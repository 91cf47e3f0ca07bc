"""Headless tests of the notebook 03 and 05 widgets: construct, set values, click, check outputs."""
import html

import numpy as np
import pytest

from nasbook.viz.widgets import BanditWidget

PNG = b"\x89PNG"


def text(widget) -> str:
    return html.unescape(widget.value)


# -- 03: the two-key bandit ------------------------------------------------------------------
def test_bandit_learns_on_click_and_shows_probabilities_and_variance():
    w = BanditWidget(steps=30)
    assert bytes(w.plot.value).startswith(PNG) and "step 0" in text(w.status)  # bytes(): ipywidgets 7 and 8
    assert "LeakyReLU" in text(w.widget.children[1])  # the reward table
    w.learn_button.click()
    assert len(w.learner.variances) == 30 and "step 30" in text(w.status)
    assert w.learner.expected[-1] > w.learner.expected[0]
    w.learn_button.click()
    assert len(w.learner.history) == 61


def test_bandit_toggles_reset_and_the_baseline_lowers_the_variance():
    w = BanditWidget(steps=40)
    w.learn_button.click()
    with_baseline = np.mean(w.learner.variances)
    w.baseline.value = False  # a change starts again, same seed
    assert w.learner.variances == [] and "step 0" in text(w.status)
    w.learn_button.click()
    assert np.mean(w.learner.variances) > 2 * with_baseline
    w.lr.value = 2.0
    w.entropy.value = 0.2
    assert w.learner.lr == 2.0 and w.learner.entropy_weight == pytest.approx(0.2) and not w.learner.baseline
    w.learn_button.click()
    w.reset_button.click()
    assert len(w.learner.history) == 1


# -- 05: alpha sliders on a mixed op -----------------------------------------------------------
@pytest.fixture(scope="module")
def layer():
    from nasbook.viz.widgets import MixedLayer

    return MixedLayer(steps=150)


def test_mixing_sliders_move_the_output_and_the_gap(layer):
    import copy

    from nasbook.viz.widgets import MixingWidget

    w = MixingWidget(copy.deepcopy(layer))
    assert bytes(w.plot.value).startswith(PNG) and "softmax(α): ReLU 0.33" in text(w.status)
    uniform_gap, uniform_plot = w.gap(), w.plot.value
    assert uniform_gap > 0  # trained as a mix: throwing two ops away hurts
    w.sliders[1].value = 4.0  # Tanh dominates
    assert "keep Tanh" in text(w.status) and w.plot.value != uniform_plot
    for slider, value in zip(w.sliders, [-4.0, 4.0, -4.0]):
        slider.value = value
    assert abs(w.gap()) < 0.1 * uniform_gap  # near one-hot: the mix *is* the kept op
    mixed, single = w.layer.losses(w.alpha)
    assert f"gap {single - mixed:+.4f}" in text(w.status)


def test_training_at_a_one_hot_alpha_closes_the_gap_and_bad_ops_are_refused(layer):
    import copy

    from nasbook import NasbookError
    from nasbook.viz.widgets import MixedLayer, MixingWidget

    w = MixingWidget(copy.deepcopy(layer), train_steps=150)
    w.sliders[2].value = 4.0
    before = w.layer.losses(w.alpha)[1]
    w.train_button.click()
    assert w.layer.losses(w.alpha)[1] < before  # w adapted to the mix α describes
    with pytest.raises(NasbookError, match="ops="):
        MixedLayer(ops=["ReLU", "Swish?"])
