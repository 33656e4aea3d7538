"""The dates that follow an intervention (pure: no Flask, no database).

Each is computed from the intervention as issued and the settings in force on the day it was issued,
and becomes a Deadline row (``casework.interventions.services``). Periods "beginning with" a day count
that day (a CPN appeal: 21 days beginning with issue ends on day 21, issue being day 1); periods of
months use the corresponding-date rule in ``casework.core.dates``.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
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
    #: owner, never cancelled (SPEC section 10).
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
    ("pspo", "review"),
    ("pspo", "ends"),
}


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
    elif kind == "civil_injunction":
        add("ends_on", "Injunction ends", ends_on)
    elif kind == "closure_notice":
        served_at: datetime = values["issued_at"]
        hours = values.get("duration_hours") or settings["closure_notice_hours"]
        # Christmas Day is left out of the hours of a notice and of the time to the hearing (s.77, s.80).
        add("notice_ends_at", "Closure notice ends", add_hours_excluding_christmas(served_at, hours), False)
        add(
            "hearing_by",
            "Closure order application heard by",
            add_hours_excluding_christmas(served_at, limits.closure_hearing_hours(settings)),
        )
    elif kind == "closure_order":
        add("ends_on", "Closure order ends", ends_on)
    elif kind == "dispersal":
        if values.get("issued_at") and values.get("duration_hours"):
            add(
                "exclusion_ends_at",
                "Exclusion period ends",
                values["issued_at"] + timedelta(hours=values["duration_hours"]),
                is_deadline=False,
            )
    elif kind == "pspo" and ends_on is not None:
        review_on = add_months(ends_on, -settings["pspo_review_months_before_expiry"])
        add("review_on", "Decide whether to extend the order", review_on if review_on > issued_on else None)
        add("ends_on", "Order expires", ends_on)
    return found
