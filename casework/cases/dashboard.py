"""The casework panels of the staff home page (templates/dashboard/_officer.html, _partner.html)."""

from __future__ import annotations

from typing import Any

from casework.cases import queries
from casework.core.dates import add_working_days
from casework.core.time import today
from casework.reminders.services import end_of_day

#: "Due soon": deadlines within this many working days (overdue ones always show).
DUE_SOON_WORKING_DAYS = 5


def officer_cases(user: Any) -> dict[str, Any]:
    horizon = add_working_days(today(), DUE_SOON_WORKING_DAYS)
    return {"my_cases": queries.my_open_cases(user), "due_soon": queries.due_soon(user, end_of_day(horizon))}


def partner_cases(user: Any) -> dict[str, Any]:
    return {"shared_cases": queries.shared_with_agency(user)}
