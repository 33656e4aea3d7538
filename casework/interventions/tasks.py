"""Celery tasks of the interventions domain."""

from __future__ import annotations

from celery import shared_task
from celery.schedules import crontab

from casework.core.db import commit

EXPIRE_TASK = "interventions.expire"


@shared_task(name=EXPIRE_TASK)
def expire_interventions() -> dict[str, int]:
    """Mark fixed-term interventions whose end date has passed as expired and close their deadlines.

    Idempotent: only interventions still "issued" or "breached" are touched, so two runs on the same
    day change nothing the second time.
    """
    from casework.interventions.services import expire_ended

    count = expire_ended()
    commit()
    return {"expired": count}


#: Beat entries (task name -> schedule), registered with the tasks by the domain's ``init_app``.
BEAT = {
    EXPIRE_TASK: crontab(hour=2, minute=45),
}
