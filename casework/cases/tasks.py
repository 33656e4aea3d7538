"""Celery tasks of the casework domain."""

from __future__ import annotations

from celery import shared_task
from celery.schedules import crontab

from casework.core.db import commit

RETENTION_TASK = "cases.apply_retention"


@shared_task(name=RETENTION_TASK)
def apply_retention() -> dict[str, int]:
    """Anonymise closed cases and their people once past their retention period (SPEC section 7).

    Safe to run twice: anonymised records are skipped by their ``anonymised_at``.
    """
    from casework.cases.services import apply_retention as apply

    result = apply()
    commit()
    return {"cases": result.cases, "people": result.people}


#: Beat entries (task name -> schedule), registered with the tasks by the domain's ``init_app``.
# Daily, in the small hours (London time), when nobody is working on cases.
BEAT = {
    RETENTION_TASK: crontab(hour=2, minute=30),
}
