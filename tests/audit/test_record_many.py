"""``record_many``, the view entries' writer (casework/audit/services.py): the rows it writes, and each
table's rows in one statement with one set of parameters, however many records a page showed."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from casework.audit import chain, services
from casework.audit.models import AuditAction, audit_entries, audit_values
from casework.audit.services import record_many, verify_chain
from casework.extensions import db

SHOWN = [("cases", "12"), ("people", "7"), ("cases", None), ("actions", "3"), ("cases", "5")]
SUMMARY = 'Shown by GET /cases/?q="O\'Neil" \\ caf\u00e9 \U0001f600'
OWN = {("people", "7"): "Viewed person 7 </script>\n\t\u2028", ("cases", None): ""}


def written_by(db_session: Any, user: Any) -> list[Any]:
    """The entries ``user`` wrote, each with its values, in the order written."""
    return db_session.execute(
        sa.select(audit_entries, audit_values)
        .join(audit_values, audit_values.c.entry_id == audit_entries.c.id)
        .where(audit_entries.c.actor_id == user.id)
        .order_by(audit_entries.c.id)
    ).all()


def test_the_entries_and_their_values_in_one_statement_each_with_one_set_of_parameters(app, db_session, make):
    user = make.user("officer")
    connection = db_session.connection()
    statements: list[tuple[str, bool]] = []

    def note(_conn: Any, _cursor: Any, statement: str, _parameters: Any, _context: Any, executemany: bool) -> None:
        if "audit_" in statement:
            statements.append((statement.split()[0].upper(), executemany))

    sa.event.listen(connection, "before_cursor_execute", note)
    try:
        with app.test_request_context("/cases/", environ_base={"REMOTE_ADDR": "203.0.113.7"}):
            written = record_many(user, AuditAction.view, SHOWN, SUMMARY, summaries=OWN, connection=connection)
    finally:
        sa.event.remove(connection, "before_cursor_execute", note)
    if connection.dialect.name == "postgresql":
        assert statements == [("WITH", False)]
    else:
        # Not a parameter set per row (executemany), whose every value SQLAlchemy processed.
        assert statements == [("INSERT", False), ("INSERT", False)]
        assert written == len(SHOWN)

    rows = written_by(db_session, user)
    # One entry per record, in the order shown, each with its summary, one time and a hash of its values.
    assert [(row.object_type, row.object_id) for row in rows] == SHOWN
    assert [(row.subject_type, row.subject_id) for row in rows] == SHOWN
    assert [row.summary for row in rows] == [OWN.get(shown, SUMMARY) for shown in SHOWN]
    assert {row.created_at for row in rows} == {rows[0].created_at}
    assert {(row.action, row.ip_address, row.changes) for row in rows} == {(AuditAction.view, "203.0.113.7", None)}
    assert len({row.nonce for row in rows}) == len(SHOWN)
    for row in rows:
        assert len(row.nonce) == 32
        assert row.values_hash == chain.values_digest(row.nonce, row.summary, None, row.ip_address)
    db.session.flush()
    report = verify_chain()
    assert report.ok, report.problems


def test_its_statements_compiled_once_give_the_driver_what_execute_would(db_session):
    """``CompiledOnce`` runs the statements with ``exec_driver_sql``, converting their parameters itself:
    the driver must be given the same SQL and the same values as ``Connection.execute`` gives it (a
    later SQLAlchemy that converted them otherwise would fail here, not write different rows)."""
    connection = db_session.connection()
    common = {"created_at": datetime(2026, 12, 2, 21, 30, 5, 123456, tzinfo=UTC), "actor_id": None}
    common["action"] = AuditAction.view
    if connection.dialect.name == "postgresql":
        runs = [
            (
                services._INSERT_ENTRIES_AND_VALUES,
                {
                    **common,
                    "ip_address": "203.0.113.7",
                    "object_types": ["cases", "people"],
                    "object_ids": ["1", None],
                    "values_hashes": ["a" * 64, "b" * 64],
                    "summaries": [SUMMARY, ""],
                    "nonces": ["c" * 32, "d" * 32],
                },
            )
        ]
    else:
        entries = {**common, "rows": json.dumps([["cases", "1", "a" * 64], ["people", None, "b" * 64]])}
        services._INSERT_ENTRIES_FROM_JSON.execute(connection, entries).close()
        values = {
            "created_at": common["created_at"],
            "ip_address": None,
            "rows": json.dumps([["cases", "1", SUMMARY, "c" * 32], ["people", None, "", "d" * 32]]),
        }
        runs = [(services._INSERT_ENTRIES_FROM_JSON, entries), (services._INSERT_VALUES_FROM_JSON, values)]
    given: list[tuple[str, Any]] = []

    def note(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        given.append((statement, parameters))

    sa.event.listen(connection, "before_cursor_execute", note)
    try:
        for compiled_once, parameters in runs:
            for how in ("execute", "compiled once"):
                savepoint = connection.begin_nested()
                if how == "execute":
                    connection.execute(compiled_once.statement, parameters).close()
                else:
                    compiled_once.execute(connection, parameters).close()
                savepoint.rollback()
            as_executed, as_compiled_once = [call for call in given if "audit_" in call[0]]
            assert as_compiled_once == as_executed
            given.clear()
    finally:
        sa.event.remove(connection, "before_cursor_execute", note)


def test_each_entrys_values_find_their_entry_when_another_has_the_same_subject_and_time(
    app, db_session, make, monkeypatch
):
    """SQLite's values statement finds its entries by subject and time (the newest such entry): two
    lists written at the same instant (a clock that did not move) keep each entry's values its own."""
    import datetime as dt
    from types import SimpleNamespace

    instant = dt.datetime(2026, 12, 3, 4, 0, 0, 123456, tzinfo=dt.UTC)

    class Stopped(dt.datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Any:
            return instant

    monkeypatch.setattr(services, "dt", SimpleNamespace(datetime=Stopped, UTC=dt.UTC))
    user = make.user("officer")
    connection = db_session.connection()
    with app.test_request_context("/cases/"):
        record_many(user, AuditAction.view, SHOWN, "First list", connection=connection)
    with app.test_request_context("/people/"):
        record_many(user, AuditAction.view, SHOWN, "Second list", connection=connection)
    rows = written_by(db_session, user)
    assert [(row.object_type, row.object_id, row.summary) for row in rows] == [
        *((*shown, "First list") for shown in SHOWN),
        *((*shown, "Second list") for shown in SHOWN),
    ]
    assert {row.created_at for row in rows} == {instant}
    db.session.flush()
    report = verify_chain()
    assert report.ok, report.problems
