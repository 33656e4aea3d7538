"""The import task: the dry run and the real run of an import job."""

from __future__ import annotations

import logging

from celery import shared_task

from casework.core.db import commit
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
