"""Experiments across many searches: the showdown of strategies, cheap proxies judged, and the statistics.

* :mod:`.showdown` – every strategy, many seeds, on the tabular benchmark;
* :mod:`.proxies`  – low-fidelity proxies and performance predictors, and rank correlation;
* :mod:`.reinforce` – REINFORCE on a two-key bandit with known rewards: the exact gradient, the
  estimator's variance with and without a baseline, what ``clip(−log L)`` optimises;
* :mod:`.stats`    – paired tests over seeds, bootstrap intervals, Holm, FOR/AGAINST/INCONCLUSIVE verdicts.
"""
