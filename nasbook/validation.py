"""Checks for values that cross nasbook's public boundary.

Every public entry point validates its inputs *before* any training starts, and every
error names the field, the bad value and what is allowed. These helpers keep those
messages uniform, so a learner always reads the same kind of sentence.
"""
from __future__ import annotations

import math
from typing import Any, Iterable


class NasbookError(ValueError):
    """A value given to nasbook is not allowed. The message says which, and what is."""


def fail(field: str, value: Any, allowed: str) -> NasbookError:
    """Build the standard error: ``field=value is not allowed; allowed: ...``."""
    return NasbookError(f"{field}={value!r} is not allowed; {allowed}")


def check_int(field: str, value: Any, minimum: int | None = None, maximum: int | None = None) -> int:
    """Return ``value`` if it is an int (not a bool) within [minimum, maximum]."""
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            import numpy as np

            if isinstance(value, np.integer):
                value = int(value)
            else:
                raise TypeError
        except TypeError:
            raise fail(field, value, _int_range(minimum, maximum)) from None
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise fail(field, value, _int_range(minimum, maximum))
    return value


MAX_SEED = 2**32 - 1  # what numpy and torch both accept everywhere


def check_seed(field: str, value: Any) -> int:
    """Return ``value`` if it is a usable random seed: an integer from 0 to 2**32 - 1."""
    return check_int(field, value, minimum=0, maximum=MAX_SEED)


def _int_range(minimum: int | None, maximum: int | None) -> str:
    if minimum is not None and maximum is not None:
        return f"an integer from {minimum} to {maximum}"
    if minimum is not None:
        return f"an integer >= {minimum}"
    if maximum is not None:
        return f"an integer <= {maximum}"
    return "an integer"


def check_float(field: str, value: Any, low: float | None = None, high: float | None = None,
                high_open: bool = False) -> float:
    """Return ``value`` as a float if it is a finite number in [low, high] (or [low, high))."""
    allowed = "a finite number"
    if low is not None and high is not None:
        allowed += f" in [{low}, {high}{')' if high_open else ']'}"
    elif low is not None:
        allowed += f" >= {low}"
    if isinstance(value, (bool, str, bytes)):  # True is not 1.0, "0.1" is not 0.1
        raise fail(field, value, allowed)
    try:
        number = float(value)  # ints, floats, numpy scalars
    except (TypeError, ValueError):
        raise fail(field, value, allowed) from None
    shown = value if isinstance(value, (int, float)) else number  # the user's -1, not -1.0
    if not math.isfinite(number):
        raise fail(field, shown, allowed)
    if low is not None and number < low:
        raise fail(field, shown, allowed)
    if high is not None and (number > high or (high_open and number >= high)):
        raise fail(field, shown, allowed)
    return number


def check_choice(field: str, value: Any, allowed: Iterable[Any]) -> Any:
    """Return ``value`` if it is one of ``allowed``."""
    allowed = list(allowed)
    if value not in allowed:
        raise fail(field, value, "one of " + ", ".join(repr(a) for a in allowed))
    return value
