"""A write that finds SQLite's write lock taken past the wait is told the service is busy (503, with
Retry-After) and that nothing was saved, rather than "there is a problem with the service" (500).

An outside probe ran a 20,000-row people import with ``scripts/start``: the check and the import each
ran as one transaction, holding the database's one write lock for about five minutes, and every sign-in
and save meanwhile answered 500 after a minute's wait. The request's transaction is rolled back, so
sending it again later is safe; the answer now says so, on the pages and in the API alike.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from casework.extensions import db
from tests.support.walk import changed_tables, table_digest


@contextmanager
def every_flush_failing(message: str = "database is locked") -> Iterator[None]:
    """Every flush fails as SQLite fails a writer that waited out its busy timeout (by default)."""

    def refuse(*_args: object) -> None:
        raise sa.exc.OperationalError("BEGIN IMMEDIATE", {}, sqlite3.OperationalError(message))

    sa.event.listen(Session, "before_flush", refuse)
    try:
        yield
    finally:
        sa.event.remove(Session, "before_flush", refuse)


@pytest.fixture
def officer(make):
    return make.user("officer", agency=make.agency("BDC", areas=[make.area("BOL", "Bolsover")]))


def test_a_page_save_answers_busy_and_saves_nothing(officer, page_client):
    client = page_client(officer)
    before = table_digest()

    with every_flush_failing():
        response = client.post("/people/new", data={"kind": "individual", "name": "Pat Example"})

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "60"
    assert "Nothing you sent was saved" in response.get_data(as_text=True)
    db.session.expire_all()
    assert [t for t in changed_tables(before, table_digest()) if not t.startswith("audit_")] == []


def test_an_api_call_answers_busy(officer, api_client):
    client = api_client(officer)
    with every_flush_failing():
        response = client.post("/api/v1/people", json={"kind": "individual", "name": "Pat Example"})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "60"
    assert response.json["message"].startswith("The service is busy")


def test_another_database_failure_is_still_a_fault(officer, api_client):
    """Only the write lock's timeout is "busy": any other OperationalError stays a fault (500)."""
    client = api_client(officer)
    with every_flush_failing("disk I/O error"):
        response = client.post("/api/v1/people", json={"kind": "individual", "name": "Pat Example"})
    assert response.status_code == 500
