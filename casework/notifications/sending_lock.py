"""On SQLite, the lock a sender holds on one outbox message while it talks to the mail server.

SQLite's own lock is the whole database's: a sender holding it while a slow mail server answers would
make every writer wait (and past the busy timeout fail with "database is locked"). Instead a sender
locks one byte of a file beside the database, at the message's id, with an open file description lock
(``F_OFD_SETLK``): it excludes the other threads of the same process as well as other processes, it
is not waited for (a second sender of the same message gives up at once, as ``SKIP LOCKED`` does on
PostgreSQL), and the kernel lets it go when the process holding it dies, so a message whose sender was
killed can be sent again at once (a task delivered again) or later (``notifications.resend_unsent``).

Elsewhere than on Linux (no such locks) the whole file is locked and waited for: sends go one at a
time. An in-memory database (tests only) is one process's: the threads of that process exclude each other
through a set of the ids being sent.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import struct
import threading
from collections.abc import Iterator

import sqlalchemy as sa

#: Beside the database file: one byte locked per message being sent.
SENDING_LOCK_SUFFIX = "-sending"

#: Linux's open file description locks (a byte range, per descriptor rather than per process).
_OFD_SETLK: int | None = getattr(fcntl, "F_OFD_SETLK", None)

_in_process: set[int] = set()
_in_process_lock = threading.Lock()


def lock_path(url: sa.URL) -> str | None:
    """The lock file of a SQLite database file; None for an in-memory one or a ``file:`` URI."""
    database = url.database
    if not database or database == ":memory:" or url.query.get("uri") or database.startswith("file:"):
        return None
    return os.path.abspath(database) + SENDING_LOCK_SUFFIX


def _flock(kind: int, start: int) -> bytes:
    # struct flock on Linux: l_type, l_whence (shorts), l_start, l_len (off_t), l_pid (0 for OFD locks).
    return struct.pack("hhqqi4x", kind, os.SEEK_SET, start, 1, 0)


@contextlib.contextmanager
def sending(url: sa.URL, email_id: int) -> Iterator[bool]:
    """Hold the lock on message ``email_id`` for the block; yields False (and holds nothing) when a
    live sender holds it already."""
    path = lock_path(url)
    if path is None:
        with _in_process_lock:
            taken = email_id not in _in_process
            _in_process.add(email_id)
        try:
            yield taken
        finally:
            if taken:
                with _in_process_lock:
                    _in_process.discard(email_id)
        return
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        if _OFD_SETLK is None:
            # Not Linux: the whole file, waited for. Sends go one at a time, and a second sender of the
            # same message finds it sent once it has the lock.
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            yield True
            return
        try:
            fcntl.fcntl(descriptor, _OFD_SETLK, _flock(fcntl.F_WRLCK, email_id))
        except (BlockingIOError, PermissionError):  # EAGAIN or EACCES: held by another sender
            yield False
            return
        yield True
    finally:
        os.close(descriptor)  # lets the lock go
