"""Zero-cost proxies, judged: do they rank cells like training does — better than counting parameters?

A proxy (:mod:`nasbook.experiments.zero_cost`) is only useful if it orders architectures the
way their trained validation loss does. Here each proxy's scores of the unique cells
(:mod:`nasbook.experiments.proxy_scores`, cached) meet the *truth*: the cell table's mean
validation loss over its training seeds (:func:`table_truth`; any array of losses aligned with
the cells works, which is how the tests use it). Four rules keep the judgement honest:

* **Rank correlation, both kinds.** Spearman's rho and Kendall's tau (:mod:`scipy.stats`)
  between the proxy (higher = predicted better) and minus the loss, so +1 is a perfect proxy.
  A proxy of ``-inf`` (NASWOT on a cell that cannot tell images apart) ranks last; so does a
  cell whose every training diverged (loss ``inf``). Cells the table has not trained are left out;
  a score that is the same for every cell (params on a subspace of parameter-free cells) orders
  nothing, and its correlation is 0 (scipy says NaN).
* **The whole space and its top.** Over all cells a proxy gets credit for telling terrible
  cells (all ``none``) from decent ones, which is easy; a search needs the *best* ones ranked
  right, so every correlation is also computed within the best 10 % of cells by true loss.
* **Over seeds.** A proxy depends on the initialisation and the minibatch: each correlation is
  computed for every proxy seed, and reported as the mean with a t interval over the seeds
  (:func:`nasbook.experiments.proxies.over_seeds`).
* **Against the baselines.** ``params`` and ``flops`` cost nothing; a proxy must beat them.
  Two paired comparisons: per seed, the proxy's correlation minus the baseline's (the columns
  ``minus_params``/``minus_flops``, with their t interval over seeds), and
  :func:`difference_interval`, a paired bootstrap over cells of the difference in Spearman's rho
  (it asks "would another sample of cells from this space give the same answer?").

**Warm start** (:func:`warm_start_comparison`): does a proxy help a search *start*? The same
strategy runs on the table with and without :class:`~nasbook.strategies.warm_start.WarmStart`
over 30 seeds; the regrets at equal compute (the proxy's seconds charged, rounded up to a whole
evaluation) are compared with :func:`nasbook.experiments.stats.judge` (Wilcoxon, bootstrap
interval, Holm across the checkpoints).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np
from scipy import stats as sstats

from nasbook.experiments import stats
from nasbook.experiments.anytime import regret_by_compute
from nasbook.experiments.proxies import over_seeds
from nasbook.experiments.proxy_scores import BASELINES, SEEDED, ProxyScores
from nasbook.spaces.space import Arch
from nasbook.strategies.warm_start import WarmStart
from nasbook.validation import check_choice, check_float, check_int, fail

if TYPE_CHECKING:
    import pandas as pd

    from nasbook.tabular.table import BenchTable

METHODS = ("spearman", "kendall")
SCOPES = ("all", "top")  # every trained cell; the best `top_fraction` of them by true loss


# -- the truth -------------------------------------------------------------------------
def table_truth(table: "BenchTable", archs: Sequence[Mapping[str, Any]]) -> np.ndarray:
    """Each cell's true score in ``table`` (mean validation loss; ``inf`` if every seed diverged),
    NaN for a cell the (partial) table has not trained."""
    truth = np.asarray(table.mean_val_loss, dtype=float)
    rows = np.array([table.space.index(arch) for arch in archs])
    return np.where(np.asarray(table.built)[rows], truth[rows], np.nan)


def top_mask(truth: np.ndarray, fraction: float = 0.1) -> np.ndarray:
    """True for the best ``fraction`` of the trained cells (lowest true loss; at least 3)."""
    fraction = check_float("top_fraction", fraction, 0.0, 1.0)
    trained = np.flatnonzero(~np.isnan(truth))
    keep = trained[np.argsort(truth[trained], kind="stable")[: max(3, round(fraction * len(trained)))]]
    mask = np.zeros(len(truth), dtype=bool)
    mask[keep] = True
    return mask


def correlation(proxy: np.ndarray, truth: np.ndarray, method: str = "spearman") -> float:
    """Rank correlation of ``proxy`` (higher = better) with ``-truth`` (lower loss = better),
    over the cells with a truth (not NaN); infinities rank at their end, NaN proxies are refused."""
    check_choice("method", method, METHODS)
    proxy, truth = np.asarray(proxy, dtype=float), np.asarray(truth, dtype=float)
    keep = ~np.isnan(truth)
    if np.isnan(proxy[keep]).any():
        raise fail("proxy", "NaN", "a score for every cell the truth has (compute them first)")
    if keep.sum() < 3:
        return float("nan")
    x, y = sstats.rankdata(proxy[keep]), sstats.rankdata(-truth[keep])  # inf ranks last, -inf first
    if np.all(x == x[0]) or np.all(y == y[0]):
        return 0.0  # a constant score orders nothing (scipy would say NaN)
    result = sstats.spearmanr(x, y) if method == "spearman" else sstats.kendalltau(x, y)
    return float(result.statistic)


# -- the judgement ---------------------------------------------------------------------
def correlation_rows(scores: ProxyScores, truth: np.ndarray, top_fraction: float = 0.1) -> "pd.DataFrame":
    """One row per (proxy, scope, method, proxy seed): ``rho``, and ``minus_params`` /
    ``minus_flops``: rho minus the baseline's rho in the same scope and method.

    Only cells with scores (``scores.done``) and a truth (not NaN) take part."""
    import pandas as pd

    truth = np.asarray(truth, dtype=float)
    if truth.shape != scores.done.shape:
        raise fail("truth", f"{truth.size} values", f"one per cell of the scores ({len(scores.done)})")
    truth = np.where(scores.done, truth, np.nan)
    masks = {"all": ~np.isnan(truth), "top": top_mask(truth, top_fraction)}
    rows = []
    for scope, method in [(s, m) for s in SCOPES for m in METHODS]:
        t = np.where(masks[scope], truth, np.nan)
        base = {b: correlation(scores.column(b), t, method) for b in BASELINES}
        for j, seed in enumerate(scores.seeds):
            for proxy in (*SEEDED, *BASELINES):
                rho = base[proxy] if proxy in BASELINES else correlation(scores.column(proxy, j), t, method)
                rows.append({"proxy": proxy, "scope": scope, "method": method, "seed": seed, "rho": rho,
                             "minus_params": rho - base["params"], "minus_flops": rho - base["flops"],
                             "cells": int(masks[scope].sum())})
    return pd.DataFrame(rows)


def judgement(rows: "pd.DataFrame", level: float = 0.95) -> "pd.DataFrame":
    """Mean and t interval over proxy seeds of every column of :func:`correlation_rows`, per
    (proxy, scope, method); a proxy beats a baseline when its ``minus_...`` interval is above 0."""
    rows = rows.assign(key=rows["proxy"] + " " + rows["scope"] + " " + rows["method"])
    return over_seeds(rows.drop(columns=["proxy", "scope", "method", "cells"]), by="key", level=level)


def difference_interval(a: np.ndarray, b: np.ndarray, truth: np.ndarray, level: float = 0.95,
                        seed: int = 0, resamples: int = 999) -> stats.Interval:
    """Spearman's rho of proxy ``a`` minus that of ``b`` (both against ``truth``), with a paired
    bootstrap interval over cells (:func:`scipy.stats.bootstrap`, percentile, like
    :mod:`nasbook.experiments.stats`): cells are resampled, each with its two scores and truth."""
    resamples = check_int("resamples", resamples, 99, 99_999)
    keep = ~np.isnan(np.asarray(truth, dtype=float))
    a, b, t = (np.asarray(v, dtype=float)[keep] for v in (a, b, truth))

    def gap(rows: np.ndarray, axis: int = -1) -> np.ndarray:
        rows = rows.astype(int)  # (..., cells): positions of the resampled cells
        x, y, z = (sstats.rankdata(v[rows], axis=-1) for v in (a, b, -t))
        return pearson(x, z) - pearson(y, z)  # Spearman's rho = Pearson's r of the ranks

    estimate = correlation(a, t) - correlation(b, t)
    res = sstats.bootstrap((np.arange(len(t)),), gap, n_resamples=resamples, confidence_level=level,
                           method=stats.METHOD, vectorized=True, batch=50, rng=np.random.default_rng(seed))
    ci = res.confidence_interval
    return stats.Interval(estimate, float(ci.low), float(ci.high), level)


def pearson(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Pearson's r along the last axis (0 where one side is constant, as in :func:`correlation`)."""
    x, y = x - x.mean(-1, keepdims=True), y - y.mean(-1, keepdims=True)
    norm = np.sqrt((x * x).sum(-1) * (y * y).sum(-1))
    return np.divide((x * y).sum(-1), norm, out=np.zeros_like(norm), where=norm > 0)


def best_proxy(rows: "pd.DataFrame", scope: str = "all", method: str = "spearman") -> str:
    """The seeded proxy with the highest mean correlation in ``scope`` and ``method``."""
    chosen = rows[(rows["scope"] == scope) & (rows["method"] == method) & rows["proxy"].isin(SEEDED)]
    return str(chosen.groupby("proxy")["rho"].mean().idxmax())


# -- warm start ------------------------------------------------------------------------
class CachedProxy:
    """A :class:`~nasbook.strategies.warm_start.WarmStart` scorer reading cached proxy scores.

    ``scorer(arch, seed)`` is the score of ``arch``'s isomorphism class at proxy seed
    ``seed % len(scores.seeds)``; ``seconds`` is what computing it would have cost on one
    thread: building the network plus the proxy (measured when the scores were computed).
    """

    def __init__(self, scores: ProxyScores, proxy: str) -> None:
        self.scores = scores
        self.proxy = check_choice("proxy", proxy, (*SEEDED, *BASELINES))
        self.seconds = scores.seconds_per_cell("build") + scores.seconds_per_cell(proxy)

    def __call__(self, arch: Arch, seed: int) -> float:
        return self.scores.of(arch, self.proxy, seed % len(self.scores.seeds))


def search_regret(strategy: Any, table: "BenchTable", budget: int, seed: int) -> np.ndarray:
    """One search on ``table``: its regret after 1..``budget`` evaluation-equivalents."""
    from nasbook.loop.outer import search
    from nasbook.tabular.evaluator import TabularEvaluator

    result = search(strategy, space=table.space, budget=budget, seed=seed, evaluator=TabularEvaluator(table),
                    progress=False)
    return regret_by_compute(result, table, budget)


def warm_start_comparison(table: "BenchTable", scorer: Any, strategy: str = "evolution", seeds: int = 30,
                          budget: int = 50, candidates: int = 100, top: int = 10,
                          at: Sequence[int] = (10, 25, 50), **params: Any) -> dict[str, Any]:
    """``strategy`` warm-started by ``scorer`` against ``strategy`` alone, ``seeds`` paired seeds.

    Returns the regret curves (``"warm"``, ``"cold"``: seeds × budget), what scoring cost
    (``"scoring_seconds"``; ``"charged_evaluations"`` at ``"seconds_per_evaluation"``) and
    ``"verdicts"``: at each budget in ``at``, the claim "warm start reaches a lower regret",
    judged by :func:`nasbook.experiments.stats.judge`.
    ``params`` go to the strategy's constructor (e.g. ``population_size=10``).
    """
    from nasbook.strategies import make_strategy

    seeds = check_int("seeds", seeds, 1, 1000)
    budget = check_int("budget", budget, 2, 10_000)
    at = [check_int("at", n, 1, budget) for n in at]
    cold = np.array([search_regret(make_strategy(strategy, **params), table, budget, s) for s in range(seeds)])
    runs = [WarmStart(strategy=make_strategy(strategy, **params), scorer=scorer, candidates=candidates, top=top)
            for _ in range(seeds)]
    warm = np.array([search_regret(run, table, budget, s) for s, run in enumerate(runs)])
    claims = {f"warm {strategy} has lower regret than {strategy} after {n} evaluations": (warm[:, n - 1], cold[:, n - 1])
              for n in at}
    return {"warm": warm, "cold": cold, "verdicts": stats.judge(claims),
            "scoring_seconds": float(np.mean([run.scoring_seconds for run in runs])),
            "seconds_per_evaluation": runs[0].evaluation_seconds(),  # what one training costs
            "charged_evaluations": float(np.mean([run.charged for run in runs]))}
