"""What "now" and "today" mean for the service: times in UTC, the calendar day in Europe/London."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


def now() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    return datetime.now(LONDON).date()


def london_day(moment: datetime) -> date:
    return moment.astimezone(LONDON).date()
