"""The statutory limits the intervention rules read, registered as dated per-area settings.

Every figure is a setting so an area can follow the law in force on the day a power was used. The
Crime and Policing Act 2026 changes three of them (FPN cap £100 -> £500, dispersal 48 -> 72 hours, the
closure order hearing 48 -> 72 hours after service). Commencement may differ by area and is not yet
certain (the first commencement regulations brought a first wave into force on 29 June 2026),
so those changes switch on together through one dated flag,
``cpa2026_limits``: ``PATCH /api/v1/areas/BOL {"settings": {"cpa2026_limits": true},
"effective_from": "2026-06-29"}``. The figures before and after the change are settings too.

The Act's new powers commence separately and, at the time of writing, on dates not all confirmed
so each is its own dated flag, off by default: Respect Orders with Youth and
Housing Injunctions (``cpa2026_respect_orders``), closure notices by registered housing providers
(``cpa2026_housing_closure``), fixed penalties by Community Safety Accreditation Scheme officers
(``cpa2026_csas_fpn``) and the 48-hour review of dispersal directions (``cpa2026_dispersal_review``).
Each new spec carries a label, its source and a description, from which the document of the rules the
service applies is generated.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from casework.core.settings import SettingProblem, SettingSpec, boolean, whole_number

GROUP = "Warnings, notices and orders"


def _spec(
    key: str,
    default: Any,
    description: str,
    parse: Any,
    warn: Any = None,
    *,
    label: str | None = None,
    source: str | None = None,
) -> SettingSpec:
    return SettingSpec(
        key=key,
        default=default,
        description=description,
        group=GROUP,
        parse=parse,
        warn=warn,
        label=label,
        source=source,
    )


CPA_2026 = "Crime and Policing Act 2026"


def _warn_cpn_age(value: int) -> str | None:
    if value != 16:
        return (
            "The 2014 Act (s.43) sets the minimum age for a Community Protection Notice at 16; "
            "change it only if the law in your area has changed."
        )
    return None


def _warn_respect_order_age(value: int) -> str | None:
    if value != 18:
        return "Respect Orders are for adults (18 and over); change the age only if the law in your area has changed."
    return None


#: Registered by ``casework.interventions.init_app``.
SPECS = [
    _spec(
        "cpa2026_limits",
        False,
        "From this date the fixed penalty cap for CPN and PSPO breaches is £500 (not £100), a dispersal "
        "direction may last 72 hours (not 48), and a closure order application may be heard up to 72 "
        "hours after the notice is served (not 48). The figures themselves are the settings below.",
        boolean,
        label="Crime and Policing Act 2026 limits in force",
        source=f"{CPA_2026}, amending ss.35, 52, 68 and 80 of the 2014 Act",
    ),
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
    _spec(
        "closure_notice_extension_hours",
        24,
        "The most a 24-hour closure notice can be extended by an extension notice, in hours. The extension "
        "notice must be issued before the notice ends and authorised at the same senior level as a 48-hour "
        "notice; a 48-hour notice cannot be extended.",
        whole_number(1, 48),
        label="Longest extension of a closure notice, in hours",
        source="Anti-social Behaviour, Crime and Policing Act 2014, s.77(4)-(5)",
    ),
    _spec(
        "cpa2026_respect_orders",
        False,
        "From this date, applications for a Part 1 civil injunction give way to Respect Orders (adults, "
        "conduct causing harassment, alarm or distress; breach is a criminal offence), Youth Injunctions "
        "(under-18s) and Housing Injunctions (housing-related nuisance or annoyance). Which power can be "
        "recorded follows the day the application was made; orders already granted keep their power.",
        boolean,
        label="Respect Orders, Youth Injunctions and Housing Injunctions in force",
        source=f"{CPA_2026}, Part 1 (replacing Part 1 of the 2014 Act)",
    ),
    _spec(
        "respect_order_minimum_age",
        18,
        "The youngest a Respect Order respondent can be on the day the application is made.",
        whole_number(10, 25),
        _warn_respect_order_age,
        label="Minimum age for a Respect Order",
        source=f"{CPA_2026}, Part 1 (Respect Orders are for adults)",
    ),
    _spec(
        "respect_order_review_months",
        12,
        "How often the applicant reviews a Respect Order while it runs (compliance, support, whether to "
        "apply to vary or discharge it). The Act sets no review period that could be confirmed: this is "
        "the area's practice.",
        whole_number(1, 36),
        label="Review a Respect Order every, in months",
        source="Local practice",
    ),
    _spec(
        "youth_injunction_max_months",
        12,
        "The longest fixed term of a Youth Injunction. A Youth Injunction needs the youth offending team "
        "consulted before the application is made.",
        whole_number(1, 36),
        label="Longest Youth Injunction, in months",
        source=f"{CPA_2026}, Part 1 (continuing s.1(6) and s.14 of the 2014 Act for under-18s)",
    ),
    _spec(
        "housing_injunction_minimum_age",
        18,
        "The youngest a Housing Injunction respondent can be on the day the application is made; younger "
        "respondents are dealt with by a Youth Injunction.",
        whole_number(10, 25),
        label="Minimum age for a Housing Injunction",
        source=f"{CPA_2026}, Part 1",
    ),
    _spec(
        "cpa2026_housing_closure",
        False,
        "From this date a registered social housing provider may issue a closure notice, and apply for the "
        "closure order, for premises it owns or manages. A 48-hour notice, or an extension, needs the "
        "sign-off of a member of the provider's senior management team.",
        boolean,
        label="Housing providers may issue closure notices",
        source=f"{CPA_2026}, amending ss.76-77 and 80 of the 2014 Act",
    ),
    _spec(
        "cpa2026_csas_fpn",
        False,
        "From this date officers of an agency accredited under the Community Safety Accreditation Scheme "
        "may issue fixed penalty notices for breach of a Community Protection Notice or a PSPO. Who may "
        "issue a power is shown as a warning, never a block.",
        boolean,
        label="Community Safety Accreditation Scheme officers may issue CPN and PSPO fixed penalties",
        source=f"{CPA_2026}, amending ss.52-53 and 68 of the 2014 Act and Sch 5 to the Police Reform Act 2002",
    ),
    _spec(
        "cpa2026_dispersal_review",
        False,
        "From this date a dispersal direction whose exclusion period runs past the review point (48 hours) "
        "must be reviewed at that point, and the review is a deadline with an owner.",
        boolean,
        label="Dispersal directions reviewed at 48 hours",
        source=f"{CPA_2026}, amending ss.34-35 of the 2014 Act",
    ),
    _spec(
        "dispersal_review_hours",
        48,
        "Hours after a dispersal direction is given at which it is reviewed, when the review is in force.",
        whole_number(1, 168),
        label="Review a dispersal direction after, in hours",
        source=f"{CPA_2026}, amending s.35 of the 2014 Act",
    ),
]


def dispersal_review_hours(settings: Mapping[str, Any]) -> int | None:
    """Hours after a dispersal direction at which it is reviewed, or None before the review is in force."""
    return settings["dispersal_review_hours"] if settings["cpa2026_dispersal_review"] else None


def fpn_cap(settings: Mapping[str, Any]) -> int:
    return settings["fpn_maximum_amount_2026" if settings["cpa2026_limits"] else "fpn_maximum_amount"]


def dispersal_max_hours(settings: Mapping[str, Any]) -> int:
    return settings["dispersal_max_hours_2026" if settings["cpa2026_limits"] else "dispersal_max_hours"]


def closure_hearing_hours(settings: Mapping[str, Any]) -> int:
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


#: Settings read together ``(keys, check)``: registered in the domain's ``init_app``
#: (``domain.setting_checks``), run when any of the keys is saved.
CHECKS: list[tuple[set[str], Any]] = [
    (
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
    ),
]
