"""An upgrade keeps every record: a council's database, made by an older release and full of data, is
migrated to the head without losing or changing a row.

The migrations run from the first; after each revision every table it added gets one row, every column
filled, nullable ones too (so that a migration that copies or backfills a column meets a value), with
foreign keys naming rows already there, and every column it added to a table gets a value in that
table's row where the revision left none. At the head each row must still be there,
with the same value in every column it had, except where a migration says it rewrites one
(``REWRITTEN``). Then the database goes back down to an older release's head with its rows, and up again.

The tables are read from the database at each revision, not listed here: a new table is covered the day
it is added. When one cannot be given a row by its columns' types and CHECK constraints alone, add a
value to ``KNOWN_VALUES``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import downgrade, upgrade

from casework import create_app
from casework.core import data_keys
from casework.core.db import dispose_engines
from tests.conftest import test_settings as settings_for_tests
from tests.test_migrations import empty_database_urls as empty_database_urls

#: Columns a migration rewrites on purpose, with the migration that says so.
REWRITTEN = {
    # 0820: each unused code's SHA-256 digest is hashed again with argon2id; a used one's is wiped.
    ("recovery_codes", "code_hash"),
    # 0850: each authenticator secret is sealed with CASEWORK_DATA_KEY (its downgrade opens them again).
    ("users", "totp_secret"),
}

#: Tables a migration dropped after moving their rows into another: table -> (the other, the values the
#: moved rows gain there), with the migration that does it.
MOVED = {
    # 0200: one counter table for every kind of reference.
    "case_reference_counters": ("reference_counters", {"series": "cases"}),
}

#: Values for columns whose CHECK constraint the generic values do not meet: (table, column) -> value.
KNOWN_VALUES: dict[tuple[str, str], Any] = {}

#: The head of an older release (a week before this test was written), which a council that upgraded
#: and then had to go back would downgrade to.
OLDER_RELEASE = "0400"

#: Columns a downgrade rewrites on purpose.
REWRITTEN_BY_DOWNGRADE = REWRITTEN | {
    # 0870: the victim's consultation notes are appended to the meeting's outcome again.
    ("trigger_meetings", "outcome"),
}

#: Tables whose rows a downgrade deletes on purpose, with the migration that says so.
EMPTIED_BY_DOWNGRADE = {
    # 0820: argon2id cannot be turned back into the old digests, so every recovery code is deleted.
    "recovery_codes",
}


@pytest.fixture
def migrating_app(empty_database_urls: tuple[str, str], tmp_path: Path) -> Iterator[tuple[Flask, sa.Engine]]:
    """The app on an empty database, and an engine as the role that owns the schema, which reads every
    table (the service's role may not read some, the audit log's)."""
    service_url, migration_url = empty_database_urls
    settings = settings_for_tests(service_url, tmp_path, migration_url)
    # A kept key, as in production: 0850 seals the authenticator secrets with it.
    app = create_app({**settings, "DATA_KEY": data_keys.new_key(), "INSTANCE_PATH": str(tmp_path / "instance")})
    owner = sa.create_engine(migration_url)
    with app.app_context():
        yield app, owner
        owner.dispose()
        dispose_engines()


def test_every_row_survives_the_upgrade_to_the_head_and_a_downgrade(migrating_app: tuple[Flask, sa.Engine]) -> None:
    app, owner = migrating_app
    written: dict[str, dict[tuple, dict[str, Any]]] = {}
    unfillable: dict[str, str] = {}

    def fill_after_each_revision(ctx: Any, step: Any, heads: Any, run_args: Any) -> None:
        """Alembic calls this after each revision, inside the migrations' transaction (one for the whole
        upgrade), so the rows go in on the migrations' own connection."""
        fill_new_columns(ctx.connection, written)
        for table, problem in fill_empty_tables(ctx.connection, written).items():
            unfillable.setdefault(table, f"at {step.up_revision_id}: {problem}")

    configure_args = app.extensions["migrate"].configure_args
    configure_args["on_version_apply"] = fill_after_each_revision
    try:
        upgrade()
    finally:
        del configure_args["on_version_apply"]
    assert not unfillable, "These tables could not be given a row (add to KNOWN_VALUES):\n" + "\n".join(
        f"{table} {problem}" for table, problem in unfillable.items()
    )
    assert set(written) - set(MOVED) == set(sa.inspect(owner).get_table_names()) - {"alembic_version"}, (
        "a table of the head was given no row"
    )

    problems = compare(written, read_tables(owner, written))
    assert not problems, "The upgrade lost or changed rows:\n" + "\n".join(problems)

    downgrade(revision=OLDER_RELEASE)
    there = read_tables(owner, written)
    at_older_release = {table: rows for table, rows in written.items() if table in there}
    problems = compare(
        {table: rows for table, rows in at_older_release.items() if table not in EMPTIED_BY_DOWNGRADE},
        there,
        REWRITTEN_BY_DOWNGRADE,
    )
    assert not problems, f"The downgrade to {OLDER_RELEASE} lost or changed rows:\n" + "\n".join(problems)

    upgrade()
    problems = compare(there, read_tables(owner, written))
    assert not problems, f"Upgrading again from {OLDER_RELEASE} lost or changed rows:\n" + "\n".join(problems)


def fill_empty_tables(connection: sa.Connection, written: dict[str, dict[tuple, dict[str, Any]]]) -> dict[str, str]:
    """One row in each table not seen before (parents first); what it read back is added to ``written``.
    Answers the tables it could not fill, with the database's reason."""
    new = set(sa.inspect(connection).get_table_names()) - set(written) - {"alembic_version"}
    if not new:
        return {}
    metadata = sa.MetaData()
    metadata.reflect(connection, only=sorted(new))
    inspector = sa.inspect(connection)
    failed: dict[str, str] = {}
    for table in metadata.sorted_tables:
        if table.name not in new:
            continue
        if connection.execute(sa.select(sa.func.count()).select_from(table)).scalar():
            written[table.name] = read_table(connection, table)  # filled by its migration, from older tables
            continue
        checks = inspector.get_check_constraints(table.name)
        for every_column in (True, False):
            savepoint = connection.begin_nested()
            try:
                connection.execute(sa.insert(table).values(row_for(connection, table, checks, every_column)))
            except sa.exc.DBAPIError as error:
                savepoint.rollback()
                failed[table.name] = str(error.orig).splitlines()[0]
                continue
            savepoint.commit()
            failed.pop(table.name, None)
            written[table.name] = read_table(connection, table)
            break
    return failed


def fill_new_columns(connection: sa.Connection, written: dict[str, dict[tuple, dict[str, Any]]]) -> None:
    """A column added to a table that has its row already gets a value there, where its migration left
    none, so that the migrations after it meet a value in it too; the row's value is added to ``written``."""
    grown = {
        name: set(now) - set(next(iter(written[name].values())))
        for name, now in column_names(connection).items()
        if written.get(name)
    }
    grown = {name: added for name, added in grown.items() if added}
    if not grown:
        return
    metadata = sa.MetaData()
    metadata.reflect(connection, only=sorted(grown))
    inspector = sa.inspect(connection)
    for name, added in grown.items():
        table = metadata.tables[name]
        checks = inspector.get_check_constraints(name)
        for column in (table.c[column_name] for column_name in sorted(added)):
            savepoint = connection.begin_nested()
            try:
                value = value_for(connection, column, checks)
                connection.execute(sa.update(table).where(column.is_(None)).values({column.name: value}))
            except sa.exc.DBAPIError:
                # Refused (the audit log's rows cannot be changed, a unique or CHECK constraint the generic
                # value breaks): the column keeps what its migration wrote, which is checked all the same.
                savepoint.rollback()
            else:
                savepoint.commit()
        now = read_table(connection, table)
        for key, row in written[name].items():
            row.update({column: value for column, value in now.get(key, {}).items() if column in added})


def column_names(connection: sa.Connection) -> dict[str, list[str]]:
    """Every table's columns: on PostgreSQL in one query, as this runs after each of the revisions."""
    if connection.dialect.name == "postgresql":
        found: dict[str, list[str]] = {}
        for table, column in connection.execute(
            sa.text(
                "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema()"
            )
        ):
            found.setdefault(table, []).append(column)
        return found
    inspector = sa.inspect(connection)
    return {table: [column["name"] for column in inspector.get_columns(table)] for table in inspector.get_table_names()}


def row_for(connection: sa.Connection, table: sa.Table, checks: list[dict[str, Any]], every_column: bool) -> dict:
    row = {}
    for column in table.columns:
        if _generated_key(connection, table, column):
            continue
        if not every_column and not column.primary_key and (column.nullable or column.server_default is not None):
            continue
        row[column.name] = value_for(connection, column, checks)
    return row


def _generated_key(connection: sa.Connection, table: sa.Table, column: sa.Column) -> bool:
    """The id the database gives the row itself (SQLite's INTEGER PRIMARY KEY, a sequence or identity)."""
    if not column.primary_key or column.foreign_keys or len(table.primary_key.columns) != 1:
        return False
    if not isinstance(column.type, sa.Integer):
        return False
    return connection.dialect.name == "sqlite" or column.server_default is not None or column.identity is not None


def value_for(connection: sa.Connection, column: sa.Column, checks: list[dict[str, Any]]) -> Any:
    table = column.table.name
    if (table, column.name) in KNOWN_VALUES:
        return KNOWN_VALUES[(table, column.name)]
    if column.foreign_keys:
        target = next(iter(column.foreign_keys)).column
        return connection.execute(sa.select(target).order_by(target).limit(1)).scalar()
    for check in checks:
        # An enum's CHECK: "kind IN ('a', 'b')" on SQLite, "kind::text = ANY (ARRAY['a'::..." on PostgreSQL.
        found = re.search(rf"\b{column.name}\b[^']*?(?: IN \(|ANY)[^']*'([^']*)'", check["sqltext"])
        if found:
            return found.group(1)
    kind = column.type
    if isinstance(kind, sa.DateTime):
        return dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)
    if isinstance(kind, sa.Date):
        return dt.date(2026, 3, 2)
    if isinstance(kind, sa.Boolean):
        return True
    if isinstance(kind, sa.Integer | sa.Numeric | sa.Float):
        return 1
    if isinstance(kind, sa.JSON):
        return {"kept": "yes"}
    if isinstance(kind, sa.LargeBinary):
        return b"kept bytes"
    if isinstance(kind, sa.Uuid):
        return "00000000-0000-0000-0000-000000000001"
    length = getattr(kind, "length", None) or 40
    return f"kept {table}.{column.name}"[:length]


def read_table(connection: sa.Connection, table: sa.Table) -> dict[tuple, dict[str, Any]]:
    key = [column.name for column in table.primary_key.columns] or [column.name for column in table.columns]
    return {tuple(row[k] for k in key): dict(row) for row in connection.execute(sa.select(table)).mappings()}


def read_tables(engine: sa.Engine, names: dict[str, Any]) -> dict[str, dict[tuple, dict[str, Any]]]:
    metadata = sa.MetaData()
    metadata.reflect(engine)
    with engine.connect() as connection:
        return {name: read_table(connection, table) for name, table in metadata.tables.items() if name in names}


def compare(
    before: dict[str, dict[tuple, dict[str, Any]]],
    after: dict[str, dict[tuple, dict[str, Any]]],
    rewritten: set[tuple[str, str]] = REWRITTEN,
) -> list:
    problems = []
    for table, rows in before.items():
        if table not in after and table in MOVED:
            target, gained = MOVED[table]
            for row in rows.values():
                if not any({**row, **gained}.items() <= moved.items() for moved in after.get(target, {}).values()):
                    problems.append(f"{table}: {row} is not in {target}")
            continue
        if table not in after:
            problems.append(f"{table}: the table is gone, with its {len(rows)} row(s)")
            continue
        for key, row in rows.items():
            now = after[table].get(key)
            if now is None:
                problems.append(f"{table} {key}: the row is gone")
                continue
            for column, value in row.items():
                if column in now and now[column] != value and (table, column) not in rewritten:
                    problems.append(f"{table} {key}: {column} was {value!r}, is {now[column]!r}")
    return problems
