"""Cheaper answers to "how good is this architecture?", and how far to trust them.

Every NAS strategy pays one full training per evaluation (the inner loop). Three classic ways
to pay less, all measured in notebook 07:

* **low-fidelity proxies** — train for fewer epochs, or on a subset of the training data
  (:func:`proxy_evaluator`); cheap, but only useful if they *rank* architectures like full
  training does (:func:`rank_correlation`, :func:`compare_fidelities`);
* **a performance predictor** — fit a small regression model on a few evaluated architectures
  and predict the rest without training (:class:`PerformancePredictor`);
* **weight sharing** — train one supernet whose sub-networks inherit its weights (DARTS,
  notebook 05).

A proxy is judged by rank correlation, not by its raw loss: a search only compares
architectures, so a proxy whose losses are all twice too high but in the right *order* is
perfect, and one with the right scale but the wrong order is useless.
"""
from __future__ import annotations

import math
import time
from typing import Any, Mapping, Sequence

import numpy as np
import torch

from nasbook.evaluation.protocols import Protocol, make_protocol
from nasbook.evaluation.training import Evaluator
from nasbook.spaces.space import SearchSpace, as_space
from nasbook.tasks import Task, make_task
from nasbook.trial import Trial
from nasbook.validation import check_choice, check_float, check_int, fail

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
    reference (Spearman and Kendall), the top-``k`` overlap, the training seconds it spent and its
    speed-up over the reference. Each row also holds the raw ``scores`` (one per architecture).
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
                     "seconds": seconds, "speedup": ref_seconds / seconds if seconds > 0 else math.inf,
                     "failures": sum(not t.ok for t in trials), "scores": scores})
    return rows


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
