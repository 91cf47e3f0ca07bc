"""Old module paths keep working: nasbook 0.1's flat modules now live in folders.

nasbook 0.2 puts each part of the idea in its own folder (spaces/, evaluation/, loop/, ...).
Code written for 0.1 — a teacher's assignment, a student's notebook — still runs:
``import nasbook.toy`` finds :mod:`nasbook.evaluation.toy` and says, once, where it moved.
The map below is the whole mechanism (an import hook that answers only these names).
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import warnings
from types import ModuleType
from typing import Any, Sequence

MOVED = {
    "nasbook.space": "nasbook.spaces.space",
    "nasbook.models": "nasbook.spaces.mlp",
    "nasbook.evaluator": "nasbook.evaluation.training",
    "nasbook.parallel": "nasbook.evaluation.stacked",
    "nasbook.stacked_optim": "nasbook.evaluation.stacked_optim",
    "nasbook.executors": "nasbook.evaluation.executors",
    "nasbook.toy": "nasbook.evaluation.toy",
    "nasbook.search": "nasbook.loop.outer",
    "nasbook.runlog": "nasbook.loop.runlog",
    "nasbook.resume": "nasbook.loop.resume",
    "nasbook.result": "nasbook.loop.result",
    "nasbook.supernet": "nasbook.oneshot.supernet",
    "nasbook.architect": "nasbook.oneshot.architect",
    "nasbook.bench": "nasbook.tabular",
    "nasbook.bench.build": "nasbook.tabular.build",
    "nasbook.bench.table": "nasbook.tabular.table",
    "nasbook.bench.evaluator": "nasbook.tabular.evaluator",
    "nasbook.bench.command": "nasbook.tabular.command",
    "nasbook.bench.replay": "nasbook.tabular.recorded",
    "nasbook.bench.showdown": "nasbook.experiments.showdown",
    "nasbook.proxies": "nasbook.experiments.proxies",
    "nasbook.pareto": "nasbook.strategies.pareto",
    "nasbook.peers": "nasbook.strategies",
    "nasbook.peers.optuna_tpe": "nasbook.strategies.optuna_tpe",
    "nasbook.plots": "nasbook.viz.plots",
    "nasbook.widgets": "nasbook.viz.widgets",
    "nasbook.assignments.benchmark": "nasbook.assignments.testbed",
}


class MovedModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Answers an import of an old name with the module at its new place (and a FutureWarning)."""

    def find_spec(self, name: str, path: Sequence[str] | None = None, target: Any = None) -> Any:
        if name not in MOVED:
            return None
        return importlib.util.spec_from_loader(name, self)

    def create_module(self, spec: Any) -> ModuleType:
        warnings.warn(f"{spec.name} moved to {MOVED[spec.name]} in nasbook 0.2; import it from there",
                      FutureWarning, stacklevel=2)
        return importlib.import_module(MOVED[spec.name])

    def exec_module(self, module: ModuleType) -> None:
        pass  # the new module is already imported and run


def install() -> None:
    """Put the finder after Python's own, so it only ever answers names that no longer exist.

    ``nasbook.search`` is special: it is also the *function*. Importing a module of that name
    would make Python set ``nasbook.search`` to the module, so the old module name is simply
    registered up front (an import then finds it done and changes nothing).
    """
    sys.modules.setdefault("nasbook.search", importlib.import_module(MOVED["nasbook.search"]))
    if not any(isinstance(finder, MovedModules) for finder in sys.meta_path):
        sys.meta_path.append(MovedModules())
