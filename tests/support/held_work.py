"""Work run on a thread of its own, in an app's context, while the test holds it midway (a slow broker,
mail server, Notify or store) and looks at the app's SQLite file from a connection of its own: for the
tests that show slow work holds no write lock (tests/core/test_relay_write_lock.py,
tests/notifications/test_send_lock.py, tests/core/test_storage_write_lock.py,
tests/core/test_slow_work_outside_write_lock.py)."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from typing import Any


def started_in_the_app(app: Any, work: Callable[[], Any], results: list[Any]) -> threading.Thread:
    """A started thread that runs ``work()`` in ``app``'s context and appends what it returned, or the
    exception it raised (for the test to report: a thread's exception is lost otherwise), to
    ``results``; its session rolled back and removed at the end."""
    from casework.extensions import db

    def run() -> None:
        with app.app_context():
            try:
                results.append(work())
            except Exception as error:  # reported by the test
                db.session.rollback()
                results.append(error)
            finally:
                db.session.remove()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def another_connection_takes_the_write_lock(path: str) -> None:
    """Take SQLite's write lock on the file at ``path`` from a connection of its own and let it go:
    raises ``sqlite3.OperationalError`` ("database is locked") at once, without waiting, when anything
    else holds it."""
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
    finally:
        other.close()
