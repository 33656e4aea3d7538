"""On SQLite, the lock a sender holds on one outbox message while it talks to the mail server.

SQLite's own lock is the whole database's: a sender holding it while a slow mail server answers would
make every writer wait (and past the busy timeout fail with "database is locked"). Instead a sender
locks one byte of a file beside the database, at the message's id, with an open file description lock
(``F_OFD_SETLK``, through ``casework.core.id_locks``): it excludes the other threads of the same
process as well as other processes, it is not waited for (a second sender of the same message gives up
at once, as ``SKIP LOCKED`` does on PostgreSQL), and the kernel lets it go when the process holding it
dies, so a message whose sender was killed can be sent again at once (a task delivered again) or later
(``notifications.resend_unsent``).

Elsewhere than on Linux (no such locks) the whole file is locked and waited for: sends go one at a
time. An in-memory database (tests only) is one process's: the threads of that process exclude each other
through a set of the ids being sent.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import sqlalchemy as sa

from casework.core import id_locks

#: Beside the database file: one byte locked per message being sent.
SENDING_LOCK_SUFFIX = "-sending"


def lock_path(url: sa.URL) -> str | None:
    """The lock file of a SQLite database file; None for an in-memory one or a ``file:`` URI."""
    return id_locks.lock_path(url, SENDING_LOCK_SUFFIX)


@contextlib.contextmanager
def sending(url: sa.URL, email_id: int) -> Iterator[bool]:
    """Hold the lock on message ``email_id`` for the block; yields False (and holds nothing) when a
    live sender holds it already."""
    with id_locks.holding(url, SENDING_LOCK_SUFFIX, [email_id]) as held:
        yield bool(held)
