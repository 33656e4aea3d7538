"""The victim page part of the case page: who may use it, and the diary entries waiting to be accepted."""

from __future__ import annotations

from typing import Any

from casework.cases.policies import can_edit_case
from casework.victims import services


def victim_page_section(case: Any, user: Any) -> dict[str, Any]:
    people = services.victims_of(case)
    return {
        "case": case,
        "victim_people": people,
        "victim_accesses": services.live_accesses([p.id for p in people]),
        "victim_diary": services.case_diary(case),
        "victim_can_edit": can_edit_case(user, case),
    }
