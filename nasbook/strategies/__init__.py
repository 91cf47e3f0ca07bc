"""Search strategies: each module holds one policy; they share the loop in ``nasbook.search``."""
from __future__ import annotations

import inspect
from typing import Any

from nasbook.validation import NasbookError, check_choice
from nasbook.strategies.base import MODE_ALIASES, MODES, Strategy, check_mode
from nasbook.strategies.asha import ASHA
from nasbook.strategies.bohb import BOHB
from nasbook.strategies.darts import DARTS
from nasbook.strategies.evolution import Evolution
from nasbook.strategies.hyperband import Hyperband
from nasbook.strategies.local_search import LocalSearch
from nasbook.strategies.pareto_evolution import ParetoEvolution
from nasbook.strategies.random_search import RandomSearch
from nasbook.strategies.rl import REINFORCE
from nasbook.strategies.successive_halving import SuccessiveHalving

STRATEGIES: dict[str, type[Strategy]] = {
    "random": RandomSearch,
    "local": LocalSearch,
    "evolution": Evolution,
    "pareto": ParetoEvolution,
    "rl": REINFORCE,
    "darts": DARTS,
    "sh": SuccessiveHalving,  # multi-fidelity: they ask for fewer epochs (nasbook.fidelity)
    "hyperband": Hyperband,
    "bohb": BOHB,
    "asha": ASHA,
}


def _register_peers() -> None:
    """Other tools' samplers (their packages are imported only when a search starts)."""
    from nasbook.strategies.optuna_hyperband import OptunaHyperband
    from nasbook.strategies.optuna_tpe import OptunaTPE

    STRATEGIES["optuna-tpe"] = OptunaTPE
    STRATEGIES["optuna-hyperband"] = OptunaHyperband  # multi-fidelity: TPE with Optuna's HyperbandPruner


_register_peers()


def make_strategy(strategy: "str | Strategy", mode: str | None = None, **params: Any) -> Strategy:
    """A strategy by registry name (``"random"``, ...) in ``mode`` (None: ``"default"``), or an
    instance passed through (its constructor chose its mode: a ``mode`` beside it is refused)."""
    if isinstance(strategy, Strategy):
        if mode is not None or params:
            name = type(strategy).__name__
            given = f"mode={mode!r}" if mode is not None else ", ".join(f"{k}={v!r}" for k, v in params.items())
            raise NasbookError(f"{given} is not allowed beside a strategy instance ({name}, mode="
                               f"{strategy.mode!r}): an instance carries its own mode and parameters; set them "
                               f"in its constructor (e.g. {name}(mode='article')), or pass the strategy's name")
        return strategy
    mode = "default" if mode is None else mode
    if isinstance(strategy, type) and issubclass(strategy, Strategy):
        return build(strategy, mode, params)
    check_choice("strategy", strategy, STRATEGIES)
    return build(STRATEGIES[strategy], mode, params)


def build(cls: type[Strategy], mode: str, params: dict[str, Any]) -> Strategy:
    """``cls(mode=mode, **params)``, or a NasbookError saying what the class lacks."""
    if inspect.isabstract(cls):
        missing = ", ".join(sorted(cls.__abstractmethods__))
        raise NasbookError(f"strategy={cls.__name__} cannot be used yet: it must implement {missing} "
                           f"(see nasbook.strategies.base.Strategy)")
    try:
        signature = inspect.signature(cls)
        signature.bind(mode=mode, **params)
    except TypeError:
        call = f"{cls.__name__}(mode={mode!r}" + "".join(f", {k}={v!r}" for k, v in params.items()) + ")"
        raise NasbookError(f"strategy={cls.__name__} cannot be built as {call}: its parameters are ({shown(signature)}) "
                           f"(a strategy's __init__ takes mode: def __init__(self, mode='default', ...): "
                           f"super().__init__(mode))") from None
    except ValueError:  # no signature to read
        pass
    return cls(mode=mode, **params)


def shown(signature: inspect.Signature) -> str:
    """A signature as a learner writes it: ``mode='default', batch_size=1`` (no annotations)."""
    return ", ".join(p.name if p.default is p.empty else f"{p.name}={p.default!r}"
                     for p in signature.parameters.values())


__all__ = ["ASHA", "BOHB", "DARTS", "MODES", "MODE_ALIASES", "STRATEGIES", "Evolution", "Hyperband", "LocalSearch", "ParetoEvolution",
           "REINFORCE", "RandomSearch", "Strategy", "SuccessiveHalving", "check_mode", "make_strategy"]
