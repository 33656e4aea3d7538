"""A background job to sweep and lease (``casework.core.jobs``), on an application of its own whose
transactions really commit: a partnership report asked for with ``respond-async``, and what a worker
killed while compiling it leaves behind."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from casework.core.db import commit, reading
from casework.core.time import now
from casework.extensions import db
from tests.notifications.committed import committed_app, committed_database
from tests.support.one_application import one_application_and_a_token

REPORT = "/api/v1/reports/partnership?period_start=2025-04-01&period_end=2026-03-31"


@contextmanager
def committed_app_and_a_manager(
    backend: str, tmp_path: Path, postgresql_url: str | None, **settings: Any
) -> Iterator[tuple[Any, dict[str, str]]]:
    """A migrated app on a committed database of ``backend`` (with ``settings``), one Case Review
    application in it, and the headers of a manager's API token."""
    with (
        committed_database(backend, tmp_path, postgresql_url) as url,
        committed_app(url, tmp_path, **settings) as app,
    ):
        yield app, a_manager(app)


def a_manager(app: Any) -> dict[str, str]:
    """One Case Review application in ``app``'s (committed) database, and the headers of a manager's API
    token."""
    with app.app_context():
        token = one_application_and_a_token("manager")
    return {"Authorization": f"Bearer {token}"}


def ask_for_a_report(app: Any, headers: dict[str, str]) -> tuple[int, str]:
    """A partnership report asked for with ``respond-async``: queued, its message on the broker. Answers
    its job's id and the address to poll."""
    response = app.test_client().get(REPORT, headers={**headers, "Prefer": "respond-async"})
    assert response.status_code == 202
    return int(response.get_json()["id"]), response.headers["Location"]


def purge_broker(app: Any) -> None:
    """Take every message off the broker: nobody else is to run them (or they were lost with it)."""
    with app.app_context(), app.extensions["celery"].connection_for_write() as connection:
        connection.default_channel.queue_purge("celery")


def left_by_a_dead_worker(app: Any, job_id: int, attempts: int = 1) -> None:
    """What a worker killed while compiling leaves: running, its lease run out, its message gone."""
    from casework.reports.models import ReportJob
    from casework.statistics.models import JobStatus

    purge_broker(app)
    with app.app_context():
        db.session.execute(
            sa.update(ReportJob)
            .where(ReportJob.id == job_id)
            .values(
                status=JobStatus.running,
                started_at=now() - timedelta(minutes=3),
                lease_until=now() - timedelta(seconds=1),
                attempts=attempts,
            )
        )
        commit()


def job_status(app: Any, job_id: int) -> str:
    from casework.reports.models import ReportJob

    with app.app_context(), reading():
        status = db.session.scalar(sa.select(ReportJob.status).where(ReportJob.id == job_id))
        db.session.rollback()
        return str(status.value)


@contextmanager
def jobs_warnings() -> Iterator[list[str]]:
    """The warnings ``casework.core.jobs`` logs meanwhile. A handler of its own: the app's logging
    set-up replaces the root logger's handlers (caplog's among them)."""
    lines: list[str] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = lambda record: lines.append(record.getMessage())  # type: ignore[method-assign]
    logger = logging.getLogger("casework.core.jobs")
    logger.addHandler(handler)
    try:
        yield lines
    finally:
        logger.removeHandler(handler)
