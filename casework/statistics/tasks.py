"""Celery tasks of the statistics: compile on demand (with a job row the page polls) and after each
financial year ends (daily beat entry; each area's just-ended year is compiled once)."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.schedules import crontab

from casework.core import jobs
from casework.core.db import commit
from casework.core.jobs import record_failure
from casework.core.time import now
from casework.extensions import db
from casework.statistics.models import JobStatus, StatisticsJob

log = logging.getLogger(__name__)


COMPILE_TASK = "statistics.compile"

#: How the lease sweep (casework.core.jobs) sends a compilation again whose worker died.
JOB_KIND = jobs.register(
    jobs.status_kind(
        StatisticsJob,
        COMPILE_TASK,
        lambda job: [job.id],
        "The service stopped, or ran out of time, each time it compiled these figures, so it was given up. "
        "Nothing was saved: compile them again.",
    )
)


@shared_task(name=COMPILE_TASK)
def compile_statistics(job_id: int) -> int | None:
    """Run a queued compilation, once: a second delivery of the same message finds the job claimed or
    done and does nothing (``casework.core.jobs.claim``). The job's lease is held while it runs."""
    with jobs.leased(JOB_KIND, job_id) as lease:
        return _compile(lease) if lease else None


def _compile(lease: jobs.Lease) -> int | None:
    from casework.statistics import services

    job_id = lease.job_id
    job = db.session.get(StatisticsJob, job_id)
    try:
        snapshot = services.compile(
            job.requested_by_id and _user(job.requested_by_id), job.area, job.period_start, job.period_end
        )
        if not lease.confirm():  # taken from this run past its time limit: its snapshot is not kept
            db.session.rollback()
            return None
        job.snapshot = snapshot
        job.status = JobStatus.done
        job.finished_at = now()
        job.lease_until = None
        commit()
        return snapshot.id
    except Exception as error:  # the page must show the failure instead of "running" for ever
        log.exception("Compiling statistics job %s failed", job_id)
        message = getattr(error, "message", None) or "The figures could not be compiled. Try again."
        record_failure(lease, message)
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
