"""The statutory checks on an intervention.

Pure: the caller gathers the facts (the subject's date of birth, earlier warnings, the related notice,
the settings in force on the day of issue) and ``check`` either raises ``RuleViolation`` for a block or
returns the warnings to show. What blocks is fixed: every "block" in the table, the FPN
cap, injunctions under 10, an under-18 injunction without the youth offending team consultation or
longer than 12 months, dispersal of under-10s and durations beyond the statutory maximum. Everything
else warns. When the date of birth is unknown the age rules warn instead of block. Who may issue a power
is a warning (``casework.interventions.powers``).

Which rules apply follows the day of each event: the settings in force on the day of issue for the
notice or order itself, and, for injunctions and orders a court grants on application, the settings in
force on the day the application was made (``applied_on``, or the day of issue when it is not given) for
which power exists and for the youth offending team consultation (s.14: the respondent's age "when the
application is made"). So before an area's commencement date of the Crime and Policing Act 2026 Part 1
the civil injunction rules apply unchanged, and an application made before that date keeps its power.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from casework.core.dates import LONDON, end_of_months_beginning_with
from casework.core.errors import RuleViolation
from casework.interventions import limits, powers
from casework.interventions.dates import age_on


@dataclass(frozen=True)
class Subject:
    #: Person kind: individual, business, group, unknown. Age rules apply to individuals only.
    kind: str
    date_of_birth: date | None
    name: str = "the subject"


@dataclass(frozen=True)
class Related:
    """The intervention an FPN is for, or the closure notice a closure order follows."""

    id: int
    kind: str
    subject_person_id: int | None
    case_id: int


@dataclass
class Facts:
    settings: Mapping[str, Any]
    subject: Subject | None
    #: ``comply_by`` of the Community Protection Warnings given to the same person on the same case
    #: (withdrawn ones left out).
    earlier_cpw_comply_by: Sequence[date] = ()
    related: Related | None = None
    warnings: list[str] = field(default_factory=list)
    #: The agency that issued or applied for it (who-may-issue warnings); None: not checked.
    issuer: powers.Issuer | None = None
    #: The settings in force on the day the application was made, for powers a court grants on
    #: application (None: the same as ``settings``).
    application_settings: Mapping[str, Any] | None = None

    @property
    def settings_on_application(self) -> Mapping[str, Any]:
        return self.application_settings if self.application_settings is not None else self.settings


def _age(facts: Facts, on: date) -> int | None:
    """The subject's age on ``on``, or None when it is unknown or they are not a person."""
    subject = facts.subject
    if subject is None or subject.kind != "individual" or subject.date_of_birth is None:
        return None
    return age_on(subject.date_of_birth, on)


def _age_unknown(facts: Facts) -> bool:
    subject = facts.subject
    return subject is not None and subject.kind in {"individual", "unknown"} and subject.date_of_birth is None


def _minimum_age(
    facts: Facts,
    on: date,
    minimum: int,
    what: str,
    *,
    block: bool = True,
    day_label: str = "the day of issue",
    instead: str = "",
) -> None:
    age = _age(facts, on)
    if age is None:
        if _age_unknown(facts):
            facts.warnings.append(
                f"The subject's date of birth is not recorded: check they are {minimum} or over before "
                f"issuing a {what}."
            )
        return
    if age < minimum:
        message = f"A {what} cannot be given to someone under {minimum}: the subject is {age} on {day_label}.{instead}"
        if block:
            raise RuleViolation(message, field="subject_person_id")
        facts.warnings.append(message)


def _day(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


def _months_limit(start: date, months: int) -> date:
    """The last day of a period of ``months`` months beginning with ``start``."""
    return end_of_months_beginning_with(start, months)


def _require(values: Mapping[str, Any], name: str, message: str) -> Any:
    value = values.get(name)
    if value in (None, ""):
        raise RuleViolation(message, field=name)
    return value


def application_day(values: Mapping[str, Any]) -> date:
    """The day the application for a court order was made: ``applied_on``, else the day of issue."""
    return values.get("applied_on") or values["issued_on"]


def check(kind: str, values: Mapping[str, Any], facts: Facts) -> list[str]:
    """Raise ``RuleViolation`` if a rule blocks the intervention; otherwise return its warnings."""
    issued_on: date = values["issued_on"]
    start: date = values.get("starts_on") or issued_on
    ends_on: date | None = values.get("ends_on")
    if ends_on is not None and ends_on < start:
        raise RuleViolation("The end date must be on or after the start date.", field="ends_on")
    CHECKS.get(kind, _no_rules)(values, facts, issued_on, start, ends_on)
    facts.warnings.extend(powers.issuer_warnings(kind, values, facts.issuer, facts.settings))
    return facts.warnings


def _no_rules(*_args: Any) -> None:
    """Warning letters and verbal warnings: no statutory rule; recorded and dated."""


def _cpw(values: Mapping[str, Any], facts: Facts, issued_on: date, *_: Any) -> None:
    comply_by = _require(
        values, "comply_by", "A Community Protection Warning must set the date by which the conduct must stop."
    )
    if comply_by <= issued_on:
        raise RuleViolation("The compliance date must be after the day the warning is given.", field="comply_by")
    _minimum_age(facts, issued_on, facts.settings["cpn_minimum_age"], "Community Protection Warning", block=False)


def _cpn(values: Mapping[str, Any], facts: Facts, issued_on: date, *_: Any) -> None:
    # s.43(5): a written warning first, and time to comply with it before the notice.
    if not facts.earlier_cpw_comply_by:
        raise RuleViolation(
            "A Community Protection Notice needs a Community Protection Warning to the same person on this case first.",
            field="kind",
        )
    passed = [d for d in facts.earlier_cpw_comply_by if d < issued_on]
    if not passed:
        latest = min(facts.earlier_cpw_comply_by)
        raise RuleViolation(
            f"The warning's compliance period runs to {_day(latest)}: the notice can be issued from the day after.",
            field="issued_on",
        )
    _minimum_age(facts, issued_on, facts.settings["cpn_minimum_age"], "Community Protection Notice")
    comply_by = values.get("comply_by")
    if comply_by is not None and comply_by <= issued_on:
        raise RuleViolation("The compliance date must be after the day the notice is issued.", field="comply_by")


def _fpn(values: Mapping[str, Any], facts: Facts, issued_on: date, *_: Any) -> None:
    related = facts.related
    if related is None or related.kind not in {"cpn", "pspo"}:
        raise RuleViolation(
            "A Fixed Penalty Notice must name the Community Protection Notice or PSPO it is for.",
            field="related_intervention_id",
        )
    amount: Decimal = _require(values, "amount", "Enter the amount of the fixed penalty.")
    cap = limits.fpn_cap(facts.settings)
    if amount > cap:
        raise RuleViolation(f"A fixed penalty cannot be more than £{cap}.", field="amount")
    discount_amount, discount_days = values.get("discount_amount"), values.get("discount_days")
    if (discount_amount is None) != (discount_days is None):
        raise RuleViolation(
            "An early payment discount needs both the reduced amount and the days it applies for.",
            field="discount_amount" if discount_amount is None else "discount_days",
        )
    if discount_amount is not None:
        if discount_amount >= amount:
            raise RuleViolation("The discounted amount must be less than the full amount.", field="discount_amount")
        if discount_days >= facts.settings["fpn_payment_days"]:
            raise RuleViolation(
                f"The discount period must be shorter than {facts.settings['fpn_payment_days']} days.",
                field="discount_days",
            )
    if related.kind == "cpn" and related.subject_person_id != values.get("subject_person_id"):
        facts.warnings.append("The notice is for a Community Protection Notice given to someone else.")


def _replaced_by_2026_act(values: Mapping[str, Any], facts: Facts) -> None:
    """From the area's commencement date, the Part 1 civil injunction is replaced (Crime and Policing Act
    2026): an application made on or after it is for a Respect Order, a Youth or a Housing Injunction."""
    if facts.settings_on_application["cpa2026_respect_orders"]:
        applied = application_day(values)
        raise RuleViolation(
            f"On {_day(applied)}, the day the application was made, civil injunctions under Part 1 of the 2014 "
            "Act had been replaced in this area by Respect Orders, Youth Injunctions and Housing Injunctions: "
            "record the power the court granted. An injunction applied for before the change keeps its "
            "power: give the date it was applied for.",
            field="applied_on" if values.get("applied_on") else "kind",
        )


def _youth_offending_team(values: Mapping[str, Any], facts: Facts, what: str, *, required: bool) -> None:
    """s.14: consult the youth offending team before applying, if the respondent will be under 18 when the
    application is made. ``required``: the respondent is under 18 on that day (or the power is for
    under-18s only)."""
    if not required:
        return
    applied = application_day(values)
    yot = _require(
        values,
        "yot_consulted_on",
        f"The respondent is under 18 on the day the application is made: record when the youth offending team "
        f"was consulted (s.14) before the {what}.",
    )
    if yot > applied:
        raise RuleViolation(
            "The youth offending team must be consulted before the application is made"
            + (f" ({_day(applied)})." if values.get("applied_on") else "."),
            field="yot_consulted_on",
        )


def _fixed_term(
    facts: Facts, start: date, ends_on: date | None, months: int, what: str, *, field_name: str = "ends_on"
) -> None:
    if ends_on is None:
        raise RuleViolation(f"{what} must have a fixed term of no more than {months} months.", field=field_name)
    if ends_on > _months_limit(start, months):
        raise RuleViolation(
            f"{what} can last no more than {months} months: it must end by {_day(_months_limit(start, months))}.",
            field=field_name,
        )


def _end_or_until_further_order(values: Mapping[str, Any], ends_on: date | None, what: str) -> None:
    if ends_on is None and not values.get("is_indefinite"):
        raise RuleViolation(
            f"{what} must state the period it has effect for (an end date) or that it has effect until further order.",
            field="ends_on",
        )


def _terms(values: Mapping[str, Any], facts: Facts, what: str) -> None:
    if not values.get("requirements") and not values.get("prohibitions"):
        facts.warnings.append(f"Record the prohibitions or requirements of the {what}.")
    if values.get("requirements") and not values.get("supervisor_name"):
        facts.warnings.append(
            "The order includes requirements: name the person or organisation responsible for supervising "
            "compliance with them."
        )


def _civil_injunction(
    values: Mapping[str, Any], facts: Facts, issued_on: date, start: date, ends_on: date | None
) -> None:
    _replaced_by_2026_act(values, facts)
    _minimum_age(facts, issued_on, facts.settings["injunction_minimum_age"], "civil injunction")
    age_applied = _age(facts, application_day(values))
    age_granted = _age(facts, issued_on)
    if age_applied is None and age_granted is None:
        if _age_unknown(facts):
            facts.warnings.append(
                "If the respondent is under 18, the youth offending team must be consulted first and the "
                "injunction must be for a fixed term of no more than 12 months."
            )
        return
    # The consultation follows the age on the day of application (s.14(1)); the fixed term follows the
    # age on the day of grant (s.1(6): "an injunction granted before the respondent has reached 18").
    _youth_offending_team(values, facts, "application", required=age_applied is not None and age_applied < 18)
    if age_granted is not None and age_granted < 18:
        _fixed_term(
            facts,
            start,
            ends_on,
            facts.settings["injunction_youth_max_months"],
            "An injunction for someone under 18",
        )


def _in_force(facts: Facts, values: Mapping[str, Any], what: str) -> None:
    if not facts.settings_on_application["cpa2026_respect_orders"]:
        raise RuleViolation(
            f"{what} are not in force in this area on {_day(application_day(values))}, the day the application "
            "was made (the Crime and Policing Act 2026 Part 1 commencement setting): record a civil injunction.",
            field="kind",
        )


HAD = "harassment_alarm_distress"
HOUSING_NUISANCE = "housing_nuisance"


def _respect_order(values: Mapping[str, Any], facts: Facts, issued_on: date, start: date, ends_on: date | None) -> None:
    _in_force(facts, values, "Respect Orders")
    applied = application_day(values)
    _minimum_age(
        facts,
        applied,
        facts.settings_on_application["respect_order_minimum_age"],
        "Respect Order",
        day_label="the day the application was made",
        instead=" Record a Youth Injunction instead.",
    )
    conduct = values.get("conduct")
    if conduct == HOUSING_NUISANCE:
        raise RuleViolation(
            "A Respect Order is only for conduct causing harassment, alarm or distress: housing-related nuisance "
            "or annoyance is dealt with by a Housing Injunction.",
            field="conduct",
        )
    if conduct != HAD:
        raise RuleViolation(
            "A Respect Order is only for conduct that caused, or was likely to cause, harassment, alarm or "
            "distress: confirm the conduct.",
            field="conduct",
        )
    _end_or_until_further_order(values, ends_on, "A Respect Order")
    _terms(values, facts, "Respect Order")


def _youth_injunction(
    values: Mapping[str, Any], facts: Facts, issued_on: date, start: date, ends_on: date | None
) -> None:
    _in_force(facts, values, "Youth Injunctions")
    _minimum_age(facts, issued_on, facts.settings["injunction_minimum_age"], "Youth Injunction")
    age_applied = _age(facts, application_day(values))
    if age_applied is not None and age_applied >= 18:
        raise RuleViolation(
            f"A Youth Injunction is for someone under 18 on the day the application is made: the respondent was "
            f"{age_applied}. Record a Respect Order or a Housing Injunction instead.",
            field="subject_person_id",
        )
    # A Youth Injunction is by definition for an under-18: the consultation is always needed.
    _youth_offending_team(values, facts, "application", required=True)
    _fixed_term(facts, start, ends_on, facts.settings["youth_injunction_max_months"], "A Youth Injunction")
    _terms(values, facts, "Youth Injunction")


def _housing_injunction(
    values: Mapping[str, Any], facts: Facts, issued_on: date, start: date, ends_on: date | None
) -> None:
    _in_force(facts, values, "Housing Injunctions")
    _minimum_age(
        facts,
        application_day(values),
        facts.settings_on_application["housing_injunction_minimum_age"],
        "Housing Injunction",
        day_label="the day the application was made",
        instead=" Record a Youth Injunction instead.",
    )
    conduct = values.get("conduct")
    if conduct == HAD:
        facts.warnings.append(
            "Conduct causing harassment, alarm or distress is dealt with by a Respect Order; a Housing Injunction "
            "is for housing-related nuisance or annoyance."
        )
    elif conduct != HOUSING_NUISANCE:
        facts.warnings.append("Confirm that the conduct is housing-related nuisance or annoyance.")
    _end_or_until_further_order(values, ends_on, "A Housing Injunction")
    _terms(values, facts, "Housing Injunction")


def _cbo(values: Mapping[str, Any], facts: Facts, issued_on: date, start: date, ends_on: date | None) -> None:
    settings = facts.settings
    if values.get("convicted_on") is None:
        facts.warnings.append("A Criminal Behaviour Order is made only on conviction: record the conviction date.")
    age = _age(facts, issued_on)
    indefinite = bool(values.get("is_indefinite"))
    youth_min, youth_max = settings["cbo_youth_min_months"], settings["cbo_youth_max_months"]
    adult_min = settings["cbo_adult_min_months"]
    if age is None:
        if _age_unknown(facts):
            facts.warnings.append(
                "The subject's date of birth is not recorded: an order for someone under 18 lasts 1 to 3 "
                "years; for an adult, 2 years or more, or until further order."
            )
        return
    if age < 18:
        if indefinite or ends_on is None:
            raise RuleViolation("An order for someone under 18 must have a fixed end date.", field="ends_on")
        shortest = _months_limit(start, youth_min)
        longest = _months_limit(start, youth_max)
        if not shortest <= ends_on <= longest:
            raise RuleViolation(
                f"An order for someone under 18 lasts {youth_min // 12} to {youth_max // 12} years: it must end "
                f"between {_day(shortest)} and {_day(longest)}.",
                field="ends_on",
            )
        return
    if indefinite:
        return
    shortest = _months_limit(start, adult_min)
    if ends_on is None or ends_on < shortest:
        raise RuleViolation(
            f"An order for an adult lasts at least {adult_min // 12} years (to {_day(shortest)} or later), "
            "or until further order.",
            field="ends_on",
        )


def _closure_notice(values: Mapping[str, Any], facts: Facts, *_: Any) -> None:
    if values.get("issued_at") is None:
        raise RuleViolation("Record the date and time the closure notice was served.", field="issued_at")
    hours = values.get("duration_hours") or facts.settings["closure_notice_hours"]
    standard, senior = facts.settings["closure_notice_hours"], facts.settings["closure_notice_senior_hours"]
    if hours > senior:
        raise RuleViolation(f"A closure notice can last no more than {senior} hours.", field="duration_hours")
    if hours > standard and not values.get("has_senior_sign_off"):
        raise RuleViolation(
            f"A closure notice of more than {standard} hours needs the sign-off of "
            f"{powers.senior_sign_off(facts.issuer)} (s.77(2)).",
            field="duration_hours",
        )
    if values.get("has_senior_sign_off") and not values.get("authorised_by"):
        facts.warnings.append("Record who signed off the notice at senior level.")
    if not values.get("location"):
        facts.warnings.append("Record the address of the premises closed.")


def check_closure_notice_extension(
    notice: Mapping[str, Any], extension: Mapping[str, Any], facts: Facts, notice_ends_at: Any
) -> list[str]:
    """An extension notice (s.77(4)-(5)): a notice to which s.77(2) does not apply (no senior sign-off)
    may be extended by up to 24 hours, while it is in force, by an extension notice signed off at the
    senior level. ``notice`` holds the notice's fields, ``extension`` the extension notice's
    (``extended_at``, ``hours``, ``has_senior_sign_off``, ``authorised_by``), ``facts.settings`` the
    settings in force on the day of the extension notice, ``notice_ends_at`` when the notice ends now."""
    if notice.get("has_senior_sign_off"):
        raise RuleViolation(
            "A closure notice signed off at senior level (up to 48 hours, s.77(2)) cannot be extended: only a "
            "notice of up to 24 hours can (s.77(4)).",
            field="hours",
        )
    extended_at = extension["extended_at"]
    if extended_at < notice["issued_at"] or extended_at >= notice_ends_at:
        ends_local = notice_ends_at.astimezone(LONDON)
        raise RuleViolation(
            "An extension notice must be issued while the closure notice is in force, from its service to "
            f"{ends_local:%H:%M} on {_day(ends_local.date())}.",
            field="extended_at",
        )
    limit = facts.settings["closure_notice_extension_hours"]
    already = notice.get("extension_hours") or 0
    if already + extension["hours"] > limit:
        raise RuleViolation(
            f"A closure notice can be extended by up to {limit} hours in all"
            + (f": it has already been extended by {already}." if already else "."),
            field="hours",
        )
    if not extension.get("has_senior_sign_off"):
        raise RuleViolation(
            f"An extension notice needs the sign-off of {powers.senior_sign_off(facts.issuer)} (s.77(4)).",
            field="has_senior_sign_off",
        )
    if not extension.get("authorised_by"):
        facts.warnings.append("Record who signed off the extension notice.")
    return facts.warnings


def _closure_order(values: Mapping[str, Any], facts: Facts, issued_on: date, start: date, ends_on: date | None) -> None:
    months = facts.settings["closure_order_max_months"]
    if ends_on is None:
        raise RuleViolation("A closure order must have an end date.", field="ends_on")
    if ends_on > _months_limit(start, months):
        raise RuleViolation(
            f"A closure order can last no more than {months} months: it must end by "
            f"{_day(_months_limit(start, months))}.",
            field="ends_on",
        )
    if facts.related is None or facts.related.kind != "closure_notice":
        facts.warnings.append("A closure order normally follows a closure notice: name the notice it follows.")


def _dispersal(values: Mapping[str, Any], facts: Facts, issued_on: date, *_: Any) -> None:
    _minimum_age(facts, issued_on, facts.settings["dispersal_minimum_age"], "dispersal direction")
    hours = _require(values, "duration_hours", "Enter the exclusion period in hours.")
    maximum = limits.dispersal_max_hours(facts.settings)
    if hours > maximum:
        raise RuleViolation(f"A dispersal direction can last no more than {maximum} hours.", field="duration_hours")
    if values.get("issued_at") is None:
        raise RuleViolation("Record the time the direction was given (s.38).", field="issued_at")
    if not values.get("location"):
        raise RuleViolation("Record the area the person is directed to leave (s.38).", field="location")
    age = _age(facts, issued_on)
    if age is not None and age < 16:
        facts.warnings.append("The person is under 16: they may be taken home or to a place of safety.")


def _pspo(values: Mapping[str, Any], facts: Facts, issued_on: date, start: date, ends_on: date | None) -> None:
    months = facts.settings["pspo_max_months"]
    if ends_on is None:
        raise RuleViolation("A PSPO must state the period it has effect for.", field="ends_on")
    if ends_on > _months_limit(start, months):
        raise RuleViolation(
            f"A PSPO can last no more than {months // 12} years: it must end by {_day(_months_limit(start, months))}.",
            field="ends_on",
        )
    if not values.get("location"):
        facts.warnings.append("Record the public place the order covers.")


def _abc(values: Mapping[str, Any], facts: Facts, issued_on: date, *_: Any) -> None:
    age = _age(facts, issued_on)
    if age is not None and age < 18 and not values.get("parent_guardian_name"):
        facts.warnings.append("The person is under 18: a parent or guardian should sign the contract too.")
    if age is None and _age_unknown(facts) and not values.get("parent_guardian_name"):
        facts.warnings.append("If the person is under 18, a parent or guardian should sign the contract too.")


def _community_remedy(values: Mapping[str, Any], facts: Facts, *_: Any) -> None:
    # s.101-102: reasonable efforts to get the victim's views; their choice unless inappropriate.
    if not values.get("victim_views"):
        facts.warnings.append("Record the victim's views, or the efforts made to get them.")
    choice, chosen = values.get("victim_choice"), values.get("requirements")
    if choice and chosen and choice.strip().lower() != chosen.strip().lower() and not values.get("departure_reason"):
        facts.warnings.append("The action differs from the victim's choice: record why.")


CHECKS = {
    "cpw": _cpw,
    "cpn": _cpn,
    "fpn": _fpn,
    "civil_injunction": _civil_injunction,
    "respect_order": _respect_order,
    "youth_injunction": _youth_injunction,
    "housing_injunction": _housing_injunction,
    "cbo": _cbo,
    "closure_notice": _closure_notice,
    "closure_order": _closure_order,
    "dispersal": _dispersal,
    "pspo": _pspo,
    "abc": _abc,
    "community_remedy": _community_remedy,
}
