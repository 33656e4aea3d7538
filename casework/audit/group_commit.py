"""Group commit of the view entries on SQLite: the entries of a worker's requests that finish together
are written in one transaction.

Every read that shows records writes its view entries in a transaction of its own before it answers
(casework.audit.reads). On SQLite that transaction holds the database's one write lock, which the
threads of both web workers queue for, and under load several threads of a worker reach it at about
the same time: each took the lock, began, wrote, committed and let go in turn. Here the first to arrive
while no write is under way leads: it takes every set of entries queued by then, its own included,
writes them in the order they came in one transaction (one ``BEGIN IMMEDIATE``, one ``COMMIT``) and
wakes the others. Nothing waits for others to join: a request alone writes at once, as before, and one
that arrives during a write is written by the next.

Each request still answers only once its own entries are committed. If the transaction fails, none of
its entries is written and every request whose entries were in it fails: the leader with the error
itself, the others with ``ViewEntriesNotWritten`` caused by it (an exception is not raised in two
threads at once). Each set of entries reads its time when it is written, under the lock, so the
entries' times keep the order of their ids across the batch (``EntriesToWrite``).
"""

from __future__ import annotations

import threading
import weakref

import sqlalchemy as sa

from casework.audit.services import EntriesToWrite


class ViewEntriesNotWritten(Exception):
    """The transaction that held this request's view entries failed (its error is the cause)."""


class _Queued:
    def __init__(self, entries: EntriesToWrite) -> None:
        self.entries = entries
        self.finished = False
        self.error: BaseException | None = None


class GroupCommit:
    """The view entries of one engine's writers in one process, written together when they come
    together. It keeps no reference to the engine (``group_commit`` keys it by the engine, weakly)."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._queue: list[_Queued] = []
        self._writing = False

    def write(self, engine: sa.Engine, entries: EntriesToWrite) -> None:
        """Write ``entries`` on ``engine``, in this thread's transaction or another's; return once it
        is committed."""
        mine = _Queued(entries)
        with self._changed:
            self._queue.append(mine)
            while self._writing and not mine.finished:
                self._changed.wait()
            if mine.finished:
                if mine.error is not None:
                    raise ViewEntriesNotWritten("the transaction that held them failed") from mine.error
                return
            # No write is under way and ours is not written: this thread leads.
            self._writing = True
            batch, self._queue = self._queue, []
        error: BaseException | None = None
        try:
            with engine.connect() as connection, connection.begin():
                for queued in batch:
                    queued.entries.insert(connection)
        except BaseException as failure:
            error = failure
            raise
        finally:
            # Whatever happened, the others are told and the next write may begin: none waits for ever.
            with self._changed:
                for queued in batch:
                    queued.finished, queued.error = True, error
                self._writing = False
                self._changed.notify_all()


_group_commits: weakref.WeakKeyDictionary[sa.Engine, GroupCommit] = weakref.WeakKeyDictionary()
_group_commits_lock = threading.Lock()


def group_commit(engine: sa.Engine) -> GroupCommit:
    """``engine``'s group commit in this process (one for each engine: the tests make many apps)."""
    with _group_commits_lock:
        found = _group_commits.get(engine)
        if found is None:
            found = _group_commits[engine] = GroupCommit()
        return found
