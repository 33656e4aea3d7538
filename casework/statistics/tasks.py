"""Celery tasks of the statistics: compile on demand (with a job row the page polls) and after each
financial year ends (daily beat entry; each area's just-ended year is compiled once)."""

from __future__ import annotations

import logging
from datetime import timedelta

import sqlalchemy as sa
from celery import shared_task
from celery.schedules import crontab

from casework.core.db import commit, rows_changed
from casework.core.time import now
from casework.extensions import db
from casework.statistics.models import JobStatus, StatisticsJob

log = logging.getLogger(__name__)


#: A job still "running" after this long was left by a dead worker and may be run again.
STALE_RUN = timedelta(minutes=15)


@shared_task(name="statistics.compile")
def compile_statistics(job_id: int) -> int | None:
    """Run a queued compilation, once. The job is claimed by a conditional UPDATE (queued, or left
    running by a dead worker long ago), so a second delivery of the same message (late
    acknowledgement after a crash, or a relay that died before marking its row) finds it claimed or
    done and does nothing."""
    from casework.statistics import services

    db.session.rollback()
    moment = now()
    claimed = rows_changed(
        db.session.execute(
            sa.update(StatisticsJob)
            .where(
                StatisticsJob.id == job_id,
                sa.or_(
                    StatisticsJob.status == JobStatus.queued,
                    sa.and_(StatisticsJob.status == JobStatus.running, StatisticsJob.started_at < moment - STALE_RUN),
                ),
            )
            .values(status=JobStatus.running, started_at=moment, error=None)
            .execution_options(synchronize_session=False)
        )
    )
    commit()
    if not claimed:
        return None
    job = db.session.get(StatisticsJob, job_id)
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


DELETE_FINISHED_JOBS_TASK = "statistics.delete_finished_jobs"


@shared_task(name=DELETE_FINISHED_JOBS_TASK)
def delete_finished_jobs() -> int:
    """Delete compilation jobs finished over ``CASEWORK_JOB_RETENTION_DAYS`` ago (casework.core.jobs)."""
    from casework.statistics import services

    deleted = services.delete_finished_jobs()
    commit()
    return deleted


#: Beat entries (task name -> schedule), registered with the tasks by the domain's ``init_app``.
BEAT = {
    # Daily, early in the morning: on 1 April it compiles the year that ended the day before.
    "statistics.compile_ended_periods": crontab(hour=2, minute=30),
    # Daily, after that compilation (whose jobs are finished as they are made).
    DELETE_FINISHED_JOBS_TASK: crontab(hour=3, minute=45),
}
