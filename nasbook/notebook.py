"""Small helpers the notebooks share: the CI-budget switch and saying which device runs.

Every notebook picks its budgets with :func:`budget`, so ``NASBOOK_FAST=1`` (set by the test
suite) shrinks them while every code path stays the same.
"""
from __future__ import annotations

import os

import torch

from nasbook.device import describe_device, resolve_device
from nasbook.evaluation.warmup import warm_up_in_background


def fast_mode() -> bool:
    """True when the environment variable NASBOOK_FAST is set to 1/true/yes."""
    return os.environ.get("NASBOOK_FAST", "0").strip().lower() in ("1", "true", "yes")


def budget(full: int, fast: int) -> int:
    """``full`` normally, ``fast`` in the CI-budget mode."""
    return fast if fast_mode() else full


def setup_notebook(seed: int = 0) -> torch.device:
    """Seed torch, pick the device (GPU when present), and say both out loud.

    It also starts paying, in the background, what the first trial of a process would pay
    (:mod:`nasbook.evaluation.warmup`), while the learner reads the first cells.
    """
    torch.manual_seed(seed)
    warm_up_in_background()
    device = resolve_device("auto")
    print(describe_device(device))
    print("Fast CI-budget mode (NASBOOK_FAST=1): budgets are shrunk." if fast_mode()
          else "Full budgets (set NASBOOK_FAST=1 for a quick run).")
    return device
