"""choice_marginals: one key's choices among the best architectures, and their median loss (nasbook/tabular/marginals.py)."""
import numpy as np
import pytest

from nasbook import NasbookError
from nasbook.tabular import load_table
from nasbook.tabular.marginals import choice_marginals
from table_helpers import fake_table


def known_table():
    """8 architectures; learning_rate alternates 0.1, 0.01 in enumeration order, so odd rows use 0.01."""
    loss = np.array([5.0, 1.0, 6.0, 2.0, 7.0, 3.0, 8.0, 4.0])  # every lr=0.01 row beats every lr=0.1 row
    return fake_table(np.repeat(loss[:, None, None], 3, axis=1).repeat(4, axis=2))


def test_counts_among_the_top_k_and_medians_per_choice():
    m = choice_marginals(known_table(), "learning_rate", top_k=4)
    assert list(m.index) == [0.1, 0.01]
    assert m.loc[0.01, "in_top_k"] == 4 and m.loc[0.1, "in_top_k"] == 0
    assert m.loc[0.01, "expected"] == m.loc[0.1, "expected"] == 2.0
    assert m.loc[0.01, "median_loss"] == 2.5 and m.loc[0.1, "median_loss"] == 6.5
    assert m.loc[0.01, "low"] <= 2.5 <= m.loc[0.01, "high"] < m.loc[0.1, "low"]
    assert (m["archs"] == 4).all() and (m["diverged"] == 0).all()


def test_all_diverged_architectures_rank_last_and_are_counted():
    curve = np.repeat(np.arange(1.0, 9.0)[:, None, None], 2, axis=1).repeat(4, axis=2)
    diverged = np.zeros((8, 2), dtype=bool)
    diverged[1] = True  # architecture 1 (lr 0.01) never trained
    m = choice_marginals(fake_table(curve, diverged), "learning_rate", top_k=2)
    assert m.loc[0.01, "diverged"] == 1 and m.loc[0.1, "diverged"] == 0
    assert m.loc[0.1, "in_top_k"] == 2 and np.isfinite(m["median_loss"]).all()


def test_refuses_unknown_keys_and_bad_k():
    with pytest.raises(NasbookError, match="key"):
        choice_marginals(known_table(), "momentum")
    with pytest.raises(NasbookError, match="top_k"):
        choice_marginals(known_table(), "optimizer", top_k=9)


def test_the_shipped_table_does_not_favour_the_largest_learning_rate():
    m = choice_marginals(load_table(), "learning_rate", top_k=100)
    assert m["in_top_k"].sum() == 100 and m.loc[0.1, "in_top_k"] <= 1
    assert m["median_loss"].idxmax() == 0.1
