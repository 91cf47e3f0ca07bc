"""Load a student's strategy class from ``path/to/file.py:ClassName`` (or ``package.module:Name``).

One loader for every entry point that takes a class by name — the assignment kit
(``python -m nasbook.assignments FILE.py:Class``) and ``nasbook search --strategy FILE.py:Class`` —
so both accept the same forms and refuse the same mistakes with the same one-line messages.
The file is *run* to load the class: only load code you would run yourself.
"""
from __future__ import annotations

import importlib
import importlib.util
import sys
import traceback
from pathlib import Path
from typing import Any

from nasbook.validation import NasbookError, fail

FORMS = "FILE.py:ClassName or package.module:ClassName"


def load_class(target: Any, field: str = "target") -> Any:
    """``path/to/file.py:Name`` or ``package.module:Name`` -> the object it names.

    Raises a NasbookError naming ``field`` and ``target`` for a value without a colon, a
    missing file, a missing name, or a module that raises while it loads.
    """
    if not isinstance(target, str):
        raise fail(field, target, FORMS)
    where, _, name = target.rpartition(":")
    if not where or not name:
        raise fail(field, target, FORMS)
    if where.endswith(".py") and not Path(where).is_file():
        raise fail(field, target, "an existing .py file before the ':'")
    try:
        module = run_file(Path(where)) if where.endswith(".py") else importlib.import_module(where)
    except Exception as error:  # noqa: BLE001 - the submission itself failed to load
        raise NasbookError(f"loading {target} raised "
                           f"{traceback.format_exception_only(type(error), error)[-1].strip()}") from None
    if not hasattr(module, name):
        raise fail(field, target, f"a name defined in {where} (it has no {name!r})")
    return getattr(module, name)


def run_file(path: Path) -> Any:
    """Run the file at ``path`` as a module and return it (registered in ``sys.modules``)."""
    spec = importlib.util.spec_from_file_location(f"submission_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses and pickling look modules up by name
    spec.loader.exec_module(module)
    return module


def load_strategy_class(target: Any, field: str = "strategy") -> type:
    """:func:`load_class`, refusing anything that is not a subclass of :class:`nasbook.Strategy`."""
    from nasbook.strategies.base import Strategy

    cls = load_class(target, field)
    if not (isinstance(cls, type) and issubclass(cls, Strategy)):
        raise fail(field, target, f"a subclass of nasbook.Strategy (it names {cls!r})")
    return cls
