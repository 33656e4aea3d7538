"""Creating, moving and closing deadline rows. Never commits."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from casework.core.time import LONDON, now
from casework.extensions import db
from casework.reminders.models import Deadline, DeadlineStatus


def end_of_day(day: date) -> datetime:
    """The moment a date deadline becomes overdue: midnight at the end of ``day`` in London."""
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=LONDON)


def set_deadline(
    *,
    subject_type: str,
    subject_id: int,
    kind: str,
    title: str,
    due: date | datetime,
    owner_id: int | None,
    area_id: int | None = None,
    link: str | None = None,
    remind_at: datetime | None = None,
) -> Deadline:
    """Create the deadline or move it (when its start event changed). Moving it re-arms the reminder."""
    if isinstance(due, datetime):
        due_on, due_at = None, due
    else:
        due_on, due_at = due, end_of_day(due)
    row = db.session.scalar(
        sa.select(Deadline).where(
            Deadline.subject_type == subject_type, Deadline.subject_id == subject_id, Deadline.kind == kind
        )
    )
    if row is None:
        row = Deadline(subject_type=subject_type, subject_id=subject_id, kind=kind)
        db.session.add(row)
    elif row.due_at != due_at or row.status != DeadlineStatus.open:
        row.reminder_sent_at = None
        row.escalation_sent_at = None
    row.title = title
    row.link = link
    row.area_id = area_id
    row.owner_id = owner_id
    row.due_on = due_on
    row.due_at = due_at
    row.remind_at = remind_at
    row.status = DeadlineStatus.open
    row.completed_at = None
    db.session.flush()
    return row


def close_deadline(
    subject_type: str, subject_id: int, kind: str | None = None, *, cancelled: bool = False
) -> int:
    """Mark matching open deadlines done (or cancelled); nothing more is sent for them."""
    rows = db.session.scalars(
        sa.select(Deadline).where(
            Deadline.subject_type == subject_type,
            Deadline.subject_id == subject_id,
            Deadline.status == DeadlineStatus.open,
            *([Deadline.kind == kind] if kind else []),
        )
    ).all()
    for row in rows:
        row.status = DeadlineStatus.cancelled if cancelled else DeadlineStatus.done
        row.completed_at = now()
    db.session.flush()
    return len(rows)
