"""Databases of a test's own, for tests that migrate, downgrade or hand the database to another process."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator

import sqlalchemy as sa


@contextlib.contextmanager
def scratch_postgresql_database(server_url: str, prefix: str = "casework_scratch") -> Iterator[str]:
    """A new, empty database on the server of ``server_url`` (a SQLAlchemy URL), dropped afterwards."""
    import psycopg
    from psycopg import sql

    url = sa.make_url(server_url)
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True, connect_timeout=10) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {} ENCODING 'UTF8' TEMPLATE template0").format(sql.Identifier(name)))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True, connect_timeout=10) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@contextlib.contextmanager
def scratch_database_with_roles(database, prefix: str = "casework_scratch") -> Iterator:
    """A new, empty database on the suite's server, created by the owner role, with the same two roles
    as the suite's database (a ``tests.support.services.PostgresqlDatabase``), dropped afterwards."""
    with scratch_postgresql_database(database.owner_url, prefix) as owner_url:
        yield database.on(sa.make_url(owner_url).database)
