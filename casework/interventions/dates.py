"""The dates that follow an intervention (pure: no Flask, no database).

Each is computed from the intervention as issued and the settings in force on the day it was issued,
and becomes a Deadline row (``casework.interventions.services``). Periods "beginning with" a day count
that day (a CPN appeal: 21 days beginning with issue ends on day 21, issue being day 1); periods of
months use the corresponding-date rule in ``casework.core.dates``.

Periods in hours are real elapsed hours. Christmas Day is left out only where the Act says so: the
48-hour maximum of a closure notice signed off at senior level (s.77(2)-(3)) and the time to the closure
order hearing (s.80(3)-(4)). A 24-hour notice (s.77(1)) and its extension (s.77(4)) run through
Christmas Day like any other day: a 24-hour notice served at 10:00 on 24 December ends at 10:00 on
25 December, and being on the premises after that is no offence.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from casework.core.dates import add_hours_excluding_christmas, end_of_months_beginning_with
from casework.interventions import limits


@dataclass(frozen=True)
class KeyDate:
    #: Key in ``Intervention.key_dates`` and, prefixed, the Deadline kind (``intervention.appeal_window_closes``).
    key: str
    #: Shown in reminders and on the page: "Appeal window closes".
    title: str
    due: date | datetime
    #: Whether someone has to act by then (a Deadline row); otherwise shown only.
    is_deadline: bool = True
    #: A court hearing or an order's review or end: when the case closes it is handed over to a named
    #: owner, never cancelled.
    is_statutory: bool = False


def add_months(day: date, months: int) -> date:
    """The same day ``months`` months later (or earlier), or that month's last day when it has none."""
    year, month_index = divmod(day.month - 1 + months, 12)
    year += day.year
    month = month_index + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def age_on(date_of_birth: date, day: date) -> int:
    """Age in whole years on ``day``: a birthday counts from the day itself (29 February: 1 March)."""
    years = day.year - date_of_birth.year
    if (day.month, day.day) < (date_of_birth.month, date_of_birth.day):
        years -= 1
    return years


def last_day_of_days_beginning_with(day: date, days: int) -> date:
    """The last day of a period of ``days`` days beginning with ``day`` (``day`` is day 1)."""
    return day + timedelta(days=days - 1)


#: (kind, key or key prefix) of the dates a court or an order fixes: hearings, reviews and ends of orders.
STATUTORY = {
    ("closure_notice", "hearing"),
    ("closure_order", "ends"),
    ("cbo", "review"),
    ("cbo", "ends"),
    ("civil_injunction", "ends"),
    ("youth_injunction", "ends"),
    ("housing_injunction", "ends"),
    ("respect_order", "review"),
    ("respect_order", "ends"),
    ("dispersal", "review"),
    ("pspo", "review"),
    ("pspo", "ends"),
}


def closure_notice_ends_at(values: Mapping[str, Any], settings: Mapping[str, Any]) -> datetime:
    """When a closure notice stops having effect: its hours from service, then any extension.

    A notice signed off at senior level (s.77(2)) counts its hours leaving Christmas Day out (s.77(3));
    a notice of up to 24 hours (s.77(1)) and its extension notice (s.77(4)) count every hour.
    """
    served_at: datetime = values["issued_at"]
    hours = values.get("duration_hours") or settings["closure_notice_hours"]
    if values.get("has_senior_sign_off"):
        ends = add_hours_excluding_christmas(served_at, hours)
    else:
        ends = served_at.astimezone(UTC) + timedelta(hours=hours)
    return ends + timedelta(hours=values.get("extension_hours") or 0)


def key_dates(kind: str, values: Mapping[str, Any], settings: Mapping[str, Any]) -> list[KeyDate]:
    """The dates that follow an intervention of ``kind`` with ``values`` (the model's field names)."""
    issued_on: date = values["issued_on"]
    start: date = values.get("starts_on") or issued_on
    ends_on: date | None = values.get("ends_on")
    found: list[KeyDate] = []

    def add(key: str, title: str, due: date | datetime | None, is_deadline: bool = True) -> None:
        if due is not None:
            found.append(KeyDate(key, title, due, is_deadline, is_statutory=(kind, key.partition("_")[0]) in STATUTORY))

    if kind == "cpw":
        add("comply_by", "Compliance period ends", values.get("comply_by"))
    elif kind == "cpn":
        add(
            "appeal_window_closes",
            "Appeal window closes",
            last_day_of_days_beginning_with(issued_on, settings["cpn_appeal_days"]),
        )
        add("comply_by", "Compliance period ends", values.get("comply_by"))
    elif kind == "fpn":
        # "No proceedings for 14 days following the date of the notice" (s.52): the 14 days start the
        # day after issue, so the last day to pay before a prosecution can start is issue + 14.
        payment_by = issued_on + timedelta(days=settings["fpn_payment_days"])
        add("payment_by", "Payment period ends", payment_by)
        add("prosecution_from", "Prosecution may start", payment_by + timedelta(days=1), is_deadline=False)
        if values.get("discount_days"):
            add(
                "discount_by",
                "Early payment discount ends",
                issued_on + timedelta(days=values["discount_days"]),
                is_deadline=False,
            )
    elif kind == "abc":
        add("review_on", "Review the contract", add_months(start, settings["abc_review_months"]))
        add("ends_on", "Contract ends", ends_on)
    elif kind == "cbo":
        if ends_on is not None or values.get("is_indefinite"):
            add("ends_on", "Order ends", ends_on)
        if values.get("is_youth"):
            # Under-18 orders are reviewed before the end of every 12-month period (ss.28-29).
            period = settings["cbo_youth_review_months"]
            number, review_end = 1, end_of_months_beginning_with(start, period)
            while ends_on is not None and review_end < ends_on:
                add(f"review_{number}", f"Review {number} of the order due", review_end)
                number += 1
                review_end = end_of_months_beginning_with(start, period * number)
    elif kind in {"civil_injunction", "youth_injunction", "housing_injunction"}:
        add("ends_on", "Injunction ends", ends_on)
    elif kind == "respect_order":
        add("ends_on", "Order ends", ends_on)
        # Reviewed every period while it runs; an order until further order shows its next review
        # (recording a review sets the one after).
        period = settings["respect_order_review_months"]
        for number in range(1, 1000):
            review_end = end_of_months_beginning_with(start, period * number)
            if ends_on is not None and review_end >= ends_on:
                break
            add(f"review_{number}", f"Review {number} of the order due", review_end)
            if ends_on is None:
                break
    elif kind == "closure_notice":
        add("notice_ends_at", "Closure notice ends", closure_notice_ends_at(values, settings), False)
        add(
            "hearing_by",
            "Closure order application heard by",
            add_hours_excluding_christmas(values["issued_at"], limits.closure_hearing_hours(settings)),
        )
    elif kind == "closure_order":
        add("ends_on", "Closure order ends", ends_on)
    elif kind == "dispersal":
        issued_at: datetime | None = values.get("issued_at")
        hours: int | None = values.get("duration_hours")
        if issued_at and hours:
            add(
                "exclusion_ends_at",
                "Exclusion period ends",
                issued_at.astimezone(UTC) + timedelta(hours=hours),
                is_deadline=False,
            )
            review_hours = limits.dispersal_review_hours(settings)
            if review_hours is not None and hours > review_hours:
                add(
                    "review_at",
                    "Review the dispersal direction",
                    issued_at.astimezone(UTC) + timedelta(hours=review_hours),
                )
    elif kind == "pspo" and ends_on is not None:
        review_on = add_months(ends_on, -settings["pspo_review_months_before_expiry"])
        add("review_on", "Decide whether to extend the order", review_on if review_on > issued_on else None)
        add("ends_on", "Order expires", ends_on)
    return found
