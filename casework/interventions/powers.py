"""Who may use each power, and what breaching it is in law (pure: no Flask, no database).

Who may issue a power is a warning, never a block: the service records what an agency
did and tells the officer when the law gives that power to someone else, because the record of a notice
that was in fact served matters more than the service's view of who should have served it. The dated
changes of the Crime and Policing Act 2026 follow the settings in force on the day of issue:
registered housing providers' closure notices (``cpa2026_housing_closure``) and fixed penalties by
Community Safety Accreditation Scheme officers (``cpa2026_csas_fpn``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

#: The kind of body an agency is, as the Act names the bodies that hold a power (agency kind -> body).
BODY_OF_AGENCY_KIND = {
    "police": "police",
    "council": "local_authority",
    "housing": "housing_provider",
    "health": "nhs",
    "fire": "other",
    "probation": "other",
    "other": "other",
}

#: How the Act describes the senior sign-off that allows a 48-hour closure notice or an extension notice,
#: by the body that issues it (s.77(2) and (4); the 2026 Act for housing providers).
SENIOR_SIGN_OFF = {
    "police": "an officer of at least the rank of superintendent",
    "local_authority": "the council's chief executive or a person they have designated",
    "housing_provider": "a member of the housing provider's senior management team",
}
SENIOR_SIGN_OFF_ANY = (
    "a superintendent, the council's chief executive (or their designate) or a housing provider's senior manager"
)


@dataclass(frozen=True)
class Issuer:
    """The agency that issued (or applied for) the power."""

    #: police, local_authority, housing_provider, nhs or other (``BODY_OF_AGENCY_KIND``).
    body: str
    #: Its officers are accredited under the Community Safety Accreditation Scheme (Police Reform Act
    #: 2002, s.40 and Sch 5): an agency setting kept by the admins.
    is_csas_accredited: bool = False
    name: str = "the issuing agency"

    @classmethod
    def of_agency(cls, kind: str, *, is_csas_accredited: bool = False, name: str = "the issuing agency") -> Issuer:
        return cls(BODY_OF_AGENCY_KIND.get(kind, "other"), is_csas_accredited, name)


def senior_sign_off(issuer: Issuer | None) -> str:
    return SENIOR_SIGN_OFF.get(issuer.body, SENIOR_SIGN_OFF_ANY) if issuer else SENIOR_SIGN_OFF_ANY


def issuer_warnings(
    kind: str, values: Mapping[str, Any], issuer: Issuer | None, settings: Mapping[str, Any]
) -> list[str]:
    """Warnings when the law gives ``kind`` to bodies other than ``issuer`` on the day of issue."""
    if issuer is None:
        return []
    check = _WHO_MAY_ISSUE.get(kind)
    return check(values, issuer, settings) if check else []


def _notices(what: str) -> Any:
    def check(_values: Mapping[str, Any], issuer: Issuer, _settings: Mapping[str, Any]) -> list[str]:
        if issuer.body in {"police", "local_authority"}:
            return []
        return [
            f"{issuer.name} is not a police force or a council: a {what} is issued by a constable, a PCSO "
            "designated for it, the council, or a person the council has designated (s.53). Check the "
            "issuing officer's authority."
        ]

    return check


def _fixed_penalty(_values: Mapping[str, Any], issuer: Issuer, settings: Mapping[str, Any]) -> list[str]:
    if issuer.body in {"police", "local_authority"}:
        return []
    if issuer.is_csas_accredited:
        if settings["cpa2026_csas_fpn"]:
            return []
        return [
            "Community Safety Accreditation Scheme officers may issue fixed penalties for CPN and PSPO breaches "
            "only once the Crime and Policing Act 2026 power is in force in this area, and on the day of issue "
            "it is not (the area's setting)."
        ]
    return [
        f"{issuer.name} is not a police force or a council: a fixed penalty for a CPN or PSPO breach is issued "
        "by a constable, a PCSO, the council or a person it has designated (ss.52 and 68)"
        + (
            ", or an officer accredited under the Community Safety Accreditation Scheme."
            if settings["cpa2026_csas_fpn"]
            else "."
        )
        + " Check the issuing officer's authority."
    ]


def _closure(what: str) -> Any:
    def check(values: Mapping[str, Any], issuer: Issuer, settings: Mapping[str, Any]) -> list[str]:
        if issuer.body in {"police", "local_authority"}:
            return []
        if issuer.body == "housing_provider":
            if not settings["cpa2026_housing_closure"]:
                return [
                    f"A housing provider may issue a {what} only once the Crime and Policing Act 2026 power is "
                    "in force in this area, and on the day of issue it is not (the area's setting). Until then "
                    "closure is for the police (an inspector or above) or the council."
                ]
            if not values.get("premises_owned_or_managed"):
                return [
                    f"A housing provider may issue a {what} only for premises it owns or manages: confirm that "
                    "it owns or manages these premises."
                ]
            return []
        return [
            f"{issuer.name} is not a police force or a council: a {what} is issued by a police officer of "
            "inspector rank or above or by the council (s.76)"
            + (
                ", or by a registered housing provider for premises it owns or manages."
                if settings["cpa2026_housing_closure"]
                else "."
            )
        ]

    return check


def _dispersal(_values: Mapping[str, Any], issuer: Issuer, _settings: Mapping[str, Any]) -> list[str]:
    if issuer.body == "police":
        return []
    return [
        f"{issuer.name} is not a police force: a dispersal direction is given by a constable in uniform or a "
        "designated PCSO, under an inspector's authorisation (ss.34-35)."
    ]


def _pspo(_values: Mapping[str, Any], issuer: Issuer, _settings: Mapping[str, Any]) -> list[str]:
    if issuer.body == "local_authority":
        return []
    return [f"{issuer.name} is not a council: a Public Spaces Protection Order is made by the local authority (s.59)."]


def _housing_injunction(_values: Mapping[str, Any], issuer: Issuer, _settings: Mapping[str, Any]) -> list[str]:
    if issuer.body in {"housing_provider", "local_authority", "police"}:
        return []
    return [
        f"{issuer.name} is not a housing provider, a council or a police force: a Housing Injunction for "
        "housing-related nuisance or annoyance is applied for by one of those."
    ]


_WHO_MAY_ISSUE = {
    "cpw": _notices("Community Protection Warning"),
    "cpn": _notices("Community Protection Notice"),
    "fpn": _fixed_penalty,
    "closure_notice": _closure("closure notice"),
    "closure_order": _closure("closure order application"),
    "dispersal": _dispersal,
    "pspo": _pspo,
    "housing_injunction": _housing_injunction,
}


# --- breach --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BreachNature:
    is_criminal_offence: bool
    #: What breaching it is, shown with the breach log.
    explanation: str


BREACH_NATURE: dict[str, BreachNature] = {
    "respect_order": BreachNature(
        True,
        "Breaching a Respect Order without reasonable excuse is a criminal offence (Crime and Policing Act "
        "2026). Report it to the police with the evidence.",
    ),
    "cpn": BreachNature(True, "Failing to comply with a Community Protection Notice is an offence (s.48)."),
    "cbo": BreachNature(True, "Breaching a Criminal Behaviour Order is an offence (s.30)."),
    "closure_notice": BreachNature(
        True, "Entering or staying on premises against a closure notice is an offence (s.86)."
    ),
    "closure_order": BreachNature(
        True, "Entering or staying on premises against a closure order is an offence (s.86)."
    ),
    "dispersal": BreachNature(True, "Failing to comply with a dispersal direction is an offence (s.39)."),
    "pspo": BreachNature(True, "Breaching a Public Spaces Protection Order is an offence (s.67)."),
    "civil_injunction": BreachNature(
        False,
        "Breaching a civil injunction is not a criminal offence: it is contempt of court, or for someone under "
        "18 dealt with by the youth court under Schedule 2.",
    ),
    "youth_injunction": BreachNature(
        False,
        "Breaching a Youth Injunction is not a criminal offence: the youth court may make a supervision or "
        "detention order.",
    ),
    "housing_injunction": BreachNature(
        False, "Breaching a Housing Injunction is not a criminal offence: it is dealt with as contempt of court."
    ),
    "abc": BreachNature(
        False,
        "A voluntary agreement: not keeping it is not an offence; it is recorded as evidence for any later action.",
    ),
}
NOT_AN_OFFENCE = BreachNature(False, "")


def breach_nature(kind: str) -> BreachNature:
    return BREACH_NATURE.get(kind, NOT_AN_OFFENCE)


# --- appeal ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimeLimit:
    """The time the Act gives to appeal or challenge a power, counted from the day it was issued (made)."""

    #: Its length in days: fixed, or (``setting``) the area's setting in force on the day of issue.
    days: int = 0
    setting: str | None = None
    #: "21 days beginning with the day of issue" counts the day of issue as day 1; "within 21 days of
    #: the decision" starts counting the day after.
    beginning_with_issue: bool = False
    #: How the law puts it, with ``{days}``: "within {days} days beginning with the day of issue (s.46)".
    described: str = ""

    def length(self, settings: Mapping[str, Any]) -> int:
        return int(settings[self.setting]) if self.setting else self.days

    def last_day(self, issued_on: date, settings: Mapping[str, Any]) -> date:
        """The last day an appeal is in time (``settings``: those in force on the day of issue)."""
        days = self.length(settings)
        return issued_on + timedelta(days=days - 1 if self.beginning_with_issue else days)

    def describe(self, settings: Mapping[str, Any]) -> str:
        return self.described.format(days=self.length(settings))


@dataclass(frozen=True)
class Appeal:
    """How a power can be appealed or challenged, and what an appeal in progress suspends."""

    #: Where it is appealed and by when, shown on the page.
    route: str
    #: Key dates (``casework.interventions.dates.key_dates``) suspended while the appeal is in progress:
    #: not reminded, not overdue, not escalated, and moved later when it ends (``services.update_status``).
    suspends: frozenset[str] = frozenset()
    #: Key dates an appeal lodged makes moot: the window to appeal in has been used, so its reminder is
    #: settled as done when the intervention is marked appealed (``services._pause_for_appeal``).
    settles: frozenset[str] = frozenset()
    #: The time the law gives to appeal, when it gives one: an appeal recorded as lodged after it is
    #: warned about, never refused (the court may have allowed it out of time), ``appeal_lateness``.
    #: None: the research behind the service found no limit to check (a court's orders, a CBO).
    time_limit: TimeLimit | None = None


_COURT_ORDER = Appeal(
    "An order a court made on application: the respondent may appeal the court's decision to the higher court "
    "(from the youth court to the Crown Court, s.15). The order stays in force unless the court orders otherwise."
)

#: The powers that can be appealed (or, for a PSPO, challenged in the High Court), by kind. A kind not
#: here has no appeal: ``NO_APPEAL`` says why, and the status ``appealed`` is refused for it
#: (``services.status_refusal``).
APPEALS: dict[str, Appeal] = {
    # s.46: to a magistrates' court within 21 days beginning with the day of issue. While the appeal is in
    # progress a requirement to stop doing things stays in force unless the court orders otherwise; every
    # other requirement is suspended: the compliance date, which is for what the notice requires to be
    # done, is paused.
    "cpn": Appeal(
        "To a magistrates' court within 21 days beginning with the day of issue (s.46). While the appeal is in "
        "progress, requirements to stop doing things stay in force; every other requirement is suspended.",
        suspends=frozenset({"comply_by"}),
        settles=frozenset({"appeal_window_closes"}),
        time_limit=TimeLimit(
            setting="cpn_appeal_days",
            beginning_with_issue=True,
            described="within {days} days beginning with the day the notice was issued (s.46)",
        ),
    ),
    # s.84: an appeal against the making or extension of a closure order, to the Crown Court within 21
    # days. The Act does not suspend the order meanwhile.
    "closure_order": Appeal(
        "To the Crown Court within 21 days of the decision to make or extend the order (s.84). "
        "The order stays in force meanwhile.",
        # Counted from the making: an appeal against a later extension runs from the extension, which
        # the warning's words say.
        time_limit=TimeLimit(
            days=21, described="within {days} days of the decision to make the order, or to extend it (s.84)"
        ),
    ),
    # s.66: an interested person may challenge the order in the High Court within 6 weeks of its making
    # or variation; only the court may suspend it meanwhile.
    "pspo": Appeal(
        "A challenge in the High Court by an interested person within 6 weeks of the order being made or "
        "varied (s.66). The order stays in force unless the court suspends it.",
        time_limit=TimeLimit(days=42, described="within 6 weeks of the order being made, or varied (s.66)"),
    ),
    "civil_injunction": _COURT_ORDER,
    "youth_injunction": _COURT_ORDER,
    "housing_injunction": _COURT_ORDER,
    "respect_order": _COURT_ORDER,
    # A Criminal Behaviour Order is made on conviction (s.22): it is appealed as the sentence is.
    "cbo": Appeal(
        "Made on conviction: it is appealed as the sentence it was made with is. The order stays in force "
        "unless the court orders otherwise."
    ),
}

#: Why a power has no appeal, by kind: the message that refuses ``appealed`` for it.
NO_APPEAL: dict[str, str] = {
    "warning_letter": "a warning letter is not an order: there is nothing to appeal.",
    "verbal_warning": "a verbal warning is not an order: there is nothing to appeal.",
    "abc": "an Acceptable Behaviour Contract is a voluntary agreement: there is no appeal against it.",
    "cpw": (
        "there is no appeal against a Community Protection Warning. The Community Protection Notice that may "
        "follow it can be appealed to a magistrates' court (s.46)."
    ),
    "fpn": (
        "there is no appeal against a fixed penalty notice: the person may pay it, or not pay and answer the "
        "offence in court (ss.52, 68)."
    ),
    "closure_notice": (
        "there is no appeal against a closure notice: the magistrates hear the application for the closure "
        "order (s.80), and that order can be appealed to the Crown Court (s.84)."
    ),
    "dispersal": "there is no appeal against a dispersal direction (Part 3 of the Act gives none).",
    "community_remedy": (
        "a Community Remedy is an out-of-court resolution the person agrees to: there is no appeal against it."
    ),
}


def appeal_of(kind: str) -> Appeal | None:
    """How ``kind`` is appealed, or None when it cannot be (``NO_APPEAL`` says why)."""
    return APPEALS.get(kind)


def no_appeal_reason(kind: str) -> str:
    return NO_APPEAL.get(kind, "the law gives no appeal against it.")


def appeal_lateness(kind: str, label: str, issued_on: date, lodged_on: date, settings: Mapping[str, Any]) -> str | None:
    """The warning for an appeal against a ``kind`` issued on ``issued_on`` lodged on ``lodged_on``
    after the time the law gives (``settings``: those in force on the day of issue), or None when it
    was in time or the law as researched gives no limit. A warning, never a refusal: a court may
    allow an appeal out of time, and the record says what happened."""
    appeal = appeal_of(kind)
    if appeal is None or appeal.time_limit is None:
        return None
    last_day = appeal.time_limit.last_day(issued_on, settings)
    if lodged_on <= last_day:
        return None
    late = (lodged_on - last_day).days
    return (
        f"The appeal was lodged on {lodged_on.day} {lodged_on:%B %Y}, {late} day{'s' if late != 1 else ''} after "
        f"the time to appeal a {label.lower()} ended on {last_day.day} {last_day:%B %Y}: it is made "
        f"{appeal.time_limit.describe(settings)}. Check that the court allowed it out of time, or that the "
        "date is right."
    )
