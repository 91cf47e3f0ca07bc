"""The outer loop: ask → evaluate → log → tell, shared by every strategy.

* :mod:`.outer`  – :func:`search`, the one search loop;
* :mod:`.runlog` – the run log on disk (one JSON line per finished trial);
* :mod:`.resume` – continue a search from its run log;
* :mod:`.result` – :class:`SearchResult`, what a search returns.
"""
from nasbook.loop.outer import search
from nasbook.loop.result import SearchResult

__all__ = ["SearchResult", "search"]
