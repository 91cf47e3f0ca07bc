"""A two-key bandit to play REINFORCE with: baseline, entropy bonus and learning rate as toggles.

The "search space" is 3 activations × 2 depths with known rewards
(:data:`nasbook.experiments.reinforce.DEMO_REWARDS`), the policy one softmax per key. Press
*Learn* and watch the two keys' probabilities move and the gradient variance of each step
(the spread of the batch's per-sample estimates ``(R − b) ∇ log p``). Switch the baseline
off: the curves get noisier and the variance rises, but on average they still head the same
way — a baseline removes variance, not bias. Changing a setting starts again from the
uniform policy with the same seed, so two settings are compared on the same random draws.

Core ipywidgets only (the controls ipywidgets 7.7 and 8 share); the learning itself is
:class:`~nasbook.experiments.reinforce.BanditLearner`.
"""
from __future__ import annotations

import html

import ipywidgets as W
import numpy as np
from matplotlib.figure import Figure

from nasbook.experiments.reinforce import Bandit, BanditLearner
from nasbook.viz.widgets.live import render_png

LEARNING_RATES = [("0.1", 0.1), ("0.5", 0.5), ("2", 2.0)]


def draw_learner(learner: BanditLearner) -> Figure:
    """Per key, each choice's probability after every step; below, each step's gradient variance."""
    bandit = learner.bandit
    fig = Figure(figsize=(8.5, 2.6))
    steps = np.arange(len(learner.history))
    for k, (key, labels) in enumerate(bandit.keys.items()):
        ax = fig.add_subplot(1, 3, k + 1)
        probs = np.array([h[k] for h in learner.history])
        for j, label in enumerate(labels):
            ax.plot(steps, probs[:, j], label=label, marker="o" if len(steps) == 1 else None)
        ax.set_ylim(0, 1)
        ax.set_xlim(0, max(1, len(steps) - 1))
        ax.set_title(f"p({key})", fontsize="small")
        ax.set_xlabel("step", fontsize="small")
        ax.legend(fontsize="x-small", loc="upper left")
    ax = fig.add_subplot(1, 3, 3)
    if learner.variances:
        ax.plot(np.arange(1, len(learner.variances) + 1), learner.variances, color="tab:red")
        ax.set_yscale("log")
    ax.set_title("gradient variance per step", fontsize="small")
    ax.set_xlabel("step", fontsize="small")
    fig.tight_layout()
    return fig


class BanditWidget:
    """REINFORCE on a two-key bandit with known rewards; ``widget.learner`` holds the state."""

    def __init__(self, bandit: Bandit | None = None, steps: int = 25, seed: int = 0) -> None:
        self.bandit = bandit or Bandit()
        self.baseline = W.Checkbox(value=True, description="baseline")
        self.entropy = W.FloatSlider(value=0.0, min=0.0, max=0.5, step=0.05, description="entropy bonus")
        self.lr = W.ToggleButtons(options=LEARNING_RATES, value=0.5, description="learning rate")
        self.steps = W.IntSlider(value=steps, min=1, max=200, description="steps / click")
        self.seed = W.IntSlider(value=seed, min=0, max=20, description="seed")
        self.learn_button = W.Button(description="Learn", button_style="primary")
        self.reset_button = W.Button(description="Reset")
        self.plot = W.Image(format="png")
        self.status = W.HTML()
        self.learner = self._new_learner()
        for control in (self.baseline, self.entropy, self.lr, self.seed):
            control.observe(lambda change: self.reset(), names="value")
        self.learn_button.on_click(lambda button: self.learn())
        self.reset_button.on_click(lambda button: self.reset())
        table = self._reward_table()
        self.widget = W.VBox([
            W.HTML("<b>nasbook · REINFORCE on a two-key bandit</b>"), W.HTML(table),
            W.HBox([self.baseline, self.entropy, self.seed]), W.HBox([self.lr, self.steps]),
            W.HBox([self.learn_button, self.reset_button]), self.status, self.plot])
        self._draw()

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)

    def _new_learner(self) -> BanditLearner:
        return BanditLearner(self.bandit, lr=self.lr.value, baseline=self.baseline.value,
                             entropy_weight=self.entropy.value, seed=self.seed.value)

    def _reward_table(self) -> str:
        (k1, rows), (k2, cols) = self.bandit.keys.items()
        head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
        body = "".join(f"<tr><th>{html.escape(r)}</th>" + "".join(f"<td>{v:.2f}</td>" for v in self.bandit.rewards[i])
                       + "</tr>" for i, r in enumerate(rows))
        return (f"Known rewards R({html.escape(k1)}, {html.escape(k2)}):"
                f"<table><tr><th></th>{head}</tr>{body}</table>")

    def learn(self, steps: int | None = None) -> None:
        """Run ``steps`` (default: the slider's) REINFORCE steps and redraw."""
        self.learner.run(self.steps.value if steps is None else steps)
        self._draw()

    def reset(self) -> None:
        """Back to the uniform policy with the current settings."""
        self.learner = self._new_learner()
        self._draw()

    def _draw(self) -> None:
        learner = self.learner
        best = np.unravel_index(int(np.argmax(self.bandit.rewards)), self.bandit.rewards.shape)
        labels = [labels[i] for labels, i in zip(self.bandit.keys.values(), best)]
        p_best = float(np.prod([h[i] for h, i in zip(learner.history[-1], best)]))
        variance = f"{np.mean(learner.variances):.4f}" if learner.variances else "–"
        settings = (f"baseline {'on' if learner.baseline else 'off'}, entropy bonus {learner.entropy_weight:.2f}, "
                    f"learning rate {learner.lr:g}, seed {learner.seed}")
        self.status.value = (f"<i>{settings}</i><br>step {len(learner.variances)} · expected reward {learner.expected[-1]:.3f} "
                             f"(best possible {self.bandit.rewards.max():.2f}) · p(best = "
                             f"{html.escape(' + '.join(labels))}) = {p_best:.2f} · mean gradient variance {variance}")
        self.plot.value = render_png(draw_learner(learner))
