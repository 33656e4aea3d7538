"""The nightly pass of the threshold watch (Celery beat)."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.schedules import crontab

from casework.core.db import commit

log = logging.getLogger(__name__)

#: Each night at 02:30 (the server's time zone is UTC; London's night either way).
BEAT = {"threshold_watch.nightly_pass": crontab(hour=2, minute=30)}


@shared_task(name="threshold_watch.nightly_pass")
def nightly_pass() -> dict[str, int]:
    """Evaluate every victim with the rules in force today; one transaction."""
    from casework.threshold_watch import services

    report = services.nightly_pass()
    commit()
    log.info("Threshold watch: %s", report)
    return {
        "evaluated": report.evaluated,
        "entries": report.entries,
        "written": report.written,
        "removed": report.removed,
        "tasks_raised": report.tasks_raised,
    }
