"""Databases of a test's own, for tests that migrate, downgrade or hand the database to another process."""

from __future__ import annotations

import contextlib
import time
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
        drop_database(admin, name)


def drop_database(admin_url: str, name: str, *, attempts: int = 40) -> None:
    """``DROP DATABASE ... WITH (FORCE)`` as the suite's owner role (a libpq URL), tried again while it may
    not end another process.

    FORCE ends the database's other connections, but a role that is not a superuser may end only its
    own roles' processes. An autovacuum worker, which PostgreSQL starts on its own on a database that was
    just migrated and filled, belongs to no role, so the drop fails with InsufficientPrivilege while one
    runs there; it ends within moments, after which the drop succeeds.
    """
    import psycopg
    from psycopg import errors, sql

    statement = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
    for attempt in range(attempts):
        try:
            with psycopg.connect(admin_url, autocommit=True, connect_timeout=10) as conn:
                conn.execute(statement)
            return
        except errors.InsufficientPrivilege:
            if attempt == attempts - 1:
                raise
            time.sleep(0.25)


@contextlib.contextmanager
def scratch_database_with_roles(database, prefix: str = "casework_scratch") -> Iterator:
    """A new, empty database on the suite's server, created by the owner role, with the same two roles
    as the suite's database (a ``tests.support.services.PostgresqlDatabase``), dropped afterwards."""
    with scratch_postgresql_database(database.owner_url, prefix) as owner_url:
        yield database.on(sa.make_url(owner_url).database)
