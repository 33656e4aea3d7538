"""The lease sweep (``casework.core.jobs.recover``) takes each job on its own: one it cannot take (on
SQLite, the database's write lock held past the busy timeout, as a run still going past its time limit
holds it; on PostgreSQL, a lock or statement timeout) is logged and left for the next sweep, and the
others are still sent again, where the whole sweep used to fail with the first."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
import sqlalchemy as sa

from casework.extensions import db
from tests.support.report_jobs import (
    ask_for_a_report,
    committed_app_and_a_manager,
    job_status,
    jobs_warnings,
    left_by_a_dead_worker,
)

pytestmark = pytest.mark.celery_worker


def _left_by_a_dead_worker(app: Any, headers: dict[str, str]) -> int:
    """A partnership report whose worker died while compiling it: running, its lease run out, its
    message gone."""
    job_id, _url = ask_for_a_report(app, headers)
    left_by_a_dead_worker(app, job_id)
    return job_id


def test_a_job_the_sweep_cannot_take_is_logged_and_skipped_and_the_next_is_sent_again(tmp_path, monkeypatch):
    from casework.core import jobs

    # Lock waits of a second, not half a minute (read when each connection is made, so before the app).
    monkeypatch.setattr("casework.core.db.SQLITE_BUSY_SECONDS", 1)
    with committed_app_and_a_manager("sqlite", tmp_path, None, JOB_LEASE_SECONDS=1) as (app, headers):
        stuck, next_one = _left_by_a_dead_worker(app, headers), _left_by_a_dead_worker(app, headers)

        # Another process's transaction holds the write lock (as a hung import's does) while the sweep
        # tries the first job, and ends once that attempt has failed.
        holder = sqlite3.connect(str(tmp_path / "committed.sqlite"), isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        failures: list[str] = []

        def let_go_after_the_first_failure(context: Any) -> None:
            failures.append(str(context.original_exception))
            if holder.in_transaction:
                holder.execute("COMMIT")

        with app.app_context():
            sa.event.listen(db.engine, "handle_error", let_go_after_the_first_failure)
        try:
            with jobs_warnings() as logged:
                assert _recover(app, jobs) == {"sent": 1, "failed": 0}
        finally:
            with app.app_context():
                sa.event.remove(db.engine, "handle_error", let_go_after_the_first_failure)
            holder.close()

        assert failures
        assert "database is locked" in failures[0]
        assert job_status(app, stuck) == "running"  # untouched: left for the next sweep
        assert job_status(app, next_one) == "queued"  # sent again
        assert any(f"partnership_report_jobs {stuck} could not be taken by the sweep" in line for line in logged)

        assert _recover(app, jobs) == {"sent": 1, "failed": 0}  # the lock free, the next sweep takes it
        assert job_status(app, stuck) == "queued"


def _recover(app: Any, jobs: Any) -> dict[str, int]:
    with app.app_context():
        return dict(jobs.recover())
