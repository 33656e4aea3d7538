"""A forked child (a gunicorn worker under ``--preload``, a Celery pool process) opens connections of its
own and leaves its parent's alone (``casework.core.db``, "Forked processes")."""

from __future__ import annotations

import os

import sqlalchemy as sa

from casework.core.db import read_engine
from casework.extensions import db
from tests.support.forking import in_a_forked_child


def backend_pid(engine: sa.Engine) -> int | None:
    """The PostgreSQL server process of the connection the pool hands out (None on SQLite), after a
    statement on it; the connection goes back to the pool."""
    with engine.connect() as connection:
        assert connection.scalar(sa.text("SELECT 1")) == 1
        pid = connection.scalar(sa.text("SELECT pg_backend_pid()")) if engine.dialect.name == "postgresql" else None
        connection.rollback()
    return pid


def test_a_forked_child_opens_its_own_connection_and_leaves_its_parents_alone(engine: sa.Engine) -> None:
    opened: list[int] = []
    sa.event.listen(engine, "connect", lambda *_: opened.append(os.getpid()))
    # The pool now holds its one connection, idle: the one a child would use if it kept its parent's.
    parents = backend_pid(engine)
    assert opened == [os.getpid()]

    seen = in_a_forked_child(lambda: {"pid": os.getpid(), "backend": backend_pid(engine), "opened": opened})

    # The child opened a connection of its own, in its own process.
    assert seen["opened"] == [os.getpid(), seen["pid"]]
    if parents is not None:
        assert seen["backend"] != parents
    # The parent's connection still works and is the same one: the child neither used nor closed it.
    assert backend_pid(engine) == parents
    assert opened == [os.getpid()]


def test_the_apps_engines_start_empty_in_a_forked_child(app) -> None:
    with app.app_context():
        engines = [db.engine, read_engine()]
    assert all(engines), "the application's engine and its read engine"
    for engine in engines:
        backend_pid(engine)  # at least one connection idle in each pool
    assert all(engine.pool.checkedin() > 0 for engine in engines)  # type: ignore[attr-defined]

    in_child = in_a_forked_child(lambda: [engine.pool.checkedin() for engine in engines])  # type: ignore[attr-defined]

    assert in_child == [0, 0]
    assert all(engine.pool.checkedin() > 0 for engine in engines)  # type: ignore[attr-defined]
