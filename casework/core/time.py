"""What "now" and "today" mean for the service: times in UTC, the calendar day in Europe/London."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


def now() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    return datetime.now(LONDON).date()


def london_day(moment: datetime) -> date:
    return moment.astimezone(LONDON).date()


def london_time(day: date, at: time) -> datetime:
    """``at`` on ``day`` as the clocks in London showed it, as an aware datetime.

    A time the clocks skipped (1am to 1:59am on the last Sunday of March, when they go forward) never
    happened: ValueError says so, instead of a moment an hour away from what was typed. A time they
    showed twice (1am to 1:59am on the last Sunday of October) is the first, in summer time.
    """
    moment = datetime.combine(day, at, tzinfo=LONDON)
    if moment.astimezone(UTC).astimezone(LONDON).replace(tzinfo=None) != moment.replace(tzinfo=None):
        clock = f"{at.hour % 12 or 12}:{at.minute:02d}{'am' if at.hour < 12 else 'pm'}"
        raise ValueError(
            f"There was no {clock} on {day.day} {day:%B %Y} in the UK: the clocks went forward from 1am to 2am"
        )
    return moment
