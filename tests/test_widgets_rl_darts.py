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
    assert w.plot.value.tobytes().startswith(PNG) and "step 0" in text(w.status)
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
