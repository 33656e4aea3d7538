"""The case page's link to nominate the case for the area's tasking meeting (no query of its own: the
page it opens finds the next meeting)."""

from __future__ import annotations

from typing import Any

from casework.cases.models import CaseStatus
from casework.cases.policies import can_edit_case


def tasking_section(case: Any, user: Any) -> dict[str, Any]:
    return {"tasking_can_nominate": case.status is CaseStatus.open and can_edit_case(user, case)}
