"""What does the table say about one key? Its choices among the best architectures, and their losses.

"The winners use a large learning rate" is a claim about a *marginal*: hold one key (say
``learning_rate``) at one value, let every other key vary, and ask how good those architectures
are. :func:`choice_marginals` answers it from the whole table, two ways:

* **among the top k**: how many of the ``k`` best architectures (lowest true score) use each
  value, next to how many a random draw of ``k`` would hold (the value's share of the space);
* **over the whole space**: the median true score of all architectures with that value, with a
  seeded bootstrap interval (:func:`nasbook.experiments.stats.median_interval`).

An architecture whose every training seed diverged scores ``inf``; the median ranks it last
(the rule of :mod:`nasbook.experiments.stats`), and ``diverged`` counts those architectures.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from nasbook.experiments.stats import median_interval
from nasbook.tabular.table import BenchTable
from nasbook.validation import check_choice, check_float, check_int


def choice_marginals(table: BenchTable, key: str, top_k: int = 100, level: float = 0.95,
                     seed: int = 0) -> "Any":
    """One row per choice of ``key``: its count among the ``top_k`` best, and its median true score.

    Columns: ``in_top_k`` (architectures among the ``top_k`` best with this value), ``expected``
    (``top_k`` times the value's share of the table: what chance would give), ``median_loss``
    with ``low`` and ``high`` (the bootstrap interval at ``level``), ``archs`` and ``diverged``.
    Rows are in the order of the space's choices. Ties at the ``top_k`` boundary are broken by
    the enumeration order (stable sort), so the counts are reproducible.
    """
    import pandas as pd

    frame = table.frame()
    key = check_choice("key", key, tuple(table.space.keys))
    top_k = check_int("top_k", top_k, 1, len(frame))
    level = check_float("level", level, 0.5, 1.0, high_open=True)
    best = frame.sort_values("mean_val_loss", kind="stable").head(top_k)
    rows = []
    for value in table.space.choices[key]:
        losses = frame.loc[frame[key] == value, "mean_val_loss"].to_numpy(dtype=float)
        interval = median_interval(losses, level=level, seed=seed)
        rows.append({key: value, "in_top_k": int((best[key] == value).sum()),
                     "expected": top_k * len(losses) / len(frame), "median_loss": interval.estimate,
                     "low": interval.low, "high": interval.high, "archs": len(losses),
                     "diverged": int(np.isinf(losses).sum())})
    return pd.DataFrame(rows).set_index(key)
