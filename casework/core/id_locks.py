"""On SQLite, locks on rows by id that are held outside any database transaction.

SQLite's own lock is the whole database's: a worker that held it while a slow server answered (a mail
server, the broker) would make every writer wait, and past the busy timeout fail with "database is
locked". Instead a worker locks one byte per row id of a file beside the database (one file per kind
of row, named by ``suffix``), with an open file description lock (``F_OFD_SETLK``): it excludes the
other threads of the same process as well as other processes, it is not waited for (an id another
worker holds is skipped, as ``SKIP LOCKED`` does on PostgreSQL), and the kernel lets it go when the
process holding it dies, so the row's work can be taken up again at once.

The holder claims its rows in a short transaction that it commits, talks to the server outside any
transaction, and records the result in another short one, still holding the locks.

Elsewhere than on Linux (no such locks) the whole file is locked and waited for: holders go one at a
time. An in-memory database (tests only) is one process's: the threads of that process exclude each
other through a set of the ids held.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import struct
import threading
from collections.abc import Iterable, Iterator

import sqlalchemy as sa

#: Linux's open file description locks (a byte range, per descriptor rather than per process).
_OFD_SETLK: int | None = getattr(fcntl, "F_OFD_SETLK", None)

_in_process: dict[str, set[int]] = {}
_in_process_lock = threading.Lock()


def lock_path(url: sa.URL, suffix: str) -> str | None:
    """The lock file of a SQLite database file; None for an in-memory one or a ``file:`` URI."""
    database = url.database
    if not database or database == ":memory:" or url.query.get("uri") or database.startswith("file:"):
        return None
    return os.path.abspath(database) + suffix


def _flock(kind: int, start: int) -> bytes:
    # struct flock on Linux: l_type, l_whence (shorts), l_start, l_len (off_t), l_pid (0 for OFD locks).
    return struct.pack("hhqqi4x", kind, os.SEEK_SET, start, 1, 0)


@contextlib.contextmanager
def holding(url: sa.URL, suffix: str, ids: Iterable[int]) -> Iterator[list[int]]:
    """Hold the locks on as many of ``ids`` as no live holder holds already, for the block; yields
    those ids (in the order given), possibly none."""
    wanted = list(dict.fromkeys(ids))
    path = lock_path(url, suffix)
    if path is None:
        with _in_process_lock:
            taken = _in_process.setdefault(suffix, set())
            held = [one for one in wanted if one not in taken]
            taken.update(held)
        try:
            yield held
        finally:
            with _in_process_lock:
                _in_process[suffix].difference_update(held)
        return
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        if _OFD_SETLK is None:
            # Not Linux: the whole file, waited for. Holders go one at a time, and the next finds the
            # rows' work done once it has the lock (its claim re-checks).
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            yield wanted
            return
        held = []
        for one in wanted:
            try:
                fcntl.fcntl(descriptor, _OFD_SETLK, _flock(fcntl.F_WRLCK, one))
            except (BlockingIOError, PermissionError):  # EAGAIN or EACCES: held by another holder
                continue
            held.append(one)
        yield held
    finally:
        os.close(descriptor)  # lets every lock of this descriptor go
