"""A kernel file lock that queues SQLite writers from many processes, handing over instantly.

SQLite's own busy handler polls with growing sleeps (1, 2, 5, 10, 15, 20, 25... ms), so with
several gunicorn workers writing, the database lock often sits free while every waiter sleeps.
Writers that go through `make_engine` first take an exclusive `flock` on a sidecar file, which
the kernel hands to the next waiter the moment it is released; SQLite's busy timeout stays in
place for any other writer. The kernel drops the lock if a process dies holding it.
"""

from __future__ import annotations

import os
import sqlite3
from typing import Any

try:
    import fcntl
except ImportError:  # pragma: no cover - not on POSIX: SQLite's busy timeout alone
    fcntl = None  # type: ignore[assignment]


class WriterLockingConnection(sqlite3.Connection):
    """A sqlite3 connection that holds the writer lock from BEGIN IMMEDIATE to COMMIT/ROLLBACK."""

    lock_path: str = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._lock_fd: int | None = None
        self._locked = False

    def acquire_writer_lock(self) -> None:
        if fcntl is None or self._locked:
            return
        if self._lock_fd is None:
            self._lock_fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
        self._locked = True

    def release_writer_lock(self) -> None:
        if self._locked and self._lock_fd is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            self._locked = False

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self.release_writer_lock()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self.release_writer_lock()

    def close(self) -> None:
        try:
            self.release_writer_lock()
            if self._lock_fd is not None:
                os.close(self._lock_fd)
                self._lock_fd = None
        finally:
            super().close()


def writer_locking_connection(lock_path: str) -> type[WriterLockingConnection]:
    """A connection class bound to one database's lock file (for sqlite3.connect(factory=...))."""
    return type("WriterLockingConnection", (WriterLockingConnection,), {"lock_path": lock_path})
