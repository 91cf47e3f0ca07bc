"""Tasks: the exact synthetic data, the bundled data sets, and refusal of unusable data."""
import numpy as np
import pytest
import torch

from nasbook import NasbookError, Task, make_task


def test_synthetic_task_is_exactly_the_documented_recipe():
    task = make_task("synthetic")
    g = torch.Generator().manual_seed(0)
    X = torch.rand(1000, 1, generator=g) * 6 - 3
    y = torch.sin(2 * X) + 0.5 * X + 0.1 * torch.randn(1000, 1, generator=g)
    assert torch.equal(task.X_train, X[:800]) and torch.equal(task.y_val, y[800:])
    assert (task.in_features, task.out_features, task.loss) == (1, 1, "mse")
    X_test = torch.rand(200, 1, generator=g) * 6 - 3  # the held-out rows come next
    y_test = torch.sin(2 * X_test) + 0.5 * X_test + 0.1 * torch.randn(200, 1, generator=g)
    assert torch.equal(task.X_test, X_test) and torch.equal(task.y_test, y_test)
    assert make_task("synthetic").fingerprint() == task.fingerprint()  # the same data, the same hash


def test_diabetes_is_standardised_with_training_statistics_only():
    task = make_task("diabetes")
    assert task.in_features == 10 and task.X_test is not None
    assert torch.allclose(task.X_train.mean(0), torch.zeros(10), atol=1e-5)
    assert not torch.allclose(task.X_val.mean(0), torch.zeros(10), atol=1e-3)
    assert abs(float(task.y_train.std()) - 1) < 0.01


def test_digits_is_a_ten_class_task():
    task = make_task("digits")
    assert (task.loss, task.in_features, task.out_features) == ("cross_entropy", 64, 10)
    assert task.y_train.dtype == torch.long


def test_unknown_task_name():
    with pytest.raises(NasbookError, match="task='mnist' is not allowed; one of 'synthetic'"):
        make_task("mnist")


X, Y = np.zeros((10, 2)), np.zeros(10)


@pytest.mark.parametrize("arrays, words", [
    (dict(X_train=np.full((10, 2), np.nan)), ["X_train", "NaN/inf", "finite"]),
    (dict(y_val=np.array([0.0] * 9 + [np.inf])), ["y_val", "1 NaN/inf", "finite"]),
    (dict(X_train=np.zeros(10)), ["X_train.shape", "(10,)", "2-D"]),
    (dict(y_train=np.zeros(9)), ["len(y_train)", "9", "10"]),
    (dict(X_val=np.zeros((0, 2)), y_val=np.zeros(0)), ["X_val", "0 rows", "at least one row"]),
    (dict(X_val=np.zeros((10, 3))), ["X_val.shape[1]", "3", "2 features"]),
    (dict(X_train="abc"), ["X_train", "numeric"]),
])
def test_bad_data_is_refused_with_a_clear_message(arrays, words):
    kwargs = dict(X_train=X, y_train=Y, X_val=X, y_val=Y) | arrays
    with pytest.raises(NasbookError) as err:
        Task.from_arrays("mine", **kwargs)
    for word in words:
        assert word in str(err.value)


def test_cross_entropy_labels_must_be_integers():
    with pytest.raises(NasbookError, match="y_train.*integer class labels"):
        Task.from_arrays("c", X, np.full(10, 0.5), X, Y, loss="cross_entropy")
