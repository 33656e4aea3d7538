"""On SQLite the view entries of a worker's requests that finish together are written in one transaction
(casework.audit.group_commit): each request still returns only once its own entries are committed, and
if that transaction fails every request whose entries were in it fails.

A real SQLite file and engine (the suite's usual outer connection would take the other path: the
entries in a SAVEPOINT of it). Each thread is a request of its own (``test_request_context``) that
showed records and calls ``record_views`` as Flask would after it. The first request's write is held
until every other has queued its entries, so that they meet as they do under load.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Response, g

from casework import create_app
from casework.audit import reads, services
from casework.audit.group_commit import ViewEntriesNotWritten, group_commit
from casework.audit.models import AuditAction, audit_entries, audit_values
from casework.core.db import dispose_engines
from tests.conftest import test_settings as settings_for_tests

pytestmark = pytest.mark.sqlite_only

REQUESTS = 6
SHOWN_EACH = 3


@pytest.fixture
def file_app(tmp_path: Any) -> Iterator[Any]:
    from flask_migrate import upgrade

    app = create_app(
        {**settings_for_tests(f"sqlite:///{tmp_path / 'casework.sqlite'}", tmp_path), "INSTANCE_PATH": str(tmp_path)}
    )
    with app.app_context():
        upgrade()
    try:
        yield app
    finally:
        with app.app_context():
            dispose_engines()


def shown_by(request: int) -> list[tuple[str, str]]:
    return [("people", str(request * 100 + n)) for n in range(SHOWN_EACH)]


def run_requests_together(app: Any, monkeypatch: Any, *, fail_after_first: bool) -> dict[str, Any]:
    """``REQUESTS`` requests recording their views at once, the first one's write held until the others
    have queued theirs. What each saw: its error, its entries committed when it returned, the records
    it noted as viewed; and how the engine's transactions ended."""
    from casework.extensions import db

    with app.app_context():
        engine = db.engine
    database = engine.url.database
    transactions = []
    sa.event.listen(engine, "begin", lambda connection: transactions.append(connection))
    writes = []
    insert = services.EntriesToWrite.insert

    def held_first(entries: Any, connection: sa.Connection) -> int:
        writes.append(entries)
        if len(writes) == 1:
            deadline = time.monotonic() + 10  # not an assertion: the assertions below tell what happened
            while len(group_commit(engine)._queue) < REQUESTS - 1 and time.monotonic() < deadline:
                time.sleep(0.005)
        elif fail_after_first:
            raise RuntimeError("the database refused the audit entries")
        return insert(entries, connection)

    monkeypatch.setattr(services.EntriesToWrite, "insert", held_first)
    seen: dict[int, dict[str, Any]] = {}

    def request(number: int) -> None:
        with app.test_request_context("/api/v1/people", method="GET"):
            g.audit_shown = dict.fromkeys(shown_by(number))
            outcome: dict[str, Any] = {"error": None}
            try:
                reads.record_views(Response(status=200))
            except Exception as error:
                outcome["error"] = error
            # Read back on a connection outside the app's engine: what another reader sees.
            with contextlib.closing(sqlite3.connect(database)) as elsewhere:
                outcome["committed"] = set(
                    elsewhere.execute(
                        "SELECT object_type, object_id FROM audit_entries WHERE object_id IN (?, ?, ?)",
                        [ident for _table, ident in shown_by(number)],
                    ).fetchall()
                )
            outcome["noted"] = set(services.viewed_in_this_request())
            seen[number] = outcome

    threads = [threading.Thread(target=request, args=(number,)) for number in range(REQUESTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return {"seen": seen, "transactions": len(transactions)}


def test_requests_that_finish_together_commit_their_entries_in_one_transaction(file_app, monkeypatch):
    result = run_requests_together(file_app, monkeypatch, fail_after_first=False)
    seen = result["seen"]

    assert len(seen) == REQUESTS
    for number, outcome in seen.items():
        assert outcome["error"] is None
        # Committed before the request went on, and noted as viewed by that request alone.
        assert outcome["committed"] == set(shown_by(number))
        assert outcome["noted"] == set(shown_by(number))
    # The first alone, then the five that queued while it wrote: two transactions, not six.
    assert result["transactions"] == 2

    with file_app.app_context():
        from casework.extensions import db

        rows = db.session.execute(
            sa.select(
                audit_entries.c.id,
                audit_entries.c.created_at,
                audit_entries.c.object_id,
                audit_values.c.subject_id,
                audit_values.c.summary,
            )
            .join(audit_values, audit_values.c.entry_id == audit_entries.c.id)
            .where(audit_entries.c.action == AuditAction.view)
            .order_by(audit_entries.c.id)
        ).all()
        db.session.remove()
    # Every entry once, with its values; their times in the order of their ids, as the chain seals them.
    assert sorted(row.object_id for row in rows) == sorted(
        ident for number in range(REQUESTS) for _table, ident in shown_by(number)
    )
    assert all(row.subject_id == row.object_id for row in rows)
    assert {row.summary for row in rows} == {"Shown by GET /api/v1/people"}
    assert [row.created_at for row in rows] == sorted(row.created_at for row in rows)


def test_when_the_shared_transaction_fails_every_request_in_it_fails(file_app, monkeypatch):
    result = run_requests_together(file_app, monkeypatch, fail_after_first=True)
    seen = result["seen"]

    assert len(seen) == REQUESTS
    written = [number for number, outcome in seen.items() if outcome["error"] is None]
    assert len(written) == 1
    assert seen[written[0]]["committed"] == seen[written[0]]["noted"] == set(shown_by(written[0]))
    failed = [outcome for number, outcome in seen.items() if number not in written]
    # The leader of the failed transaction has its error; the others an error caused by it.
    leaders = [outcome for outcome in failed if isinstance(outcome["error"], RuntimeError)]
    followers = [outcome for outcome in failed if isinstance(outcome["error"], ViewEntriesNotWritten)]
    assert len(leaders) == 1
    assert len(followers) == REQUESTS - 2
    assert all(outcome["error"].__cause__ is leaders[0]["error"] for outcome in followers)
    # None of them was written or noted as viewed: each answers an error, never an unlogged read.
    assert all(outcome["committed"] == set() and outcome["noted"] == set() for outcome in failed)
    assert result["transactions"] == 2
