"""Search strategies: each module holds one policy; they share the loop in ``nasbook.search``."""
from __future__ import annotations

from typing import Any

from ..validation import check_choice
from .base import MODES, Strategy
from .evolution import Evolution
from .random_search import RandomSearch

STRATEGIES: dict[str, type[Strategy]] = {"random": RandomSearch, "evolution": Evolution}


def make_strategy(strategy: "str | Strategy", mode: str = "default", **params: Any) -> Strategy:
    """A strategy by registry name (``"random"``, ...) or an instance passed through."""
    if isinstance(strategy, Strategy):
        return strategy
    if isinstance(strategy, type) and issubclass(strategy, Strategy):
        return strategy(mode=mode, **params)
    check_choice("strategy", strategy, STRATEGIES)
    return STRATEGIES[strategy](mode=mode, **params)


__all__ = ["MODES", "STRATEGIES", "Evolution", "RandomSearch", "Strategy", "make_strategy"]
