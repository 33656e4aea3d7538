"""``record_many``, the view entries' writer (casework/audit/services.py): the rows it writes, and each
table's rows in one statement with one set of parameters, however many records a page showed."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
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


def test_a_batch_with_repeated_records_and_records_of_no_id_gets_one_entry_each_in_the_order_given(
    app, db_session, make
):
    """A batch as a retention run gives it (hundreds of records, several kinds, some named twice, some
    with no id: the entries of no record of a kind): one entry per record, in the order first given,
    each with its own values, and the entries written after it get ids of their own."""
    user = make.user("officer")
    connection = db_session.connection()
    kinds = ["people", "cases", "actions"]
    given = [(kinds[n % 3], str((n * 7919) % 1000)) for n in range(600)]
    given[10:10] = [("cases", None), ("people", None)]
    given += [given[3], ("cases", None), given[250], ("actions", None), given[0]]
    distinct = list(dict.fromkeys(given))
    assert len(distinct) == 603
    own = {ref: f"Erased {n} of {ref[0]} {ref[1]}" for n, ref in enumerate(distinct) if n % 5 == 0}
    with app.test_request_context("/", environ_base={"REMOTE_ADDR": "198.51.100.4"}):
        written = record_many(user, AuditAction.erase, given, "Erased", summaries=own, connection=connection)
    assert written == len(distinct)

    rows = written_by(db_session, user)
    assert [(row.object_type, row.object_id) for row in rows] == distinct
    assert [(row.subject_type, row.subject_id) for row in rows] == distinct
    assert [row.summary for row in rows] == [own.get(ref, "Erased") for ref in distinct]
    assert {(row.action, row.ip_address, row.changes) for row in rows} == {(AuditAction.erase, "198.51.100.4", None)}
    assert len({row.created_at for row in rows}) == 1
    assert len({row.nonce for row in rows}) == len(distinct)
    for row in rows:
        assert row.values_hash == chain.values_digest(row.nonce, row.summary, None, row.ip_address)

    services.record(user, AuditAction.view, ("cases", "1"), "Viewed case 1")
    db.session.flush()
    later = written_by(db_session, user)
    assert [(row.object_type, row.object_id) for row in later] == [*distinct, ("cases", "1")]
    assert later[-1].id > rows[-1].id
    report = verify_chain()
    assert report.ok, report.problems


def _plan_rows(node: dict[str, Any]) -> int:
    """The rows a plan node and those under it produced or read and threw away (EXPLAIN ANALYZE)."""
    own = (node.get("Actual Rows", 0) + node.get("Rows Removed by Join Filter", 0)) * node.get("Actual Loops", 1)
    own += node.get("Rows Removed by Filter", 0) * node.get("Actual Loops", 1)
    return own + sum(_plan_rows(child) for child in node.get("Plans", []))


@pytest.mark.postgresql_only
def test_postgresql_writes_a_batch_touching_each_row_a_few_times_not_each_row_once_per_other_row(app, db_session):
    """PostgreSQL's one statement for a batch of 500 (a retention run's batch of erasures): the rows its
    plan handles grow with the batch, not with its square. Its values once found their entry by
    comparing each row with every entry of its kind (``IS NOT DISTINCT FROM``, which PostgreSQL can
    neither hash nor look up): 249,500 rows compared and thrown away for 500."""
    connection = db_session.connection()
    refs = [("people", str(n)) for n in range(499)] + [("people", None)]
    entries = services.entries_to_write(None, AuditAction.erase, refs, "Erased", dialect=connection.dialect)
    assert entries is not None
    sql, names, processors = services._INSERT_ENTRIES_AND_VALUES._compile(connection.dialect)
    parameters = {**entries.parameters[0], "created_at": datetime(2026, 12, 5, 4, 0, tzinfo=UTC)}
    values = {
        name: parameters[name] if (process := processors.get(name)) is None else process(parameters[name])
        for name in names
    }
    savepoint = connection.begin_nested()
    try:
        (plan,) = connection.exec_driver_sql("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, values).scalar_one()
    finally:
        savepoint.rollback()
    handled = _plan_rows(plan["Plan"])
    assert len(refs) <= handled <= 20 * len(refs)
