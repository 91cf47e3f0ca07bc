"""One writer per run log: a lock held for the whole life of a search.

Two searches appending to one run log would interleave their trials under one header — a log
that can be neither trusted nor resumed. So the writer takes an exclusive lock on a small
companion file, ``<log>.lock``, before it reads or writes the log, and keeps it until the search
ends. A second process asking for the same log is refused at once (nothing waits, nothing
trains), and the message names the process that holds it.

The lock is the operating system's (``fcntl.flock`` on Linux and macOS, ``msvcrt.locking`` on
Windows), so it disappears with its process: a killed search never leaves a stale lock behind.
The ``.lock`` file itself stays (removing it could let two writers in at once); it holds only
the owner's process id and host name.
"""
from __future__ import annotations

import os
import socket
from pathlib import Path

from nasbook.validation import NasbookError, fail

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]
    import msvcrt


class LogLock:
    """An exclusive, non-blocking lock on ``<path>.lock``; a context manager."""

    def __init__(self, path: "str | os.PathLike[str]") -> None:
        self.path = Path(path)
        self.lock_path = self.path.with_name(self.path.name + ".lock")
        self.fd: int | None = None

    def acquire(self) -> None:
        """Take the lock, or raise a NasbookError naming the process that holds it."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as err:
            where = (f"its folder {self.path.parent} cannot be created" if not self.path.parent.is_dir()
                     else f"its lock file {self.lock_path.name} cannot be opened")
            raise fail("log", str(self.path), f"a file path nasbook can write ({where}: {err.strerror})") from None
        try:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            else:
                msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            owner = os.read(fd, 200).decode("utf-8", "replace").strip() or "another process"
            os.close(fd)
            raise NasbookError(f"log={str(self.path)!r} is being written by another search ({owner}); "
                               f"a run log has one writer: wait for that search to end, or pass another "
                               f"log path") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()} on {socket.gethostname()}".encode())
        self.fd = fd

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing the file releases the lock
            self.fd = None

    def __enter__(self) -> "LogLock":
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
