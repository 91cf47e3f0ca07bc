"""nasbook.experiments.stats: verdicts with a known answer, agreement with scipy, Holm, bootstrap."""
import math

import numpy as np
import pytest
from scipy import stats as sp

from nasbook import NasbookError
from nasbook.experiments import stats

RNG = np.random.default_rng(20260101)
BASE = RNG.lognormal(0.0, 0.5, 30)  # 30 seeds of a baseline's regret
CLEARLY_LOWER = BASE * 0.5          # half the regret on every seed
NOISE = BASE * RNG.lognormal(0.0, 0.3, 30)  # the same distribution, paired noise


def test_a_clear_improvement_is_FOR():
    v = stats.compare(CLEARLY_LOWER, BASE, "half the regret beats the baseline")
    assert v.outcome == stats.FOR
    assert v.effect < 0 and v.high < 0 and v.p < 1e-6
    assert v.n == 30 and v.ties == 0 and v.infs == 0


def test_a_clear_deterioration_is_AGAINST():
    v = stats.compare(BASE, CLEARLY_LOWER, "the baseline beats half its regret")
    assert v.outcome == stats.AGAINST and v.low > 0 and v.p < 1e-6


def test_paired_noise_is_INCONCLUSIVE():
    v = stats.compare(NOISE, BASE, "noise beats the baseline")
    assert v.outcome == stats.INCONCLUSIVE and v.p > 0.05 and v.low < 0 < v.high


def test_the_verdict_prints_effect_interval_and_p_in_one_sentence():
    text = str(stats.compare(CLEARLY_LOWER, BASE, "A beats B"))
    assert text.startswith("FOR: A beats B — median difference ")
    for words in ("95% bootstrap percentile interval", "Wilcoxon p = ", "30 seeds"):
        assert words in text, text
    v = stats.compare([1.0, 2, 3], [2.0, 3, 4])
    assert "INCONCLUSIVE" in str(v) and "Only 3 seed(s) differ" in str(v)


def test_the_verdict_is_frozen():
    v = stats.compare(CLEARLY_LOWER, BASE)
    with pytest.raises(AttributeError):
        v.outcome = stats.AGAINST


def test_the_paired_test_agrees_with_scipy():
    test = stats.paired_test(NOISE, BASE)
    ref = sp.wilcoxon(NOISE, BASE, zero_method="wilcox", alternative="two-sided")
    assert test.p == pytest.approx(ref.pvalue) and test.statistic == pytest.approx(ref.statistic)
    with_ties = np.where(np.arange(30) % 3 == 0, BASE, NOISE)
    ref = sp.wilcoxon(with_ties, BASE, zero_method="wilcox")
    test = stats.paired_test(with_ties, BASE)
    assert test.p == pytest.approx(ref.pvalue) and test.ties == 10 and test.informative == 20


def test_the_bootstrap_agrees_with_scipy_and_is_deterministic():
    ours = stats.median_interval(BASE, seed=7)
    ref = sp.bootstrap((BASE,), np.median, method="percentile", n_resamples=stats.N_RESAMPLES,
                       rng=np.random.default_rng(7)).confidence_interval
    assert (ours.low, ours.high) == pytest.approx((ref.low, ref.high))
    assert ours == stats.median_interval(BASE, seed=7)                # same seed, same interval
    assert ours != stats.median_interval(BASE, seed=8)                # another seed, another one
    assert stats.ratio_interval(NOISE, BASE, seed=3) == stats.ratio_interval(NOISE, BASE, seed=3)
    assert "percentile" in ours.method


def test_the_median_interval_covers_the_true_median():
    # exponential(1): true median ln 2; 40 seeded samples of 50 values each
    rng = np.random.default_rng(5)
    samples = [rng.exponential(1.0, 50) for _ in range(40)]
    intervals = [stats.median_interval(x, seed=i) for i, x in enumerate(samples)]
    covered = sum(iv.low <= math.log(2) <= iv.high for iv in intervals)
    assert covered >= 34  # nominal 95 %: 38 of 40 expected; far fewer would mean a wrong interval
    assert all(iv.low <= iv.estimate <= iv.high for iv in intervals)


def test_ratio_and_difference_of_medians():
    r = stats.ratio_interval(CLEARLY_LOWER, BASE)
    assert r.estimate == pytest.approx(0.5) and r.high < 1
    d = stats.median_difference_interval(CLEARLY_LOWER, BASE)
    assert d.estimate == pytest.approx(np.median(CLEARLY_LOWER - BASE))
    assert math.isnan(stats.ratio_interval([1.0, 2.0], [0.0, 0.0]).estimate)  # b's median 0: undefined


def test_holm_on_a_textbook_example():
    # Holm (1979)-style example: p = 0.01, 0.04, 0.03, 0.005 -> sorted 0.005, 0.01, 0.03, 0.04
    # times 4, 3, 2, 1 = 0.02, 0.03, 0.06, 0.04 -> running maximum 0.02, 0.03, 0.06, 0.06
    np.testing.assert_allclose(stats.holm([0.01, 0.04, 0.03, 0.005]), [0.03, 0.06, 0.06, 0.02])
    np.testing.assert_allclose(stats.holm([0.5, 0.9]), [1.0, 1.0])  # capped at 1
    assert stats.holm([]).size == 0
    with pytest.raises(NasbookError, match="pvalues"):
        stats.holm([0.1, 1.5])


def test_judge_adjusts_across_the_claims():
    weak = BASE * RNG.lognormal(-0.15, 0.4, 30)  # a small, borderline improvement
    single = stats.compare(weak, BASE, "weak")
    verdicts = stats.judge({"clear": (CLEARLY_LOWER, BASE), "weak": (weak, BASE), "noise": (NOISE, BASE)})
    assert [v.claim for v in verdicts] == ["clear", "weak", "noise"]
    raw = [v.p for v in verdicts]
    np.testing.assert_allclose([v.p_adjusted for v in verdicts], stats.holm(raw))
    assert verdicts[1].p == single.p and verdicts[1].p_adjusted >= single.p
    assert verdicts[0].outcome == stats.FOR and "Holm-adjusted" in str(verdicts[1])


def test_ties_and_all_equal_samples():
    v = stats.compare([1.0] * 10, [1.0] * 10, "equal")
    assert v.outcome == stats.INCONCLUSIVE and v.p == 1.0 and v.low == v.high == v.effect == 0
    assert v.ties == 10
    # 24 ties and 6 clear wins: significant, but the median difference is 0 -> INCONCLUSIVE
    a = np.concatenate([np.ones(24), np.full(6, 0.5)])
    b = np.ones(30)
    v = stats.compare(a, b, "mostly ties")
    assert v.outcome == stats.INCONCLUSIVE and v.ties == 24 and v.p < 0.05
    assert "includes 0" in v.note


def test_fewer_than_six_differing_seeds_cannot_decide():
    five = stats.compare([0.1] * 5, [1.0] * 5, "five wins")
    assert five.outcome == stats.INCONCLUSIVE and five.p == pytest.approx(0.0625)
    six = stats.compare([0.1] * 6, [1.0] * 6, "six wins")  # p = 2/64: the first that can decide
    assert six.outcome == stats.FOR and six.p == pytest.approx(0.03125)


def test_inf_means_never_finished_and_ranks_worst():
    a = [0.1, 0.2, 0.3, 0.1, 0.2, 0.3, 0.1, 0.2]
    b = [0.5, 0.6, math.inf, 0.5, 0.6, math.inf, 0.5, 0.6]
    v = stats.compare(a, b, "a beats a strategy that sometimes never finished")
    assert v.outcome == stats.FOR and v.infs == 2 and "never finished" in str(v)
    assert math.isfinite(v.effect)
    (pa, pb), n = stats.finite_with_penalty(a, b)
    assert n == 2 and pb.max() > max(a + [0.6])
    assert stats.compare([math.inf] * 7, [math.inf] * 7).ties == 7  # both never finished: a tie
    with pytest.raises(NasbookError, match="NaN"):
        stats.compare([1.0, float("nan")], [1.0, 2.0])
    with pytest.raises(NasbookError, match="as many values"):
        stats.paired_test([1.0, 2.0], [1.0])


def test_rank_correlation_interval_is_spearman_with_a_seeded_bootstrap():
    rng = np.random.default_rng(0)
    x = rng.normal(size=300)
    y = x + rng.normal(size=300)
    y[:5] = np.inf  # failures have no rank: dropped, as in proxies.rank_correlation
    ci = stats.rank_correlation_interval(x, y, resamples=199, seed=1)
    assert ci.estimate == pytest.approx(sp.spearmanr(x[5:], y[5:])[0])
    assert ci.low < ci.estimate < ci.high and ci.high - ci.low < 0.3
    assert ci == stats.rank_correlation_interval(x, y, resamples=199, seed=1)  # seeded
    same = stats.rank_correlation_interval(x, x, resamples=50)
    assert same.low == same.high == pytest.approx(1.0)
    assert math.isnan(stats.rank_correlation_interval([1.0, 2.0], [1.0, 2.0]).estimate)
    with pytest.raises(NasbookError, match="resamples"):
        stats.rank_correlation_interval(x, y, resamples=1)
    with pytest.raises(NasbookError, match="one per item"):
        stats.rank_correlation_interval(x, y[:10])
