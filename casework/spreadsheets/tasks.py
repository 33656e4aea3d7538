"""The import task (the dry run and the real run of an import job), and the daily deletion of uploaded
files left waiting."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from celery import shared_task
from celery.schedules import crontab

from casework.core import jobs
from casework.core.db import commit, truncate_sqlite_wal
from casework.extensions import db
from casework.spreadsheets.models import ImportJob, ImportStatus

log = logging.getLogger(__name__)

RUN_TASK = "spreadsheets.run_import"

#: What the user reads on the import's page once a run was given up: an import is one transaction, so
#: a worker that died wrote nothing (its transaction went with it), and one that ran past its time limit
#: writes nothing once the job was taken from it (``casework.core.jobs.Lease``).
GAVE_UP_CHECKING = (
    "The service stopped, or ran out of time, each time it checked this file, so the check was given up. "
    "Nothing was imported. Match the columns again to check it once more, or upload the file again (a very "
    "large file in smaller parts)."
)
GAVE_UP_IMPORTING = (
    "The service stopped, or ran out of time, each time it worked on this import, so it was given up. "
    "Nothing was imported: an import writes all its records or none. Match the columns again to try once "
    "more, or upload the file again (a very large file in smaller parts)."
)

_RUNS = (ImportStatus.checking, ImportStatus.importing)
_checking = ImportJob.status == ImportStatus.checking

#: How the lease sweep (casework.core.jobs) sees an import: queued or running is the same status (checking
#: or importing), told apart by ``started_at`` (set by the claim, emptied when it is sent again).
JOB_KIND = jobs.register(
    jobs.JobKind(
        model=ImportJob,
        task=RUN_TASK,
        task_args=lambda job: [job.id, job.status == ImportStatus.checking],
        waiting=lambda: sa.and_(ImportJob.status.in_(_RUNS), ImportJob.started_at.is_(None)),
        running=lambda: sa.and_(ImportJob.status.in_(_RUNS), ImportJob.started_at.is_not(None)),
        requeue=lambda: {"started_at": None, "version": ImportJob.version + 1},
        give_up=lambda _moment: {
            "status": sa.type_coerce(
                sa.case((_checking, ImportStatus.checked), else_=ImportStatus.failed), ImportJob.status.type
            ),
            "error": sa.case((_checking, GAVE_UP_CHECKING), else_=GAVE_UP_IMPORTING),
            "checked_mapping": sa.null(),
            "version": ImportJob.version + 1,
        },
    )
)


@shared_task(name=RUN_TASK)
def run_import(job_id: int, dry_run: bool) -> str | None:
    """Safe to run twice (late acknowledgement redelivers after a crash, the lease sweep sends a job
    again whose worker died): a job no longer waiting for this run is left alone, and a run cut short
    rolled back with its worker, so it starts again (``services.run``)."""
    from casework.spreadsheets import services

    try:
        job = services.run(job_id, dry_run)
        commit()
    except Exception:
        log.exception("Import job %s could not run", job_id)
        db.session.rollback()
        raise
    return job.status.value if job is not None else None


@shared_task(name="spreadsheets.delete_waiting_files")
def delete_waiting_files() -> int:
    """Delete the uploaded files of imports left waiting over ``CASEWORK_IMPORT_FILE_DAYS`` (they hold
    personal data), and what every import untouched that long holds of its file's contents (its problems,
    column names and name: ``services.delete_waiting_files``). Safe to run twice: a swept job is marked."""
    from casework.spreadsheets import services

    deleted = services.delete_waiting_files()
    commit()
    if deleted:
        # On SQLite, old copies of the files' pages stay in the WAL file until it is cut.
        db.session.rollback()
        truncate_sqlite_wal()
    return deleted


#: Beat entries (task name -> schedule), registered with the tasks by the domain's ``init_app``.
# Daily, in the small hours (London time), like the retention run.
BEAT = {
    "spreadsheets.delete_waiting_files": crontab(hour=2, minute=15),
}
