"""Migration 0820: recovery codes stored as unsalted SHA-256 digests become argon2id hashes, and the
codes users already hold go on working (each backend on a database of its own, as in test_migrations)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from casework.accounts import second_factor
from casework.accounts.models import RecoveryCode, User
from casework.extensions import db
from tests.test_migrations import _placeholder, empty_database_urls, fresh_app  # noqa: F401 (fixtures)

OLD_CODES = ["3fa9c-01b2e", "c0ffe-e1234", "9d8e7-a6b5c"]
USED = "77777-aaaaa"


def _insert(connection: Any, table: str, values: dict[str, Any]) -> None:
    """A row with ``values`` and a placeholder in every other column that needs one."""
    columns = {column["name"]: column for column in sa.inspect(connection).get_columns(table)}
    row = {
        name: _placeholder(name, column)
        for name, column in columns.items()
        if not column["nullable"] and column.get("default") is None and name != "id"
    }
    row.update(values)
    connection.execute(sa.insert(sa.table(table, *(sa.column(name) for name in row))).values(row))


def _old_digest(code: str) -> str:
    return hashlib.sha256(code.replace("-", "").encode()).hexdigest()


@pytest.mark.usefixtures("fresh_app")
def test_codes_made_before_0820_keep_working_once_and_their_digests_go() -> None:
    upgrade(revision="0810")
    with db.engine.begin() as connection:
        _insert(connection, "areas", {"id": 1, "code": "BOL", "name": "Bolsover"})
        agency = {"id": 1, "code": "BDC", "name": "Bolsover District Council", "kind": "council"}
        _insert(connection, "agencies", agency)
        _insert(connection, "users", {"id": 1, "agency_id": 1, "email": "olive@example.org", "totp_secret": "A" * 32})
        for number, code in enumerate([*OLD_CODES, USED], start=1):
            used_at = datetime(2026, 12, 1, 9, 0, tzinfo=UTC) if code == USED else None
            _insert(
                connection,
                "recovery_codes",
                {"id": number, "user_id": 1, "code_hash": _old_digest(code), "used_at": used_at},
            )
    upgrade(revision="0820")

    stored = {row.id: row for row in db.session.scalars(sa.select(RecoveryCode))}
    old_digests = {_old_digest(code) for code in [*OLD_CODES, USED]}
    assert not old_digests & {row.code_hash for row in stored.values()}
    assert all(row.code_hash.startswith("$argon2id$") for number, row in stored.items() if number <= 3)
    assert stored[4].code_hash == ""  # used: nothing checks it again
    assert all(row.selector is None for row in stored.values())

    user = db.session.get_one(User, 1)
    assert second_factor._use_recovery_code(user, "3fa9c-01b2f") is False  # wrong
    assert second_factor._use_recovery_code(user, USED) is False  # used before the migration
    assert second_factor._use_recovery_code(user, OLD_CODES[1].upper()) is True  # as typed: case, hyphen
    assert second_factor._use_recovery_code(user, OLD_CODES[1]) is False  # once only
    assert second_factor._use_recovery_code(user, OLD_CODES[0]) is True
    assert second_factor.unused_recovery_codes(user) == 1
    db.session.rollback()

    # Back down: the hashes cannot become digests again, so the codes go (the app stays).
    downgrade(revision="0810")
    with db.engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM recovery_codes")).scalar() == 0
        assert "selector" not in {column["name"] for column in sa.inspect(connection).get_columns("recovery_codes")}
