"""Cheaper answers to "how good is this architecture?", and how far to trust them.

Every NAS strategy pays one full training per evaluation (the inner loop). Three classic ways
to pay less, all measured in notebook 08:

* **low-fidelity proxies** — train for fewer epochs, or on a subset of the training data
  (:func:`proxy_evaluator`); cheap, but only useful if they *rank* architectures like full
  training does (:func:`rank_correlation`, :func:`compare_fidelities`, and on the whole tabular
  benchmark :func:`table_fidelities`);
* **a performance predictor** — fit a small regression model on a few evaluated architectures
  and predict the rest without training (:class:`PerformancePredictor`; does screening with it
  pay? :func:`predictor_screening`);
* **weight sharing** — train one supernet whose sub-networks inherit its weights (DARTS,
  notebook 05; how well it ranks, per supernet seed: :func:`supernet_rankings`).

A proxy is judged by rank correlation, not by its raw loss: a search only compares
architectures, so a proxy whose losses are all twice too high but in the right *order* is
perfect, and one with the right scale but the wrong order is useless. Two more rules keep the
judgement honest:

* **the truth must not contain the proxy.** The table's "true" score averages several training
  seeds; a proxy read from seed ``j`` is compared with the mean over the *other* seeds only
  (:func:`held_out_truth`), or part of what it is scored against is itself;
* **the top matters most.** A correlation over the whole space is dominated by the easy
  contrast between terrible and decent networks; a search needs the *best* ones ranked right,
  so :func:`table_fidelities` also reports the correlation within the best 10 % and the top-k
  overlap.

Every measurement is repeated over seeds (proxy seeds, search seeds, supernet seeds), so a
comparison can carry its uncertainty (:mod:`nasbook.experiments.stats`; :func:`over_seeds`).
"""
from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np
import torch

from nasbook.evaluation.protocols import Protocol, make_protocol
from nasbook.evaluation.training import Evaluator
from nasbook.spaces.space import SearchSpace, as_space
from nasbook.tasks import Task, make_task
from nasbook.trial import Trial
from nasbook.validation import check_choice, check_float, check_int, fail

if TYPE_CHECKING:
    from nasbook.tabular.table import BenchTable

METHODS = ("spearman", "kendall")


def rank_correlation(x: Sequence[float], y: Sequence[float], method: str = "spearman") -> float:
    """Spearman's rho or Kendall's tau between two score lists (1 = same order, -1 = reversed).

    Pairs where either score is not finite (a failed trial scores ``inf``) are dropped, since a
    failure has no meaningful rank among the successes. Returns NaN with fewer than 3 pairs left.
    """
    from scipy import stats

    check_choice("method", method, METHODS)
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if x.shape != y.shape or x.ndim != 1:
        raise fail("y", f"shape {y.shape}", f"a 1-D list as long as x (shape {x.shape})")
    keep = np.isfinite(x) & np.isfinite(y)
    if keep.sum() < 3:
        return math.nan
    x, y = x[keep], y[keep]
    result = stats.spearmanr(x, y) if method == "spearman" else stats.kendalltau(x, y)
    return float(result[0])


def top_k_overlap(x: Sequence[float], y: Sequence[float], k: int) -> float:
    """Fraction of the ``k`` best (lowest) items under ``y`` that are also among the ``k`` best under ``x``.

    This is what a search cares about most: does the proxy keep the *winners*?
    """
    k = check_int("k", k, minimum=1)
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    k = min(k, len(x))
    return len(set(np.argsort(x, kind="stable")[:k]) & set(np.argsort(y, kind="stable")[:k])) / k


def _check_fraction(fraction: float) -> float:
    fraction = check_float("fraction", fraction, 0.0, 1.0)
    if fraction == 0.0:
        raise fail("fraction", fraction, "a number in (0, 1]: the share of training rows kept")
    return fraction


def subset_task(task: "str | Task" = "synthetic", fraction: float = 0.25, seed: int = 0) -> Task:
    """The task with only a random ``fraction`` of its training rows (validation split unchanged).

    The validation split must stay the same: it is the yardstick every fidelity is scored on.
    """
    task = make_task(task)
    fraction = _check_fraction(fraction)
    n = len(task.X_train)
    keep = max(1, int(round(fraction * n)))
    rows = torch.as_tensor(np.sort(np.random.default_rng(seed).permutation(n)[:keep]))
    return Task(name=f"{task.name}[{fraction:g} of train]", X_train=task.X_train[rows],
                y_train=task.y_train[rows], X_val=task.X_val, y_val=task.y_val, loss=task.loss,
                X_test=task.X_test, y_test=task.y_test, seed=task.seed)


def proxy_evaluator(fraction: float = 1.0, epochs: int | None = None, task: "str | Task" = "synthetic",
                    protocol: "str | Protocol" = "default", device: Any = "auto") -> Evaluator:
    """An evaluator that trains on ``fraction`` of the training rows for ``epochs`` epochs.

    ``fraction=1`` and ``epochs=None`` give the full-fidelity evaluator of ``protocol``.
    """
    protocol = make_protocol(protocol)
    if epochs is not None:
        epochs = check_int("epochs", epochs, minimum=1)
        protocol = protocol.with_epochs(epochs)
        protocol = Protocol(f"{protocol.name}@{epochs}ep", protocol.epochs, protocol.batch_size,
                            protocol.checkpoints)
    fraction = _check_fraction(fraction)
    task = make_task(task) if fraction == 1.0 else subset_task(task, fraction)
    return Evaluator(task=task, protocol=protocol, device=device)


def compare_fidelities(archs: Sequence[Mapping[str, Any]], reference: Evaluator,
                       proxies: Mapping[str, Evaluator], seed: int = 0, k: int = 5) -> list[dict[str, Any]]:
    """Score ``archs`` with the reference and every proxy; report how well each proxy ranks them.

    Returns one row per evaluator (the reference first) with its rank correlations against the
    reference (Spearman and Kendall), the top-``k`` overlap, the optimiser steps and training
    seconds it spent and its speed-up (in seconds) over the reference. Each row also holds the raw ``scores`` (one per architecture).
    """
    if not archs:
        raise fail("archs", list(archs), "at least 3 architectures to rank")
    rows = []
    ref_scores = None
    for name, evaluator in {"full": reference, **proxies}.items():
        start = time.perf_counter()
        trials = evaluator.evaluate_many(list(archs), seed=seed)
        seconds = sum(t.seconds for t in trials) or time.perf_counter() - start
        scores = [t.score for t in trials]
        if ref_scores is None:
            ref_scores, ref_seconds = scores, seconds
        rows.append({"proxy": name, "spearman": rank_correlation(scores, ref_scores, "spearman"),
                     "kendall": rank_correlation(scores, ref_scores, "kendall"),
                     f"top{k}_overlap": top_k_overlap(scores, ref_scores, k),
                     "steps": sum(t.steps for t in trials), "seconds": seconds, "speedup": ref_seconds / seconds if seconds > 0 else math.inf,
                     "failures": sum(not t.ok for t in trials), "scores": scores})
    return rows


FIDELITY_METRICS = ("spearman", "kendall", "spearman_top")


def held_out_truth(table: "BenchTable", seed_index: int) -> np.ndarray:
    """Every architecture's final validation loss averaged over the table's seeds *except*
    ``seed_index`` (diverged runs left out; ``inf`` where every other seed diverged).

    This is the truth to score a proxy read from seed ``seed_index`` against: with the proxy's
    own seed inside the mean, a proxy is partly compared with itself and looks better than it is.
    """
    n_seeds = len(table.seeds)
    seed_index = check_int("seed_index", seed_index, 0, n_seeds - 1)
    if n_seeds < 2:
        raise fail("table seeds", table.seeds, "at least 2 training seeds (one proxy, the rest truth)")
    others = np.delete(table.val_loss, seed_index, axis=1)  # (archs, seeds - 1), NaN = diverged
    runs = np.isfinite(others).sum(axis=1)
    mean = np.where(np.isfinite(others), others, 0.0).sum(axis=1) / np.maximum(runs, 1)
    return np.where(runs > 0, mean, np.inf)


def table_fidelities(table: "BenchTable", top_fraction: float = 0.1, ks: Sequence[int] = (20, 100),
                     epochs: "Sequence[int] | None" = None, resamples: int = 0, level: float = 0.95) -> "Any":
    """How well stopping after each recorded checkpoint ranks the whole table, once per proxy seed.

    For each training seed ``j`` of the table and each checkpoint in ``epochs`` (default: all
    the table recorded), the proxy is seed ``j``'s validation loss after that many epochs and
    the truth is :func:`held_out_truth` (the *other* seeds' mean final loss). One row per
    (seed, epochs) with ``spearman`` and ``kendall`` over the whole table, ``spearman_top``
    within the best ``top_fraction`` of the truth, and ``top{k}_overlap`` for each ``k`` in
    ``ks``. With ``resamples`` > 0 each Spearman also gets a bootstrap interval over the
    architectures (``spearman_low``/``_high``, ``spearman_top_low``/``_high``; see
    :func:`nasbook.experiments.stats.rank_correlation_interval`). Only architectures whose
    proxy run and at least one truth run the table trained count (a partial table measures
    what it has); a diverged proxy run ranks last in the overlaps and is left out of the
    correlations.
    """
    import pandas as pd

    from nasbook.experiments.stats import rank_correlation_interval

    top_fraction = check_float("top_fraction", top_fraction, 0.0, 1.0)
    ks = [check_int("k", k, minimum=1) for k in ks]
    epochs = list(table.protocol.checkpoints) if epochs is None else [table.check_epoch(e) for e in epochs]
    resamples = check_int("resamples", resamples, minimum=0)
    rows = []
    for j in range(len(table.seeds)):
        done = table.done_runs[:, j] & np.delete(table.done_runs, j, axis=1).any(axis=1)
        if not done.any():  # a seed a partial table has not trained yet
            continue
        truth = held_out_truth(table, j)[done]
        n_top = max(3, math.ceil(top_fraction * np.isfinite(truth).sum()))
        top = np.argsort(truth, kind="stable")[:n_top]
        for epoch in epochs:
            c = table.protocol.checkpoints.index(epoch)
            proxy = np.nan_to_num(table.arrays["val_curve"][done, j, c], nan=np.inf)
            row = {"seed": table.seeds[j], "epochs": epoch,
                   "spearman": rank_correlation(proxy, truth),
                   "kendall": rank_correlation(proxy, truth, "kendall"),
                   "spearman_top": rank_correlation(proxy[top], truth[top])}
            if resamples:
                for name, rows_of in (("spearman", slice(None)), ("spearman_top", top)):
                    ci = rank_correlation_interval(proxy[rows_of], truth[rows_of], level, seed=j, resamples=resamples)
                    row.update({f"{name}_low": ci.low, f"{name}_high": ci.high})
            row.update({f"top{k}_overlap": top_k_overlap(proxy, truth, k) for k in ks})
            rows.append(row)
    return pd.DataFrame(rows)


def over_seeds(rows: "Any", by: str, level: float = 0.95) -> "Any":
    """Mean of every numeric column of ``rows`` per value of ``by``, with a t interval over seeds.

    The interval is mean ± t(level, n − 1)·sd/√n over the n rows of each group (one per seed;
    :func:`scipy.stats.t.interval`); columns come as ``(metric, "mean" | "low" | "high")``.
    With one seed per group the interval is NaN: one run has no spread to measure.
    """
    from scipy import stats

    level = check_float("level", level, 0.5, 1.0, high_open=True)
    metrics = [c for c in rows.columns if c not in (by, "seed") and np.issubdtype(rows[c].dtype, np.number)]
    grouped = rows.groupby(by, sort=False)[metrics]
    mean, sd, n = grouped.mean(), grouped.std(ddof=1), grouped.count()
    with np.errstate(all="ignore"):
        half = stats.t.ppf(0.5 + level / 2, n - 1) * sd / np.sqrt(n)
    import pandas as pd

    return pd.concat({"mean": mean, "low": mean - half, "high": mean + half}, axis=1).swaplevel(axis=1)[metrics]


def supernet_rankings(space: "SearchSpace | Mapping[str, list[Any]]", reference_scores: Sequence[float],
                      steps: Sequence[int], seeds: Sequence[int], task: "str | Task" = "synthetic",
                      device: Any = "auto", k: int = 3) -> "Any":
    """How well a weight-sharing supernet ranks ``space`` against stand-alone ``reference_scores``.

    One supernet per (seed, steps) is trained (:func:`nasbook.oneshot.weight_sharing.train_supernet`)
    and every architecture of ``space`` (in enumeration order, like ``reference_scores``) is scored
    with its inherited weights. One row per (seed, steps): ``spearman``, ``kendall``, ``top{k}_overlap``.
    """
    import pandas as pd

    from nasbook.oneshot.weight_sharing import inherited_scores, train_supernet

    space = as_space(space)
    candidates = list(space.enumerate())
    if len(reference_scores) != len(candidates):
        raise fail("reference_scores", f"{len(reference_scores)} scores",
                   f"one per architecture of the space ({len(candidates)}), in enumeration order")
    rows = []
    for seed in seeds:
        for n_steps in steps:
            net = train_supernet(space, task=task, steps=n_steps, seed=seed, device=device)
            shared = inherited_scores(net, candidates, task=task)
            rows.append({"seed": seed, "steps": n_steps,
                         "spearman": rank_correlation(shared, reference_scores),
                         "kendall": rank_correlation(shared, reference_scores, "kendall"),
                         f"top{k}_overlap": top_k_overlap(shared, reference_scores, k)})
    return pd.DataFrame(rows)


class PerformancePredictor:
    """Predict an architecture's validation loss without training it.

    Each architecture becomes a feature vector (one-hot per key, plus the choice index for the
    ordered numeric keys); a random forest learns log10(validation loss) from a handful of
    evaluated trials. Failed trials are skipped. It is a *surrogate model*, the idea behind
    predictor-based NAS (and Bayesian optimisation, e.g. Optuna's TPE).
    """

    def __init__(self, space: "SearchSpace | Mapping[str, list[Any]] | None" = None,
                 n_estimators: int = 200, seed: int = 0) -> None:
        self.space = as_space(space)
        self.n_estimators = check_int("n_estimators", n_estimators, minimum=1)
        self.seed = check_int("seed", seed, minimum=0)
        self.model: Any = None

    def features(self, archs: Sequence[Mapping[str, Any]]) -> np.ndarray:
        """One row per architecture: one-hot of every key, then the index of numeric keys."""
        sizes = [len(v) for v in self.space.choices.values()]
        numeric = [i for i, values in enumerate(self.space.choices.values())
                   if all(isinstance(v, (int, float)) for v in values)]
        rows = []
        for arch in archs:
            idx = self.space.encode(arch)
            onehot = np.concatenate([np.eye(n)[i] for n, i in zip(sizes, idx)])
            rows.append(np.concatenate([onehot, [idx[i] / max(sizes[i] - 1, 1) for i in numeric]]))
        return np.asarray(rows, dtype=float)

    def fit(self, trials: Sequence[Trial]) -> "PerformancePredictor":
        """Learn from the successful ``trials`` (at least 2)."""
        from sklearn.ensemble import RandomForestRegressor

        ok = [t for t in trials if t.ok]
        if len(ok) < 2:
            raise fail("trials", f"{len(ok)} successful trials", "at least 2 successful trials to learn from")
        X = self.features([t.arch for t in ok])
        y = np.log10([t.val_loss for t in ok])
        self.model = RandomForestRegressor(n_estimators=self.n_estimators, random_state=self.seed,
                                           min_samples_leaf=1).fit(X, y)
        return self

    def predict(self, archs: Sequence[Mapping[str, Any]]) -> np.ndarray:
        """Predicted validation loss of each architecture (call :meth:`fit` first)."""
        if self.model is None:
            raise fail("predictor", "not fitted", "call fit(trials) before predict(archs)")
        return 10 ** self.model.predict(self.features(archs))


def predictor_screening(table: "BenchTable", seeds: Sequence[int], n_train: int = 40, n_screen: int = 10,
                        n_estimators: int = 100) -> "Any":
    """Does screening with a :class:`PerformancePredictor` beat spending the same budget at random?

    Per seed: look up ``n_train`` random architectures (one training seed each, drawn as a
    search would see it, :class:`~nasbook.tabular.TabularEvaluator`), fit a predictor, then
    spend ``n_screen`` more lookups either on the predictor's favourites among the unseen ones or
    on ``n_screen`` random unseen ones. Each arm returns the architecture with the lowest
    *observed* score (what a search would report); its regret is measured on the table's truth.
    One row per seed: ``spearman`` (predictor vs truth over the whole table), ``regret_first``
    (after the ``n_train``), ``regret_random`` and ``regret_predictor`` (after ``n_train + n_screen``).
    """
    import pandas as pd

    from nasbook.tabular.evaluator import TabularEvaluator

    n_train = check_int("n_train", n_train, minimum=2)
    n_screen = check_int("n_screen", n_screen, minimum=1)
    archs = [table.space.at(int(i)) for i in np.flatnonzero(table.built)]
    if n_train + n_screen > len(archs):
        raise fail("n_train + n_screen", n_train + n_screen, f"at most the {len(archs)} architectures of the table")
    truth = table.mean_val_loss[table.built] - table.optimum  # regret of each architecture
    rows = []
    for seed in seeds:
        rng = np.random.default_rng(seed)
        lookup = TabularEvaluator(table)
        picked = rng.choice(len(archs), size=n_train, replace=False)
        seen = {int(i): lookup.evaluate(archs[i], seed=seed) for i in picked}
        predictor = PerformancePredictor(table.space, n_estimators=n_estimators, seed=seed).fit(list(seen.values()))
        predicted = predictor.predict(archs)
        unseen = np.setdiff1d(np.arange(len(archs)), picked)
        arms = {"random": rng.choice(unseen, size=n_screen, replace=False),
                "predictor": unseen[np.argsort(predicted[unseen], kind="stable")[:n_screen]]}

        def pick(extra: np.ndarray) -> float:
            trials = {**seen, **{int(i): lookup.evaluate(archs[i], seed=seed) for i in extra}}
            return float(truth[min(trials, key=lambda i: trials[i].score)])

        rows.append({"seed": seed, "spearman": rank_correlation(predicted, truth), "regret_first": pick(np.array([], int)),
                     "regret_random": pick(arms["random"]), "regret_predictor": pick(arms["predictor"])})
    return pd.DataFrame(rows)
