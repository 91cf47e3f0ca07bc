"""What the first trial of a process pays, paid ahead of time.

Measured (``benchmarks/first_trial.py``): in a fresh process the first training of a
small network took 3.5 s and the next ones 0.6 s. Profiling the first one shows where the
3 s go: not first-call kernels or the memory allocator (after the fix below the first
trial costs what the second does), but one lazy import. Every ``torch.optim`` optimiser is
wrapped in ``torch._disable_dynamo``, which imports ``torch._dynamo`` (the compiler stack,
825 modules with sympy) the first time an optimiser is created.

That cost cannot be removed without changing PyTorch, so nasbook *hides* it:

* pool workers (:class:`~nasbook.evaluation.executors.LocalPool`) import it when they start,
  before their first job, all at once, while the main process goes on;
* a notebook kernel imports it in a background thread from ``setup_notebook()``, while the
  learner reads the first cells (:func:`warm_up_in_background`).
"""
from __future__ import annotations

import threading

_started: threading.Thread | None = None


def warm_up() -> None:
    """Pay the first trial's one-off cost now: import what ``torch.optim`` imports lazily."""
    import torch._dynamo  # noqa: F401  (what the first torch.optim optimiser would import)


def warm_up_in_background() -> threading.Thread:
    """Start :func:`warm_up` in a daemon thread (once per process) and return the thread.

    A training that starts before it ends simply waits for the import to finish (Python's
    import lock), so nothing is paid twice.
    """
    global _started
    if _started is None:
        _started = threading.Thread(target=warm_up, name="nasbook-warm-up", daemon=True)
        _started.start()
    return _started


__all__ = ["warm_up", "warm_up_in_background"]
