"""Every Case Review deadline, for every start day of 2026 and 2027, against the rule counted by hand.

The rule (docs/rules.md, "Working days"): "N working days after day D" does not count D, whatever kind of day it is
(a Saturday receipt counts from the Monday after it like a Friday one), counts Mondays to Fridays that
are not England and Wales bank holidays, and the Nth is the deadline; a negative N counts back. The
bank holidays here are typed from GOV.UK's list (https://www.gov.uk/bank-holidays), not taken from the
``holidays`` library the service uses, so a wrong or missing substitute day in the library (Boxing Day
2026 on Monday 28 December; Christmas and Boxing Day 2027 on Monday 27 and Tuesday 28 December; New
Year 2028 on Monday 3 January) fails here.

The reminder of each deadline is at 07:00 London on the day ``reminder_lead_working_days`` (2) working
days before it: in UTC that is 07:00 in winter and 06:00 in summer, whichever side of a clock change
the deadline is.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from casework.community_triggers.deadlines import due_on
from casework.community_triggers.settings import DEFAULT_TIMESCALES, StepTimescale
from casework.reminders.services import end_of_day, reminder_time

#: England and Wales bank holidays, from GOV.UK.
GOV_UK_BANK_HOLIDAYS = {
    # 2025
    date(2025, 1, 1), date(2025, 4, 18), date(2025, 4, 21), date(2025, 5, 5),
    date(2025, 5, 26), date(2025, 8, 25), date(2025, 12, 25), date(2025, 12, 26),
    # 2026: Boxing Day is a Saturday, its substitute Monday 28 December.
    date(2026, 1, 1), date(2026, 4, 3), date(2026, 4, 6), date(2026, 5, 4),
    date(2026, 5, 25), date(2026, 8, 31), date(2026, 12, 25), date(2026, 12, 28),
    # 2027: Christmas Day a Saturday, Boxing Day a Sunday: Monday 27 and Tuesday 28 December.
    date(2027, 1, 1), date(2027, 3, 26), date(2027, 3, 29), date(2027, 5, 3),
    date(2027, 5, 31), date(2027, 8, 30), date(2027, 12, 27), date(2027, 12, 28),
    # 2028: New Year's Day a Saturday: Monday 3 January.
    date(2028, 1, 3), date(2028, 4, 14), date(2028, 4, 17), date(2028, 5, 1),
    date(2028, 5, 29), date(2028, 8, 28), date(2028, 12, 25), date(2028, 12, 26),
}  # fmt: skip

#: The clocks change at 01:00 UTC on these days (last Sunday of March and of October).
SUMMER_TIME = [
    (datetime(2025, 3, 30, 1, tzinfo=UTC), datetime(2025, 10, 26, 1, tzinfo=UTC)),
    (datetime(2026, 3, 29, 1, tzinfo=UTC), datetime(2026, 10, 25, 1, tzinfo=UTC)),
    (datetime(2027, 3, 28, 1, tzinfo=UTC), datetime(2027, 10, 31, 1, tzinfo=UTC)),
    (datetime(2028, 3, 26, 1, tzinfo=UTC), datetime(2028, 10, 29, 1, tzinfo=UTC)),
]

EVERY_DAY = [date(2026, 1, 1) + timedelta(days=n) for n in range((date(2028, 1, 1) - date(2026, 1, 1)).days)]


def _working(day: date) -> bool:
    return day.weekday() < 5 and day not in GOV_UK_BANK_HOLIDAYS


def _by_hand(start: date, count: int) -> date:
    day, step, left = start, (1 if count > 0 else -1), abs(count)
    while left:
        day += timedelta(days=step)
        left -= _working(day)
    return day


def _seven_in_london(day: date) -> datetime:
    """07:00 London on ``day``, in UTC, from the clock-change table rather than a zone database."""
    summer = any(begins.date() <= day < ends.date() for begins, ends in SUMMER_TIME)
    return datetime(day.year, day.month, day.day, 6 if summer else 7, tzinfo=UTC)


def test_the_hand_count_knows_the_rules_examples():
    assert _by_hand(date(2026, 12, 23), 5) == date(2027, 1, 4)
    assert _by_hand(date(2026, 4, 1), 5) == date(2026, 4, 10)


@pytest.mark.parametrize("step", sorted(DEFAULT_TIMESCALES))
def test_every_case_review_deadline_of_every_start_day_of_2026_and_2027(step):
    timescale = StepTimescale.from_value(DEFAULT_TIMESCALES[step])
    assert timescale.unit == "working_days"
    wrong = [
        f"{start}: {due_on(timescale, start)}, not {_by_hand(start, timescale.amount)}"
        for start in EVERY_DAY
        if due_on(timescale, start) != _by_hand(start, timescale.amount)
    ]
    assert not wrong, wrong[:20]


def test_every_reminder_of_2026_and_2027_is_at_seven_in_london_two_working_days_before():
    wrong = []
    for due in EVERY_DAY:
        expected = _seven_in_london(_by_hand(due, -2))
        actual = reminder_time(end_of_day(due), due, 2)
        if actual != expected:
            wrong.append(f"due {due:%a %d %b %Y}: reminded {actual.astimezone(UTC):%a %d %b %Y %H:%M} UTC")
    assert not wrong, wrong[:20]


def test_a_deadline_on_the_night_the_clocks_change_is_overdue_at_london_midnight():
    # The end of Saturday 28 March 2026 (GMT) and of Saturday 24 October 2026 (BST).
    assert end_of_day(date(2026, 3, 28)) == datetime(2026, 3, 29, 0, tzinfo=UTC)
    assert end_of_day(date(2026, 3, 29)) == datetime(2026, 3, 29, 23, tzinfo=UTC)
    assert end_of_day(date(2026, 10, 24)) == datetime(2026, 10, 24, 23, tzinfo=UTC)
    assert end_of_day(date(2026, 10, 25)) == datetime(2026, 10, 26, 0, tzinfo=UTC)
    assert end_of_day(date(2027, 3, 27)) == datetime(2027, 3, 28, 0, tzinfo=UTC)
    assert end_of_day(date(2027, 10, 31)) == datetime(2027, 11, 1, 0, tzinfo=UTC)
