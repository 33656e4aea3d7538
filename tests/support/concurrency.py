"""Two transactions at the same moment, staged deterministically (PostgreSQL): the first stops after a
chosen statement, inside its transaction, until the second has finished or waits for a lock the first
holds (found in ``pg_locks``, polled: no time is asserted); then the first goes on."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa


def at_once(
    app: Any, first: Callable[[], Any], second: Callable[[], Any], pause_after: Callable[[str], bool]
) -> list[Any]:
    """``first()`` runs until it has executed a statement ``pause_after`` picks, and waits there (inside its
    transaction); ``second()`` runs until it has finished or waits for a lock; then ``first`` goes on.
    Returns both answers (an exception stands for its answer)."""
    from casework.extensions import db

    with app.app_context():
        engine = db.engine
    paused = threading.Event()
    may_go_on = threading.Event()
    second_done = threading.Event()
    first_thread: list[int] = []
    answers: list[Any] = [None, None]

    def pause(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if threading.get_ident() in first_thread and not paused.is_set() and pause_after(statement):
            paused.set()
            may_go_on.wait(30)

    def run(index: int, fn: Callable[[], Any]) -> None:
        if index == 0:
            first_thread.append(threading.get_ident())
        try:
            answers[index] = fn()
        except BaseException as error:  # reported by the caller's assertions
            answers[index] = error
        finally:
            if index == 1:
                second_done.set()

    sa.event.listen(engine, "after_cursor_execute", pause)
    try:
        a = threading.Thread(target=run, args=(0, first))
        a.start()
        assert paused.wait(30), f"the first request never ran the statement to pause after: {answers[0]!r}"
        b = threading.Thread(target=run, args=(1, second))
        b.start()
        with engine.connect() as watch:
            for _ in range(600):
                if second_done.is_set():
                    break
                waiting = watch.scalar(
                    sa.text(
                        "SELECT count(*) FROM pg_locks WHERE NOT granted AND pid <> pg_backend_pid()"
                        " AND locktype IN ('tuple', 'transactionid')"
                    )
                )
                watch.rollback()
                if waiting:
                    break
                time.sleep(0.05)
            else:
                pytest.fail("the second request neither finished nor waited")
        may_go_on.set()
        a.join(30)
        b.join(30)
    finally:
        may_go_on.set()
        sa.event.remove(engine, "after_cursor_execute", pause)
    return answers
