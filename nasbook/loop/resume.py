"""Resume a search from its run log, as if it had never stopped.

A search is a deterministic function of its seed: the strategy draws every random number
from ``self.rng`` (seeded by the search seed), and every training run uses the search seed.
So a killed search can be rebuilt without saving any strategy state: run the same loop
again, and whenever the strategy proposes an architecture, take its result from the log
instead of training it. The strategy is told exactly what it was told the first time, so
its state (an RL controller's weights, an EA's population, a random generator) ends up
exactly where it was, and once the log runs out the search continues *live*.

    search("evolution", budget=50, seed=0, log="run.jsonl", resume=True)

What is checked, so that a resumed run can only ever equal the uninterrupted one:

* the log's header must describe the same run (strategy, mode, parameters, seed, budget,
  space, task, protocol, evaluator); a difference is refused, naming the field;
* every replayed proposal must be the architecture the log holds next; a *divergence*
  (the strategy now proposes something else) is refused, naming the trial;
* a half-written last line (the process was killed mid-write) is reported and cut off
  before anything new is appended; a damaged line elsewhere is refused by
  :func:`~nasbook.loop.runlog.read_log`.

``resume=True`` on a log that does not exist yet simply starts it, so the same notebook
cell or command works the first time and after every crash.
"""
from __future__ import annotations

import json
import os
from collections import deque
from pathlib import Path
from typing import Any, Callable, Sequence

from nasbook.loop.runlog import json_safe, read_log
from nasbook.trial import Trial
from nasbook.validation import NasbookError

# Header fields that must match for the log to belong to this run (device and version may differ).
MUST_MATCH = ("strategy", "mode", "seed", "budget", "space", "task", "task_seed", "task_data",
              "protocol", "evaluator", "params")  # params last: it may repeat the budget


class Replay:
    """The trials of an earlier run, handed back in the order the loop asks for them."""

    def __init__(self, path: Path, trials: Sequence[Trial], notes: Sequence[str] = ()) -> None:
        self.path = path
        self.queue: deque[Trial] = deque(trials)
        self.total = len(trials)
        self.notes = list(notes)

    @property
    def pending(self) -> bool:
        """True while logged trials remain to be replayed."""
        return bool(self.queue)

    def run(self, archs: list[dict[str, Any]], evaluate: Callable[..., list[Trial]],
            report: Callable[[Trial, bool], None]) -> list[Trial]:
        """The trials of one ``ask()``, taken from the log as far as it goes.

        ``evaluate(archs, on_trial)`` trains live (reporting trials in ask order);
        ``report(trial, logged)`` is the loop's bookkeeping. Returns the trials in the
        order of ``archs``, as ``tell`` expects.

        A batch the log covers only in part (the crash came mid-batch) is evaluated *whole*
        again: the evaluator trains a batch's same-shape networks together, and float
        rounding depends on that company, so only the whole batch reproduces the
        uninterrupted run bit for bit. The logged trials are still the ones reported and
        told; the cost is retraining at most one batch.
        """
        logged: list[Trial] = []
        while self.queue and len(logged) < len(archs) and self.queue[0].arch == archs[len(logged)]:
            logged.append(self.queue.popleft())
        if self.queue and len(logged) < len(archs):
            step = self.total - len(self.queue)
            raise NasbookError(
                f"cannot resume from {self.path}: logged trial {step} is {self.queue[0].arch}, but the "
                f"strategy now proposes {archs[len(logged)]}; the log came from a different run, or "
                f"the strategy is not deterministic for a given seed")
        if len(logged) == len(archs):
            for trial in logged:
                report(trial, True)
            return logged
        if not logged:
            return evaluate(archs, lambda trial: report(trial, False))

        position = iter(range(len(archs)))

        def on_trial(trial: Trial) -> None:  # the evaluator reports in ask order
            i = next(position)
            if i < len(logged):
                report(logged[i], True)  # retrained only for company: the log's trial counts
            else:
                report(trial, False)

        live = evaluate(archs, on_trial)
        return logged[:len(live)] + live[len(logged):]


def open_replay(path: "str | os.PathLike[str]", header: dict[str, Any]) -> "Replay | None":
    """Check the log at ``path`` against this run's ``header`` and prepare it for appending.

    Returns None when there is nothing to resume (no file, or an empty one): the caller then
    starts a fresh log.
    """
    path = Path(path)
    if not path.exists() or b"\n" not in path.read_bytes():
        return None  # nothing logged yet (or only a half-written header): start afresh
    logged, trials, notes = read_log(path)
    expected = json.loads(json.dumps(json_safe(header), default=str))  # compare as the log stores it
    for key in MUST_MATCH:
        if logged.get(key) != expected.get(key):
            raise NasbookError(f"cannot resume from {path}: it was written with {key}="
                               f"{logged.get(key)!r}, this run has {key}={expected.get(key)!r}; use the "
                               f"same settings, or a new log path to start a new search")
    for key in ("device", "nasbook"):
        if logged.get(key) != expected.get(key):
            notes.append(f"{path}: the log was written with {key}={logged.get(key)!r}, this run uses "
                         f"{expected.get(key)!r}; replay is exact, new trials may differ slightly")
    if cut_half_line(path):
        notes.append(f"{path}: the half-written last line was removed before appending")
    return Replay(path, trials, notes)


def cut_half_line(path: Path) -> bool:
    """Drop a half-written last line (no newline, not valid JSON), so appends start clean.

    Returns True if a line was dropped.
    """
    data = path.read_bytes()
    if not data or data.endswith(b"\n"):
        return False
    start = data.rfind(b"\n") + 1
    try:
        json.loads(data[start:])
        keep = data + b"\n"  # the line was complete but for its newline
    except ValueError:
        keep = data[:start]
    with open(path, "wb") as f:
        f.write(keep)
        f.flush()
        os.fsync(f.fileno())
    return len(keep) < len(data)
