"""The outer loop: ask → evaluate → log → tell, shared by every strategy.

* :mod:`.outer`    – :func:`search`, the one search loop;
* :mod:`.budget`   – the budget in evaluations, and the :class:`~.budget.Cost` of a strategy's own compute;
* :mod:`.recorder` – what happens to each finished trial (step, clock, log, progress bar, callback);
* :mod:`.runlog`   – the run log on disk (one JSON line per finished trial);
* :mod:`.lock`     – one writer per run log;
* :mod:`.resume`   – continue a search from its run log (a wrapper that serves the logged trials);
* :mod:`.result`   – :class:`SearchResult`, what a search returns.
"""
from nasbook.loop.outer import search
from nasbook.loop.result import SearchResult

__all__ = ["SearchResult", "search"]
