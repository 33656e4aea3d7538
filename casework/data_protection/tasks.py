"""Celery tasks of data protection: the daily retention run."""

from __future__ import annotations

from celery import shared_task
from celery.schedules import crontab

from casework.core.db import commit, truncate_sqlite_wal
from casework.extensions import db

RETENTION_TASK = "data_protection.apply_retention"


@shared_task(name=RETENTION_TASK)
def apply_retention() -> dict[str, int]:
    """Anonymise what has reached its retention date in every domain.

    Safe to run twice: anonymised records are skipped by their ``anonymised_at``.
    """
    from casework.data_protection.retention import apply_retention as apply

    run = apply()
    counts = dict(run.counts)
    commit()
    if any(counts.values()):
        # On SQLite, the WAL file still holds the pages as they were before the run: cut it, once this
        # session holds no snapshot that would keep the checkpoint waiting.
        db.session.rollback()
        truncate_sqlite_wal()
    return {"cases": counts.get("cases", 0), "people": counts.get("people", 0)}


#: Beat entries (task name -> schedule), registered with the tasks by the domain's ``init_app``.
# Daily, in the small hours (London time), when nobody is working on cases.
BEAT = {
    RETENTION_TASK: crontab(hour=2, minute=30),
}
