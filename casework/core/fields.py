"""The marshmallow fields every API schema uses for dates and for ids of other records.

Dates: a date on which something happened (``EventDate``: received, reported,
decided, held, issued, born) lies between 1 January 1900 and today; a date on which something is
planned (``PlannedDate``: due, scheduled, expiry, ends, the start of a reporting period) lies in
1900 to 2099. Either way a date such as 0001-01-01 or 9999-12-31 is refused as invalid input, before
any rule or arithmetic runs on it. The page forms use the same bounds (``casework.core.forms``).

Ids of other records in a body are ``RecordId``s, loaded through ``casework.core.lookup``: the same
visibility rules as a GET of that record, so an id the user may not see is refused like one that
does not exist.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from marshmallow import ValidationError, fields

from casework.core.inputs import DB_INT_MAX, iso_day, query_id

EARLIEST_DATE = date(1900, 1, 1)
LATEST_PLANNED_DATE = date(2099, 12, 31)
EARLIEST_TIME = datetime(1900, 1, 1, tzinfo=UTC)
#: The end of the last plannable day: a later time is refused before any arithmetic (London's day of
#: 9999-12-31T23:59:59-01:00 does not exist), whatever the service says of times in the future.
LATEST_TIME = datetime(2100, 1, 1, tzinfo=UTC)


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


class _Day(fields.Date):
    """A calendar day written ``YYYY-MM-DD`` and nothing else (``casework.core.inputs.iso_day``)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> date:
        # A date object (a schema loaded in-process) is a day already; text must be exactly YYYY-MM-DD.
        if not isinstance(value, date) and not (isinstance(value, str) and iso_day(value) is not None):
            raise self.make_error("invalid", input=value, obj_type=self.OBJ_TYPE)
        day: date = super()._deserialize(value, attr, data, **kwargs)
        return day


class EventDate(_Day):
    """``YYYY-MM-DD`` of something that has happened: 1900-01-01 to today (Europe/London)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> date:
        day = super()._deserialize(value, attr, data, **kwargs)
        problem = event_date_problem(day)
        if problem:
            raise ValidationError(problem)
        return day


class PlannedDate(_Day):
    """``YYYY-MM-DD`` of something planned: 1900-01-01 to 2099-12-31."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> date:
        day = super()._deserialize(value, attr, data, **kwargs)
        problem = planned_date_problem(day)
        if problem:
            raise ValidationError(problem)
        return day


def event_time_problem(value: datetime) -> str | None:
    """Why ``value`` (an aware time) cannot be the moment of something (served, extended, reviewed).

    Checked before any arithmetic: London's offset in year 1 is -0:01:15, so turning
    ``0001-01-01T00:00:00+00:00`` into a London day overflows. Whether the moment may be in the
    future is each service's rule (with its own message); the field holds it to 1900-2099.
    """
    try:
        moment = value.astimezone(UTC)
    except (OverflowError, ValueError):
        return "Enter a time from 1 January 1900 onwards" if value.year < 1900 else "Enter a time before 2100"
    if moment < EARLIEST_TIME:
        return "Enter a time from 1 January 1900 onwards"
    if moment >= LATEST_TIME:
        return "Enter a time before 2100"
    return None


class EventDateTime(fields.AwareDateTime):
    """An ISO 8601 time with its offset (``2026-11-20T14:30:00+00:00``) of something that happened: from
    1 January 1900 (UTC), and before 2100. Every time in an API body is one of these."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        moment = super()._deserialize(value, attr, data, **kwargs)
        problem = event_time_problem(moment)
        if problem:
            raise ValidationError(problem)
        return moment


class MeOrUserId(fields.String):
    """A filter naming a user in a query string (``?assignee=me`` or ``?assignee=12``): loads as ``"me"``
    or the id (1 to 2^31-1); anything else, a huge number included, is refused before it reaches SQL."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str | int:  # type: ignore[override]  # "me" or an id
        text = super()._deserialize(value, attr, data, **kwargs)
        if text == "me":
            return text
        number = query_id(text)
        if number is None:
            raise ValidationError('Use "me" or a user id.')
        return number


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
