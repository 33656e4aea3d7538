"""Who sees the threshold watch and who records that a victim was told.

The board and the list are for coordinators and managers of an agency covering the area (they run Case
Reviews); a victim's name appears only to a reader who may see that person, and complaints on cases the
reader may not see show as a count and the agency that holds them. Telling the victim
is the case owner's task: anyone who may change one of the victim's cases in the entry records it, and
so may the area's coordinators and managers. Anything else answers 404.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from casework.accounts.models import Area
from casework.cases.models import Case, Person
from casework.cases.policies import visible_cases_clause, visible_people_clause
from casework.core.errors import NotFound
from casework.core.permissions import Permission
from casework.extensions import db
from casework.threshold_watch.models import WatchEntry


def can_watch(user: Any, area: Area) -> bool:
    return user.can(Permission.MANAGE_TRIGGERS) and area.id in user.area_ids


def watched_area(user: Any, code: str) -> Area:
    area = db.session.scalar(sa.select(Area).where(Area.code == code.strip().upper()))
    if area is None or not can_watch(user, area):
        raise NotFound("Area not found.")
    return area


def watched_areas(user: Any) -> list[Area]:
    if not user.can(Permission.MANAGE_TRIGGERS):
        return []
    ids = list(user.area_ids)
    return list(db.session.scalars(sa.select(Area).where(Area.id.in_(ids)).order_by(Area.name))) if ids else []


def can_tell(user: Any, entry: WatchEntry) -> bool:
    if not db.session.scalar(
        sa.select(sa.literal(True)).where(Person.id == entry.person_id, visible_people_clause(user))
    ):
        return False
    if user.can(Permission.MANAGE_TRIGGERS) and entry.area_id in user.area_ids:
        return True
    if not user.can(Permission.EDIT_CASES) or not entry.case_ids:
        return False
    return bool(
        db.session.scalar(
            sa.select(sa.literal(True)).where(Case.id.in_(list(entry.case_ids)), visible_cases_clause(user)).limit(1)
        )
    )


def get_entry_to_tell(user: Any, entry_id: int) -> WatchEntry:
    entry = db.session.get(WatchEntry, entry_id)
    if entry is None or entry.short_by > 1 or not can_tell(user, entry):
        raise NotFound("Not found.")
    return entry


def entries_to_tell(user: Any, person_id: int) -> list[WatchEntry]:
    """A person's entries the user may record as told (for the API, which names the person)."""
    entries = db.session.scalars(
        sa.select(WatchEntry).where(WatchEntry.person_id == person_id).order_by(WatchEntry.area_id)
    ).all()
    found = [e for e in entries if e.short_by <= 1 and can_tell(user, e)]
    if not found:
        raise NotFound("Person not found.")
    return found


def sees_task_case(user: Any, entry: WatchEntry) -> bool:
    """Whether ``user`` may see the case the telling task is on: an area's coordinator who may tell (they
    see the victim on one of the cases) need not see that one."""
    return entry.task_case_id is not None and bool(
        db.session.scalar(sa.select(sa.literal(True)).where(Case.id == entry.task_case_id, visible_cases_clause(user)))
    )
