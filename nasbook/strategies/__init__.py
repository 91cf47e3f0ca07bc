"""Search strategies: each module holds one policy; they share the loop in ``nasbook.search``."""
from __future__ import annotations

from typing import Any

from nasbook.validation import check_choice
from nasbook.strategies.base import MODES, Strategy
from nasbook.strategies.darts import DARTS
from nasbook.strategies.evolution import Evolution
from nasbook.strategies.local_search import LocalSearch
from nasbook.strategies.pareto_evolution import ParetoEvolution
from nasbook.strategies.random_search import RandomSearch
from nasbook.strategies.rl import REINFORCE

STRATEGIES: dict[str, type[Strategy]] = {
    "random": RandomSearch,
    "local": LocalSearch,
    "evolution": Evolution,
    "pareto": ParetoEvolution,
    "rl": REINFORCE,
    "darts": DARTS,
}


def _register_peers() -> None:
    """Other tools' samplers (their packages are imported only when a search starts)."""
    from nasbook.strategies.optuna_tpe import OptunaTPE

    STRATEGIES["optuna-tpe"] = OptunaTPE


_register_peers()


def make_strategy(strategy: "str | Strategy", mode: str = "default", **params: Any) -> Strategy:
    """A strategy by registry name (``"random"``, ...) or an instance passed through."""
    if isinstance(strategy, Strategy):
        return strategy
    if isinstance(strategy, type) and issubclass(strategy, Strategy):
        return strategy(mode=mode, **params)
    check_choice("strategy", strategy, STRATEGIES)
    return STRATEGIES[strategy](mode=mode, **params)


__all__ = ["DARTS", "MODES", "STRATEGIES", "Evolution", "LocalSearch", "ParetoEvolution", "REINFORCE", "RandomSearch",
           "Strategy", "make_strategy"]
