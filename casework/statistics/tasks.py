"""Celery tasks of the statistics: compile on demand (with a job row the page polls) and after each
financial year ends (daily beat entry; each area's just-ended year is compiled once)."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.schedules import crontab

from casework.core.db import commit
from casework.core.time import now
from casework.extensions import db
from casework.statistics.models import JobStatus, StatisticsJob

log = logging.getLogger(__name__)


@shared_task(name="statistics.compile")
def compile_statistics(job_id: int) -> int | None:
    """Run a queued compilation. Safe to run twice (late acknowledgement redelivers after a crash):
    a job already done is left alone; one left running by a dead worker runs again."""
    from casework.statistics import services

    job = db.session.get(StatisticsJob, job_id)
    if job is None or job.status == JobStatus.done:
        return None
    job.status = JobStatus.running
    job.started_at = now()
    job.error = None
    commit()
    try:
        snapshot = services.compile(
            job.requested_by_id and _user(job.requested_by_id), job.area, job.period_start, job.period_end
        )
        job.snapshot = snapshot
        job.status = JobStatus.done
        job.finished_at = now()
        commit()
        return snapshot.id
    except Exception as error:  # the page must show the failure instead of "running" for ever
        log.exception("Compiling statistics job %s failed", job_id)
        db.session.rollback()
        job = db.session.get(StatisticsJob, job_id)
        job.status = JobStatus.failed
        job.error = getattr(error, "message", None) or "The figures could not be compiled. Try again."
        job.finished_at = now()
        commit()
        return None


def _user(user_id: int):
    from casework.accounts.models import User

    return db.session.get(User, user_id)


@shared_task(name="statistics.compile_ended_periods")
def compile_ended_periods() -> int:
    from casework.statistics import services

    compiled = services.compile_ended_periods()
    commit()
    return len(compiled)


#: Beat entries (task name -> schedule), registered with the tasks by the domain's ``init_app``.
# Daily, early in the morning: on 1 April it compiles the year that ended the day before.
BEAT = {
    "statistics.compile_ended_periods": crontab(hour=2, minute=30),
}
