"""The lease sweep (``casework.core.jobs.recover``) takes each job on its own: one it cannot take (on
SQLite, the database's write lock held past the busy timeout, as a run still going past its time limit
holds it; on PostgreSQL, a lock or statement timeout) is logged and left for the next sweep, and the
others are still sent again, where the whole sweep used to fail with the first."""

from __future__ import annotations

import logging
import sqlite3
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from casework.core.db import commit, reading
from casework.core.time import now
from casework.extensions import db
from tests.notifications.committed import committed_app, committed_database
from tests.support.one_application import one_application_and_a_token

pytestmark = pytest.mark.celery_worker

REPORT = "/api/v1/reports/partnership?period_start=2025-04-01&period_end=2026-03-31"


def _left_by_a_dead_worker(app: Any, headers: dict[str, str]) -> int:
    """A partnership report whose worker died while compiling it: running, its lease run out, its
    message gone."""
    from casework.reports.models import ReportJob
    from casework.statistics.models import JobStatus

    response = app.test_client().get(REPORT, headers={**headers, "Prefer": "respond-async"})
    assert response.status_code == 202
    job_id = response.get_json()["id"]
    with app.app_context():
        with app.extensions["celery"].connection_for_write() as connection:
            connection.default_channel.queue_purge("celery")
        db.session.execute(
            sa.update(ReportJob)
            .where(ReportJob.id == job_id)
            .values(
                status=JobStatus.running,
                started_at=now() - timedelta(minutes=3),
                lease_until=now() - timedelta(seconds=1),
                attempts=1,
            )
        )
        commit()
    return int(job_id)


def _status(app: Any, job_id: int) -> str:
    from casework.reports.models import ReportJob

    with app.app_context(), reading():
        status = db.session.scalar(sa.select(ReportJob.status).where(ReportJob.id == job_id))
        db.session.rollback()
        return str(status.value)


def test_a_job_the_sweep_cannot_take_is_logged_and_skipped_and_the_next_is_sent_again(tmp_path, monkeypatch):
    from casework.core import jobs

    # Lock waits of a second, not half a minute (read when each connection is made, so before the app).
    monkeypatch.setattr("casework.core.db.SQLITE_BUSY_SECONDS", 1)
    with (
        committed_database("sqlite", tmp_path, None) as url,
        committed_app(url, tmp_path, JOB_LEASE_SECONDS=1) as app,
    ):
        with app.app_context():
            token = one_application_and_a_token("manager")
        headers = {"Authorization": f"Bearer {token}"}
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

        # The app's logging set-up replaces the root logger's handlers (caplog's among them).
        logged: list[str] = []
        recorder = logging.Handler(logging.WARNING)
        recorder.emit = lambda record: logged.append(record.getMessage())  # type: ignore[method-assign]
        logger = logging.getLogger("casework.core.jobs")
        logger.addHandler(recorder)
        with app.app_context():
            sa.event.listen(db.engine, "handle_error", let_go_after_the_first_failure)
        try:
            assert _recover(app, jobs) == {"sent": 1, "failed": 0}
        finally:
            logger.removeHandler(recorder)
            with app.app_context():
                sa.event.remove(db.engine, "handle_error", let_go_after_the_first_failure)
            holder.close()

        assert failures
        assert "database is locked" in failures[0]
        assert _status(app, stuck) == "running"  # untouched: left for the next sweep
        assert _status(app, next_one) == "queued"  # sent again
        assert any(f"partnership_report_jobs {stuck} could not be taken by the sweep" in line for line in logged)

        assert _recover(app, jobs) == {"sent": 1, "failed": 0}  # the lock free, the next sweep takes it
        assert _status(app, stuck) == "queued"


def _recover(app: Any, jobs: Any) -> dict[str, int]:
    with app.app_context():
        return dict(jobs.recover())
