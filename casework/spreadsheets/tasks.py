"""The import task (the dry run and the real run of an import job), and the daily deletion of uploaded
files left waiting."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.schedules import crontab

from casework.core.db import commit, truncate_sqlite_wal
from casework.extensions import db

log = logging.getLogger(__name__)


@shared_task(name="spreadsheets.run_import")
def run_import(job_id: int, dry_run: bool) -> str | None:
    """Safe to run twice (late acknowledgement redelivers after a crash): a job no longer waiting for
    this run is left alone, and a run cut short rolled back with its worker, so it starts again."""
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
