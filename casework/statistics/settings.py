"""The reporting period of an area's published figures (s.105(4)): registered per-area settings.

A reporting period is at most 12 months, chosen by the area's relevant bodies; the financial year
(1 April to 31 March) unless the area says otherwise. Periods repeat every year from the start day, so
their length divides the year (1, 2, 3, 4, 6 or 12 months), and the start day is at most the 28th, so
every period starts on the same day of its month.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from casework.core.settings import SettingSpec

PERIOD_START = "statistics.reporting_period_start"
PERIOD_MONTHS = "statistics.reporting_period_months"
ALLOWED_MONTHS = (1, 2, 3, 4, 6, 12)


def parse_period_start(value: Any) -> str:
    """``"04-01"`` (month and day, 1 April): the day a reporting period starts each year."""
    if not isinstance(value, str):
        raise ValueError('must be a month and day such as "04-01" for 1 April')
    try:
        month_text, day_text = value.strip().split("-")
        day = date(2001, int(month_text), int(day_text))
    except ValueError:
        raise ValueError('must be a month and day such as "04-01" for 1 April') from None
    if day.day > 28:
        raise ValueError("must be on the 28th of the month or earlier, so every period starts on the same day")
    return f"{day.month:02d}-{day.day:02d}"


def parse_period_months(value: Any) -> int:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | str)
        or str(value).strip() not in map(str, ALLOWED_MONTHS)
    ):
        raise ValueError("must be 1, 2, 3, 4, 6 or 12 (a reporting period is at most 12 months, s.105(4))")
    return int(value)


def _warn_months(value: int) -> str | None:
    if value != 12:
        return "Most areas publish for a whole year; shorter periods mean more publications to approve."
    return None


SPECS = [
    SettingSpec(
        key=PERIOD_START,
        default="04-01",
        description="Reporting period for the published figures: the month and day a period starts (MM-DD)",
        group="Published statistics",
        parse=parse_period_start,
    ),
    SettingSpec(
        key=PERIOD_MONTHS,
        default=12,
        description="Reporting period for the published figures: its length in months (at most 12, s.105(4))",
        group="Published statistics",
        parse=parse_period_months,
        warn=_warn_months,
    ),
]
