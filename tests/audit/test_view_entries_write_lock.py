"""On SQLite the view entries' transaction holds the database's one write lock, which every writer of
every process (both web workers, the Celery worker) queues for: the entries are built in full (their
nonces, values hashes and the statements' JSON rows) before it is taken, and it is held only while
they are written (casework.audit.reads, casework.audit.services.EntriesToWrite). Their time is read
once it is held, as before: the entries' times keep the order of their ids.

A real SQLite file, whose writers take the file lock (casework.core.write_lock) after the process's
own: its acquisition and release are noted in order with the building of the entries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa

from casework import create_app
from casework.audit import chain, services
from casework.audit.models import AuditAction, audit_entries, audit_values
from casework.core.db import dispose_engines
from casework.core.write_lock import FileWriteLock
from tests.conftest import test_settings as settings_for_tests

pytestmark = pytest.mark.sqlite_only


@pytest.fixture
def file_app(tmp_path: Any) -> Iterator[Any]:
    from flask_migrate import upgrade

    from casework.accounts import services as accounts
    from casework.core.db import commit

    app = create_app(
        {**settings_for_tests(f"sqlite:///{tmp_path / 'casework.sqlite'}", tmp_path), "INSTANCE_PATH": str(tmp_path)}
    )
    with app.app_context():
        upgrade()
        accounts.create_area(None, "BOL", "Bolsover")
        agency = accounts.create_agency(None, "BDC", "Bolsover District Council", "council", ["BOL"])
        user = accounts.create_user(
            None,
            email="officer@example.org",
            name="Officer",
            password="correct horse battery staple",
            agency=agency,
            roles=["officer"],
        )
        app.config["test_token"] = accounts.issue_token(user, 1)[0]
        commit()
    try:
        yield app
    finally:
        with app.app_context():
            dispose_engines()


def test_the_entries_are_built_before_the_write_lock_is_taken(file_app, monkeypatch):
    client = file_app.test_client()
    headers = {"Authorization": f"Bearer {file_app.config['test_token']}"}
    for name in ("Vera Victim", "Wade Witness", "Xena Neighbour"):
        response = client.post("/api/v1/people", json={"kind": "individual", "name": name}, headers=headers)
        assert response.status_code == 201, response.json

    events: list[str] = []

    def noted(name: str, function: Any) -> Any:
        def run(*args: Any, **kwargs: Any) -> Any:
            result = function(*args, **kwargs)
            if name != "lock" or result:
                events.append(name)
            return result

        return run

    monkeypatch.setattr(FileWriteLock, "acquire", noted("lock", FileWriteLock.acquire))
    monkeypatch.setattr(FileWriteLock, "release", noted("unlock", FileWriteLock.release))
    monkeypatch.setattr(chain, "view_values_digests", noted("hashes", chain.view_values_digests))
    monkeypatch.setattr(services, "_json_rows", noted("rows", services._json_rows))

    class NotedTime(dt.datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Any:
            events.append("time")
            return dt.datetime.now(tz)

    monkeypatch.setattr(services, "dt", SimpleNamespace(datetime=NotedTime, UTC=dt.UTC))

    response = client.get("/api/v1/people", headers=headers)
    assert response.status_code == 200
    assert len(response.json["items"]) == 3

    # The request took the lock once, for its entries, and had built them all before. Their time is
    # read under it, as the ids are given, so that the entries' times keep the order of their ids.
    assert events == ["hashes", "rows", "rows", "lock", "time", "unlock"]
    with file_app.app_context():
        from casework.extensions import db

        rows = db.session.execute(
            sa.select(audit_entries.c.object_id, audit_values.c.summary, audit_values.c.entry_id)
            .join(audit_values, audit_values.c.entry_id == audit_entries.c.id)
            .where(audit_entries.c.action == AuditAction.view)
        ).all()
        db.session.remove()
    assert len(rows) == 3
    assert {summary for _id, summary, _entry in rows} == {"Shown by GET /api/v1/people"}
