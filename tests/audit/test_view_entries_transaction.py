"""The view entries of a read are written in a transaction of their own, on a connection of their own,
not through the session (casework/audit/reads.py): on an application whose transactions really commit,
which the usual rolled-back ``db_session`` (every request a SAVEPOINT of the test's transaction) cannot
show."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from casework.audit.models import AuditAction, audit_entries, audit_values
from casework.extensions import db
from tests.support.officer import officer_with_a_case


def _officer_with_a_case(app: Any) -> tuple[str, int]:
    with app.app_context():
        return officer_with_a_case()


def _views(owner: sa.Engine) -> list[Any]:
    with owner.connect() as connection:
        return connection.execute(
            sa.select(audit_entries.c.object_type, audit_entries.c.object_id, audit_values.c.summary)
            .join(audit_values, audit_values.c.entry_id == audit_entries.c.id)
            .where(audit_entries.c.action == AuditAction.view)
            .order_by(audit_entries.c.id)
        ).all()


def test_a_read_s_view_entries_are_committed_without_the_session(committed):
    token, case_id = _officer_with_a_case(committed.app)
    client = committed.app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    session_commits: list[Any] = []

    def count(session: Any) -> None:
        session_commits.append(session)

    sa.event.listen(Session, "after_commit", count)
    try:
        response = client.get("/api/v1/cases", headers=headers)
    finally:
        sa.event.remove(Session, "after_commit", count)
    assert response.status_code == 200
    # Committed before the answer left (seen from another connection), and not by the session: the read
    # only rolled its transaction back.
    assert session_commits == []
    assert _views(committed.owner) == [("cases", str(case_id), "Shown by GET /api/v1/cases")]
    # The hash chain takes them as ever.
    committed.seal()
    result = committed.verify()
    assert result.exit_code == 0, result.output


def test_the_entries_take_one_statement_on_postgresql_and_the_write_lock_on_sqlite(committed):
    token, _case_id = _officer_with_a_case(committed.app)
    client = committed.app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/cases", headers=headers).status_code == 200
    written: list[tuple[str, Any]] = []

    def note(conn: sa.Connection, _cursor: Any, statement: str, *_args: Any) -> None:
        if "audit_" in statement or statement.startswith(("BEGIN", "COMMIT")):
            autocommit = conn.connection.dbapi_connection.autocommit if committed.backend == "postgresql" else None
            written.append((statement.split()[0].upper(), autocommit))

    with committed.app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", note)
    try:
        assert client.get("/api/v1/cases", headers=headers).status_code == 200
    finally:
        sa.event.remove(engine, "before_cursor_execute", note)
    if committed.backend == "postgresql":
        # The entries and their values in one statement, which commits by itself: one round trip.
        assert written == [("WITH", True)]
    else:
        # Under SQLite's write lock, taken first.
        assert written == [("BEGIN", None), ("INSERT", None), ("INSERT", None)]
    assert [row.summary for row in _views(committed.owner)][-1] == "Shown by GET /api/v1/cases"


def test_a_read_that_holds_nothing_is_left_to_the_session_s_close(committed):
    """Reads run in autocommit on the read engine, on both databases (each statement a read transaction
    of its own): they hold nothing the entries would wait for, no snapshot of SQLite's file that would
    keep the entries' commit from checkpointing the WAL, so the read is not rolled back first (a
    rollback expires everything it loaded)."""
    token, _case_id = _officer_with_a_case(committed.app)
    client = committed.app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/cases", headers=headers).status_code == 200
    events: list[str] = []

    def rolled_back(_session: Any, _previous: Any) -> None:
        events.append("rollback")

    def entries(_conn: sa.Connection, _cursor: Any, statement: str, *_args: Any) -> None:
        if "INSERT INTO audit_entries" in statement:
            events.append("entries")

    with committed.app.app_context():
        engine = db.engine
    sa.event.listen(Session, "after_soft_rollback", rolled_back)
    sa.event.listen(engine, "before_cursor_execute", entries)
    try:
        assert client.get("/api/v1/cases", headers=headers).status_code == 200
    finally:
        sa.event.remove(Session, "after_soft_rollback", rolled_back)
        sa.event.remove(engine, "before_cursor_execute", entries)
    assert events == ["entries"]
    assert [row.summary for row in _views(committed.owner)][-1] == "Shown by GET /api/v1/cases"
