"""Experiments across many searches: the showdown of strategies, and cheap proxies judged.

* :mod:`.showdown` – every strategy, many seeds, on the tabular benchmark;
* :mod:`.proxies`  – low-fidelity proxies and performance predictors, and rank correlation.
"""
