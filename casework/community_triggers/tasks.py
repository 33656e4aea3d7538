"""Celery tasks of the Case Review domain."""

from __future__ import annotations

import sqlalchemy as sa
from celery import shared_task

from casework.community_triggers.deadlines import KIND_PREFIX, SUBJECT_TYPE
from casework.core.db import commit
from casework.core.time import now, today
from casework.extensions import db
from casework.reminders.models import Deadline, DeadlineStatus
from casework.reminders.services import settle


@shared_task(name="community_triggers.close_expired_appeal_windows")
def close_expired_appeal_windows() -> int:
    """Close appeal windows whose last day has passed with no appeal. A window is not work anyone owes,
    so it should not be escalated as overdue; its row is kept (done) for the record."""
    rows = db.session.scalars(
        sa.select(Deadline).where(
            Deadline.subject_type == SUBJECT_TYPE,
            Deadline.kind == KIND_PREFIX + "appeal_window_closes",
            Deadline.status == DeadlineStatus.open,
            Deadline.due_on < today(),
        )
    ).all()
    moment = now()
    for row in rows:
        settle(row, DeadlineStatus.done, moment)
    commit()
    return len(rows)


#: Beat entries (task name -> schedule), registered with the tasks by the domain's ``init_app``.
# A few times a day, so a window closes soon after its last day ends.
BEAT = {
    "community_triggers.close_expired_appeal_windows": 6 * 60 * 60.0,
}
