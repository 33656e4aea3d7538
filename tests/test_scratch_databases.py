"""The suite's own databases are dropped even while a process of a role the owner cannot end is on them
(an autovacuum worker after a migration): the drop is tried again until that process has gone."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from tests.support.databases import scratch_database_with_roles


def _libpq(url: str) -> str:
    return sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def test_a_scratch_database_is_dropped_once_a_process_the_owner_cannot_end_has_gone(
    request: pytest.FixtureRequest,
) -> None:
    import psycopg

    database = request.getfixturevalue("postgresql_database")
    if database.service_url is None:
        pytest.skip("needs the service role beside the owner (the suite's throwaway server has both)")
    with scratch_database_with_roles(database, "casework_drop") as scratch:
        name = sa.make_url(scratch.owner_url).database
        # The service role's connection stands for the autovacuum worker: the owner is not a member of
        # its role, so WITH (FORCE) may not end it, and the first drops fail.
        held = psycopg.connect(_libpq(scratch.service_url), autocommit=True)
        held.execute("SELECT 1")
        closer = threading.Timer(1.0, held.close)
        closer.start()
    closer.join()
    with psycopg.connect(_libpq(database.owner_url), autocommit=True) as conn:
        found = conn.execute("SELECT count(*) FROM pg_database WHERE datname = %s", (name,)).fetchone()
    assert found == (0,)
