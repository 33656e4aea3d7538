"""The threshold watch on the case page: the tell-the-victim task and the one-short flag."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from casework.cases.models import Case, CaseParty, Person
from casework.cases.policies import can_edit_case
from casework.cases.sections import case_records
from casework.threshold_watch.models import WatchEntry
from casework.threshold_watch.services import VICTIM_ROLES


def _entries_of_the_case(case_id: Any) -> Any:
    """The watch entries (in the case's area) of the case's victims and complainants that have met the
    threshold or are one report short."""
    return sa.and_(
        WatchEntry.area_id == sa.select(Case.area_id).where(Case.id == case_id).scalar_subquery(),
        WatchEntry.short_by <= 1,
        WatchEntry.person_id.in_(
            sa.select(CaseParty.person_id).where(CaseParty.case_id == case_id, CaseParty.role.in_(VICTIM_ROLES))
        ),
    )


#: The case's watch entries with their people by name, read as values with every domain's records of
#: the case (``casework.cases.sections.case_records``), so the section asks the database nothing of its own.
CASE_RECORDS: dict[str, Any] = {
    "entity": WatchEntry,
    "values": ((WatchEntry.person, Person.name),),
    "order_by": (WatchEntry.short_by, WatchEntry.id),
    "on": _entries_of_the_case,
}


def watch_section(case: Any, user: Any) -> dict[str, Any]:
    found = sorted(case_records(case.id, "threshold_watch"), key=lambda e: (e.short_by, e.person.name, e.id))
    entries = [(entry, entry.person) for entry in found]
    return {
        "case": case,
        "watch_to_tell": [
            (e, p) for e, p in entries if e.short_by == 0 and e.told_on is None and e.open_application_id is None
        ],
        "watch_told": [(e, p) for e, p in entries if e.told_on is not None],
        "watch_one_short": [(e, p) for e, p in entries if e.short_by == 1],
        "watch_can_tell": can_edit_case(user, case),
    }


def coordinator_panel(user: Any) -> dict[str, Any]:
    """How many victims in the user's areas may qualify (no names: the board applies visibility)."""
    import sqlalchemy as sa

    from casework.extensions import db
    from casework.threshold_watch.models import WatchEntry
    from casework.threshold_watch.policies import watched_areas

    areas = watched_areas(user)
    if not areas:
        return {}
    count = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(WatchEntry)
        .where(
            WatchEntry.area_id.in_([a.id for a in areas]),
            WatchEntry.short_by == 0,
            WatchEntry.open_application_id.is_(None),
            WatchEntry.told_on.is_(None),
        )
    )
    return {"threshold_watch": {"count": count or 0, "href": "/threshold-watch/"}}
