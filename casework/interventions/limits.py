"""The statutory limits the intervention rules read, registered as dated per-area settings.

Every figure is a setting so an area can follow the law in force on the day a power was used. The
Crime and Policing Act 2026 changes three of them (FPN cap £100 -> £500, dispersal 48 -> 72 hours, the
closure order hearing 48 -> 72 hours after service). Commencement may differ by area and is not yet
certain (domain-rules R61, R63), so those changes switch on together through one dated flag,
``cpa2026_limits``: ``PATCH /api/v1/areas/BOL {"settings": {"cpa2026_limits": true},
"effective_from": "2026-06-29"}``. The figures before and after the change are settings too.
"""

from __future__ import annotations

from typing import Any

from casework.core.settings import SettingProblem, SettingSpec, boolean, register, register_check, whole_number

GROUP = "Warnings, notices and orders"


def _spec(key: str, default: Any, description: str, parse: Any, warn: Any = None) -> SettingSpec:
    return SettingSpec(key=key, default=default, description=description, group=GROUP, parse=parse, warn=warn)


def _warn_cpn_age(value: int) -> str | None:
    if value != 16:
        return (
            "The 2014 Act (s.43) sets the minimum age for a Community Protection Notice at 16; "
            "change it only if the law in your area has changed."
        )
    return None


register(
    _spec("cpa2026_limits", False, "Crime and Policing Act 2026 limits in force", boolean),
    _spec("cpn_minimum_age", 16, "Minimum age for a Community Protection Notice", whole_number(10, 18), _warn_cpn_age),
    _spec(
        "cpn_appeal_days", 21, "Days to appeal a Community Protection Notice, beginning with issue", whole_number(1, 90)
    ),
    _spec("fpn_maximum_amount", 100, "Fixed penalty cap in pounds (before the 2026 change)", whole_number(1, 10_000)),
    _spec(
        "fpn_maximum_amount_2026", 500, "Fixed penalty cap in pounds (after the 2026 change)", whole_number(1, 10_000)
    ),
    _spec(
        "fpn_payment_days",
        14,
        "Days after a fixed penalty notice in which no proceedings may start",
        whole_number(1, 90),
    ),
    _spec("injunction_minimum_age", 10, "Minimum age for a civil injunction respondent", whole_number(10, 18)),
    _spec(
        "injunction_youth_max_months",
        12,
        "Longest fixed term of an under-18 civil injunction, in months",
        whole_number(1, 36),
    ),
    _spec("cbo_youth_min_months", 12, "Shortest under-18 Criminal Behaviour Order, in months", whole_number(1, 120)),
    _spec("cbo_youth_max_months", 36, "Longest under-18 Criminal Behaviour Order, in months", whole_number(1, 120)),
    _spec(
        "cbo_adult_min_months",
        24,
        "Shortest fixed-term adult Criminal Behaviour Order, in months",
        whole_number(1, 120),
    ),
    _spec(
        "cbo_youth_review_months",
        12,
        "Review period of an under-18 Criminal Behaviour Order, in months",
        whole_number(1, 36),
    ),
    _spec("closure_notice_hours", 24, "Length of a closure notice, in hours", whole_number(1, 168)),
    _spec(
        "closure_notice_senior_hours",
        48,
        "Length of a closure notice with senior sign-off, in hours",
        whole_number(1, 168),
    ),
    _spec(
        "closure_hearing_hours",
        48,
        "Hours after service by which the closure order hearing is held (before the 2026 change)",
        whole_number(1, 168),
    ),
    _spec(
        "closure_hearing_hours_2026",
        72,
        "Hours after service by which the closure order hearing is held (after the 2026 change)",
        whole_number(1, 168),
    ),
    _spec(
        "closure_order_max_months",
        3,
        "Longest closure order, and longest single extension, in months",
        whole_number(1, 12),
    ),
    _spec(
        "closure_order_total_max_months", 6, "Longest closure order with its extensions, in months", whole_number(1, 24)
    ),
    _spec(
        "dispersal_max_hours",
        48,
        "Longest dispersal direction, in hours (before the 2026 change)",
        whole_number(1, 168),
    ),
    _spec(
        "dispersal_max_hours_2026",
        72,
        "Longest dispersal direction, in hours (after the 2026 change)",
        whole_number(1, 168),
    ),
    _spec("dispersal_minimum_age", 10, "Minimum age for a dispersal direction", whole_number(10, 18)),
    _spec("pspo_max_months", 36, "Longest Public Spaces Protection Order or extension, in months", whole_number(1, 60)),
    _spec("pspo_review_months_before_expiry", 6, "Months before a PSPO expires to review it", whole_number(1, 24)),
    _spec(
        "abc_default_months", 6, "Default length of an Acceptable Behaviour Contract, in months", whole_number(1, 36)
    ),
    _spec(
        "abc_review_months", 3, "Review of an Acceptable Behaviour Contract after this many months", whole_number(1, 36)
    ),
)


def fpn_cap(settings: dict[str, Any]) -> int:
    return settings["fpn_maximum_amount_2026" if settings["cpa2026_limits"] else "fpn_maximum_amount"]


def dispersal_max_hours(settings: dict[str, Any]) -> int:
    return settings["dispersal_max_hours_2026" if settings["cpa2026_limits"] else "dispersal_max_hours"]


def closure_hearing_hours(settings: dict[str, Any]) -> int:
    return settings["closure_hearing_hours_2026" if settings["cpa2026_limits"] else "closure_hearing_hours"]


def _limit_problems(values: dict[str, Any]) -> list[SettingProblem]:
    """Limits that contradict each other: a range with no length in it is refused (no order could be
    made), a limit another one always cuts short is warned."""
    found: list[SettingProblem] = []
    if values["cbo_youth_min_months"] > values["cbo_youth_max_months"]:
        found.append(
            SettingProblem(
                "The shortest under-18 Criminal Behaviour Order is longer than the longest: no such order could "
                "be made.",
                ("cbo_youth_min_months", "cbo_youth_max_months"),
                refuse=True,
            )
        )
    if values["closure_order_max_months"] > values["closure_order_total_max_months"]:
        found.append(
            SettingProblem(
                "The longest closure order is longer than the longest total with extensions, so the total "
                "always cuts it short.",
                ("closure_order_max_months", "closure_order_total_max_months"),
            )
        )
    if values["abc_review_months"] >= values["abc_default_months"]:
        found.append(
            SettingProblem(
                "An Acceptable Behaviour Contract would be reviewed only after it has ended: make the review "
                "come before its default length.",
                ("abc_review_months", "abc_default_months"),
            )
        )
    if values["closure_notice_hours"] > values["closure_notice_senior_hours"]:
        found.append(
            SettingProblem(
                "A closure notice with senior sign-off would be shorter than one without it.",
                ("closure_notice_hours", "closure_notice_senior_hours"),
            )
        )
    return found


register_check(
    {
        "cbo_youth_min_months",
        "cbo_youth_max_months",
        "closure_order_max_months",
        "closure_order_total_max_months",
        "abc_review_months",
        "abc_default_months",
        "closure_notice_hours",
        "closure_notice_senior_hours",
    },
    _limit_problems,
)
