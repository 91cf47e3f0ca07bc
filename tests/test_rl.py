"""The REINFORCE controller, both modes: budgets, determinism, learning, and failures."""
import math

import pytest
import torch

import nasbook
from nasbook import NasbookError
from nasbook.strategies import REINFORCE
from nasbook.evaluation.toy import ToyEvaluator

MODES = ("seed", "default")


@pytest.mark.parametrize("mode", MODES)
def test_budget_space_determinism_and_trace(mode):
    toy = ToyEvaluator()
    a = nasbook.search("rl", mode=mode, evaluator=toy, budget=22, seed=7, progress=False)
    b = nasbook.search("rl", mode=mode, evaluator=ToyEvaluator(), budget=22, seed=7, progress=False)
    assert a.evaluations == 22 == toy.calls
    assert all(toy.space.validate(t.arch) for t in a.trials)
    assert [t.arch for t in a.trials] == [t.arch for t in b.trials]
    assert a.trace == b.trace
    updates = 22 if mode == "seed" else math.ceil(22 / 4)  # one arch per update vs a batch of 4
    assert [e["update"] for e in a.trace] == list(range(updates + 1))  # entry 0 = the initial policy
    for entry in a.trace:
        assert set(entry["probs"]) == set(toy.space.keys)
        for key, probs in entry["probs"].items():
            assert len(probs) == len(toy.space.choices[key]) and abs(sum(probs) - 1) < 1e-5
    assert a.trace[0]["probs"] != a.trace[-1]["probs"]  # the policy moved


def test_seed_mode_is_the_article_update():
    strategy = REINFORCE(mode="seed")  # the old name of "article"
    assert strategy.mode == "article" and strategy.batch_size is None and strategy.lr is None  # stored as given
    assert strategy.setting("batch_size") == 1 and strategy.setting("lr") == 0.01  # the mode's defaults
    result = nasbook.search(strategy, evaluator=ToyEvaluator(), budget=5, seed=0, progress=False)
    assert [e["rewards"] for e in result.trace[1:]] == [[-t.val_loss] for t in result.trials]
    assert all(e["baseline"] is None for e in result.trace)


def test_default_mode_learns_the_toy_optimum_more_often_than_random(count_optimum_hits):
    rl = count_optimum_hits("rl", "default", 150, seeds=range(12))
    random = count_optimum_hits("random", "default", 150, seeds=range(12))
    # measured: 9/12 seeds for the default controller, 0/12 for random search
    assert rl >= 6 and rl > random + 4


def test_default_reward_is_bounded():
    strategy = REINFORCE(reward_bound=5.0)
    toy = ToyEvaluator()
    strategy.setup(toy.space, 0)
    arch = toy.space.sample(strategy.rng)
    assert strategy.reward(nasbook.Trial(arch, 1e-9)) == 5.0
    assert strategy.reward(nasbook.Trial(arch, 1e9)) == -5.0
    assert strategy.reward(nasbook.Trial(arch, None, status="diverged")) == -5.0
    assert strategy.reward(nasbook.Trial(arch, 1.0)) == 0.0


@pytest.mark.parametrize("mode", MODES)
def test_diverging_architectures_never_break_the_update(mode):
    toy = ToyEvaluator(diverge=lambda arch: arch["learning_rate"] == 0.1)
    strategy = REINFORCE(mode=mode)
    result = nasbook.search(strategy, evaluator=toy, budget=120, seed=0, progress=False)
    assert result.failures > 0
    assert result.best.ok and result.best.arch["learning_rate"] != 0.1
    assert all(torch.isfinite(p).all() for p in strategy.controller.parameters())
    for entry in result.trace:
        assert all(math.isfinite(p) for probs in entry["probs"].values() for p in probs)
        assert all(math.isfinite(r) for r in entry["rewards"])
    if mode == "seed":  # an episode with a diverged trial is skipped, never fed NaN
        assert sum(e["skipped"] for e in result.trace) == result.failures
    else:  # the bounded penalty teaches the controller to avoid learning_rate 0.1
        assert result.trace[-1]["probs"]["learning_rate"][0] < result.trace[0]["probs"]["learning_rate"][0]


def test_an_astronomical_loss_does_not_poison_the_seed_controller():
    class Huge(ToyEvaluator):
        def train(self, arch, seed):
            trial = super().train(arch, seed)
            trial.val_loss = 3e38  # finite, but reward x log-prob overflows float32
            return trial

    strategy = REINFORCE(mode="seed")
    result = nasbook.search(strategy, evaluator=Huge(), budget=6, seed=0, progress=False)
    assert all(torch.isfinite(p).all() for p in strategy.controller.parameters())
    assert all(math.isfinite(p) for e in result.trace for probs in e["probs"].values() for p in probs)
    assert len({tuple(t.arch.values()) for t in result.trials}) > 1  # still sampling, not collapsed to NaN


def test_bad_parameters_are_refused():
    with pytest.raises(NasbookError, match="batch_size=0"):
        REINFORCE(batch_size=0)
    with pytest.raises(NasbookError, match="lr=-1"):
        REINFORCE(lr=-1)
    with pytest.raises(NasbookError, match="mode='careful'"):
        REINFORCE(mode="careful")


@pytest.mark.parametrize("mode", MODES)
def test_a_real_diverging_architecture_never_breaks_the_controller(mode):
    space = {"num_hidden_layers": [1], "hidden_layer_size": [64], "activation_function": ["ReLU"],
             "learning_rate": [0.1, 0.01], "optimizer": ["SGD", "Adam"], "dropout_rate": [0.0]}
    strategy = REINFORCE(mode=mode)
    result = nasbook.search(strategy, space=space, protocol="seed", device="cpu", budget=12, seed=0, progress=False)
    assert any(t.status == "diverged" for t in result.trials)
    assert result.best.ok and math.isfinite(result.best_val_loss)
    assert all(torch.isfinite(p).all() for p in strategy.controller.parameters())


# -- the estimator on a bandit with known rewards (nasbook.experiments.reinforce) --------------
def test_baseline_keeps_the_mean_and_lowers_the_variance():
    import numpy as np
    from nasbook.experiments.reinforce import Bandit, measure_variance

    bandit = Bandit()
    theta = np.array([0.3, -0.2, 0.1, 0.5, -0.5])  # not uniform: the claim holds for any policy
    report = measure_variance(bandit, theta, samples=4000, seed=1)
    assert report.without.covers(report.exact) and report.with_baseline.covers(report.exact)  # both unbiased
    assert report.ratio_low > 1.5 and report.with_baseline.variance < report.without.variance
    assert report.baseline == pytest.approx(bandit.expected_reward(theta))
    # the closed form is the gradient: compare with a central difference of E[R]
    e = np.eye(5) * 1e-6
    numeric = [(bandit.expected_reward(theta + d) - bandit.expected_reward(theta - d)) / 2e-6 for d in e]
    assert np.allclose(bandit.exact_gradient(theta), numeric, atol=1e-8)


def test_score_has_mean_zero_and_bad_input_is_refused():
    import numpy as np
    from nasbook.experiments.reinforce import Bandit, measure_variance

    bandit = Bandit([[1.0, 2.0, 3.0]], keys={"a": ["x"], "b": ["p", "q", "r"]})
    theta = np.array([0.0, 1.0, 0.0, -1.0])
    p = bandit.probabilities(theta)[1]
    exact_mean_score = sum(p[j] * bandit.score(theta, np.array([[0, j]]))[0] for j in range(3))
    assert np.allclose(exact_mean_score, 0)  # E[∇ log p] = 0: why any constant baseline is unbiased
    with pytest.raises(NasbookError, match="rewards="):
        Bandit([[1.0, float("nan")]])
    with pytest.raises(NasbookError, match="theta="):
        measure_variance(bandit, theta=[0.0, 1.0])


def test_bandit_learner_finds_the_best_arm_and_reward_objectives_agree_on_the_table():
    from nasbook.experiments.reinforce import BanditLearner, reward_objectives

    learner = BanditLearner(lr=0.5, baseline=True, seed=0)
    learner.run(150)
    p1, p2 = learner.history[-1]
    assert p1.argmax() == 1 and p2.argmax() == 1  # LeakyReLU, depth 3: the largest reward
    assert learner.expected[-1] > learner.expected[0]
    again = BanditLearner(lr=0.5, baseline=True, seed=0)
    again.run(150)
    assert again.variances == learner.variances  # seeded
    objectives = reward_objectives()
    assert objectives.best_neg_loss == objectives.best_clip_log and objectives.spearman > 0.9


def test_marginals_by_sampling_match_article_conditionals_and_leave_the_search_stream_alone():
    import matplotlib
    matplotlib.use("Agg")
    from nasbook.viz.plots import plot_rl_marginals

    toy = ToyEvaluator()
    rl = REINFORCE(mode="article")
    rl.setup(toy.space, seed=0, evaluator=toy)
    state = rl.generator.get_state()
    marginals = rl.marginals(samples=4000, seed=1)
    assert torch.equal(rl.generator.get_state(), state)  # the search's random stream is untouched
    greedy = rl.probabilities()
    for key in toy.space.keys:  # zero input: keys are independent, so marginals = conditionals
        assert sum(marginals[key]) == pytest.approx(1)
        assert max(abs(a - b) for a, b in zip(marginals[key], greedy[key])) < 0.05
    fig = plot_rl_marginals(greedy, marginals, space=toy.space)
    assert len(fig.axes) == len(toy.space.keys) and len(fig.axes[0].patches) == 2 * len(greedy[toy.space.keys[0]])
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["given the greedy path", "marginal (sampled)"]
    with pytest.raises(NasbookError, match="samples=0"):
        rl.marginals(samples=0)
