"""Run one notebook in a fresh kernel and report its wall time and its kernel's peak memory.

Shared by :mod:`learning_path` (time per notebook) and :mod:`memory` (peak resident memory
per notebook's kernel). Each notebook runs in its own process (``nbclient``, as nbval does),
from ``notebooks/``, at full budget unless ``fast`` (NASBOOK_FAST=1). A last cell, added in
memory only, asks the kernel for ``resource.getrusage``: the kernel's own peak resident set
(``RUSAGE_SELF``) and that of the processes it started and waited for (``RUSAGE_CHILDREN``,
e.g. the shared training pool's workers).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))

PROBE = ("import resource, json\n"
         "from nasbook.evaluation import auto\n"
         "auto.close_pool()  # its workers are waited for, so RUSAGE_CHILDREN counts them\n"
         "print('NASBOOK_RUSAGE', json.dumps([resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,\n"
         "                                    resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss]))")

RUN = """
import sys, time, nbformat
from nbclient import NotebookClient
nb = nbformat.read(sys.argv[1], as_version=4)
nb.cells.append(nbformat.v4.new_code_cell({probe!r}))
start = time.perf_counter()
NotebookClient(nb, timeout=7200, kernel_name="python3", resources={{"metadata": {{"path": sys.argv[2]}}}}).execute()
seconds = time.perf_counter() - start
text = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
print("NASBOOK_SECONDS", seconds)
print(text.strip().splitlines()[-1])
"""


def run_notebook(path: Path, fast: bool) -> dict[str, Any]:
    """Execute ``path`` in a fresh kernel: seconds, and peak RSS (MB) of the kernel and its children."""
    # NASBOOK_SOLUTION=1: 10's student cells get the reference solution (as in the test suite),
    # so the hand-out runs top to bottom instead of stopping at "ask() is not written yet".
    env = {"NASBOOK_SOLUTION": "1", **os.environ, "NASBOOK_FAST": "1" if fast else "0", "MPLBACKEND": "Agg",
           "TQDM_DISABLE": "1",
           "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", RUN.format(probe=PROBE), str(path), str(path.parent)],
                          capture_output=True, text=True, env=env)
    wall = time.perf_counter() - start
    if done.returncode:
        return {"notebook": path.name, "ok": False, "error": done.stderr.strip()[-800:], "process_s": wall}
    lines = done.stdout.strip().splitlines()
    seconds = float(next(line.split()[1] for line in lines if line.startswith("NASBOOK_SECONDS")))
    kernel_kb, children_kb = json.loads(next(line for line in lines if line.startswith("NASBOOK_RUSAGE"))
                                        .split(" ", 1)[1])
    return {"notebook": path.name, "ok": True, "seconds": seconds, "process_s": wall,
            "kernel_peak_mb": kernel_kb / 1024, "workers_peak_mb": children_kb / 1024}


def fast_requested(flag: bool) -> bool:
    return flag or os.environ.get("NASBOOK_FAST", "0").strip().lower() in ("1", "true", "yes")


def chosen(names: list[str]) -> list[Path]:
    """The notebooks named (a prefix such as ``01`` is enough), or all nine."""
    return [p for p in NOTEBOOKS if not names or any(p.name.startswith(n) for n in names)]


def run_chosen(description: str, argv: list[str] | None,
               show: Callable[[Path, dict[str, Any]], None]) -> tuple[Any, bool, list[dict[str, Any]]]:
    """The command line both scripts share (notebook prefixes, ``--json``, ``--fast``): run the
    chosen notebooks one after the other, ``show`` each result as it comes; (args, fast, runs)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("notebooks", nargs="*", help="prefixes of the notebooks to run (default: all)")
    parser.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    parser.add_argument("--fast", action="store_true", help="CI budgets (also NASBOOK_FAST=1)")
    args = parser.parse_args(argv)
    fast = fast_requested(args.fast)
    runs = []
    for path in chosen(args.notebooks):
        runs.append(run_notebook(path, fast))
        show(path, runs[-1])
    return args, fast, runs
