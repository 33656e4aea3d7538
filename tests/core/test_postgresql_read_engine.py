"""On PostgreSQL, read transactions run on connections of their own that are autocommit and read-only
by setting (casework/core/db.py, ``configure_read_engine`` and ``RoutingSession``).

A read transaction was ``BEGIN READ ONLY``, its statements and ``COMMIT``: two round trips that added
nothing, since READ COMMITTED takes a new snapshot for each statement anyway. A read must still be
refused a write. A ``@records_view`` GET reads the same way, and its first write begins a transaction.
These tests use the pools' connections, not the test's bound one (on which every
transaction stays, as in the other tests).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from psycopg.pq import Trace, TransactionStatus

from casework.accounts.models import Area
from casework.core.db import choose_transaction_mode, read_engine, writes_from_here
from casework.extensions import db

pytestmark = pytest.mark.postgresql_only


def _status() -> TransactionStatus:
    """The transaction status of the session's connection, as psycopg knows it (no round trip)."""
    dbapi_connection = db.session.connection().connection.dbapi_connection
    assert dbapi_connection is not None
    return TransactionStatus(dbapi_connection.info.transaction_status)


def test_a_read_runs_its_statements_outside_a_transaction(app):
    with app.test_request_context("/cases/"):
        choose_transaction_mode()
        assert db.session.get_bind() is read_engine()
        assert db.session.scalar(sa.text("SELECT 1")) == 1
        # No BEGIN was sent: the statement was a transaction of its own, and none is open now.
        assert _status() == TransactionStatus.IDLE
        assert db.session.scalar(sa.text("SHOW transaction_read_only")) == "on"
        db.session.rollback()


def test_the_read_engine_keeps_the_application_s_connection_options(app):
    with app.test_request_context("/cases/"):
        choose_transaction_mode()
        assert db.session.scalar(sa.text("SHOW jit")) == "off"
        assert db.session.scalar(sa.text("SHOW transaction_isolation")) == "read committed"
        db.session.rollback()


def test_a_read_is_still_refused_a_write(app):
    with app.test_request_context("/cases/"):
        choose_transaction_mode()
        with pytest.raises(sa.exc.DBAPIError, match="read-only transaction"):
            db.session.execute(sa.text("UPDATE areas SET name = name WHERE false"))
        db.session.rollback()
        # The connection goes on reading.
        assert db.session.scalar(sa.text("SELECT 1")) == 1
        db.session.rollback()


def test_a_read_streams_in_a_read_only_transaction(app):
    """A server-side cursor (``yield_per``: the spreadsheet exports) needs a transaction: one is begun,
    read-only, and ended with the session's."""
    with app.test_request_context("/cases/"):
        choose_transaction_mode()
        rows = list(db.session.scalars(sa.select(Area.id).execution_options(yield_per=2)))
        assert isinstance(rows, list)
        assert _status() == TransactionStatus.INTRANS
        assert db.session.scalar(sa.text("SHOW transaction_read_only")) == "on"
        db.session.rollback()
        assert _status() == TransactionStatus.IDLE
        db.session.rollback()


def _choose_mode_as_a_records_view() -> None:
    from flask import current_app, request

    from casework.core.db import records_view

    view = current_app.view_functions[request.endpoint]
    current_app.view_functions[request.endpoint] = records_view(lambda: None)
    try:
        choose_transaction_mode()
    finally:
        current_app.view_functions[request.endpoint] = view


def test_a_write_stays_on_the_application_s_engine_in_a_transaction(app):
    with app.test_request_context("/cases/", method="POST"):
        choose_transaction_mode()
        assert db.session.get_bind() is db.engine
        assert db.session.scalar(sa.text("SHOW transaction_read_only")) == "off"
        assert _status() == TransactionStatus.INTRANS
        db.session.rollback()


def test_a_record_reads_outside_a_transaction_and_writes_in_one(app):
    """A ``@records_view`` GET reads as a read does; its first write begins a transaction that may
    write, so its writes commit or roll back together (as on SQLite, after its reads)."""
    with app.test_request_context("/cases/"):
        _choose_mode_as_a_records_view()
        assert db.session.get_bind() is read_engine()
        assert db.session.scalar(sa.text("SELECT count(*) FROM areas")) is not None
        assert _status() == TransactionStatus.IDLE
        db.session.execute(sa.text("UPDATE areas SET name = name WHERE false"))
        assert _status() == TransactionStatus.INTRANS
        assert db.session.scalar(sa.text("SHOW transaction_read_only")) == "off"
        db.session.rollback()
        assert _status() == TransactionStatus.IDLE
        db.session.rollback()


def test_a_record_s_writes_roll_back_together(app):
    with app.app_context():
        before = db.session.scalar(sa.text("SELECT count(*) FROM areas"))
        db.session.rollback()
    with app.test_request_context("/cases/"):
        _choose_mode_as_a_records_view()
        db.session.execute(sa.text("INSERT INTO areas (code, name) VALUES ('ZZ1', 'First')"))
        db.session.execute(sa.text("INSERT INTO areas (code, name) VALUES ('ZZ2', 'Second')"))
        db.session.rollback()
    with app.app_context():
        assert db.session.scalar(sa.text("SELECT count(*) FROM areas")) == before
        db.session.rollback()


def test_a_savepoint_in_a_read_begins_a_read_only_transaction(app):
    with app.test_request_context("/cases/"):
        choose_transaction_mode()
        with db.session.begin_nested():
            assert _status() == TransactionStatus.INTRANS
            assert db.session.scalar(sa.text("SHOW transaction_read_only")) == "on"
        db.session.rollback()


def test_a_read_s_next_transaction_may_write_on_the_application_s_engine(app):
    with app.test_request_context("/cases/"):
        choose_transaction_mode()
        assert db.session.scalar(sa.text("SELECT 1")) == 1
        writes_from_here()  # as record_views does, with the read still open
        assert db.session.get_bind() is read_engine()
        db.session.rollback()
        assert db.session.get_bind() is db.engine
        assert db.session.scalar(sa.text("SHOW transaction_read_only")) == "off"
        db.session.rollback()


def test_tasks_and_commands_use_the_application_s_engine(app):
    with app.app_context():
        assert db.session.get_bind() is db.engine
        db.session.rollback()


@pytest.fixture
def traced(app: Any, tmp_path: Path) -> Iterator[Path]:
    """Every message the pools' connections send, in libpq's trace (both pools emptied first)."""
    trace = tmp_path / "libpq.trace"
    with app.app_context():
        engines = [engine for engine in (db.engine, read_engine()) if engine is not None]
    handle = trace.open("w")

    def _trace(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.pgconn.trace(handle.fileno())
        dbapi_connection.pgconn.set_trace_flags(Trace.SUPPRESS_TIMESTAMPS)

    for engine in engines:
        engine.dispose()
        sa.event.listen(engine, "connect", _trace)
    yield trace
    for engine in engines:
        sa.event.remove(engine, "connect", _trace)
        engine.dispose()
    handle.close()


def test_a_read_request_sends_no_begin_or_commit(app, traced):
    """Its statements only: one round trip each."""
    client = app.test_client()
    for _ in range(3):
        assert client.get("/case-review/apply").status_code == 200
    with app.app_context():
        for engine in (db.engine, read_engine()):
            if engine is not None:
                engine.dispose()  # the trace is complete once the connections are closed
    # The client's messages ("F", length, type, contents); a simple query is one round trip.
    sent = [line.split("\t") for line in traced.read_text().splitlines() if line.startswith("F\t")]
    simple_queries = [fields[3].strip(' "').split()[0] for fields in sent if fields[2] == "Query"]
    assert simple_queries == ["SELECT"] * 3  # the form's one statement, three times, and nothing else
