"""Reads for the tasking meeting pages, each named for what it returns (writes are in services.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from casework.accounts.models import Agency, Area, agency_areas
from casework.extensions import db
from casework.tasking import policies
from casework.tasking.models import TaskingAgendaItem, TaskingMeeting, TaskingSeries


def visible_series(user: Any) -> list[TaskingSeries]:
    """The tasking series the user may see, by name."""
    return list(
        db.session.scalars(
            sa.select(TaskingSeries).where(policies.visible_series_clause(user)).order_by(TaskingSeries.name)
        )
    )


def latest_meetings_of(series_ids: Sequence[int], limit: int = 200) -> list[TaskingMeeting]:
    """The series' meetings, latest first (at most ``limit``)."""
    return list(
        db.session.scalars(
            sa.select(TaskingMeeting)
            .where(TaskingMeeting.series_id.in_(list(series_ids)))
            .order_by(TaskingMeeting.held_on.desc())
            .limit(limit)
        )
    )


def areas_of_agency(agency_id: int | None) -> list[Area]:
    """The areas an agency covers, by name."""
    return list(
        db.session.scalars(
            sa.select(Area)
            .where(Area.id.in_(sa.select(agency_areas.c.area_id).where(agency_areas.c.agency_id == agency_id)))
            .order_by(Area.name)
        )
    )


def agencies_covering(area_ids: Sequence[int]) -> list[Agency]:
    """The agencies covering any of these areas, by name."""
    return list(
        db.session.scalars(
            sa.select(Agency)
            .where(Agency.id.in_(sa.select(agency_areas.c.agency_id).where(agency_areas.c.area_id.in_(list(area_ids)))))
            .order_by(Agency.name)
        )
    )


def agenda_item_with_id(item_id: int) -> TaskingAgendaItem | None:
    return db.session.get(TaskingAgendaItem, item_id)
