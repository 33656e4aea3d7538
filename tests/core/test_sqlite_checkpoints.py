"""SQLite copies the WAL back into the database (a checkpoint, with its fsyncs) inside the COMMIT that
finds it past a threshold, while that writer holds the write lock every writer queues for: the
service's writers checkpoint at ``SQLITE_AUTOCHECKPOINT_PAGES``, not at SQLite's default of 1,000."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa

from casework.core.db import SQLITE_AUTOCHECKPOINT_PAGES, configure_engine_events

pytestmark = pytest.mark.sqlite_only

SQLITE_DEFAULT_PAGES = 1_000


def pages_in_the_wal(path: Path) -> int:
    """How many pages the WAL holds (a checkpoint from another connection answers it, and copies them)."""
    with sqlite3.connect(path) as connection:
        _busy, pages, _copied = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    connection.close()
    return int(pages)


def test_writers_checkpoint_past_many_more_pages_than_sqlites_default(tmp_path: Path) -> None:
    path = tmp_path / "casework.sqlite"
    engine = sa.create_engine(f"sqlite:///{path}")
    configure_engine_events(engine)
    blob = b"x" * 40_000  # ten pages or so a commit
    try:
        with engine.connect() as connection:
            with connection.begin():
                connection.exec_driver_sql("CREATE TABLE writes (data BLOB NOT NULL)")
            commits = 0
            # Past SQLite's default: a writer with its own setting would have checkpointed (and the
            # next writer started the WAL again from its beginning).
            while commits * len(blob) // 4096 < 2 * SQLITE_DEFAULT_PAGES:
                with connection.begin():  # outside a request: a writing transaction, BEGIN IMMEDIATE
                    connection.exec_driver_sql("INSERT INTO writes (data) VALUES (?)", (blob,))
                commits += 1
        assert pages_in_the_wal(path) > 2 * SQLITE_DEFAULT_PAGES

        # Still checkpointed, past the service's threshold.
        with engine.connect() as connection:
            while commits * len(blob) // 4096 < 1.5 * SQLITE_AUTOCHECKPOINT_PAGES:
                with connection.begin():
                    connection.exec_driver_sql("INSERT INTO writes (data) VALUES (?)", (blob,))
                commits += 1
            assert connection.exec_driver_sql("SELECT count(*) FROM writes").scalar() == commits
        assert pages_in_the_wal(path) < SQLITE_AUTOCHECKPOINT_PAGES
    finally:
        engine.dispose()
