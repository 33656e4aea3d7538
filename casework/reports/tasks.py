"""The task that compiles a large partnership report, telling its job row how far it has got, and the
daily sweep of finished report jobs."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from celery import shared_task
from celery.schedules import crontab

from casework.core import jobs
from casework.core.db import commit
from casework.core.jobs import record_failure
from casework.core.time import now
from casework.extensions import db
from casework.reports.models import ReportJob
from casework.statistics.models import JobStatus

log = logging.getLogger(__name__)


COMPILE_TASK = "reports.compile_partnership"

#: How the lease sweep (casework.core.jobs) sends a report again whose worker died.
JOB_KIND = jobs.register(
    jobs.status_kind(
        ReportJob,
        COMPILE_TASK,
        lambda job: [job.id],
        "The service stopped, or ran out of time, each time it compiled this report, so it was given up. "
        "Nothing was kept: ask for the report again.",
    )
)


@shared_task(name=COMPILE_TASK)
def compile_partnership_report(job_id: int) -> bool:
    """Run a queued report, once: a second delivery of the same message finds the job claimed or done
    and does nothing (``casework.core.jobs.claim``). The job's lease is held while it runs."""
    with jobs.leased(JOB_KIND, job_id, steps_done=0) as lease:
        return bool(lease) and _compile(lease)


def _compile(lease: jobs.Lease) -> bool:
    from casework.reports import services

    job_id = lease.job_id
    job = db.session.get(ReportJob, job_id)

    def progress(done: int, total: int) -> None:
        # Each step is its own short transaction, so the page sees it while the next one runs; a run
        # taken for hung no longer writes over the next run's.
        db.session.execute(sa.update(ReportJob).where(lease.owns()).values(steps_done=done, steps_total=total))
        commit()

    try:
        now_figures, before = services.compute_both(services.job_areas(job), job.period_start, job.period_end, progress)
        if not lease.confirm():  # taken from this run past its time limit: its figures are not kept
            db.session.rollback()
            return False
        job = db.session.get(ReportJob, job_id)
        job.figures = {"now": now_figures, "before": before}
        job.status = JobStatus.done
        job.finished_at = now()
        job.lease_until = None
        commit()
        return True
    except Exception:  # the page must show the failure instead of "running" for ever
        log.exception("Compiling partnership report job %s failed", job_id)
        record_failure(lease, "The report could not be compiled. Try again.")
        return False


DELETE_FINISHED_JOBS_TASK = "reports.delete_finished_jobs"


@shared_task(name=DELETE_FINISHED_JOBS_TASK)
def delete_finished_jobs() -> int:
    """Delete report jobs finished over ``CASEWORK_JOB_RETENTION_DAYS`` ago (casework.core.jobs)."""
    from casework.reports import services

    deleted = services.delete_finished_jobs()
    commit()
    return deleted


#: Beat entries (task name -> schedule), registered with the tasks by the domain's ``init_app``.
# Daily, in the small hours, when nobody is waiting on a report.
BEAT = {DELETE_FINISHED_JOBS_TASK: crontab(hour=3, minute=40)}
