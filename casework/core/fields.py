"""The marshmallow fields every API schema uses for dates and for ids of other records.

Dates (SPEC section 10): a date on which something happened (``EventDate``: received, reported,
decided, held, issued, born) lies between 1 January 1900 and today; a date on which something is
planned (``PlannedDate``: due, scheduled, expiry, ends, the start of a reporting period) lies in
1900 to 2099. Either way a date such as 0001-01-01 or 9999-12-31 is refused as invalid input, before
any rule or arithmetic runs on it. The page forms use the same bounds (``casework.core.forms``).

Ids of other records in a body are ``RecordId``s, loaded through ``casework.core.lookup``: the same
visibility rules as a GET of that record, so an id the user may not see is refused like one that
does not exist.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from marshmallow import ValidationError, fields

from casework.core.inputs import DB_INT_MAX

EARLIEST_DATE = date(1900, 1, 1)
LATEST_PLANNED_DATE = date(2099, 12, 31)


def event_date_problem(value: date) -> str | None:
    """Why ``value`` cannot be the date of something that has happened."""
    from casework.core.time import today

    if value < EARLIEST_DATE:
        return "Enter a date from 1 January 1900 onwards"
    if value > today():
        return "The date cannot be in the future"
    return None


def planned_date_problem(value: date) -> str | None:
    """Why ``value`` cannot be a planned date (due, scheduled, ends)."""
    if not EARLIEST_DATE <= value <= LATEST_PLANNED_DATE:
        return "Enter a date between 1 January 1900 and 31 December 2099"
    return None


class EventDate(fields.Date):
    """``YYYY-MM-DD`` of something that has happened: 1900-01-01 to today (Europe/London)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> date:
        day = super()._deserialize(value, attr, data, **kwargs)
        problem = event_date_problem(day)
        if problem:
            raise ValidationError(problem)
        return day


class PlannedDate(fields.Date):
    """``YYYY-MM-DD`` of something planned: 1900-01-01 to 2099-12-31."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> date:
        day = super()._deserialize(value, attr, data, **kwargs)
        problem = planned_date_problem(day)
        if problem:
            raise ValidationError(problem)
        return day


class RecordId(fields.Integer):
    """The id of another record of the kind ``lookup`` (a ``casework.core.lookup.Lookup``) loads.

    The schema checks that it is an id at all (1 to 2^31-1); the service that takes it loads it with
    ``lookup.get(actor, id, field)``, after the view has loaded the record in the path, so a hidden
    case in the path is still a 404 before anything in the body is looked at. Declaring the field this
    way is what the walk in tests/test_body_visibility.py looks for.
    """

    def __init__(self, lookup: Any, **kwargs: Any) -> None:
        kwargs.setdefault("strict", True)
        super().__init__(**kwargs)
        self.lookup = lookup
        self.metadata = {"description": f"The id of a {lookup.noun} you can see.", **self.metadata}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        number = super()._deserialize(value, attr, data, **kwargs)
        if not 1 <= number <= DB_INT_MAX:
            raise ValidationError(self.lookup.missing_message)
        return number
