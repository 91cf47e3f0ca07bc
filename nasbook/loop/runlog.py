"""The run log: one JSON line per finished trial, written the moment it finishes.

The log on disk is the truth about a search. Its first line is a *header* describing the
run (strategy, mode, seed, budget, task, protocol, space); every later line is one trial.
Each line is flushed and fsync'ed as soon as it is written, so a crash, a kill or a
closed laptop loses at most the trial that was still training.

Everything is JSON: nothing here unpickles anything.
"""
from __future__ import annotations

import json
import math
import os
import signal
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from nasbook.trial import Trial
from nasbook.validation import NasbookError, fail


class RunLog:
    """Append-only JSON-lines writer."""

    def __init__(self, path: "str | os.PathLike[str]") -> None:
        self.path = Path(path)

    def start(self, header: dict[str, Any]) -> str | None:
        """Begin a fresh log at ``path`` with its header line.

        A log already there that holds trials is not destroyed: it is moved to
        ``<path>.bak`` (replacing an older one), and the returned note says so.
        """
        note = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if self.path.is_file() and self.path.read_bytes().count(b"\n") > 1:
                backup = self.path.with_name(self.path.name + ".bak")
                os.replace(self.path, backup)
                note = (f"{self.path} held an earlier run; it was moved to {backup} (to continue "
                        f"a run instead, pass resume=True / --resume)")
            with open(self.path, "w", encoding="utf-8") as f:
                self._write(f, {"kind": "header", **header})
        except OSError as err:
            raise fail("log", str(self.path), f"a file path nasbook can write ({err.strerror})") from None
        return note

    def append(self, trial: Trial, **fields: Any) -> None:
        """Add one finished trial (plus any extra ``fields``, e.g. the strategy name)."""
        with open(self.path, "a", encoding="utf-8") as f:
            self._write(f, {"kind": "trial", **fields, **trial.to_dict()})

    @staticmethod
    def _write(f: Any, record: dict[str, Any]) -> None:
        f.write(json.dumps(json_safe(record), allow_nan=False) + "\n")
        f.flush()
        os.fsync(f.fileno())


@contextmanager
def no_interrupt() -> Iterator[None]:
    """Hold Ctrl-C back while a finished trial is written and recorded, then deliver it.

    Without this, a Ctrl-C landing between "written to the log" and "added to the result"
    would leave a trial in one and not the other. (Signals only reach the main thread;
    elsewhere, e.g. the dashboard's worker thread, this does nothing.)
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda number, frame: caught.append(number))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if caught:
            raise KeyboardInterrupt


def json_safe(value: Any) -> Any:
    """``value`` with every NaN/inf float replaced by None (strict JSON has no NaN).

    A diverged trial's training curve ends in NaN or inf; in the log that point reads null.
    """
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


def read_log(path: "str | os.PathLike[str]") -> tuple[dict[str, Any], list[Trial], list[str]]:
    """Return ``(header, trials, warnings)`` from a run log.

    A half-written *last* line (the process was killed mid-write) is skipped and reported
    in ``warnings``; a broken line anywhere else means the file was damaged, and is refused
    with the line number.
    """
    path = Path(path)
    if not path.is_file():
        raise NasbookError(f"log={str(path)!r} is not allowed; the path of an existing run log (.jsonl) "
                           f"({'a directory' if path.is_dir() else 'no such file'})")
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    header: dict[str, Any] | None = None
    trials: list[Trial] = []
    warnings: list[str] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            if not isinstance(record, dict) or record.get("kind") not in ("header", "trial"):
                raise ValueError("not a nasbook record")
            if record["kind"] == "trial":
                trials.append(Trial.from_dict(record))
            elif header is None and number == 1:
                header = record
            else:
                raise ValueError("a second header")
        except (ValueError, TypeError, KeyError) as err:
            if number == len(lines) and not line.endswith("}"):
                warnings.append(f"{path}: line {number} is half-written (the run was cut off "
                                f"mid-write); it was ignored")
                continue
            if number == 1:
                break  # reported below: not a run log at all
            raise NasbookError(f"{path}: line {number} is not a valid run-log record ({err}); "
                               f"the log is damaged") from None
    if header is None:
        raise NasbookError(f"{path}: line 1 is not a run-log header; is this a nasbook run log?")
    return header, trials, warnings


def load_trials(path: "str | os.PathLike[str]") -> "Any":
    """The trials of a run log as a pandas DataFrame (one row per trial, one column per key)."""
    from nasbook.loop.result import trials_frame

    _, trials, _ = read_log(path)
    return trials_frame(trials)
