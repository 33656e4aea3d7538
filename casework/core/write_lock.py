"""The processes writing to one SQLite file (the web server's workers, the Celery worker and beat) take
its write lock in turn through an OS file lock beside it.

SQLite's own lock makes a process that finds it taken sleep and try again, in growing steps of up to
100 ms, however soon the lock is free: under load a web worker spent a third of its time asleep
there while the other worker's writes took a fraction of a millisecond. A waiter on an ``flock`` is
woken by the kernel as soon as the holder lets go, and the kernel lets go for a process that dies
holding it. SQLite's lock stays underneath, with its busy timeout, for whatever does not take this one
(a shell, an older version of the service).

One descriptor per process: ``flock`` locks belong to an open file description, which a forked child
shares with its parent, so a child that used its parent's descriptor would not exclude the parent.
The caller makes one thread of a process at a time ask (``casework.core.db`` takes a ``threading.Lock``
first), because the threads of a process share the descriptor and so the lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import logging
import os
import queue
import threading
import weakref
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeoutError

logger = logging.getLogger(__name__)


class FileWriteLock:
    """An exclusive ``flock`` on ``path`` (created if missing), waited for at most a given time."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._pid = os.getpid()
        self._descriptor: int | None = None
        # A contended lock is waited for in a thread of its own, so that the wait can end after a
        # time (``flock`` itself waits for ever). A wait its caller gave up on may still get the lock,
        # which its thread then lets go: until it has, later callers queue behind it rather than
        # find the lock already theirs (it is the process's, on the same descriptor).
        self._requests: queue.SimpleQueue[tuple[int, Future[None]]] | None = None
        self._abandoned: Future[None] | None = None
        self._warned = False
        _LOCKS.add(self)
        _forget_inherited_locks_after_fork()

    def acquire(self, timeout: float) -> bool:
        """Take the lock, waiting at most ``timeout`` seconds; False if it could not be had (the
        file cannot be opened, or another process held it all that time)."""
        descriptor = self._open()
        if descriptor is None:
            return False
        if self._abandoned is None:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                pass
            except OSError:
                logger.exception("could not lock %s", self.path)
                return False
        request: Future[None] = Future()
        self._waiter().put((descriptor, request))
        try:
            request.result(timeout)
        except FutureTimeoutError:
            if not request.cancel():
                # Taken after all, by now or later: let it go then, before the next caller's request.
                self._abandoned = request
                request.add_done_callback(lambda taken: self._let_go_abandoned(descriptor, taken))
            return False
        except OSError:
            logger.exception("could not lock %s", self.path)
            return False
        return True

    def release(self) -> None:
        if self._descriptor is not None and self._pid == os.getpid():
            fcntl.flock(self._descriptor, fcntl.LOCK_UN)

    def _open(self) -> int | None:
        if self._pid != os.getpid():
            self.forget_inherited()
        if self._descriptor is None:
            try:
                self._descriptor = os.open(self.path, os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC, 0o644)
            except OSError:
                # A directory this process cannot create files in: SQLite's busy timeout still orders
                # the writers, with its sleeps.
                if not self._warned:
                    logger.warning("cannot open %s: writers of other processes are ordered by SQLite only", self.path)
                    self._warned = True
                return None
        return self._descriptor

    def _waiter(self) -> queue.SimpleQueue[tuple[int, Future[None]]]:
        if self._requests is None:
            self._requests = queue.SimpleQueue()
            thread = threading.Thread(
                target=_wait_for_locks, args=(self._requests,), name="sqlite-write-lock", daemon=True
            )
            thread.start()
        return self._requests

    def _let_go_abandoned(self, descriptor: int, taken: Future[None]) -> None:
        if not taken.cancelled() and taken.exception() is None and descriptor == self._descriptor:
            fcntl.flock(descriptor, fcntl.LOCK_UN)
        if self._abandoned is taken:
            self._abandoned = None

    def forget_inherited(self) -> None:
        """In a forked child: drop the parent's descriptor (closing it leaves the parent's lock as it
        is) and its waiting thread (which did not survive the fork)."""
        if self._descriptor is not None:
            with contextlib.suppress(OSError):  # closed already: nothing of the parent's to keep
                os.close(self._descriptor)
        self._descriptor = None
        self._requests = None
        self._abandoned = None
        self._pid = os.getpid()


def _wait_for_locks(requests: queue.SimpleQueue[tuple[int, Future[None]]]) -> None:
    while True:
        descriptor, request = requests.get()
        if not request.set_running_or_notify_cancel():
            continue
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
        except OSError as error:
            request.set_exception(error)
        else:
            request.set_result(None)


_LOCKS: weakref.WeakSet[FileWriteLock] = weakref.WeakSet()


def _forget_inherited_locks() -> None:
    # At once after a fork, not at the child's first write: until the child closes its copy of the
    # parent's descriptor, a lock the parent holds outlives the parent.
    for lock in list(_LOCKS):
        lock.forget_inherited()


@functools.cache
def _forget_inherited_locks_after_fork() -> None:
    # Once per process, with its first lock (not at import: importing registers nothing).
    os.register_at_fork(after_in_child=_forget_inherited_locks)
