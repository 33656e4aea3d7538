"""On a SQLite file, read transactions run on connections of their own that stay read-only
(casework/core/db.py, ``RoutingSession``).

Setting the read-only guard (``PRAGMA query_only``) expires every statement SQLite has prepared on the
connection. A read request that writes its view entries afterwards used to change it twice on one
connection, so every request compiled its statements again. The guard must still refuse a read
transaction's writes. (The other tests bind the session to one connection, so they never see this.)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from casework import create_app
from casework.core.db import dispose_engines, read_engine, transaction_mode, writes_from_here
from casework.extensions import db
from tests.conftest import test_settings as settings_for_tests
from tests.support.officer import officer_with_a_case

pytestmark = pytest.mark.sqlite_only


@pytest.fixture
def app(tmp_path: Any) -> Iterator[Any]:
    from flask_migrate import upgrade

    app = create_app(
        {**settings_for_tests(f"sqlite:///{tmp_path / 'casework.sqlite'}", tmp_path), "INSTANCE_PATH": str(tmp_path)}
    )
    with app.app_context():
        upgrade()
        app.config["TEST_TOKEN"] = officer_with_a_case()[0]
        dispose_engines()
    yield app
    with app.app_context():
        dispose_engines()


def _trace_every_connection(app: Any) -> list[str]:
    executed: list[str] = []
    with app.app_context():
        for engine in filter(None, (db.engine, read_engine())):
            engine.dispose()
            sa.event.listen(engine, "connect", lambda conn, _record: conn.set_trace_callback(executed.append))
    return executed


def test_a_read_request_leaves_every_connection_s_guard_as_it_is(app):
    executed = _trace_every_connection(app)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {app.config['TEST_TOKEN']}"}
    first = client.get("/api/v1/cases", headers=headers)
    assert first.status_code == 200
    assert len(first.get_json()["items"]) == 1
    del executed[:]
    for _ in range(3):
        response = client.get("/api/v1/cases", headers=headers)
        assert response.get_json() == first.get_json()
    # The requests read and wrote (their view entries) without setting the guard once.
    assert any(statement.startswith("INSERT INTO audit_entries") for statement in executed)
    assert [statement for statement in executed if statement.startswith("PRAGMA query_only=")] == []


def test_a_read_transaction_is_still_refused_a_write(app):
    with app.test_request_context("/", method="GET"):
        from casework.core.db import choose_transaction_mode

        choose_transaction_mode()
        assert transaction_mode() == "read"
        assert db.session.get_bind() is read_engine()
        with pytest.raises(sa.exc.OperationalError, match="readonly"):
            db.session.execute(sa.text("UPDATE cases SET summary = 'changed'"))
        db.session.rollback()


def test_a_transaction_keeps_its_engine_until_it_ends(app):
    with app.test_request_context("/", method="GET"):
        from casework.core.db import choose_transaction_mode

        choose_transaction_mode()
        assert db.session.scalar(sa.text("SELECT summary FROM cases")) == "Noise at night"
        writes_from_here()  # as record_views does, but with the read still open
        assert db.session.get_bind() is read_engine()
        with pytest.raises(sa.exc.OperationalError, match="readonly"):
            db.session.execute(sa.text("UPDATE cases SET summary = 'changed'"))
        db.session.rollback()
        # The next transaction may write: on the application's engine.
        assert db.session.get_bind() is db.engine
        db.session.execute(sa.text("UPDATE cases SET summary = 'changed'"))
        db.session.commit()
        assert db.session.scalar(sa.text("SELECT summary FROM cases")) == "changed"


def test_an_unsafe_request_writes_on_the_application_s_engine(app):
    with app.test_request_context("/", method="POST"):
        from casework.core.db import choose_transaction_mode

        choose_transaction_mode()
        assert db.session.get_bind() is db.engine
        db.session.execute(sa.text("UPDATE cases SET summary = 'written'"))
        db.session.commit()


def test_dispose_engines_closes_the_read_engine_s_connections_too(app):
    headers = {"Authorization": f"Bearer {app.config['TEST_TOKEN']}"}
    assert app.test_client().get("/api/v1/cases", headers=headers).status_code == 200
    with app.app_context():
        assert read_engine().pool.checkedin() >= 1
        dispose_engines()
        # A database about to be dropped or deleted has no connection left open in either pool.
        assert read_engine().pool.checkedin() == 0
        assert db.engine.pool.checkedin() == 0


def test_nothing_disposes_the_application_s_engine_alone():
    from casework.app import PROJECT_ROOT

    alone = [
        str(path.relative_to(PROJECT_ROOT))
        for folder in ("casework", "bench", "tests", "scripts")
        for path in (PROJECT_ROOT / folder).rglob("*.py")
        if "db.engine" + ".dispose()" in path.read_text() and path != PROJECT_ROOT / "casework/core/db.py"
    ]
    assert alone == [], "use casework.core.db.dispose_engines, which closes the read engine's connections too"


def test_a_read_sends_no_begin_and_is_not_rolled_back_before_its_view_entries(app):
    """Each statement of a read is a read transaction of its own (no ``BEGIN``), so the view entries'
    write need not end the read first: no ``ROLLBACK`` reaches SQLite before their transaction."""
    executed = _trace_every_connection(app)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {app.config['TEST_TOKEN']}"}
    assert client.get("/api/v1/cases", headers=headers).status_code == 200
    del executed[:]
    response = client.get("/api/v1/cases", headers=headers)
    assert len(response.get_json()["items"]) == 1
    statements = [" ".join(statement.split())[:40] for statement in executed]
    assert "BEGIN" not in statements, statements
    assert "ROLLBACK" not in statements, statements
    assert statements.count("BEGIN IMMEDIATE") == 1, statements
    assert statements.count("COMMIT") == 1, statements
    assert any(statement.startswith("INSERT INTO audit_entries") for statement in statements), statements


def test_a_savepoint_in_a_read_begins_a_transaction_that_holds_a_snapshot(app):
    """SQLite begins a transaction at a SAVEPOINT even in autocommit: such a read holds a snapshot,
    and is ended before the view entries are written (``holds_nothing``)."""
    from casework.core.db import choose_transaction_mode, holds_nothing

    with app.test_request_context("/", method="GET"):
        choose_transaction_mode()
        assert db.session.scalar(sa.text("SELECT summary FROM cases")) == "Noise at night"
        assert holds_nothing(db.session())
        with db.session.begin_nested():
            db.session.scalar(sa.text("SELECT count(*) FROM cases"))
            assert not holds_nothing(db.session())
        db.session.rollback()
