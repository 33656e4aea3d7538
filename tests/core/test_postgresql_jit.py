"""PostgreSQL's JIT compiler is off for every connection the service opens: its compile time (80 to
100 ms measured on the national dataset) was added to any statement whose estimated cost passed
``jit_above_cost``, such as a search for part of a reference, which runs in 40 ms without it."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from casework.extensions import db

pytestmark = pytest.mark.postgresql_only


def test_jit_is_off_on_the_services_connections(app, db_session):
    assert db_session.scalar(sa.text("SHOW jit")) == "off"
    # A connection of the pool's own, not the test's bound one, is opened the same way.
    with app.app_context(), db.engine.connect() as connection:
        assert connection.scalar(sa.text("SHOW jit")) == "off"


def test_the_search_sets_nothing_of_its_own(app, db_session, make):
    """The setting comes with the connection, so a search runs no ``SET`` statement first."""
    from casework.cases import queries

    officer = make.user("officer")
    executed: list[str] = []

    def remember(_conn, _cursor, statement, *_args):
        executed.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", remember)
    try:
        with app.test_request_context("/cases/"):
            queries.case_page(officer, q="holmes")
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", remember)
    assert executed
    assert not [s for s in executed if s.lstrip().upper().startswith("SET")]
