"""One writer per run log: a lock held for the whole life of a search.

Two searches appending to one run log would interleave their trials under one header — a log
that can be neither trusted nor resumed. So the writer takes an exclusive lock on a small
companion file, ``<log>.lock``, before it reads or writes the log, and keeps it until the search
ends. A second search asking for the same log, in another process or in this one, is refused
at once (nothing waits, nothing trains), and the message names the process that holds it.

The lock is the operating system's (a POSIX record lock, ``fcntl.lockf``, on Linux and macOS;
``msvcrt.locking`` on Windows), so it disappears with its process: a killed search never
leaves a stale lock behind. The ``.lock`` file itself stays (removing it could let two
writers in at once); it holds only the owner's process id and host name.

Why a record lock and not ``flock``: a process forked while a search runs (a
``ProcessPoolExecutor`` with the ``fork`` start method, Linux's default, passed as
``executor=``) would inherit a ``flock`` and keep it alive after the search ended, refusing
the next search on the same log for as long as the pool lives. A record lock belongs to its
process alone and is never inherited. It does not tell two holders *within* one process
apart, so this module keeps its own table of the locks this process holds, checked first
(and never opens a held lock file a second time: closing any descriptor of the file would
drop this process's lock on it).
"""
from __future__ import annotations

import os
import socket
import threading
from pathlib import Path

from nasbook.validation import NasbookError, fail

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]
    import msvcrt

_GUARD = threading.Lock()  # one acquire/release at a time in this process
_HELD: dict[tuple[int, int], "LogLock"] = {}  # (device, inode) of each lock file this process holds


def _forget_in_child() -> None:
    """In a freshly forked child: it holds none of its parent's locks (record locks are not inherited)."""
    global _GUARD
    _GUARD = threading.Lock()  # another thread may have held the parent's at the fork
    for lock in _HELD.values():
        if lock.fd is not None:
            os.close(lock.fd)  # only the child's copy: the parent's lock is untouched
            lock.fd = None
    _HELD.clear()


if hasattr(os, "register_at_fork"):  # not on Windows, which does not fork
    os.register_at_fork(after_in_child=_forget_in_child)


class LogLock:
    """An exclusive, non-blocking lock on ``<path>.lock``; a context manager."""

    def __init__(self, path: "str | os.PathLike[str]") -> None:
        self.path = Path(path)
        self.lock_path = self.path.with_name(self.path.name + ".lock")
        self.fd: int | None = None
        self.key: tuple[int, int] | None = None

    def acquire(self) -> None:
        """Take the lock, or raise a NasbookError naming the process that holds it."""
        with _GUARD:
            held = self._held_here()
            if held is not None:
                raise self._refusal(f"pid {os.getpid()} on {socket.gethostname()}, this process")
            fd = self._open()
            try:
                if fcntl is not None:
                    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                else:
                    msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            except OSError:
                owner = os.read(fd, 200).decode("utf-8", "replace").strip() or "another process"
                os.close(fd)  # this process held no lock on the file: closing drops nothing
                raise self._refusal(owner) from None
            os.ftruncate(fd, 0)
            os.write(fd, f"pid {os.getpid()} on {socket.gethostname()}".encode())  # at offset 0: just opened
            info = os.fstat(fd)
            self.fd, self.key = fd, (info.st_dev, info.st_ino)
            _HELD[self.key] = self

    def release(self) -> None:
        with _GUARD:
            if self.fd is not None:
                os.close(self.fd)  # closing the file releases the lock
                self.fd = None
            if self.key is not None and _HELD.get(self.key) is self:
                del _HELD[self.key]
            self.key = None

    def _held_here(self) -> "LogLock | None":
        """The lock of this process on the same lock file, if one is held (found without opening it)."""
        try:
            info = os.stat(self.lock_path)
        except OSError:
            return None  # no lock file yet (or one _open() will explain)
        return _HELD.get((info.st_dev, info.st_ino))

    def _open(self) -> int:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            return os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as err:
            where = (f"its folder {self.path.parent} cannot be created" if not self.path.parent.is_dir()
                     else f"its lock file {self.lock_path.name} cannot be opened")
            raise fail("log", str(self.path), f"a file path nasbook can write ({where}: {err.strerror})") from None

    def _refusal(self, owner: str) -> NasbookError:
        return NasbookError(f"log={str(self.path)!r} is being written by another search ({owner}); a run log "
                            f"has one writer: wait for that search to end, or pass another log path")

    def __enter__(self) -> "LogLock":
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
