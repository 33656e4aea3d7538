"""The pure parts: ages on birthdays, month arithmetic, and the dates that follow each intervention."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from casework.core.errors import RuleViolation
from casework.interventions import rules
from casework.interventions.dates import add_months, age_on, key_dates


def settings(**overrides):
    """The interventions' settings at their defaults (pure: no app needed)."""
    from casework.interventions.limits import SPECS

    return {**{spec.key: spec.default for spec in SPECS}, **overrides}


@pytest.mark.parametrize(
    ("born", "on", "age"),
    [
        (date(2010, 3, 1), date(2026, 2, 28), 15),
        (date(2010, 3, 1), date(2026, 3, 1), 16),
        (date(2008, 2, 29), date(2026, 2, 28), 17),  # a leap-day birthday comes on 1 March in other years
        (date(2008, 2, 29), date(2026, 3, 1), 18),
        (date(2008, 2, 29), date(2028, 2, 29), 20),
    ],
)
def test_age_on(born, on, age):
    assert age_on(born, on) == age


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2026, 1, 15), 3, date(2026, 4, 15)),
        (date(2026, 5, 31), -3, date(2026, 2, 28)),
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
    ],
)
def test_add_months(day, months, expected):
    assert add_months(day, months) == expected


def test_cpn_appeal_window_across_a_month_end():
    dates = {d.key: d.due for d in key_dates("cpn", {"issued_on": date(2026, 1, 20)}, settings())}
    assert dates["appeal_window_closes"] == date(2026, 2, 9)


def test_closure_hearing_after_service_on_christmas_eve_evening_in_london():
    served = datetime(2026, 12, 24, 23, 30, tzinfo=UTC)  # 11:30pm on Christmas Eve in London (GMT)
    dates = {
        d.key: d.due
        for d in key_dates("closure_notice", {"issued_on": date(2026, 12, 24), "issued_at": served}, settings())
    }
    # 30 minutes before Christmas Day, then none of it, then 47.5 hours from midnight on Boxing Day.
    assert dates["hearing_by"] == datetime(2026, 12, 27, 23, 30, tzinfo=UTC)


def test_fpn_cap_follows_the_2026_flag():
    facts = rules.Facts(settings=settings(cpa2026_limits=True), subject=None, related=rules.Related(1, "pspo", None, 1))
    values = {"issued_on": date(2026, 7, 1), "amount": 500, "subject_person_id": None}
    assert rules.check("fpn", values, facts) == []
    with pytest.raises(RuleViolation):
        rules.check(
            "fpn",
            {**values, "amount": 501},
            rules.Facts(settings=settings(), subject=None, related=rules.Related(1, "pspo", None, 1)),
        )


def test_a_business_has_no_age():
    facts = rules.Facts(
        settings=settings(), subject=rules.Subject("business", None), earlier_cpw_comply_by=[date(2026, 1, 1)]
    )
    assert rules.check("cpn", {"issued_on": date(2026, 1, 2)}, facts) == []


def test_end_before_start_is_refused():
    facts = rules.Facts(settings=settings(), subject=rules.Subject("individual", date(1990, 1, 1)))
    with pytest.raises(RuleViolation):
        rules.check("civil_injunction", {"issued_on": date(2026, 1, 2), "ends_on": date(2026, 1, 1)}, facts)
