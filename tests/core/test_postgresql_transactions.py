"""A read's transactions on PostgreSQL (``casework/core/db.py``): declared read-only, and ended without
making psycopg forget the statements it has prepared on the connection.

psycopg's ``rollback()`` deallocates every prepared statement (``DEALLOCATE ALL``, one more round trip),
and every GET ended its reads with a rollback, so no statement of a page was ever prepared: PostgreSQL
planned each one again on every request. A read-only transaction that has not failed is now ended with
a commit, which changes nothing in the database, since it could not write.

These tests use connections of the pool, not the test's bound one: a request's transaction in the other
tests is a SAVEPOINT inside the test's transaction, which begins no transaction of its own.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from casework.accounts.models import Area
from casework.core.db import choose_transaction_mode
from casework.extensions import db

pytestmark = pytest.mark.postgresql_only

PREPARED_AREAS = sa.text(
    "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%areas.code = $1%' AND NOT from_sql"
)


def test_a_read_keeps_the_statements_psycopg_prepared(app):
    statement = sa.select(Area.id).where(Area.code == sa.bindparam("code"))
    with app.test_request_context("/cases/"):
        choose_transaction_mode()
        with db.engine.connect() as connection:
            # More runs than psycopg's prepare_threshold, each in a transaction of its own, as each
            # request runs its statements once.
            for _ in range(8):
                connection.execute(statement, {"code": "none"}).all()
                connection.rollback()
            prepared = connection.scalar(PREPARED_AREAS)
            connection.rollback()
    assert prepared == 1


def test_a_read_cannot_write(app):
    with app.test_request_context("/cases/"):
        choose_transaction_mode()
        with db.engine.connect() as connection:
            assert connection.scalar(sa.text("SHOW transaction_read_only")) == "on"
            with pytest.raises(sa.exc.DBAPIError, match="read-only transaction"):
                connection.execute(sa.text("UPDATE areas SET name = name WHERE false"))
            # A failed transaction is rolled back, not committed, and the connection goes on.
            connection.rollback()
            assert connection.scalar(sa.text("SELECT 1")) == 1
            connection.rollback()


@pytest.mark.parametrize("method", ["POST", "DELETE"])
def test_a_write_is_not_read_only(app, method):
    with app.test_request_context("/cases/", method=method):
        choose_transaction_mode()
        with db.engine.connect() as connection:
            assert connection.scalar(sa.text("SHOW transaction_read_only")) == "off"
            connection.rollback()


def test_tasks_and_commands_are_not_read_only(app):
    with app.app_context(), db.engine.connect() as connection:
        assert connection.scalar(sa.text("SHOW transaction_read_only")) == "off"
        connection.rollback()


def test_a_record_view_is_not_read_only(app):
    """A ``@records_view`` GET writes its record in the transaction it read in."""
    from casework.core.db import records_view

    with app.test_request_context("/cases/"):
        from flask import current_app, request

        view = current_app.view_functions[request.endpoint]
        marked = records_view(lambda: None)
        current_app.view_functions[request.endpoint] = marked
        try:
            choose_transaction_mode()
        finally:
            current_app.view_functions[request.endpoint] = view
        with db.engine.connect() as connection:
            assert connection.scalar(sa.text("SHOW transaction_read_only")) == "off"
            connection.rollback()


def test_a_long_statement_is_converted_once(app):
    """psycopg converts a statement's placeholders once and keeps the result, also for the case
    page's long statements (psycopg's own limit is 4 kB)."""
    from psycopg import _queries

    statement = sa.select(*[sa.literal_column(str(n)).label(f"column_{n}") for n in range(500)]).where(
        sa.bindparam("one", 1) == 1
    )
    with app.app_context(), db.engine.connect() as connection:
        assert len(str(statement.compile(connection))) > 4096
        connection.execute(statement).all()
        hits = _queries._query2pg.cache_info().hits
        connection.execute(statement).all()
        assert _queries._query2pg.cache_info().hits == hits + 1
        connection.rollback()


def test_a_results_description_is_psycopgs_when_read(app):
    """psycopg's description of a result is built only when read (SQLAlchemy reads it once per
    statement), and describes that result even once the cursor has moved on."""
    with app.app_context(), db.engine.connect() as connection:
        cursor = connection.connection.dbapi_connection.cursor()
        cursor.execute("SELECT 1 AS one, 'x'::text AS two")
        first = cursor.description
        cursor.execute("SELECT 1 AS three")
        assert len(first) == 2
        assert [(column.name, column.type_code) for column in first] == [("one", 23), ("two", 25)]
        assert first[1].name == "two"
        assert [column.name for column in cursor.description] == ["three"]
        cursor.execute("SET LOCAL work_mem = '4MB'")
        assert cursor.description is None
        cursor.close()
        connection.rollback()
