"""Date arithmetic for statutory and procedural time limits.

Pure functions with no Flask or database imports, so every rule can be tested on its own. Dates of
events are ``date``; moments are timezone-aware ``datetime`` and results are given in UTC (the service
stores UTC and shows Europe/London).

Three kinds of period are used across the service:

* "within N months beginning with day D" (the Community Trigger complaint and look-back periods);
* "N working days after day D" (procedural deadlines), over England and Wales bank holidays taken from
  the maintained ``holidays`` library rather than a hand-written list;
* "N hours, Christmas Day excluded" (the 48-hour closure notice, ASB, Crime and Policing Act 2014
  s.77(2)-(3), and the closure order hearing, s.80(3)-(4); a 24-hour notice counts every hour).
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from types import MappingProxyType
from typing import Literal, get_args
from zoneinfo import ZoneInfo

import holidays

LONDON = ZoneInfo("Europe/London")

_SATURDAY = 5


def _require_date(value: date, name: str) -> None:
    """Refuse a ``datetime`` where a calendar day is meant.

    ``datetime`` is a subclass of ``date``, so without this a moment would slip through, keep its time
    and then fail (or compare wrongly) far from where the mistake was made.
    """
    if isinstance(value, datetime) or not isinstance(value, date):
        raise TypeError(f"{name} must be a date, not {type(value).__name__}")


def _require_aware(value: datetime, name: str) -> None:
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")


# --- "within N months beginning with day D" ---------------------------------------------------------


def end_of_months_beginning_with(day: date, months: int) -> date:
    """Last day of the period of ``months`` months beginning with ``day``.

    Rule (the corresponding-date rule used for statutory periods "beginning with" a day):
    the period ends on the day before the same day of the month ``months`` later; where that month has
    no such day, it ends on that month's last day. So 15 Jan + 1 ends 14 Feb, 1 Jan + 1 ends 31 Jan,
    31 Jan + 1 ends 28 Feb (29 Feb in a leap year), and 31 Aug + 6 ends on the last day of February.
    """
    _require_date(day, "day")
    if months < 1:
        raise ValueError("months must be at least 1")
    year, month_index = divmod(day.month - 1 + months, 12)
    year += day.year
    month = month_index + 1
    last_day = calendar.monthrange(year, month)[1]
    if day.day > last_day:
        return date(year, month, last_day)
    return date(year, month, day.day) - timedelta(days=1)


def within_months_beginning_with(start: date, months: int, day: date) -> bool:
    """Whether ``day`` falls within the ``months`` months beginning with ``start`` (both ends included).

    A day before ``start`` is not within the period.
    """
    _require_date(day, "day")
    return start <= day <= end_of_months_beginning_with(start, months)


# --- England and Wales bank holidays and working days ----------------------------------------------


@cache
def bank_holidays(year: int) -> Mapping[date, str]:
    """England and Wales bank holidays in ``year``, by date, from the ``holidays`` library.

    Includes substitute days ("... (observed)") and one-off holidays the library knows about. Some
    holidays that fall at a weekend are listed on their own date as well as on the substitute day; that
    is harmless because weekends are never working days. Cached per year: the library builds each year
    by computation, and working-day loops ask for the same years again and again.
    """
    calendar_for_year = holidays.country_holidays("GB", subdiv="ENG", years=year)
    return MappingProxyType({day: name for day, name in sorted(calendar_for_year.items()) if day.year == year})


def is_bank_holiday(day: date) -> bool:
    """Whether ``day`` is an England and Wales bank holiday (including substitute days)."""
    _require_date(day, "day")
    return day in bank_holidays(day.year)


def is_working_day(day: date) -> bool:
    """Whether ``day`` is a working day: Monday to Friday and not an England and Wales bank holiday."""
    _require_date(day, "day")
    return day.weekday() < _SATURDAY and day not in bank_holidays(day.year)


def add_working_days(day: date, count: int) -> date:
    """The deadline "``count`` working days after ``day``".

    Day ``day`` itself is not counted; count forward over working days and the ``count``-th is the
    deadline, whatever kind of day ``day`` is. So 5 working days after Wed 1 Apr 2026 is Fri 10 Apr 2026
    (Good Friday and Easter Monday skipped). A negative ``count`` means "that many working days before
    ``day``", counted backwards the same way (papers to the panel 2 working days before the meeting);
    zero returns ``day`` unchanged.
    """
    _require_date(day, "day")
    step = timedelta(days=1 if count > 0 else -1)
    remaining = abs(count)
    current = day
    while remaining:
        current += step
        if is_working_day(current):
            remaining -= 1
    return current


def _weekdays_inclusive(first: date, last: date) -> int:
    """Mondays to Fridays from ``first`` to ``last`` inclusive, by arithmetic (no day-by-day loop)."""
    if last < first:
        return 0
    full_weeks, extra_days = divmod((last - first).days + 1, 7)
    start_weekday = first.weekday()
    extra = sum(1 for offset in range(extra_days) if (start_weekday + offset) % 7 < _SATURDAY)
    return full_weeks * 5 + extra


def _working_days_inclusive(first: date, last: date) -> int:
    if last < first:
        return 0
    weekday_holidays = sum(
        1
        for year in range(first.year, last.year + 1)
        for holiday in bank_holidays(year)
        if first <= holiday <= last and holiday.weekday() < _SATURDAY
    )
    return _weekdays_inclusive(first, last) - weekday_holidays


def working_days_between(start: date, end: date) -> int:
    """Number of working days after ``start`` up to and including ``end``.

    The measure used for "median working days" in the statistics: an application received on a Monday
    and decided on the Friday took 4 working days. It is the inverse of :func:`add_working_days`: when
    ``end`` is a working day, ``add_working_days(start, working_days_between(start, end)) == end``. An
    ``end`` before ``start`` gives the matching negative number (working days from ``end`` up to but not
    including ``start``), so bad data shows up as a negative figure instead of an exception.
    """
    _require_date(start, "start")
    _require_date(end, "end")
    if end >= start:
        return _working_days_inclusive(start + timedelta(days=1), end)
    return -_working_days_inclusive(end, start - timedelta(days=1))


# --- hours, Christmas Day excluded -------------------------------------------------------------------


def _christmas_day(year: int) -> tuple[datetime, datetime]:
    """Christmas Day of ``year`` in London, 00:00 to 24:00 local time, as UTC instants."""
    begins = datetime(year, 12, 25, tzinfo=LONDON).astimezone(UTC)
    ends = datetime(year, 12, 26, tzinfo=LONDON).astimezone(UTC)
    return begins, ends


def add_hours_excluding_christmas(start: datetime, hours: int) -> datetime:
    """The moment ``hours`` hours after ``start``, leaving Christmas Day out entirely.

    Rule: a closure order hearing must be "not later than 48 hours after service", Christmas Day
    excluded (ASB, Crime and Policing Act 2014 s.80(3)-(4)), and the 48-hour maximum of a closure notice
    signed off at senior level is counted the same way (s.77(2)-(3)). Only those 48-hour periods leave
    Christmas Day out: a 24-hour notice (s.77(1)) is plain elapsed time. Hours are real elapsed hours on the clock in
    Europe/London, so a change to or from summer time does not add or lose an hour of the count; Christmas
    Day (25 December, 00:00 to 24:00 local time) does not count at all, and a start inside Christmas Day
    counts from 00:00 on 26 December. ``start`` must be timezone-aware; the result is in UTC.
    """
    _require_aware(start, "start")
    if hours < 0:
        raise ValueError("hours must not be negative")
    # Arithmetic on UTC instants: adding a timedelta to a Europe/London datetime adds wall-clock time,
    # which is an hour out across a change of the clocks.
    current = start.astimezone(UTC)
    remaining = timedelta(hours=hours)
    while True:
        christmas_begins, christmas_ends = _christmas_day(current.astimezone(LONDON).year)
        if current >= christmas_ends:
            christmas_begins, christmas_ends = _christmas_day(current.astimezone(LONDON).year + 1)
        if current >= christmas_begins:
            current = christmas_ends
            continue
        if current + remaining <= christmas_begins:
            return current + remaining
        remaining -= christmas_begins - current
        current = christmas_ends


# --- timescales --------------------------------------------------------------------------------------

TimescaleUnit = Literal["working_days", "calendar_days", "hours"]
TIMESCALE_UNITS: tuple[str, ...] = get_args(TimescaleUnit)


@dataclass(frozen=True)
class Timescale:
    """A configured time limit such as "5 working days" or "48 hours".

    A negative ``amount`` means "before" the start event (papers to the panel: 2 working days before
    the meeting).
    """

    amount: int
    unit: TimescaleUnit

    def __post_init__(self) -> None:
        if isinstance(self.amount, bool) or not isinstance(self.amount, int):
            raise TypeError("amount must be an int")
        if self.unit not in TIMESCALE_UNITS:
            raise ValueError(f"unit must be one of {', '.join(TIMESCALE_UNITS)}, not {self.unit!r}")


def due_from(timescale: Timescale, start: date | datetime) -> date | datetime:
    """When a step is due, ``timescale`` from the ``start`` event.

    Day units take a ``date`` and give a ``date``: calendar days are plain addition, working days use
    :func:`add_working_days`. Hours take a timezone-aware ``datetime`` and give an aware UTC ``datetime``
    that many real elapsed hours later (no Christmas rule: use :func:`add_hours_excluding_christmas` for
    the closure order hearing).
    """
    if timescale.unit == "hours":
        if not isinstance(start, datetime):
            raise TypeError("an hours timescale needs a timezone-aware datetime start")
        _require_aware(start, "start")
        return start.astimezone(UTC) + timedelta(hours=timescale.amount)
    _require_date(start, "start")
    if timescale.unit == "calendar_days":
        return start + timedelta(days=timescale.amount)
    return add_working_days(start, timescale.amount)
