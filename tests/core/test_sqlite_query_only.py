"""The read-only guard on SQLite (``PRAGMA query_only``, casework/core/db.py) is set only when it changes.

Setting any PRAGMA expires every statement SQLite has prepared on the connection, so setting the guard
at every BEGIN made each request compile all its statements again. Reading it does not.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest

from casework.core.db import _set_query_only

pytestmark = pytest.mark.sqlite_only


@pytest.fixture
def connection() -> Iterator[tuple[sqlite3.Connection, list[str]]]:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.execute("CREATE TABLE t (x INTEGER)")
    executed: list[str] = []
    conn.set_trace_callback(executed.append)
    yield conn, executed
    conn.close()


def test_the_guard_is_set_only_when_it_changes(connection):
    conn, executed = connection
    _set_query_only(conn, True)
    _set_query_only(conn, True)
    _set_query_only(conn, False)
    _set_query_only(conn, False)
    assert [s for s in executed if s.startswith("PRAGMA query_only=")] == [
        "PRAGMA query_only=1",
        "PRAGMA query_only=0",
    ]


def test_the_guard_still_refuses_writes(connection):
    conn, _executed = connection
    _set_query_only(conn, True)
    _set_query_only(conn, True)
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        conn.execute("INSERT INTO t VALUES (1)")
    _set_query_only(conn, False)
    conn.execute("INSERT INTO t VALUES (1)")
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (1,)
