"""The victim page part of the case page: who may use it, and the diary entries waiting to be accepted."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from casework.cases.models import CaseParty
from casework.cases.policies import can_edit_case, can_manage_case
from casework.cases.sections import case_records
from casework.victims import services
from casework.victims.models import DiaryEntry, VictimAccess


def _live_accesses_of_the_case(case_id: Any) -> Any:
    """The live victim-page accesses of the case's victims and complainants."""
    return sa.and_(
        VictimAccess.ended_at.is_(None),
        VictimAccess.person_id.in_(
            sa.select(CaseParty.person_id).where(
                CaseParty.case_id == case_id, CaseParty.role.in_(services.VICTIM_ROLES)
            )
        ),
    )


#: What the case record reads for this section, as values, with every domain's records of the case
#: (``casework.cases.sections.case_records``): no statement of the section's own.
ACCESS_RECORDS: dict[str, Any] = {"entity": VictimAccess, "on": _live_accesses_of_the_case, "values": ()}
DIARY_RECORDS: dict[str, Any] = {
    "entity": DiaryEntry,
    "values": (),
    "order_by": (DiaryEntry.status.desc(), DiaryEntry.happened_on.desc(), DiaryEntry.id.desc()),
}


def victim_page_section(case: Any, user: Any) -> dict[str, Any]:
    people = services.victims_of(case)
    accesses = {access.person_id: access for access in case_records(case.id, "victim_accesses")}
    return {
        "case": case,
        "victim_people": people,
        "victim_accesses": {p.id: accesses[p.id] for p in people if p.id in accesses},
        "victim_diary": case_records(case.id, "victim_diary"),
        "victim_can_edit": can_edit_case(user, case),
        "victim_can_switch": can_manage_case(user, case),
    }
