"""Experiments across many searches: the showdown of strategies, cheap proxies judged, and the statistics.

* :mod:`.showdown` – every strategy, many seeds, on the tabular benchmark;
* :mod:`.proxies`  – low-fidelity proxies and performance predictors, and rank correlation;
* :mod:`.aging`    – aging (regularized) evolution against kill-the-worst, paired over seeds;
* :mod:`.bilevel`  – notebook 01's landscape, memorisation and split-loss helpers;
* :mod:`.stats`    – paired tests over seeds, bootstrap intervals, Holm, FOR/AGAINST/INCONCLUSIVE verdicts.
"""
