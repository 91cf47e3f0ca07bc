"""REINFORCE where everything can be checked: a two-key bandit, its gradient and its variance.

An "architecture" of a *two-key bandit* is one choice per key (say 3 activations × 2 depths),
and its reward ``R(a)`` is known: a small table. The policy is one softmax per key over logits
θ = (θ_1, θ_2), so ``p(a) = p_1(a_1) p_2(a_2)``: the article's zero-input controller in
miniature. Here the quantities REINFORCE only *estimates* have closed forms.

**The log-derivative trick.** ∇p = p ∇log p, so

    ∇θ E_p[R] = Σ_a R(a) ∇θ p(a) = Σ_a p(a) R(a) ∇θ log p(a) = E_p[R(a) ∇θ log p(a)],

and one sample gives the unbiased estimate ``g = R(a) ∇θ log p(a)`` (the article's update).
For a softmax, ``∇θ_k log p_k(a_k) = onehot(a_k) − p_k``.

**A baseline changes the variance, not the mean.** ``E_p[∇θ log p(a)] = Σ_a ∇θ p(a) = ∇θ 1 = 0``,
so ``(R(a) − b) ∇θ log p(a)`` has the same expectation for any b that does not depend on the
sample a. :func:`measure_variance` draws many samples and shows both facts: the two means
agree with the exact gradient within their intervals, and the variance drops.

:class:`BanditLearner` is the loop the widget (:mod:`nasbook.viz.widgets.bandit`) animates:
plain gradient ascent on θ with an optional moving-average baseline and entropy bonus.
:func:`reward_objectives` shows, on the tabular benchmark, what ``clip(−log L)`` optimises
compared with ``−L``.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
from scipy import stats

from nasbook.validation import check_float, check_int, fail

# a bandit with known rewards: −validation loss of 3 activations × 2 depths (made-up, loss-like numbers)
DEMO_KEYS = {"activation": ["ReLU", "LeakyReLU", "Tanh"], "depth": ["1", "3"]}
DEMO_REWARDS = -np.array([[0.30, 0.12], [0.28, 0.10], [0.45, 0.60]])


class Bandit:
    """Two keys with known rewards ``rewards[i, j]`` for choice i of key 1 and choice j of key 2.

    Args:
        rewards: a 2-D table of finite numbers (rows: key 1's choices, columns: key 2's).
        keys: optional names and choice labels, ``{"key": [label, ...], "key2": [...]}``.
    """

    def __init__(self, rewards: Any = DEMO_REWARDS, keys: dict[str, list[str]] | None = None) -> None:
        r = np.asarray(rewards, dtype=float)
        if r.ndim != 2 or r.size < 2 or not np.isfinite(r).all():
            raise fail("rewards", rewards, "a 2-D table of finite numbers with at least two entries")
        self.rewards = r
        if keys is None:
            keys = DEMO_KEYS if r.shape == DEMO_REWARDS.shape else {
                "key 1": [str(i) for i in range(r.shape[0])], "key 2": [str(j) for j in range(r.shape[1])]}
        if [len(v) for v in keys.values()] != list(r.shape):
            raise fail("keys", keys, f"two keys with {r.shape[0]} and {r.shape[1]} labels (the rewards' shape)")
        self.keys = {k: list(v) for k, v in keys.items()}
        self.sizes = list(r.shape)

    def zero_logits(self) -> np.ndarray:
        """θ of the uniform policy: one logit per choice of each key, concatenated."""
        return np.zeros(sum(self.sizes))

    def split(self, theta: np.ndarray) -> list[np.ndarray]:
        return [theta[: self.sizes[0]], theta[self.sizes[0]:]]

    def probabilities(self, theta: np.ndarray) -> list[np.ndarray]:
        """softmax of each key's logits."""
        return [np.exp(t - t.max()) / np.exp(t - t.max()).sum() for t in self.split(theta)]

    def expected_reward(self, theta: np.ndarray) -> float:
        p1, p2 = self.probabilities(theta)
        return float(p1 @ self.rewards @ p2)

    def exact_gradient(self, theta: np.ndarray) -> np.ndarray:
        """∇θ E_p[R], in closed form: for key k, p_k ⊙ (E[R | a_k] − E[R])."""
        p1, p2 = self.probabilities(theta)
        mean = p1 @ self.rewards @ p2
        return np.concatenate([p1 * (self.rewards @ p2 - mean), p2 * (p1 @ self.rewards - mean)])

    def sample(self, theta: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` architectures from the policy, as choice indices ``[n, 2]``."""
        return np.stack([rng.choice(len(p), size=n, p=p) for p in self.probabilities(theta)], axis=1)

    def score(self, theta: np.ndarray, actions: np.ndarray) -> np.ndarray:
        """∇θ log p(a) per row of ``actions``: onehot(a_k) − p_k for each key, concatenated."""
        parts = []
        for k, p in enumerate(self.probabilities(theta)):
            parts.append(np.eye(len(p))[actions[:, k]] - p)
        return np.concatenate(parts, axis=1)

    def reward(self, actions: np.ndarray) -> np.ndarray:
        return self.rewards[actions[:, 0], actions[:, 1]]


def entropy_gradient(bandit: Bandit, theta: np.ndarray) -> tuple[float, np.ndarray]:
    """The policy's entropy H (summed over keys) and ∇θ H (for a softmax: −p ⊙ (log p + H_k))."""
    total, grads = 0.0, []
    for p in bandit.probabilities(theta):
        logp = np.log(np.clip(p, 1e-300, 1.0))
        h = float(-(p * logp).sum())
        total += h
        grads.append(-p * (logp + h))
    return total, np.concatenate(grads)


@dataclass(frozen=True)
class EstimatorStats:
    """One estimator over many samples: its mean (with a per-component interval) and variance."""

    name: str
    mean: np.ndarray
    low: np.ndarray
    high: np.ndarray
    variance: float  # total variance: E‖g − E g‖², the sum of the components' variances

    def covers(self, exact: np.ndarray) -> bool:
        return bool(((self.low <= exact) & (exact <= self.high)).all())


@dataclass(frozen=True)
class VarianceReport:
    exact: np.ndarray  # ∇θ E[R], in closed form
    baseline: float
    without: EstimatorStats
    with_baseline: EstimatorStats
    ratio: float  # variance without / with the baseline
    ratio_low: float  # its bootstrap interval (samples resampled in pairs)
    ratio_high: float
    samples: int
    level: float = 0.95
    extra: dict[str, Any] = field(default_factory=dict)


def estimator_stats(name: str, grads: np.ndarray, level: float) -> EstimatorStats:
    """Mean and a t interval per component (Bonferroni over components), and total variance."""
    n, d = grads.shape
    mean = grads.mean(axis=0)
    se = grads.std(axis=0, ddof=1) / np.sqrt(n)
    half = stats.t.ppf(1 - (1 - level) / (2 * d), df=n - 1) * se
    return EstimatorStats(name, mean, mean - half, mean + half, float(grads.var(axis=0, ddof=1).sum()))


def measure_variance(bandit: Bandit | None = None, theta: Sequence[float] | None = None,
                     samples: int = 4000, baseline: float | None = None, level: float = 0.95,
                     seed: int = 0) -> VarianceReport:
    """Draw ``samples`` architectures; compare ``R ∇log p`` with ``(R − b) ∇log p`` on the same draws.

    ``baseline=None`` uses b = E_p[R] (a constant, so the estimator stays unbiased; nasbook's
    default mode tracks it with a moving average of past rewards).
    """
    bandit = bandit or Bandit()
    theta = bandit.zero_logits() if theta is None else np.asarray(theta, dtype=float)
    if theta.shape != (sum(bandit.sizes),):
        raise fail("theta", list(theta), f"{sum(bandit.sizes)} logits (one per choice of each key)")
    samples = check_int("samples", samples, 10, 10**7)
    level = check_float("level", level, 0.5, 1.0, high_open=True)
    rng = np.random.default_rng(seed)
    b = bandit.expected_reward(theta) if baseline is None else float(baseline)
    actions = bandit.sample(theta, samples, rng)
    score, r = bandit.score(theta, actions), bandit.reward(actions)
    plain, based = r[:, None] * score, (r - b)[:, None] * score
    without, with_b = estimator_stats("no baseline", plain, level), estimator_stats("baseline", based, level)
    # the variance ratio's interval: resample the draws (the pairs) and recompute both variances
    dev0 = ((plain - plain.mean(axis=0)) ** 2).sum(axis=1)
    dev1 = ((based - based.mean(axis=0)) ** 2).sum(axis=1)
    ci = stats.bootstrap((dev0, dev1), lambda x, y, axis=-1: x.mean(axis=axis) / y.mean(axis=axis),
                         paired=True, vectorized=True, n_resamples=999, confidence_level=level,
                         method="percentile", random_state=np.random.default_rng(seed))
    return VarianceReport(bandit.exact_gradient(theta), b, without, with_b, without.variance / with_b.variance,
                          float(ci.confidence_interval.low), float(ci.confidence_interval.high), samples, level)


class BanditLearner:
    """REINFORCE on a :class:`Bandit`: plain gradient ascent on θ, a batch of samples per step.

    Args:
        lr: step size on θ.
        baseline: subtract a moving average of past rewards (decay ``baseline_decay``).
        entropy_weight: adds ``entropy_weight · ∇H`` (keeps the policy from collapsing early).
        batch: samples per step; the step's *gradient variance* is their sample variance.
    """

    def __init__(self, bandit: Bandit | None = None, lr: float = 0.5, baseline: bool = True,
                 entropy_weight: float = 0.0, batch: int = 8, baseline_decay: float = 0.8, seed: int = 0) -> None:
        self.bandit = bandit or Bandit()
        self.lr = check_float("lr", lr, 0.0, 100.0)
        self.baseline = bool(baseline)
        self.entropy_weight = check_float("entropy_weight", entropy_weight, 0.0, 100.0)
        self.batch = check_int("batch", batch, 2, 10**5)
        self.baseline_decay = check_float("baseline_decay", baseline_decay, 0.0, 1.0, high_open=True)
        self.seed = seed
        self.reset()

    def reset(self) -> None:
        self.rng = np.random.default_rng(self.seed)
        self.theta = self.bandit.zero_logits()
        self.b: float | None = None
        self.history: list[list[np.ndarray]] = [self.bandit.probabilities(self.theta)]
        self.variances: list[float] = []  # per step: total sample variance of the per-sample gradients
        self.expected: list[float] = [self.bandit.expected_reward(self.theta)]

    def step(self) -> np.ndarray:
        """One update from ``batch`` samples; returns the gradient estimate used."""
        actions = self.bandit.sample(self.theta, self.batch, self.rng)
        r = self.bandit.reward(actions)
        if self.baseline and self.b is None:
            self.b = float(r.mean())
        advantage = r - (self.b if self.baseline else 0.0)
        per_sample = advantage[:, None] * self.bandit.score(self.theta, actions)
        grad = per_sample.mean(axis=0)
        if self.entropy_weight:
            grad = grad + self.entropy_weight * entropy_gradient(self.bandit, self.theta)[1]
        self.theta = self.theta + self.lr * grad
        if self.baseline:
            self.b = self.baseline_decay * self.b + (1 - self.baseline_decay) * float(r.mean())
        self.variances.append(float(per_sample.var(axis=0, ddof=1).sum()))
        self.history.append(self.bandit.probabilities(self.theta))
        self.expected.append(self.bandit.expected_reward(self.theta))
        return grad

    def run(self, steps: int) -> None:
        for _ in range(check_int("steps", steps, 0, 10**6)):
            self.step()


@dataclass(frozen=True)
class RewardObjectives:
    """What each reward ranks best on a table, and how much the two rankings agree."""

    best_neg_loss: dict[str, Any]  # argmax of E[−L] over the seeds (the article's reward)
    best_clip_log: dict[str, Any]  # argmax of E[clip(−log L, −R, R)] (default mode's; a failure: −R)
    spearman: float  # rank correlation of the two scores over all architectures
    top_overlap: int  # architectures shared by the two top-``k`` lists
    k: int


def reward_objectives(table: Any = None, bound: float = 7.0, k: int = 20) -> RewardObjectives:
    """Score every architecture of a tabular benchmark by both rewards, averaged over its seeds.

    −L averages the loss (an arithmetic mean; the article skips a diverged run); −log L averages
    its logarithm (a *geometric* mean: relative improvements count, 0.02 → 0.01 as much as
    2 → 1), clipped, with a diverged run at −``bound``. Same argmax only if the two agree.
    """
    from nasbook.tabular.table import load_table

    table = table or load_table()
    loss = table.val_loss  # (archs, seeds), NaN where a run diverged
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-diverged architecture: NaN, then −inf
        neg = np.nanmean(-loss, axis=1)
        clip = np.where(np.isnan(loss), -bound, np.clip(-np.log(np.maximum(loss, 1e-300)), -bound, bound)).mean(axis=1)
    neg = np.where(np.isnan(neg), -np.inf, neg)
    rho = stats.spearmanr(neg, clip).statistic
    top = set(np.argsort(-neg)[:k]) & set(np.argsort(-clip)[:k])
    return RewardObjectives(table.space.at(int(np.argmax(neg))), table.space.at(int(np.argmax(clip))), float(rho),
                            len(top), k)
