"""The run log: one JSON line per finished trial, written the moment it finishes.

The log on disk is the truth about a search. Its first line is a *header* describing the
run (strategy, mode, seed, budget, task, protocol, space); every later line is one trial.
Each line is flushed and fsync'ed as soon as it is written, so a crash, a kill or a
closed laptop loses at most the trial that was still training.

Everything is JSON: nothing here unpickles anything.
"""
from __future__ import annotations

import itertools
import json
import math
import os
import signal
import stat
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from nasbook.loop.lock import LogLock
from nasbook.trial import STATUSES, Trial
from nasbook.validation import NasbookError, fail

HEADER_BYTES = 1 << 20  # a header is far smaller; a first line longer than this is no run log


class RunLog:
    """The one writer of a run log: append-only JSON lines, under a lock for the whole run.

    ``open()`` comes first, before anything is read or trained: it refuses a path that is not
    a regular file (a folder, a FIFO, a device) and takes the log's lock (:mod:`.lock`), so a
    second search on the same log is refused before it trains. ``close()`` releases it.
    """

    def __init__(self, path: "str | os.PathLike[str]") -> None:
        self.given = os.fspath(path)
        path = os.path.expanduser(self.given)  # "~/runs/a.jsonl" means the home folder, as in a shell
        # A symlink is followed: the log, its lock and its backups live beside the file it points
        # to, so two searches reaching one log by different names still share one lock.
        self.path = Path(os.path.realpath(path)) if os.path.islink(path) else Path(path)
        self.lock = LogLock(self.path)

    def open(self) -> None:
        """Check the path and take the lock (refusing, with a message, when another search holds it).

        A file that is not a run log is refused before the lock is taken, so not even a
        ``.lock`` file appears beside it (``start()`` checks again, under the lock).
        """
        check_log_path(self.path, self.given)
        if existing_kind(self.path) == "not a run log":
            raise foreign_file(self.path)
        self.lock.acquire()

    def close(self) -> None:
        self.lock.release()

    def start(self, header: dict[str, Any]) -> str | None:
        """Begin a fresh log at ``path`` with its header line.

        Nothing is ever destroyed. A run log already there that holds trials is moved aside to
        the first free name of ``<path>.bak``, ``<path>.bak2``, ... (the returned note says
        where); a file that is not a nasbook run log is refused, untouched.
        """
        record = json.dumps({"kind": "header", **check_storable(json_safe(header), "log header")},
                            allow_nan=False)
        kind = existing_kind(self.path)
        if kind == "not a run log":
            raise foreign_file(self.path)
        note = None
        try:
            if kind == "run log":
                backup = free_backup_name(self.path)
                os.replace(self.path, backup)
                note = (f"{self.path} held an earlier run; it was moved to {backup} (to continue "
                        f"a run instead, pass resume=True / --resume)")
            with open(self.path, "w", encoding="utf-8") as f:
                self._write_line(f, record)
        except OSError as err:
            raise fail("log", str(self.path), f"a file path nasbook can write ({err.strerror})") from None
        return note

    def check_appendable(self) -> None:
        """Refuse, before any training, a log that resuming could not append to (read-only, ...)."""
        try:
            with open(self.path, "a", encoding="utf-8"):
                pass
        except OSError as err:
            raise fail("log", str(self.path), f"a run log nasbook can append to ({err.strerror})") from None

    def append(self, trial: Trial, **fields: Any) -> None:
        """Add one finished trial (plus any extra ``fields``, e.g. the strategy name)."""
        record = {"kind": "trial", **fields, **trial.to_dict()}
        with open(self.path, "a", encoding="utf-8") as f:  # anything JSON cannot hold is written as text
            self._write_line(f, json.dumps(json_safe(record), allow_nan=False, default=repr))

    @staticmethod
    def _write_line(f: Any, line: str) -> None:
        f.write(line + "\n")
        f.flush()
        os.fsync(f.fileno())


def check_storable(value: Any, where: str) -> Any:
    """``value`` if JSON can store all of it; else refuse, naming where the first other thing is.

    The header describes the run so that it can be checked and resumed: it is checked before
    any training, so nothing is trained for a log that could not be written.
    """
    if isinstance(value, dict):
        for key, item in value.items():
            check_storable(item, f"{where}[{key!r}]")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            check_storable(item, f"{where}[{i}]")
    elif not (value is None or isinstance(value, (str, int, float, bool))):
        raise fail(where, value, "a value JSON can store (a number, a string, a boolean, None, or a "
                   "list or dict of those), so that the run can be checked and resumed")
    return value


def check_log_path(path: Path, given: str | None = None) -> None:
    """Refuse a log path that is a folder, a special file (a FIFO would block forever), ends with
    a slash (it names a folder), or lies under a regular file. ``given`` is the path as typed."""
    given = str(path) if given is None else given
    if "\0" in given:
        raise fail("log", given, "a file path (this one holds a NUL character, which no file name can)")
    try:
        if path.is_dir() or given.endswith(("/", os.sep)):
            raise fail("log", given, "a file path, not a directory (e.g. 'run.jsonl')")
        if path.exists() and not stat.S_ISREG(path.stat().st_mode):
            raise fail("log", given, "a regular file (this is a FIFO, a device or a socket)")
        for parent in path.absolute().parents:
            if parent.exists():
                if not parent.is_dir():
                    raise fail("log", given, f"a path inside a folder ({parent} is a file, not a folder)")
                break
    except OSError as err:  # a name too long, a folder that cannot be searched
        raise fail("log", given, f"a file path nasbook can write ({err.strerror})") from None


def existing_kind(path: Path) -> str:
    """What is at ``path``: "nothing" (absent, empty, or a run log with no trial yet), "run log"
    (a header and at least one more line) or "not a run log"."""
    if not path.exists() or path.stat().st_size == 0:
        return "nothing"
    head = read_bytes(path, HEADER_BYTES)
    first, newline, rest = head.partition(b"\n")
    if not newline:  # one unfinished line: a header cut off mid-write (short), or something else
        cut_header = first.startswith(b'{"kind": "header"') and len(first) < HEADER_BYTES
        return "nothing" if cut_header else "not a run log"
    try:
        record = json.loads(first.decode("utf-8-sig"))
    except ValueError:
        return "not a run log"
    if not isinstance(record, dict) or record.get("kind") != "header":
        return "not a run log"
    return "run log" if rest.strip() else "nothing"


def read_bytes(path: Path, limit: int = -1) -> bytes:
    """The first ``limit`` bytes of the file (all with -1); a file that cannot be read is refused."""
    try:
        with open(path, "rb") as f:
            return f.read(limit)
    except OSError as err:
        raise fail("log", str(path), f"a run log nasbook can read ({err.strerror})") from None


def foreign_file(path: Path) -> NasbookError:
    """The refusal of a file that is not a run log (it is never changed, moved or locked)."""
    return fail("log", str(path), "a new file or a nasbook run log (line 1 is not a run-log header: this file "
                "holds something else, and was left as it is)")


def free_backup_name(path: Path) -> Path:
    """``<path>.bak``, or ``<path>.bak2``, ``.bak3``, ... — the first name nothing uses yet."""
    for n in itertools.count(1):
        backup = path.with_name(path.name + (".bak" if n == 1 else f".bak{n}"))
        if not backup.exists():
            return backup
    raise AssertionError("unreachable")


@contextmanager
def no_interrupt() -> Iterator[None]:
    """Hold Ctrl-C back while a finished trial is written and recorded, then deliver it.

    Without this, a Ctrl-C landing between "written to the log" and "added to the result"
    would leave a trial in one and not the other. (Signals only reach the main thread;
    elsewhere, e.g. the dashboard's worker thread, this does nothing.) The handler that was
    there before is always put back, even when another exception ends the block.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = signal.getsignal(signal.SIGINT)
    if previous is None:  # installed by C code, not Python: put Python's default back afterwards
        previous = signal.default_int_handler
    try:
        signal.signal(signal.SIGINT, lambda number, frame: caught.append(number))
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught:
        raise KeyboardInterrupt


def json_safe(value: Any) -> Any:
    """``value`` with every NaN/inf float replaced by None (strict JSON has no NaN).

    A diverged trial's training curve ends in NaN or inf; in the log that point reads null.
    Numpy scalars and arrays become plain Python numbers and lists.
    """
    if isinstance(value, (np.generic, np.ndarray)):
        value = value.tolist()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {_key(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


def _key(key: Any) -> Any:
    """A dict key JSON can write: numpy scalars as numbers, anything else JSON refuses as text."""
    if isinstance(key, np.generic):
        key = key.item()
    return key if isinstance(key, (str, int, float, bool)) or key is None else repr(key)


def read_log(path: "str | os.PathLike[str]") -> tuple[dict[str, Any], list[Trial], list[str]]:
    """Return ``(header, trials, warnings)`` from a run log.

    Harmless things are tolerated: a byte-order mark, blank lines. A half-written *last* line
    (the process was killed mid-write: the file does not end with a newline) is skipped and
    reported in ``warnings``. Anything else that is wrong — a broken line, a second header, a
    trial with an impossible value such as a negative loss — means the file was damaged or
    edited, and is refused with the line number and what is wrong.
    """
    if not isinstance(path, (str, os.PathLike)) or not str(path).strip():
        raise fail("log", path, "the path of an existing run log (a str or pathlib.Path)")
    path = Path(path)
    if not path.is_file():
        what = ("this is a directory" if path.is_dir() else "this is a FIFO, a device or a socket"
                if path.exists() else "there is no such file")
        raise fail("log", str(path), f"the path of an existing run log (.jsonl) ({what})")
    data = read_bytes(path)
    lines = data.decode("utf-8-sig", errors="replace").split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the file ends with a newline, as a complete log does
    cut_off = not data.endswith(b"\n")
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
            if header is None and record["kind"] != "header":
                raise ValueError("a trial before the header")
            if record["kind"] == "header":
                if header is not None:
                    raise ValueError("a second header")
                header = record
            else:
                trials.append(check_trial(record))
        except (ValueError, TypeError, KeyError) as err:
            if number == len(lines) and cut_off:
                warnings.append(f"{path}: line {number} is half-written (the run was cut off "
                                f"mid-write); it was ignored")
                continue
            if header is None:
                break  # reported below: not a run log at all
            raise NasbookError(f"{path}: line {number} is not a valid run-log record ({err}); "
                               f"the log is damaged") from None
    if header is None:
        raise not_a_run_log(path)
    return header, trials, warnings


def not_a_run_log(path: Path) -> NasbookError:
    return NasbookError(f"{path}: line 1 is not a run-log header; is this a nasbook run log? (it was left as it is)")


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


# What each field of a trial record may hold: (test, what is allowed). A field that is absent
# takes the Trial's default; anything else no evaluation writes means the log was edited.
TRIAL_FIELDS: dict[str, tuple[Any, str]] = {
    "arch": (lambda v: isinstance(v, dict), "an architecture dict"),
    "status": (lambda v: v in STATUSES, f"one of {STATUSES}"),
    "val_loss": (lambda v: v is None or (_number(v) and v >= 0),
                 "a loss is a finite number >= 0, or null for a failure"),
    "params": (_count, "a parameter count is an integer >= 0"),
    "steps": (_count, "an integer >= 0"),
    "seed": (_count, "an integer >= 0"),
    "step": (lambda v: isinstance(v, int) and not isinstance(v, bool), "an integer"),
    "seconds": (lambda v: _number(v) and v >= 0, "a finite number of seconds >= 0"),
    "elapsed": (lambda v: _number(v) and v >= 0, "a finite number of seconds >= 0"),
    "cached": (lambda v: isinstance(v, bool), "true or false"),
    "reason": (lambda v: isinstance(v, str), "a string"),
    "train_curve": (lambda v: isinstance(v, list) and all(x is None or _number(x) for x in v),
                    "a list of numbers (null where training diverged)"),
    "val_curve": (lambda v: isinstance(v, dict), "a dict"),
    "extras": (lambda v: isinstance(v, dict), "a dict"),
    "epochs": (lambda v: v is None or (_count(v) and v >= 1), "an integer >= 1 (a fidelity), or absent"),
    "continued_from": (_count, "an integer >= 0"),
}


def check_trial(record: dict[str, Any]) -> Trial:
    """A trial record as a Trial, refusing values no evaluation can produce (an edited log)."""
    for name, (allowed, what) in TRIAL_FIELDS.items():
        if (name in record or name in ("arch", "val_loss")) and not allowed(record.get(name)):
            raise ValueError(f"{name}={record.get(name)!r}: {what}")
    return Trial.from_dict(record)


def load_trials(path: "str | os.PathLike[str]") -> "Any":
    """The trials of a run log as a pandas DataFrame (one row per trial, one column per key)."""
    from nasbook.loop.result import trials_frame

    _, trials, _ = read_log(path)
    return trials_frame(trials)
