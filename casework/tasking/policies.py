"""Who sees a tasking meeting, and what of it.

A series and its meetings are seen by users who see cases and whose agency attends the series; they
are run (agenda, record, minutes) by its coordinators and managers. Inside a meeting every case is
shown only to those who may see that case (``casework.cases.policies``): the others see how many cases
another agency holds, not which. Being discussed at a meeting shares nothing.
A meeting a user may not see answers 404.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from casework.core.errors import NotFound
from casework.core.permissions import Permission
from casework.extensions import db
from casework.tasking.models import TaskingMeeting, TaskingSeries, tasking_series_agencies


def visible_series_clause(user: Any) -> sa.ColumnElement[bool]:
    if not user.can(Permission.VIEW_CASES):
        return sa.false()
    return TaskingSeries.id.in_(
        sa.select(tasking_series_agencies.c.series_id).where(tasking_series_agencies.c.agency_id == user.agency_id)
    )


def visible_meetings_clause(user: Any) -> sa.ColumnElement[bool]:
    return TaskingMeeting.series_id.in_(sa.select(TaskingSeries.id).where(visible_series_clause(user)))


def can_run(user: Any) -> bool:
    return user.can(Permission.RUN_TASKING_MEETINGS)


def get_meeting_for(user: Any, meeting_id: int, *, run: bool = False) -> TaskingMeeting:
    """The meeting, or NotFound when it does not exist, the user's agency does not attend, or (``run``)
    the user may not run it."""
    meeting = db.session.scalar(
        sa.select(TaskingMeeting).where(TaskingMeeting.id == meeting_id, visible_meetings_clause(user))
    )
    if meeting is None or (run and not can_run(user)):
        raise NotFound("Meeting not found.")
    return meeting


def get_series_for(user: Any, series_id: int, *, run: bool = False) -> TaskingSeries:
    series = db.session.scalar(
        sa.select(TaskingSeries).where(TaskingSeries.id == series_id, visible_series_clause(user))
    )
    if series is None or (run and not can_run(user)):
        raise NotFound("Tasking meeting not found.")
    return series
