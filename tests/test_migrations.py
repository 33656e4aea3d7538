"""The migrations are the only way the schema is built, so they must agree with the models exactly.

Each backend gets a database of its own here (the shared test database is never downgraded).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from flask_migrate import downgrade, upgrade

from casework import create_app
from casework.app import PROJECT_ROOT
from casework.core.db import dispose_engines
from casework.extensions import db
from tests.conftest import test_settings as settings_for_tests
from tests.support.databases import scratch_database_with_roles

MIGRATIONS = PROJECT_ROOT / "migrations"


def script_directory() -> ScriptDirectory:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config)


def test_there_is_exactly_one_head() -> None:
    heads = script_directory().get_heads()
    assert len(heads) == 1, (
        f"The migrations have {len(heads)} heads ({', '.join(heads)}): point the newer revision's "
        "down_revision at the other, or `flask --app casework db merge heads`."
    )


def test_every_revision_leads_back_to_base() -> None:
    """No orphan: walking down from the head visits every revision file."""
    scripts = script_directory()
    walked = {revision.revision for revision in scripts.walk_revisions()}
    files = {path.stem for path in (MIGRATIONS / "versions").glob("*.py")}
    assert len(walked) == len(files), "a migration file is not reachable from the head"


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_urls(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(service URL, migration URL): on PostgreSQL the two roles, so the grant step runs every time."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'migrations.sqlite'}"
        yield url, url
        return
    with scratch_database_with_roles(request.getfixturevalue("postgresql_database"), "casework_migrations") as db_:
        yield db_.service_url or db_.owner_url, db_.owner_url


@pytest.fixture
def fresh_app(empty_database_urls: tuple[str, str], tmp_path: Path) -> Iterator[Flask]:
    service_url, migration_url = empty_database_urls
    app = create_app(
        {**settings_for_tests(service_url, tmp_path, migration_url), "INSTANCE_PATH": str(tmp_path / "instance")}
    )
    with app.app_context():
        yield app
        dispose_engines()


def differences(app: Flask) -> list[Any]:
    """What autogenerate would write: the models compared with the migrated database."""
    options = dict(app.extensions["migrate"].configure_args)
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={**options, "target_metadata": db.metadata})
        return compare_metadata(context, db.metadata)


def table_names() -> set[str]:
    return set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}


def test_models_and_migrations_agree(fresh_app: Flask) -> None:
    upgrade()
    found = differences(fresh_app)
    assert not found, (
        "The models and the migrations disagree; run scripts/makemigration and read the result:\n"
        + "\n".join(repr(diff) for diff in found)
    )


def test_downgrade_to_base_and_upgrade_again(fresh_app: Flask) -> None:
    upgrade()
    expected = set(db.metadata.tables)
    assert table_names() == expected
    downgrade(revision="base")
    assert table_names() == set(), "downgrade to base left tables behind"
    upgrade()
    assert table_names() == expected
    assert not differences(fresh_app)


def test_the_case_review_files_move_into_the_file_store_and_back(fresh_app: Flask) -> None:
    """0320 moves each agency file's bytes from trigger_documents.content to the database store."""
    upgrade(revision="0250")
    content = bytes(range(256)) + b"%PDF-1.4 agency file"
    with db.engine.begin() as connection:
        connection.execute(sa.text("INSERT INTO areas (id, code, name) VALUES (1, 'BOL', 'Bolsover')"))
        columns = {column["name"]: column for column in sa.inspect(connection).get_columns("trigger_applications")}
        required = {
            name: column for name, column in columns.items() if not column["nullable"] and column.get("default") is None
        }
        values = {name: _placeholder(name, column) for name, column in required.items() if name != "id"}
        values.update({"id": 1, "area_id": 1})
        applications = sa.table("trigger_applications", *(sa.column(name) for name in values))
        connection.execute(sa.insert(applications).values(values))
        connection.execute(
            sa.text(
                "INSERT INTO trigger_documents (id, application_id, filename, content_type, size, content) "
                "VALUES (7, 1, 'log.pdf', 'application/pdf', :size, :content)"
            ),
            {"size": len(content), "content": content},
        )
    upgrade(revision="0320")
    with db.engine.connect() as connection:
        key, backend, size = connection.execute(
            sa.text(
                "SELECT s.key, s.backend, s.size FROM trigger_documents d "
                "JOIN stored_files s ON s.id = d.stored_file_id WHERE d.id = 7"
            )
        ).one()
        assert (backend, size) == ("database", len(content))
        assert (
            bytes(connection.execute(sa.text("SELECT content FROM file_blobs WHERE key = :k"), {"k": key}).scalar())
            == content
        )
    downgrade(revision="0250")
    with db.engine.connect() as connection:
        assert (
            bytes(connection.execute(sa.text("SELECT content FROM trigger_documents WHERE id = 7")).scalar()) == content
        )


def _placeholder(name: str, column: dict[str, Any]) -> Any:
    """A value a NOT NULL column accepts, for a row made only to be migrated."""
    import datetime as dt

    kind = type(column["type"]).__name__.lower()
    if ("date" in kind and "time" in kind) or "timestamp" in kind:
        return dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)
    if "date" in kind:
        return dt.date(2026, 3, 2)
    if "int" in kind:
        return 1
    if "bool" in kind:
        return False
    if "json" in kind:
        return "{}"
    known = {"channel": "phone", "status": "received", "applicant_role": "victim", "reference": "BOL-CT-2026-0001"}
    return known.get(name, "x")
