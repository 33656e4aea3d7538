"""Celery tasks of the accounts domain."""

from __future__ import annotations

from celery import shared_task
from celery.schedules import crontab

from casework.core.db import commit

PRUNE_SESSIONS_TASK = "accounts.prune_sessions"


@shared_task(name=PRUNE_SESSIONS_TASK)
def prune_sessions() -> int:
    """Delete server-side session records that ended, or were last used, over a month ago, and the
    page forms' submission keys older than a day (``casework.core.submissions``)."""
    from casework.accounts import sessions
    from casework.core import submissions

    deleted = sessions.prune() + submissions.prune()
    commit()
    return deleted


ALERT_STUCK_DELETIONS_TASK = "accounts.alert_stuck_deletions"


@shared_task(name=ALERT_STUCK_DELETIONS_TASK)
def alert_stuck_deletions() -> int:
    """Email the active administrators about stored files the file store refused to delete
    (``casework.core.storage.StuckDeletion``) they have not been told of yet: one message for the
    lot. Returns how many messages were queued."""
    from casework.accounts.services import alert_stuck_deletions as alert

    queued = alert()
    commit()
    return queued


#: Joins the beat schedule (``casework.accounts.init_app``).
BEAT = {PRUNE_SESSIONS_TASK: crontab(hour=3, minute=10), ALERT_STUCK_DELETIONS_TASK: crontab(minute=41)}
