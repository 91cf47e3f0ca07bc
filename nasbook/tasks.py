"""Learning tasks: the data an architecture is trained (inner loop) and scored (outer loop) on.

A :class:`Task` holds a training split (used to fit the weights w), a validation split
(used to score the architecture α) and optionally a test split (touched only at the very
end, to report how the chosen architecture generalises). It also knows its loss.

Built-in tasks, none downloaded:

* ``synthetic`` – the 1-D regression the article's experiments imply. Exactly
  ``x ~ U(-3, 3)``, ``y = sin(2x) + 0.5x + 0.1·noise``, n = 1000, first 80 % train,
  last 20 % validation, plus 200 held-out test rows drawn after them from the same
  generator (so the training and validation rows are those of every earlier version).
  Fixed so results compare across tools.
* ``diabetes`` – scikit-learn's bundled regression set (442 patients, 10 features),
  standardised with training-split statistics only.
* ``digits`` – scikit-learn's bundled 8×8 digits, 10 classes, cross-entropy loss.
* ``digits_images`` – the same rows and splits as ``digits``, each row an image of shape
  (1, 8, 8), for convolutional networks (the cell family, :mod:`nasbook.spaces.cell`).
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from nasbook.validation import check_choice, check_int, check_seed, fail

LOSSES = ("mse", "cross_entropy")
MAX_CLASSES = 100_000  # a label of 10**12 would otherwise ask for 10**12 outputs


@dataclass(frozen=True, eq=False)
class Task:
    """Train/validation(/test) tensors plus the loss that scores them."""

    name: str
    X_train: torch.Tensor
    y_train: torch.Tensor
    X_val: torch.Tensor
    y_val: torch.Tensor
    loss: str = "mse"
    X_test: torch.Tensor | None = None
    y_test: torch.Tensor | None = None
    seed: int = 0

    @property
    def input_shape(self) -> tuple[int, ...]:
        """The shape of one input: ``(features,)`` for a table, ``(channels, height, width)`` for images."""
        return tuple(int(n) for n in self.X_train.shape[1:])

    @property
    def in_features(self) -> int:
        """Numbers per input (the product of :attr:`input_shape`): what a first Linear layer sees."""
        return math.prod(self.input_shape)

    @property
    def out_features(self) -> int:
        if self.loss == "cross_entropy":
            return int(max(self.y_train.max(), self.y_val.max()).item()) + 1
        return int(self.y_train.shape[1])

    def fingerprint(self, with_test: bool = False) -> str:
        """A short hash of the data a search sees (training and validation splits), so a run
        log can tell whether it was written on this data. The test split is held out of the
        search, so it is left out unless ``with_test`` (how nasbook 0.2.0 hashed a task)."""
        digest = hashlib.sha256(self.loss.encode())
        tensors = [self.X_train, self.y_train, self.X_val, self.y_val]
        for tensor in tensors + ([self.X_test, self.y_test] if with_test else []):
            if tensor is not None:
                digest.update(str(tuple(tensor.shape)).encode())
                digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
        return digest.hexdigest()[:16]

    def describe(self) -> str:
        return (f"task {self.name!r}: {len(self.X_train)} train / {len(self.X_val)} val"
                + (f" / {len(self.X_test)} test" if self.X_test is not None else "")
                + f" rows, {self.in_features if len(self.input_shape) == 1 else self.input_shape}"
                f" -> {self.out_features}, loss {self.loss}")

    @classmethod
    def from_arrays(cls, name: str, X_train: Any, y_train: Any, X_val: Any, y_val: Any,
                    loss: str = "mse", X_test: Any = None, y_test: Any = None,
                    seed: int = 0) -> "Task":
        """Build a task from numpy arrays or tensors, refusing data that cannot train.

        Checks: inputs of at least 2 dimensions (rows, features...) — a table, or images as
        (rows, channels, height, width) —, matching row counts, no empty split, no NaN/inf,
        the same input shape in every split, integer class labels for cross-entropy.
        """
        check_choice("loss", loss, LOSSES)
        if not isinstance(name, str) or not name.strip():
            raise fail("name", name, "a non-empty string naming the task")
        splits = {"train": (X_train, y_train), "val": (X_val, y_val)}
        if X_test is not None or y_test is not None:
            splits["test"] = (X_test, y_test)
        tensors: dict[str, torch.Tensor] = {}
        for split, (X, y) in splits.items():
            X = _as_tensor(f"X_{split}", X, torch.float32)
            y = _as_tensor(f"y_{split}", y, torch.long if loss == "cross_entropy" else torch.float32)
            if X.ndim < 2:
                raise fail(f"X_{split}.shape", tuple(X.shape), "a 2-D array (rows, features), or one "
                           "of more dimensions such as (rows, channels, height, width)")
            if loss == "mse" and y.ndim == 1:
                y = y[:, None]
            if loss == "mse" and y.ndim != 2:
                raise fail(f"y_{split}.shape", tuple(y.shape), "a 1-D or 2-D array of targets")
            if loss == "cross_entropy":
                if y.ndim != 1:
                    raise fail(f"y_{split}.shape", tuple(y.shape), "a 1-D array of class labels")
                if len(y) and y.min() < 0:
                    raise fail(f"y_{split}", int(y.min()), "class labels >= 0")
                if len(y) and y.max() >= MAX_CLASSES:
                    raise fail(f"y_{split}", int(y.max()), f"class labels from 0 to {MAX_CLASSES - 1} "
                               "(the network has one output per class, up to the largest label)")
            if len(X) == 0:
                raise fail(f"X_{split}", "0 rows", "at least one row")
            if len(X) != len(y):
                raise fail(f"len(y_{split})", len(y), f"the same number of rows as X_{split} ({len(X)})")
            tensors[f"X_{split}"], tensors[f"y_{split}"] = X, y
        shape = tuple(tensors["X_train"].shape[1:])
        if math.prod(shape) == 0:
            raise fail("X_train.shape", tuple(tensors["X_train"].shape), "at least one feature (column)")
        for split in splits:
            got = tuple(tensors[f"X_{split}"].shape[1:])
            if got != shape and len(shape) == len(got) == 1:
                raise fail(f"X_{split}.shape[1]", got[0], f"{shape[0]} features, as in X_train")
            if got != shape:
                raise fail(f"X_{split}.shape[1:]", got, f"{shape}, the shape of one input in X_train")
            if loss == "mse" and tensors[f"y_{split}"].shape[1] != tensors["y_train"].shape[1]:
                raise fail(f"y_{split}.shape[1]", tensors[f"y_{split}"].shape[1],
                           f"{tensors['y_train'].shape[1]} target columns, as in y_train")
        return cls(name=name, loss=loss, seed=seed, X_train=tensors["X_train"], y_train=tensors["y_train"],
                   X_val=tensors["X_val"], y_val=tensors["y_val"],
                   X_test=tensors.get("X_test"), y_test=tensors.get("y_test"))


def _as_tensor(field: str, data: Any, dtype: torch.dtype) -> torch.Tensor:
    """``data`` as a tensor of ``dtype``, refusing what is not plainly numbers.

    Strings (even "1.5"), complex numbers and objects are refused rather than converted, and
    so is a float too large for float32 (it would train as inf).
    """
    if data is None:
        raise fail(field, None, "an array")
    try:
        kind = data.dtype.is_complex if torch.is_tensor(data) else np.asarray(data).dtype.kind
    except (TypeError, ValueError) as err:
        raise fail(field, type(data).__name__, f"a numeric array ({err})") from None
    if kind is True or kind in ("c", "U", "S", "O", "M", "m", "V"):
        what = "complex numbers" if kind in (True, "c") else f"an array of {np.asarray(data).dtype}"
        raise fail(field, what, "a numeric array (integers or real numbers)")
    array = torch.as_tensor(np.asarray(data, dtype=np.float64) if not torch.is_tensor(data) else data).double()
    if not torch.isfinite(array).all():
        raise fail(field, f"{int((~torch.isfinite(array)).sum())} NaN/inf values", "finite numbers only")
    if dtype == torch.long and not torch.equal(array, array.round()):
        raise fail(field, "non-integer labels", "integer class labels")
    if dtype == torch.float32 and (array.abs() > torch.finfo(torch.float32).max).any():
        raise fail(field, f"{float(array.abs().max()):.3g}", "numbers within float32's range (±3.4e38)")
    return array.to(dtype).contiguous()


def synthetic(seed: int = 0, n: int = 1000, n_test: int = 200) -> Task:
    """The fixed 1-D regression task: y = sin(2x) + 0.5x + 0.1·noise on x ∈ [-3, 3].

    ``n`` rows are split 80/20 into training and validation; ``n_test`` more rows, drawn
    afterwards from the same generator, are the held-out test split (0: none).
    """
    n_test = check_int("n_test", n_test, 0, 10_000_000)
    g = torch.Generator().manual_seed(seed)

    def draw(rows: int) -> tuple[torch.Tensor, torch.Tensor]:
        X = torch.rand(rows, 1, generator=g) * 6 - 3
        return X, torch.sin(2 * X) + 0.5 * X + 0.1 * torch.randn(rows, 1, generator=g)

    X, y = draw(n)
    X_test, y_test = draw(n_test) if n_test else (None, None)
    cut = int(n * 0.8)
    return Task.from_arrays("synthetic", X[:cut], y[:cut], X[cut:], y[cut:],
                            X_test=X_test, y_test=y_test, seed=seed)


def _standardised_splits(X: np.ndarray, y: np.ndarray, seed: int, scale_y: bool) -> tuple:
    """Shuffle with ``seed``, split 60/20/20, standardise with training statistics only."""
    order = np.random.default_rng(seed).permutation(len(X))
    X, y = X[order], y[order]
    a, b = int(0.6 * len(X)), int(0.8 * len(X))
    mean, std = X[:a].mean(0), X[:a].std(0) + 1e-8
    X = (X - mean) / std
    if scale_y:
        y = (y - y[:a].mean()) / y[:a].std()
    return X[:a], y[:a], X[a:b], y[a:b], X[b:], y[b:]


def diabetes(seed: int = 0) -> Task:
    """scikit-learn's diabetes regression (bundled with the package, no download)."""
    from sklearn.datasets import load_diabetes

    X, y = load_diabetes(return_X_y=True)
    Xtr, ytr, Xva, yva, Xte, yte = _standardised_splits(X, y.astype(np.float64), seed, scale_y=True)
    return Task.from_arrays("diabetes", Xtr, ytr, Xva, yva, X_test=Xte, y_test=yte, seed=seed)


def digits(seed: int = 0) -> Task:
    """scikit-learn's 8×8 handwritten digits, 10 classes (bundled, no download)."""
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    Xtr, ytr, Xva, yva, Xte, yte = _standardised_splits(X.astype(np.float64), y, seed, scale_y=False)
    return Task.from_arrays("digits", Xtr, ytr, Xva, yva, loss="cross_entropy",
                            X_test=Xte, y_test=yte, seed=seed)


def digits_images(seed: int = 0) -> Task:
    """:func:`digits` with every row reshaped to a (1, 8, 8) image (same rows, splits and scaling)."""
    flat = digits(seed)
    images = {name: getattr(flat, name).reshape(-1, 1, 8, 8) for name in ("X_train", "X_val", "X_test")}
    return Task.from_arrays("digits_images", images["X_train"], flat.y_train, images["X_val"], flat.y_val,
                            loss="cross_entropy", X_test=images["X_test"], y_test=flat.y_test, seed=seed)


TASKS = {"synthetic": synthetic, "diabetes": diabetes, "digits": digits, "digits_images": digits_images}


def make_task(task: "str | Task" = "synthetic", seed: int = 0) -> Task:
    """Return a built-in task by name (or pass a :class:`Task` through unchanged)."""
    if isinstance(task, Task):
        return task
    check_choice("task", task, TASKS)
    return TASKS[task](seed=check_seed("task_seed", seed))
