"""A sign-in finds the victim page by the stored digest of its address or number, through an index,
not by making the digest of every live page's address; digests made with another key (the secret key
changed) or missing (a row from before) are made again first."""

from __future__ import annotations

import secrets
from typing import Any

import pytest
import sqlalchemy as sa

from casework.extensions import db
from casework.victims import services
from casework.victims.models import VictimAccess
from tests.victims.test_victim_page import EMAIL, MOBILE, access  # noqa: F401


def _statements_of(work: Any) -> list[tuple[str, Any]]:
    seen: list[tuple[str, Any]] = []

    def before(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        seen.append((statement, parameters))

    # Every engine's, not only the write engine's: a read may be sent on the read engine.
    sa.event.listen(sa.Engine, "before_cursor_execute", before)
    try:
        work()
    finally:
        sa.event.remove(sa.Engine, "before_cursor_execute", before)
    return seen


@pytest.mark.parametrize(
    ("kind", "reference", "index"),
    [
        ("link", lambda address, _number: services.email_reference(address), "ix_victim_accesses_email_reference"),
        ("code", lambda _address, number: services.mobile_reference(number), "ix_victim_accesses_mobile_reference"),
    ],
)
def test_the_page_is_found_through_the_index_of_its_digest(access, kind, reference, index):  # noqa: F811
    # An address and number of this test's own, as rare among the digests as a real one. PostgreSQL
    # plans by its statistics of the shared test database, where earlier tests left many live pages
    # with the fixtures' one address: for a digest that common, scanning every live page is rightly
    # cheaper, and the plan would say nothing about a real look-up.
    own = secrets.token_hex(6)
    # (The number is in Ofcom's range for drama, away from the ones other tests use.)
    access.email, access.mobile = f"vera.{own}@example.net", f"07700 900{600 + int(own, 16) % 100}"
    services.refresh_references()
    db.session.commit()
    lookup = reference(access.email, access.mobile)
    statements = _statements_of(lambda: services.send_sign_in(kind, lookup))
    lookups = [
        (statement, parameters)
        for statement, parameters in statements
        if statement.lstrip().upper().startswith("SELECT") and "FROM victim_accesses" in statement
    ]
    plans = [_plan(statement, parameters) for statement, parameters in lookups]
    assert any(index in plan for plan in plans), plans
    assert not any("SCAN victim_accesses" in plan or "Seq Scan on victim_accesses" in plan for plan in plans), plans


def _plan(statement: str, parameters: Any) -> str:
    """The plan the database chooses (PostgreSQL told that a scan of a table costs more than any index:
    a test's tables are too small for its own choice to mean anything)."""
    connection = db.session.connection()
    if connection.dialect.name == "sqlite":
        rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
        return " ".join(str(row[-1]) for row in rows)
    connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
    try:
        return " ".join(str(row[0]) for row in connection.exec_driver_sql(f"EXPLAIN {statement}", parameters))
    finally:
        connection.exec_driver_sql("SET LOCAL enable_seqscan = on")


def test_digests_made_with_another_key_or_none_are_made_again(app, access, monkeypatch):  # noqa: F811
    assert access.reference_key == services.reference_key_id()
    db.session.execute(sa.update(VictimAccess).values(email_reference=None, mobile_reference=None, reference_key=None))
    db.session.commit()
    assert services.send_sign_in("link", services.email_reference(EMAIL)) == 1
    monkeypatch.setattr(app, "secret_key", "a new secret key that is long enough for production use")
    assert services.send_sign_in("code", services.mobile_reference(MOBILE)) == 1
    db.session.expire_all()
    assert db.session.get(VictimAccess, access.id).reference_key == services.reference_key_id()
    assert services.send_sign_in("link", services.email_reference("someone.else@example.net")) == 0
