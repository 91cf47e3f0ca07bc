"""Experiments across many searches: the showdown of strategies, the article's claims judged, cheap proxies, statistics.

* :mod:`.showdown`  – every strategy, many seeds, on the tabular benchmark;
* :mod:`.anytime`   – any-time regret against compute (evaluation-equivalents), fidelities mixed;
* :mod:`.claims`    – the article's "Best when" claims, each with the experiment that tests it;
* :mod:`.subspaces` – spaces of growing size cut from one table (broad vs small spaces);
* :mod:`.memory`    – peak memory of a DARTS supernet epoch against one network;
* :mod:`.heldout`   – the test loss of each search's pick (held-out truth);
* :mod:`.report`, :mod:`.checklist` – the verdict table, the summary and the reproducibility
  checklist, written from the numbers;
* :mod:`.proxies`   – low-fidelity proxies and performance predictors, and rank correlation;
* :mod:`.aging`     – aging (regularized) evolution against kill-the-worst, paired over seeds;
* :mod:`.bilevel`   – notebook 01's landscape, memorisation and split-loss helpers;
* :mod:`.reinforce` – REINFORCE on a two-key bandit with known rewards: the exact gradient, the
  estimator's variance with and without a baseline, what ``clip(−log L)`` optimises;
* :mod:`.collapse`  – DARTS on a cell space trained longer and longer: the drift onto parameter-free
  ops, the derived cells' true loss, DARTS+'s early stopping against it;
* :mod:`.sharing`   – weight sharing judged: supernet scores against true scores, over supernet seeds;
* :mod:`.stats`     – paired tests over seeds, bootstrap intervals, Holm, FOR/AGAINST/INCONCLUSIVE verdicts.
"""
