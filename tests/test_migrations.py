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
        db.engine.dispose()


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
