"""An application on a database of its own whose transactions really commit, for what the usual
rolled-back ``db_session`` cannot show: the owner tampering with committed entries, ``flask audit
verify`` reading them, threads writing at once."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.notifications.committed import committed_app
from tests.support.databases import scratch_database_with_roles


@dataclass
class Committed:
    app: Any
    backend: str
    #: The owner's connection (PostgreSQL), or the file itself (SQLite, which has no roles).
    owner: sa.Engine

    def verify(self, *options: str) -> Any:
        """``flask --app casework audit verify``: the result (exit code, output)."""
        return self.app.test_cli_runner().invoke(args=["audit", "verify", *options])

    def seal(self) -> None:
        assert self.app.test_cli_runner().invoke(args=["audit", "seal"]).exit_code == 0

    def tamper(self, *statements: str, **parameters: Any) -> None:
        """Run ``statements`` (with bound ``parameters``) as the owner, with the append-only triggers out of
        the way, as an administrator (or an attacker holding the owner's password) could."""
        with self.owner.begin() as connection:
            if self.backend == "postgresql":
                for table in ("audit_entries", "audit_values", "audit_seals"):
                    connection.exec_driver_sql(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            else:
                names = (
                    connection.exec_driver_sql(
                        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name LIKE 'audit_%'"
                    )
                    .scalars()
                    .all()
                )
                for name in names:
                    connection.exec_driver_sql(f"DROP TRIGGER {name}")
            for statement in statements:
                connection.execute(sa.text(statement), parameters)


@pytest.fixture(params=["sqlite", "postgresql"])
def committed(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Committed]:
    with contextlib.ExitStack() as stack:
        if request.param == "sqlite":
            service_url = owner_url = f"sqlite:///{tmp_path / 'committed.sqlite'}"
        else:
            database = stack.enter_context(
                scratch_database_with_roles(request.getfixturevalue("postgresql_database"), "casework_audit")
            )
            owner_url, service_url = database.owner_url, database.service_url or database.owner_url
        app = stack.enter_context(committed_app(service_url, tmp_path, MIGRATION_DATABASE_URL=owner_url))
        owner = sa.create_engine(owner_url, poolclass=sa.pool.NullPool)
        stack.callback(owner.dispose)
        yield Committed(app, request.param, owner)
