"""Statistics for comparing search strategies over seeds, built on :mod:`scipy.stats`.

Two strategies run with the same seeds and budget give *paired* values (one regret each per
seed). This module turns such pairs into a judgement a scientist would sign:

* :func:`paired_test`: Wilcoxon's signed-rank test on the per-seed differences
  (:func:`scipy.stats.wilcoxon`, two-sided, ``zero_method="wilcox"``);
* :func:`median_interval`, :func:`median_difference_interval`, :func:`ratio_interval`:
  bootstrap confidence intervals (:func:`scipy.stats.bootstrap`, seeded, **percentile
  method**; the BCa method needs a jackknife estimate, and the jackknife is inconsistent for
  the median, so its "correction" is not justified here) of a median, of the median paired
  difference and of the ratio of two medians (pairs resampled together);
* :func:`rank_correlation_interval`: Spearman's rho of paired scores (a proxy against the
  truth) with a bootstrap interval over the items, resampled in pairs;
* :func:`holm`: Holm's step-down adjustment of p-values across a set of claims (scipy has no
  Holm: ``scipy.stats.false_discovery_control`` does Benjamini-Hochberg/-Yekutieli only, which
  control the false discovery rate, not the family-wise error; so it is the few lines below);
* :func:`compare` and :func:`judge`: a :class:`Verdict` for one claim or for a set of claims.

**The verdict rule.** A claim says "``a`` tends to be lower than ``b``" (lower is better:
regret, loss). With ``d = a - b`` per seed, ``p`` the two-sided Wilcoxon p-value (Holm-adjusted
when the claim is one of a set) and ``[low, high]`` the bootstrap interval of the median of
``d`` at level ``1 - alpha``:

* **FOR** when ``p < alpha`` and ``high < 0`` (significant, and the interval excludes 0 on the
  claimed side);
* **AGAINST** when ``p < alpha`` and ``low > 0`` (significant the other way);
* **INCONCLUSIVE** otherwise: not significant, or the interval touches 0 (for example when
  most seeds tie), or fewer than :data:`MIN_PAIRS` (6) seeds differ at all — with 5 or fewer
  non-tied pairs the smallest two-sided exact p-value is 2/32 = 0.0625, so no test at the 5 %
  level can decide, and the verdict says so instead of quoting a p that cannot be small.

Every verdict carries its effect size (the median difference), its interval and its p.

**Special values.** Ties (``d == 0``) say nothing about which is better: Wilcoxon drops them
(``zero_method="wilcox"``) and the verdict counts them. All-equal samples give p = 1 and a
zero-width interval. ``inf`` (a search that never finished a trial: no regret to measure) is
*worse than every finite value*: before anything is computed it is replaced by a penalty,
the largest finite value of the comparison plus the spread of the finite values (at least
1e-12 more), so rank-based tests rank it last and a median is the penalty only when most seeds
never finished; two infs on the same seed are a tie. The verdict reports how many there were.
NaN is refused (it is a bug upstream, not a result).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from nasbook.validation import check_int, fail

FOR, AGAINST, INCONCLUSIVE = "FOR", "AGAINST", "INCONCLUSIVE"
MIN_PAIRS = 6  # fewer non-tied pairs: Wilcoxon's two-sided exact p cannot drop below 0.05
N_RESAMPLES = 9999
METHOD = "percentile"
MAX_BATCH_FLOATS = 2**21  # floats per resampled array a bootstrap holds at once (16 MB)


@dataclass(frozen=True)
class Interval:
    """A point estimate with its bootstrap confidence interval."""

    estimate: float
    low: float
    high: float
    level: float = 0.95
    method: str = f"bootstrap {METHOD}"

    def __str__(self) -> str:
        return f"{self.estimate:.4g} ({self.level:.0%} {self.method} interval {self.low:.4g} to {self.high:.4g})"


@dataclass(frozen=True)
class PairedTest:
    """Wilcoxon's signed-rank test on paired values: ``n`` pairs, ``ties`` of them equal."""

    statistic: float
    p: float
    n: int
    ties: int

    @property
    def informative(self) -> int:
        """Pairs that differ (the ones the test uses)."""
        return self.n - self.ties


@dataclass(frozen=True)
class Verdict:
    """FOR / AGAINST / INCONCLUSIVE for one claim, with the numbers that decided it."""

    claim: str
    outcome: str
    effect: float          # median of a - b (negative: a lower)
    low: float
    high: float
    p: float               # two-sided Wilcoxon p, unadjusted
    p_adjusted: float      # Holm-adjusted across the set of claims (== p for a single claim)
    n: int
    ties: int = 0
    infs: int = 0
    level: float = 0.95
    note: str = ""

    def __str__(self) -> str:
        p = f"Wilcoxon p = {self.p:.2g}"
        if self.p_adjusted != self.p:
            p += f" (Holm-adjusted {self.p_adjusted:.2g})"
        extra = [f"{self.ties} tied"] if self.ties else []
        extra += [f"{self.infs} never finished (ranked worst)"] if self.infs else []
        seeds = f"{self.n} seeds" + (f", {', '.join(extra)}" if extra else "")
        text = (f"{self.outcome}: {self.claim} — median difference {self.effect:.4g} "
                f"({self.level:.0%} bootstrap {METHOD} interval {self.low:.4g} to {self.high:.4g}), "
                f"{p}, {seeds}.")
        return text + (f" {self.note}" if self.note else "")


def _as_array(name: str, values: Any) -> np.ndarray:
    x = np.asarray(values, dtype=float).ravel()
    if x.size == 0:
        raise fail(name, list(values), "a non-empty sequence of numbers (one per seed)")
    if np.isnan(x).any():
        raise fail(name, list(values), "numbers without NaN (inf means 'never finished')")
    return x


def finite_with_penalty(*samples: Any) -> tuple[list[np.ndarray], int]:
    """The samples with every ``inf`` replaced by one penalty worse than all finite values
    (see the module docstring), and how many infs there were."""
    arrays = [_as_array(f"sample {i}", s) for i, s in enumerate(samples)]
    allv = np.concatenate(arrays)
    finite = allv[np.isfinite(allv)]
    infs = int((~np.isfinite(allv)).sum())
    if not infs:
        return arrays, 0
    if np.isneginf(allv).any():
        raise fail("values", allv.tolist(), "finite numbers or +inf (never finished); -inf is not a result")
    hi, lo = (finite.max(), finite.min()) if finite.size else (0.0, 0.0)
    penalty = hi + max(hi - lo, abs(hi), 1e-12)
    return [np.where(np.isfinite(a), a, penalty) for a in arrays], infs


def _paired(a: Any, b: Any) -> tuple[np.ndarray, np.ndarray, int]:
    (x, y), infs = finite_with_penalty(a, b)
    if x.size != y.size:
        raise fail("b", list(b), f"as many values as a ({x.size}): one per seed, same seeds")
    return x, y, infs


def paired_test(a: Any, b: Any) -> PairedTest:
    """Two-sided Wilcoxon signed-rank test of ``a - b`` (paired by seed); ties dropped.

    All pairs tied: p = 1 (no evidence either way), without calling scipy (which warns).
    """
    x, y, _ = _paired(a, b)
    d = x - y
    ties = int((d == 0).sum())
    if ties == d.size:
        return PairedTest(0.0, 1.0, d.size, ties)
    result = stats.wilcoxon(d, zero_method="wilcox", alternative="two-sided", method="auto")
    return PairedTest(float(result.statistic), float(result.pvalue), d.size, ties)


def _bootstrap(data: tuple[np.ndarray, ...], statistic: Callable[..., Any], estimate: float,
               level: float, seed: int, paired: bool, resamples: int = N_RESAMPLES) -> Interval:
    if all(np.all(s == s[0]) for s in data):  # nothing varies: every resample gives the estimate
        return Interval(estimate, estimate, estimate, level)
    # Resample big samples a batch at a time (scipy draws the same numbers either way, so the
    # interval is the same): 9,999 resamples of 6,000 losses at once would hold ~1 GB.
    batch = max(1, MAX_BATCH_FLOATS // max(s.size for s in data))
    with np.errstate(all="ignore"):
        res = stats.bootstrap(data, statistic, n_resamples=resamples, confidence_level=level,
                              method=METHOD, paired=paired, vectorized=True, batch=batch,
                              rng=np.random.default_rng(seed))
    ci = res.confidence_interval
    return Interval(estimate, float(ci.low), float(ci.high), level)


def _median(x: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.median(x, axis=axis)


def median_interval(values: Any, level: float = 0.95, seed: int = 0) -> Interval:
    """The median with a seeded bootstrap (percentile) interval."""
    (x,), _ = finite_with_penalty(values)
    return _bootstrap((x,), _median, float(np.median(x)), level, seed, paired=False)


def median_difference_interval(a: Any, b: Any, level: float = 0.95, seed: int = 0) -> Interval:
    """The median of the paired differences ``a - b``, with a seeded bootstrap interval."""
    x, y, _ = _paired(a, b)
    d = x - y
    return _bootstrap((d,), _median, float(np.median(d)), level, seed, paired=False)


def _ratio(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
    with np.errstate(all="ignore"):
        return np.median(x, axis=axis) / np.median(y, axis=axis)


def ratio_interval(a: Any, b: Any, level: float = 0.95, seed: int = 0) -> Interval:
    """median(a) / median(b) with a seeded bootstrap interval (seeds resampled in pairs).

    When b's median is 0 the ratio is not defined: estimate and interval are NaN.
    """
    x, y, _ = _paired(a, b)
    estimate = float(_ratio(x, y))
    if not np.isfinite(estimate) or np.median(y) == 0:
        nan = float("nan")
        return Interval(nan, nan, nan, level)
    return _bootstrap((x, y), _ratio, estimate, level, seed, paired=True)


def _spearman(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
    """Spearman's rho along ``axis``: the Pearson correlation of the ranks (ties share a rank)."""
    rx, ry = stats.rankdata(x, axis=axis), stats.rankdata(y, axis=axis)
    rx = rx - rx.mean(axis=axis, keepdims=True)
    ry = ry - ry.mean(axis=axis, keepdims=True)
    return (rx * ry).sum(axis=axis) / np.sqrt((rx ** 2).sum(axis=axis) * (ry ** 2).sum(axis=axis))


def rank_correlation_interval(x: Any, y: Any, level: float = 0.95, seed: int = 0,
                              resamples: int = 999) -> Interval:
    """Spearman's rho between paired scores ``x`` and ``y`` (one pair per item, e.g. a proxy's
    and the truth's score of each architecture), with a seeded bootstrap (percentile) interval:
    the items are resampled in pairs, so it says how much the correlation depends on *which*
    items were measured. Pairs where either score is not finite are dropped (a failure has no
    rank among the successes); fewer than 3 left give NaN. ``resamples`` is smaller than the
    seed comparisons' 9999: an item set is large (thousands), and each resample ranks it anew.
    """
    resamples = check_int("resamples", resamples, 2, 1_000_000)
    x, y = np.asarray(x, dtype=float).ravel(), np.asarray(y, dtype=float).ravel()
    if x.size != y.size:
        raise fail("y", f"{y.size} scores", f"one per item of x ({x.size})")
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    if x.size < 3:
        nan = float("nan")
        return Interval(nan, nan, nan, level)
    with np.errstate(all="ignore"):
        estimate = float(_spearman(x, y))
    return _bootstrap((x, y), _spearman, estimate, level, seed, paired=True, resamples=resamples)


def holm(pvalues: Sequence[float]) -> np.ndarray:
    """Holm's step-down adjusted p-values (family-wise error control), in the input order.

    Sorted ascending, the i-th smallest (0-based) of m is multiplied by m - i, running maxima
    keep the order, and nothing exceeds 1. Reject claim k at level alpha iff adjusted[k] < alpha.
    """
    p = np.asarray(pvalues, dtype=float)
    if p.size == 0:
        return p
    if np.isnan(p).any() or (p < 0).any() or (p > 1).any():
        raise fail("pvalues", p.tolist(), "numbers between 0 and 1")
    order = np.argsort(p, kind="stable")
    scaled = np.maximum.accumulate((p.size - np.arange(p.size)) * p[order])
    adjusted = np.empty_like(p)
    adjusted[order] = np.minimum(scaled, 1.0)
    return adjusted


def decide(test: PairedTest, interval: Interval, p_adjusted: float, alpha: float) -> tuple[str, str]:
    """(outcome, note) by the rule in the module docstring."""
    if test.informative < MIN_PAIRS:
        return INCONCLUSIVE, (f"Only {test.informative} seed(s) differ: with fewer than {MIN_PAIRS} no "
                              f"two-sided test at the {alpha:g} level can decide; run more seeds.")
    if p_adjusted < alpha and interval.high < 0:
        return FOR, ""
    if p_adjusted < alpha and interval.low > 0:
        return AGAINST, ""
    if p_adjusted < alpha:
        return INCONCLUSIVE, "Significant, but the interval of the median difference includes 0."
    return INCONCLUSIVE, ""


def compare(a: Any, b: Any, claim: str = "a is lower than b", alpha: float = 0.05, seed: int = 0,
            p_adjusted: float | None = None) -> Verdict:
    """The verdict on the claim "``a`` tends to be lower than ``b``" (paired by seed)."""
    x, y, infs = _paired(a, b)
    test = paired_test(x, y)
    interval = median_difference_interval(x, y, level=1 - alpha, seed=seed)
    p_adj = test.p if p_adjusted is None else float(p_adjusted)
    outcome, note = decide(test, interval, p_adj, alpha)
    return Verdict(claim, outcome, interval.estimate, interval.low, interval.high, test.p, p_adj,
                   test.n, test.ties, infs, 1 - alpha, note)


def judge(claims: Mapping[str, tuple[Any, Any]], alpha: float = 0.05, seed: int = 0) -> list[Verdict]:
    """Verdicts on a set of claims ``{claim: (a, b)}``, p-values Holm-adjusted across the set."""
    tests = {claim: paired_test(a, b) for claim, (a, b) in claims.items()}
    adjusted = holm([t.p for t in tests.values()])
    return [compare(a, b, claim, alpha, seed, p_adjusted=float(p))
            for (claim, (a, b)), p in zip(claims.items(), adjusted)]
