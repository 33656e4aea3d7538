"""The day the victim was first contacted about a case: recorded by the case's lead agency, shown on the
case page, audited, and counted in the partnership report as the time to first contact (working days
from the day the case was opened)."""

from __future__ import annotations

from datetime import date
from typing import Any

from casework.audit.services import record_change
from casework.cases.models import Case
from casework.core.errors import Conflict, InvalidInput
from casework.core.fields import event_date_problem
from casework.core.templating import format_date
from casework.extensions import db

FIELD = "victim_first_contacted_on"


def record_first_contact(actor: Any, case: Case, expected_version: int, contacted_on: date | None) -> Case:
    """Set (or, with None, clear) the day the victim was first contacted: an event, so not in the
    future, and not before the case was opened (optimistic lock on the case)."""
    if expected_version != case.version:
        raise Conflict("The case changed since you read it.")
    if contacted_on is not None:
        problem = event_date_problem(contacted_on)
        if problem:
            raise InvalidInput({FIELD: [problem]})
        if contacted_on < case.opened_on:
            opened = format_date(case.opened_on)
            raise InvalidInput({FIELD: [f"The victim cannot have been contacted before the case opened ({opened})"]})
    before = {FIELD: case.victim_first_contacted_on}
    if contacted_on == case.victim_first_contacted_on:
        return case
    case.victim_first_contacted_on = contacted_on
    db.session.flush()
    record_change(
        actor,
        case,
        before,
        {FIELD: contacted_on},
        f"Recorded when the victim was first contacted on case {case.reference}"
        if contacted_on
        else f"Cleared when the victim was first contacted on case {case.reference}",
    )
    return case
