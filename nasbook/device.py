"""Pick the device to train on, and say which one out loud.

``"auto"`` means: a CUDA GPU if PyTorch sees one, else Apple's MPS, else the CPU.
"""
from __future__ import annotations

import torch

from nasbook.validation import fail

DEVICES = ("auto", "cpu", "cuda", "mps")


def resolve_device(device: "str | torch.device" = "auto") -> torch.device:
    """Turn ``"auto"``/``"cpu"``/``"cuda"``/``"cuda:1"``/``"mps"`` into a usable torch.device."""
    if isinstance(device, torch.device):
        device = str(device)
    if not isinstance(device, str) or device.split(":")[0] not in DEVICES:
        raise fail("device", device, "one of 'auto', 'cpu', 'cuda', 'cuda:N', 'mps'")
    if device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise fail("device", device, "'cpu' or 'auto' (PyTorch sees no CUDA GPU here)")
    if device == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise fail("device", device, "'cpu' or 'auto' (PyTorch sees no Apple MPS device here)")
    try:
        resolved = torch.device(device)
    except RuntimeError:
        raise fail("device", device, "one of 'auto', 'cpu', 'cuda', 'cuda:N', 'mps'") from None
    if resolved.type == "cuda" and resolved.index is not None and resolved.index >= torch.cuda.device_count():
        raise fail("device", device, f"'cuda' or 'cuda:0' .. 'cuda:{torch.cuda.device_count() - 1}' "
                   f"(PyTorch sees {torch.cuda.device_count()} GPU(s))")
    return resolved


def describe_device(device: torch.device) -> str:
    """A sentence for learners: which device, and why it matters."""
    if device.type == "cuda":
        return f"Using GPU {torch.cuda.get_device_name(device)} ({device})."
    if device.type == "mps":
        return "Using the Apple-silicon GPU (mps)."
    return "Using the CPU (no GPU found); budgets are sized so this is fine."
