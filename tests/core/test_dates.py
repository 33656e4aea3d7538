"""casework.core.dates: every rule at its boundaries."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from casework.core.dates import (
    LONDON,
    Timescale,
    add_hours_excluding_christmas,
    add_working_days,
    bank_holidays,
    due_from,
    end_of_months_beginning_with,
    is_bank_holiday,
    is_working_day,
    within_months_beginning_with,
    working_days_between,
)

# --- months beginning with ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "months", "end"),
    [
        (date(2026, 1, 15), 1, date(2026, 2, 14)),
        (date(2026, 1, 1), 1, date(2026, 1, 31)),
        (date(2026, 1, 28), 1, date(2026, 2, 27)),
        (date(2026, 1, 29), 1, date(2026, 2, 28)),  # no 29 Feb 2026: the month's last day
        (date(2026, 1, 30), 1, date(2026, 2, 28)),
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2024, 1, 29), 1, date(2024, 2, 28)),  # 29 Feb 2024 exists: the day before it
        (date(2024, 1, 30), 1, date(2024, 2, 29)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2024, 2, 29), 1, date(2024, 3, 28)),
        (date(2026, 3, 31), 1, date(2026, 4, 30)),  # no 31 April
        (date(2026, 3, 30), 1, date(2026, 4, 29)),
        (date(2026, 12, 15), 1, date(2027, 1, 14)),  # across the year end
        (date(2026, 12, 31), 1, date(2027, 1, 30)),
        (date(2025, 8, 31), 6, date(2026, 2, 28)),
        (date(2027, 8, 31), 6, date(2028, 2, 29)),
        (date(2027, 8, 29), 6, date(2028, 2, 28)),
        (date(2026, 1, 12), 6, date(2026, 7, 11)),
        (date(2026, 7, 1), 6, date(2026, 12, 31)),
        (date(2026, 9, 15), 6, date(2027, 3, 14)),
        (date(2026, 1, 10), 12, date(2027, 1, 9)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
    ],
)
def test_end_of_months_beginning_with(day: date, months: int, end: date) -> None:
    assert end_of_months_beginning_with(day, months) == end


def test_within_months_includes_the_last_day_and_not_the_next() -> None:
    start = date(2026, 1, 31)
    assert within_months_beginning_with(start, 1, start)
    assert within_months_beginning_with(start, 1, date(2026, 2, 28))
    assert not within_months_beginning_with(start, 1, date(2026, 3, 1))
    assert not within_months_beginning_with(start, 1, date(2026, 1, 30))  # before the period


def test_six_month_period_edges() -> None:
    start = date(2026, 1, 12)
    assert within_months_beginning_with(start, 6, date(2026, 7, 11))
    assert not within_months_beginning_with(start, 6, date(2026, 7, 12))


@pytest.mark.parametrize("months", [0, -1])
def test_months_below_one_are_refused(months: int) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        end_of_months_beginning_with(date(2026, 1, 1), months)


def test_a_datetime_is_not_a_day() -> None:
    with pytest.raises(TypeError, match="must be a date"):
        end_of_months_beginning_with(datetime(2026, 1, 1, tzinfo=UTC), 1)
    with pytest.raises(TypeError, match="must be a date"):
        add_working_days(datetime(2026, 1, 1, tzinfo=UTC), 1)


# --- bank holidays from the library --------------------------------------------------------------------


def test_2026_holidays_include_the_boxing_day_substitute() -> None:
    holidays_2026 = bank_holidays(2026)
    weekday_holidays = sorted(day for day in holidays_2026 if day.weekday() < 5)
    assert weekday_holidays == [
        date(2026, 1, 1),
        date(2026, 4, 3),  # Good Friday
        date(2026, 4, 6),  # Easter Monday
        date(2026, 5, 4),  # early May
        date(2026, 5, 25),  # spring
        date(2026, 8, 31),  # summer
        date(2026, 12, 25),
        date(2026, 12, 28),  # Boxing Day falls on a Saturday: substitute Monday
    ]
    assert "Boxing Day" in holidays_2026[date(2026, 12, 28)]


def test_2027_and_2028_substitute_days() -> None:
    # 2027: Christmas Saturday, Boxing Day Sunday -> Mon 27 and Tue 28 December.
    assert is_bank_holiday(date(2027, 12, 27))
    assert is_bank_holiday(date(2027, 12, 28))
    # 2028: New Year's Day is a Saturday -> Monday 3 January.
    assert is_bank_holiday(date(2028, 1, 3))
    assert not is_working_day(date(2028, 1, 3))


def test_no_holidays_from_other_uk_nations() -> None:
    assert not is_bank_holiday(date(2026, 3, 17))  # St Patrick's Day (Northern Ireland)
    assert not is_bank_holiday(date(2026, 1, 2))  # 2 January (Scotland)
    assert not is_bank_holiday(date(2026, 8, 3))  # first Monday of August (Scotland)
    assert is_working_day(date(2026, 8, 3))


def test_one_off_holidays_the_library_knows() -> None:
    assert is_bank_holiday(date(2022, 9, 19))  # State Funeral of Queen Elizabeth II
    assert is_bank_holiday(date(2023, 5, 8))  # Coronation of King Charles III


def test_bank_holidays_are_read_only_and_cached() -> None:
    assert bank_holidays(2026) is bank_holidays(2026)
    with pytest.raises(TypeError):
        bank_holidays(2026)[date(2026, 6, 1)] = "made up"  # type: ignore[index]


def test_working_days() -> None:
    assert is_working_day(date(2026, 4, 2))  # Thursday before Easter
    assert not is_working_day(date(2026, 4, 3))  # Good Friday
    assert not is_working_day(date(2026, 4, 4))  # Saturday
    assert not is_working_day(date(2026, 4, 5))  # Sunday
    assert not is_working_day(date(2026, 4, 6))  # Easter Monday
    assert is_working_day(date(2026, 4, 7))


# --- N working days after / before ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "count", "deadline"),
    [
        # The rule's examples.
        (date(2026, 12, 23), 5, date(2027, 1, 4)),  # 24, 29, 30, 31 Dec, 4 Jan
        (date(2026, 4, 1), 5, date(2026, 4, 10)),  # 2, 7, 8, 9, 10 Apr
        # Easter in other years.
        (date(2025, 4, 16), 1, date(2025, 4, 17)),
        (date(2025, 4, 17), 1, date(2025, 4, 22)),  # Good Friday 18, Easter Monday 21 April 2025
        (date(2027, 3, 25), 1, date(2027, 3, 30)),  # Good Friday 26, Easter Monday 29 March 2027
        (date(2028, 4, 13), 2, date(2028, 4, 19)),  # Good Friday 14, Easter Monday 17 April 2028
        (date(2024, 3, 28), 1, date(2024, 4, 2)),  # Good Friday 29 March, Easter Monday 1 April 2024
        # Christmas in other years.
        (date(2025, 12, 24), 1, date(2025, 12, 29)),  # 25, 26 Dec 2025 Thu/Fri
        (date(2027, 12, 24), 1, date(2027, 12, 29)),  # substitutes Mon 27, Tue 28 Dec 2027
        (date(2027, 12, 31), 1, date(2028, 1, 4)),  # New Year substitute Mon 3 Jan 2028
        (date(2024, 12, 24), 3, date(2024, 12, 31)),
        # Early May, spring and summer bank holidays.
        (date(2026, 5, 1), 1, date(2026, 5, 5)),  # Mon 4 May 2026
        (date(2026, 5, 22), 1, date(2026, 5, 26)),  # Mon 25 May 2026
        (date(2026, 8, 28), 1, date(2026, 9, 1)),  # Mon 31 Aug 2026
        (date(2027, 4, 30), 1, date(2027, 5, 4)),  # Mon 3 May 2027
        (date(2027, 5, 28), 1, date(2027, 6, 1)),  # Mon 31 May 2027
        (date(2027, 8, 27), 1, date(2027, 8, 31)),  # Mon 30 Aug 2027
        # Counting from a weekend or a holiday: day D itself is never counted.
        (date(2026, 3, 7), 1, date(2026, 3, 9)),  # Saturday -> Monday
        (date(2026, 4, 3), 1, date(2026, 4, 7)),  # from Good Friday
        (date(2026, 3, 2), 5, date(2026, 3, 9)),  # ordinary week: Monday -> next Monday
        (date(2026, 3, 2), 15, date(2026, 3, 23)),  # docs/api.md example: threshold decision due
        (date(2026, 3, 2), 0, date(2026, 3, 2)),
        (date(2026, 3, 7), 0, date(2026, 3, 7)),
    ],
)
def test_add_working_days(day: date, count: int, deadline: date) -> None:
    assert add_working_days(day, count) == deadline


@pytest.mark.parametrize(
    ("day", "count", "deadline"),
    [
        (date(2026, 3, 11), -2, date(2026, 3, 9)),  # Wednesday meeting: papers by Monday
        (date(2026, 3, 9), -2, date(2026, 3, 5)),  # Monday meeting: papers by Thursday
        (date(2026, 4, 7), -1, date(2026, 4, 2)),  # over Easter 2026
        (date(2027, 1, 4), -5, date(2026, 12, 23)),  # the rule's example backwards
        (date(2026, 3, 8), -1, date(2026, 3, 6)),  # from a Sunday
    ],
)
def test_working_days_before(day: date, count: int, deadline: date) -> None:
    assert add_working_days(day, count) == deadline


@pytest.mark.parametrize(
    ("start", "end", "count"),
    [
        (date(2026, 3, 2), date(2026, 3, 6), 4),  # Monday to Friday
        (date(2026, 3, 2), date(2026, 3, 2), 0),
        (date(2026, 3, 6), date(2026, 3, 8), 0),  # Friday to Sunday
        (date(2026, 3, 6), date(2026, 3, 9), 1),
        (date(2026, 12, 23), date(2027, 1, 4), 5),
        (date(2026, 4, 1), date(2026, 4, 10), 5),
        (date(2026, 1, 1), date(2026, 12, 31), 253),  # 260 weekdays after 1 Jan, less 7 weekday bank holidays
        (date(2026, 3, 6), date(2026, 3, 2), -4),
        (date(2027, 1, 4), date(2026, 12, 23), -5),
    ],
)
def test_working_days_between(start: date, end: date, count: int) -> None:
    assert working_days_between(start, end) == count


def _brute_force_between(start: date, end: date) -> int:
    if end >= start:
        return sum(is_working_day(start + timedelta(days=i)) for i in range(1, (end - start).days + 1))
    return -sum(is_working_day(end + timedelta(days=i)) for i in range((start - end).days))


def test_working_days_between_agrees_with_counting_day_by_day() -> None:
    """The arithmetic shortcut against the definition, over two Christmases and Easters."""
    first = date(2025, 12, 1)
    for start_offset in range(0, 500, 3):
        start = first + timedelta(days=start_offset)
        for length in (*range(-15, 16), 40, 200, -200):
            end = start + timedelta(days=length)
            assert working_days_between(start, end) == _brute_force_between(start, end), (start, end)


def test_working_days_between_is_the_inverse_of_add_working_days() -> None:
    first = date(2026, 1, 1)
    for offset in range(0, 730, 5):
        start = first + timedelta(days=offset)
        for count in (-20, -5, -1, 1, 2, 5, 10, 15, 20):
            assert working_days_between(start, add_working_days(start, count)) == count


# --- hours excluding Christmas Day ---------------------------------------------------------------------


def _london(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)


def test_48_hours_on_an_ordinary_day() -> None:
    served = _london(2026, 3, 10, 14, 30)
    assert add_hours_excluding_christmas(served, 48) == datetime(2026, 3, 12, 14, 30, tzinfo=UTC)


def test_result_is_utc() -> None:
    result = add_hours_excluding_christmas(_london(2026, 6, 10, 9, 0), 1)
    assert result.tzinfo is UTC
    assert result == datetime(2026, 6, 10, 9, 0, tzinfo=UTC)  # 10:00 BST


def test_christmas_day_is_left_out() -> None:
    served = _london(2026, 12, 24, 10, 0)
    # 14 hours to midnight, Christmas Day skipped, 34 more hours from 00:00 on 26 December.
    assert add_hours_excluding_christmas(served, 48) == datetime(2026, 12, 27, 10, 0, tzinfo=UTC)


def test_ending_exactly_as_christmas_day_begins() -> None:
    served = _london(2026, 12, 23, 0, 0)
    assert add_hours_excluding_christmas(served, 48) == datetime(2026, 12, 25, 0, 0, tzinfo=UTC)
    assert add_hours_excluding_christmas(served, 49) == datetime(2026, 12, 26, 1, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "served",
    [_london(2026, 12, 25, 0, 0), _london(2026, 12, 25, 9, 15), _london(2026, 12, 25, 23, 59)],
)
def test_served_on_christmas_day_counts_from_boxing_day(served: datetime) -> None:
    assert add_hours_excluding_christmas(served, 48) == datetime(2026, 12, 28, 0, 0, tzinfo=UTC)


def test_after_christmas_day_is_not_affected() -> None:
    served = _london(2026, 12, 26, 0, 0)
    assert add_hours_excluding_christmas(served, 48) == datetime(2026, 12, 28, 0, 0, tzinfo=UTC)
    served = _london(2026, 12, 30, 18, 0)
    assert add_hours_excluding_christmas(served, 48) == datetime(2027, 1, 1, 18, 0, tzinfo=UTC)


def test_long_counts_skip_every_christmas_day() -> None:
    served = _london(2026, 12, 20, 12, 0)
    # 371 days would end on 26 December 2027; Christmas Day 2026 and 2027 push it two days on.
    assert add_hours_excluding_christmas(served, 371 * 24) == datetime(2027, 12, 28, 12, 0, tzinfo=UTC)


def test_clocks_going_forward_count_real_hours() -> None:
    # Clocks go forward at 01:00 GMT on Sunday 29 March 2026.
    served = _london(2026, 3, 28, 12, 0)  # 12:00 GMT
    due = add_hours_excluding_christmas(served, 48)
    assert due == datetime(2026, 3, 30, 12, 0, tzinfo=UTC)
    assert due.astimezone(LONDON) == _london(2026, 3, 30, 13, 0)  # one hour later on the wall clock


def test_clocks_going_back_count_real_hours() -> None:
    # Clocks go back at 01:00 GMT on Sunday 25 October 2026.
    served = _london(2026, 10, 24, 12, 0)  # 11:00 UTC
    due = add_hours_excluding_christmas(served, 48)
    assert due == datetime(2026, 10, 26, 11, 0, tzinfo=UTC)
    assert due.astimezone(LONDON) == _london(2026, 10, 26, 11, 0)  # one hour earlier on the wall clock


def test_start_in_another_zone() -> None:
    served = datetime(2026, 12, 24, 23, 0, tzinfo=timezone(timedelta(hours=-5)))  # 04:00 25 Dec London
    assert add_hours_excluding_christmas(served, 1) == datetime(2026, 12, 26, 1, 0, tzinfo=UTC)


def test_naive_start_and_negative_hours_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        add_hours_excluding_christmas(datetime(2026, 3, 10, 12, 0), 48)
    with pytest.raises(ValueError, match="negative"):
        add_hours_excluding_christmas(_london(2026, 3, 10, 12, 0), -1)


# --- timescales ----------------------------------------------------------------------------------------


def test_due_from_working_days() -> None:
    assert due_from(Timescale(5, "working_days"), date(2026, 12, 23)) == date(2027, 1, 4)
    assert due_from(Timescale(-2, "working_days"), date(2026, 4, 7)) == date(2026, 4, 1)


def test_due_from_calendar_days() -> None:
    assert due_from(Timescale(14, "calendar_days"), date(2026, 12, 23)) == date(2027, 1, 6)
    assert due_from(Timescale(-7, "calendar_days"), date(2026, 3, 2)) == date(2026, 2, 23)


def test_due_from_hours_is_plain_elapsed_time() -> None:
    start = _london(2026, 3, 28, 12, 0)
    due = due_from(Timescale(24, "hours"), start)
    assert due == datetime(2026, 3, 29, 12, 0, tzinfo=UTC)  # 13:00 BST: the clocks changed
    assert due.tzinfo is UTC
    assert due_from(Timescale(48, "hours"), _london(2026, 12, 24, 10, 0)) == datetime(
        2026, 12, 26, 10, 0, tzinfo=UTC
    )  # no Christmas rule here


def test_due_from_checks_the_start_type() -> None:
    with pytest.raises(TypeError):
        due_from(Timescale(5, "working_days"), datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    with pytest.raises(TypeError):
        due_from(Timescale(5, "hours"), date(2026, 3, 2))
    with pytest.raises(ValueError, match="timezone-aware"):
        due_from(Timescale(5, "hours"), datetime(2026, 3, 2, 9, 0))


def test_timescale_validates_its_unit_and_amount() -> None:
    with pytest.raises(ValueError, match="unit must be one of"):
        Timescale(5, "weeks")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Timescale(True, "hours")
    with pytest.raises(TypeError):
        Timescale(1.5, "hours")  # type: ignore[arg-type]
