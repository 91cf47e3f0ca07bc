"""Peak memory of one training epoch: DARTS' supernet against one network of the space.

The article calls DARTS the most memory-efficient strategy. A DARTS supernet holds every
candidate at once (all activations mixed, the widest layer, one exit per depth), while
random search, evolution and RL train one ordinary network at a time. So the test is a
measurement: the extra memory at the peak of one supernet epoch (a weight step and an α
step) against one epoch of training the *largest* network of the space (the most any
one-network-at-a-time strategy ever needs), on the same task and protocol.

How it is measured (:func:`peak_bytes` says which, in its ``method``):

* **on a GPU**: ``torch.cuda.max_memory_allocated()`` after ``reset_peak_memory_stats()``,
  minus the memory allocated before the epoch: bytes held by tensors at the peak;
* **on a CPU**: the peak resident set size of a *fresh subprocess* (Linux: ``VmHWM`` after
  resetting it through ``/proc/self/clear_refs``; elsewhere ``ru_maxrss``) minus its resident
  size just before the epoch. A fresh process each time, because memory freed inside one
  process is kept by the C allocator and reused, which would hide the second measurement.
  RSS counts whole pages and whatever the allocator keeps, so it is coarser than the GPU
  figure; torch's CPU tensors are invisible to Python's ``tracemalloc``, so that is not used.

Run ``python -m nasbook.experiments.memory supernet|network TASK DEVICE BATCH|full`` to measure one.
"""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

import torch

from nasbook.validation import check_choice, check_int

WHAT = ("supernet", "network")


def largest_network(space: Any) -> dict[str, Any]:
    """The space's deepest, widest architecture (other keys: their first choice)."""
    arch = {key: values[0] for key, values in space.choices.items()}
    arch.update(num_hidden_layers=max(space.choices["num_hidden_layers"]),
                hidden_layer_size=max(space.choices["hidden_layer_size"]))
    return arch


def one_epoch(what: str, task: str, device: str, batch_size: int | None = None) -> Any:
    """A function running one epoch of ``what`` (DARTS default-mode supernet, or the
    largest network of the article's space) with mini-batches of ``batch_size`` rows (None: full
    batch, the tabular benchmark's protocol), everything it needs built beforehand — and
    one epoch of the smallest network already run, so torch's one-time set-up (kernels,
    thread pools) is not counted against either."""
    from nasbook.evaluation.protocols import Protocol
    from nasbook.evaluation.training import Evaluator
    from nasbook.spaces.space import SearchSpace
    from nasbook.strategies.darts import DARTS

    epoch = Protocol("one epoch", epochs=1, batch_size=batch_size, checkpoints=(1,))
    evaluator = Evaluator(task, protocol=epoch, device=device, cache=False)
    space = SearchSpace()
    evaluator.fit({key: values[0] for key, values in space.choices.items()}, 0)  # warm-up: torch's one-time set-up
    if what == "network":
        arch = largest_network(space)
        return lambda: evaluator.fit(arch, 0)
    darts = DARTS(mode="default", epochs=1)
    darts.setup(space, 0, evaluator, budget=None)
    return darts.train_supernet


def _rss_bytes(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def measure_here(what: str, task: str = "synthetic", device: str = "cpu",
                 batch_size: int | None = None) -> dict[str, Any]:
    """Measure in this process (on a CPU: call it in a fresh process, see the module docstring)."""
    run = one_epoch(check_choice("what", what, WHAT), task, device, batch_size)
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        before = torch.cuda.memory_allocated()
        run()
        torch.cuda.synchronize()
        return {"bytes": int(torch.cuda.max_memory_allocated() - before),
                "method": "torch.cuda.max_memory_allocated (tensor bytes at the peak)"}
    try:
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM, the peak RSS
        reset = True
    except OSError:
        reset = False
    before = _rss_bytes("VmRSS")
    run()
    if reset and before is not None:
        peak, method = _rss_bytes("VmHWM"), "peak RSS of a fresh process (Linux VmHWM, reset before the epoch)"
    else:  # ru_maxrss: kilobytes on Linux, bytes on macOS
        scale = 1 if sys.platform == "darwin" else 1024
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale
        before = before or 0
        method = "peak RSS of a fresh process (ru_maxrss; includes start-up, so an upper bound)"
    return {"bytes": int(max(0, (peak or 0) - before)), "method": method}


def peak_bytes(what: str, task: str = "synthetic", device: str = "cpu",
               batch_size: int | None = None) -> dict[str, Any]:
    """``{"bytes": extra bytes at the peak of one epoch of `what`, "method": how}``.

    On a GPU in this process; on a CPU in a fresh subprocess with one torch thread.
    """
    check_choice("what", what, WHAT)
    if batch_size is not None:
        check_int("batch_size", batch_size, minimum=1)
    if torch.device(device).type == "cuda":
        return measure_here(what, task, device, batch_size)
    root = str(Path(__file__).resolve().parents[2])  # the nasbook this one is, in the child too
    env = {**os.environ, "PYTHONPATH": root + os.pathsep + os.environ.get("PYTHONPATH", ""),
           "OMP_NUM_THREADS": "1"}
    out = subprocess.run([sys.executable, "-m", "nasbook.experiments.memory", what, task, device,
                          str(batch_size or "full")],
                         capture_output=True, text=True, env=env, check=True, timeout=300)
    return json.loads(out.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    torch.set_num_threads(1)
    what, task, device, batch = sys.argv[1:5]
    print(json.dumps(measure_here(what, task, device, None if batch == "full" else int(batch))))
