"""The Community Trigger's per-area settings: the threshold rule set and the step timescales.

Registered with the settings registry (``casework.core.settings``) so admins change them through the
admin pages and ``PATCH /api/v1/areas/<code>``, each from an effective-from date. The rule set in force
on the day an application was received is the one it is evaluated against.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from casework.community_triggers.threshold import ThresholdRules, check_rules
from casework.core.dates import TIMESCALE_UNITS, Timescale
from casework.core.settings import SettingProblem, SettingSpec, boolean, one_of, whole_number

GROUP_THRESHOLD = "Case Review threshold"
GROUP_TIMESCALES = "Case Review timescales"
GROUP_APPLICANTS = "Case Review applicants"

REPEAT_APPLICATIONS_COUNT = "repeat_applications_count"
REPEAT_APPLICATIONS_MONTHS = "repeat_applications_months"
REPEAT_APPLICATIONS_HANDLING = "repeat_applications_handling"
#: How a complainant with many applications is handled (``models.RepeatHandling``): never a refusal.
REPEAT_HANDLING_CHOICES: tuple[tuple[str, str], ...] = (
    ("record", "Record it on the application only"),
    ("read_together", "The coordinator reads the earlier applications together with the new one"),
    ("single_point_of_contact", "One named officer is the applicant's single point of contact"),
)

#: The events a step's timescale can start from (each a date on the application's record).
START_EVENTS: dict[str, str] = {
    "received": "the application is received",
    "acknowledged": "the application is acknowledged",
    "threshold_decided": "the threshold decision is made",
    "review_required": "the threshold is found met (or an upheld appeal sends the review back)",
    "meeting_scheduled": "the day the review meeting is scheduled for",
    "meeting_held": "the review meeting is held",
    "outcome_letter_sent": "the outcome letter is sent",
    "decision_appealed_against": "the decision that can be appealed against",
    "appeal_received": "the appeal is received",
}


@dataclass(frozen=True)
class StepTimescale:
    """A step's time limit: ``amount`` ``unit`` after (negative: before) its ``start`` event."""

    amount: int
    unit: str
    start: str

    @property
    def timescale(self) -> Timescale:
        return Timescale(self.amount, self.unit)  # type: ignore[arg-type]

    @classmethod
    def from_value(cls, value: Mapping[str, Any]) -> StepTimescale:
        return cls(int(value["amount"]), str(value["unit"]), str(value["start"]))


#: docs/api.md ``deadlines`` keys, with their defaults (docs/rules.md).
DEFAULT_TIMESCALES: dict[str, dict[str, Any]] = {
    "acknowledge": {"amount": 5, "unit": "working_days", "start": "received"},
    "information_requests": {"amount": 10, "unit": "working_days", "start": "received"},
    "threshold_decision": {"amount": 15, "unit": "working_days", "start": "received"},
    "review_meeting": {"amount": 20, "unit": "working_days", "start": "review_required"},
    "papers_to_panel": {"amount": -2, "unit": "working_days", "start": "meeting_scheduled"},
    "outcome_letter": {"amount": 10, "unit": "working_days", "start": "meeting_held"},
    "appeal_window_closes": {"amount": 20, "unit": "working_days", "start": "decision_appealed_against"},
    "appeal_decision": {"amount": 15, "unit": "working_days", "start": "appeal_received"},
}

STEP_DESCRIPTIONS = {
    "acknowledge": "Acknowledge the application",
    "information_requests": "Information from each agency",
    "threshold_decision": "Threshold decision sent to the applicant",
    "review_meeting": "Review meeting held",
    "papers_to_panel": "Papers to the panel",
    "outcome_letter": "Outcome and action plan sent to the applicant",
    "appeal_window_closes": "Appeal window closes",
    "appeal_decision": "Appeal decided",
}

STEPS = tuple(DEFAULT_TIMESCALES)


def timescale_key(step: str) -> str:
    return f"timescale_{step}"


def parse_step_timescale(value: Any) -> dict[str, Any]:
    """``{"amount": 5, "unit": "working_days", "start": "received"}``; a negative amount means before."""
    if not isinstance(value, Mapping):
        raise ValueError('must be an object like {"amount": 5, "unit": "working_days", "start": "received"}')
    unknown = set(value) - {"amount", "unit", "start"}
    if unknown:
        raise ValueError(f"unknown field {', '.join(sorted(unknown))}")
    unit = value.get("unit")
    if unit not in TIMESCALE_UNITS:
        raise ValueError(f"unit must be one of {', '.join(TIMESCALE_UNITS)}")
    start = value.get("start")
    if start not in START_EVENTS:
        raise ValueError(f"start must be one of {', '.join(START_EVENTS)}")
    amount = whole_number(-10_000, 10_000)(value.get("amount"))
    return {"amount": amount, "unit": unit, "start": start}


def _spec(key: str, default: Any, description: str, parse: Callable[[Any], Any], **kwargs: Any) -> SettingSpec:
    return SettingSpec(key, default, description, kwargs.pop("group", GROUP_THRESHOLD), parse, **kwargs)


SPECS = [
    _spec(
        "complaint_months",
        1,
        "Months, beginning with the day of the behaviour, within which a complaint must be made to qualify",
        whole_number(1, 24),
    ),
    _spec(
        "lookback_months",
        6,
        "Months, beginning with the day a complaint was made, within which the application must be received",
        whole_number(1, 24),
    ),
    _spec(
        "automatic_count",
        3,
        "Qualifying complaints that meet the threshold automatically",
        whole_number(1, 20),
    ),
    _spec("community_enabled", False, "Community threshold in use", boolean),
    _spec(
        "community_count",
        5,
        "Different complainants (individuals or households) that meet the community threshold",
        whole_number(1, 100),
    ),
    _spec("hate_enabled", False, "Hate threshold in use (one qualifying hate-motivated complaint)", boolean),
    _spec(
        "vulnerable_override_enabled",
        True,
        "A manager may decide the threshold is met for a vulnerable victim, with reasons",
        boolean,
    ),
    _spec(
        "chair_not_from_lead_agency",
        True,
        "A review chair may not be from the lead agency of a linked case",
        boolean,
    ),
    _spec(
        REPEAT_APPLICATIONS_COUNT,
        0,
        "Applications by one applicant, counting the new one, that make them a complainant with many "
        "applications (0: not in use). It never stops anyone applying.",
        whole_number(0, 50),
        group=GROUP_APPLICANTS,
    ),
    _spec(
        REPEAT_APPLICATIONS_MONTHS,
        12,
        "Months, beginning with an earlier application, within which it counts",
        whole_number(1, 60),
        group=GROUP_APPLICANTS,
    ),
    _spec(
        REPEAT_APPLICATIONS_HANDLING,
        "record",
        "How an application from a complainant with many applications is handled",
        one_of([value for value, _label in REPEAT_HANDLING_CHOICES]),
        group=GROUP_APPLICANTS,
        choices=REPEAT_HANDLING_CHOICES,
    ),
    *(
        _spec(
            timescale_key(step),
            default,
            f"{STEP_DESCRIPTIONS[step]}: amount, unit and start event",
            parse_step_timescale,
            group=GROUP_TIMESCALES,
        )
        for step, default in DEFAULT_TIMESCALES.items()
    ),
]

THRESHOLD_KEYS = (
    "complaint_months",
    "lookback_months",
    "automatic_count",
    "community_enabled",
    "community_count",
    "hate_enabled",
    "vulnerable_override_enabled",
)

#: For each step, the start events that happen only once the step is done or no longer owed: a
#: deadline counted from one of them would be created already met (or never owed), so it could never
#: remind anyone of anything.
_STARTS_TOO_LATE: dict[str, set[str]] = {
    "acknowledge": {"acknowledged"},
    "information_requests": {"meeting_held", "outcome_letter_sent", "decision_appealed_against", "appeal_received"},
    "threshold_decision": {
        "threshold_decided",
        "review_required",
        "meeting_scheduled",
        "meeting_held",
        "outcome_letter_sent",
        "decision_appealed_against",
        "appeal_received",
    },
    "review_meeting": {"meeting_held", "outcome_letter_sent", "decision_appealed_against", "appeal_received"},
    "papers_to_panel": {"meeting_held", "outcome_letter_sent", "decision_appealed_against", "appeal_received"},
    "outcome_letter": {"outcome_letter_sent", "appeal_received"},
}
#: Steps that can only run from one event: the appeal window is counted from the decision appealed
#: against by the appeal rule itself, and an appeal decision is owed only once an
#: appeal is received (from an earlier event it would be owed by every application, appealed or not).
_ONLY_START: dict[str, str] = {
    "appeal_window_closes": "decision_appealed_against",
    "appeal_decision": "appeal_received",
}
#: The only start event known before it happens, so the only one a step can fall due before.
_PLANNED_EVENT = "meeting_scheduled"


def threshold_problems(values: Mapping[str, Any]) -> list[SettingProblem]:
    """The threshold engine's own check of the rule set (``threshold.check_rules``), as it will be in
    force: warnings, or a refusal for a rule set that cannot be applied."""
    try:
        warnings = check_rules(threshold_rules(values))
    except ValueError as error:
        return [SettingProblem(f"The threshold rules cannot be applied: {error}.", THRESHOLD_KEYS, refuse=True)]
    return [SettingProblem(message, THRESHOLD_KEYS) for message in warnings]


def timescale_problems(values: Mapping[str, Any]) -> list[SettingProblem]:
    """Step timescales that could never give a deadline anyone can meet or miss: refused."""
    found: list[SettingProblem] = []
    for step, timescale in step_timescales(values).items():
        key = (timescale_key(step),)
        name = STEP_DESCRIPTIONS[step]
        event = START_EVENTS.get(timescale.start, timescale.start)
        only = _ONLY_START.get(step)
        if only is not None and timescale.start != only:
            found.append(
                SettingProblem(
                    f"{name}: this step can only run from when {START_EVENTS[only]}, not from when {event}.",
                    key,
                    refuse=True,
                )
            )
        elif timescale.start in _STARTS_TOO_LATE.get(step, set()):
            found.append(
                SettingProblem(
                    f"{name}: it cannot run from when {event}, because by then the step is already done or "
                    "no longer needed, so the deadline could never be met or missed.",
                    key,
                    refuse=True,
                )
            )
        elif timescale.amount < 0 and timescale.start != _PLANNED_EVENT:
            found.append(
                SettingProblem(
                    f"{name}: it cannot fall due before {event}: that has already happened when the deadline "
                    f"is set, so it would be overdue from the start. Only {START_EVENTS[_PLANNED_EVENT]} is "
                    "known in advance.",
                    key,
                    refuse=True,
                )
            )
    return found


def repeat_applicant_problems(values: Mapping[str, Any]) -> list[SettingProblem]:
    """A handling that can never apply (the count is off), or a count every applicant reaches."""
    keys = (REPEAT_APPLICATIONS_COUNT, REPEAT_APPLICATIONS_HANDLING)
    count = values[REPEAT_APPLICATIONS_COUNT]
    if count == 0 and values[REPEAT_APPLICATIONS_HANDLING] != "record":
        return [
            SettingProblem(
                "How a complainant with many applications is handled can never take effect while their number "
                "of applications is 0 (not in use): set the number too.",
                keys,
            )
        ]
    if count == 1:
        return [
            SettingProblem(
                "With the number of applications at 1, every applicant counts as a complainant with many "
                "applications, from their first.",
                keys,
            )
        ]
    return []


#: Settings read together ``(keys, check)``: registered in the domain's ``init_app``
#: (``domain.setting_checks``), run when any of the keys is saved.
CHECKS: list[tuple[set[str], Callable[[Mapping[str, Any]], list[SettingProblem]]]] = [
    (set(THRESHOLD_KEYS), threshold_problems),
    ({REPEAT_APPLICATIONS_COUNT, REPEAT_APPLICATIONS_HANDLING}, repeat_applicant_problems),
    ({timescale_key(step) for step in STEPS}, timescale_problems),
]


def threshold_rules(values: Mapping[str, Any]) -> ThresholdRules:
    """The rule set from an area's settings (``area_settings(area, on=received_on)``)."""
    return ThresholdRules(
        complaint_months=values["complaint_months"],
        lookback_months=values["lookback_months"],
        automatic_count=values["automatic_count"],
        community_enabled=values["community_enabled"],
        community_count=values["community_count"],
        hate_enabled=values["hate_enabled"],
        vulnerable_override_enabled=values["vulnerable_override_enabled"],
    )


def step_timescales(values: Mapping[str, Any]) -> dict[str, StepTimescale]:
    return {step: StepTimescale.from_value(values[timescale_key(step)]) for step in STEPS}


def applications_received_since(area_ids: Any, keys: set[str], effective_from: Any) -> list[Any]:
    """The applications whose rule set or timescales a change from ``effective_from`` could reach: every
    Case Review setting is read on the day the application was received (``rules_for``, the deadlines)."""
    import sqlalchemy as sa

    from casework.community_triggers.models import TriggerApplication
    from casework.core.settings import DatedRecord, specs
    from casework.extensions import db

    ours = {spec.key for spec in specs().values() if spec.group in RULE_SET_GROUPS}
    if not keys & ours:
        return []
    query = sa.select(TriggerApplication.area_id, TriggerApplication.received_on, TriggerApplication.reference).where(
        TriggerApplication.received_on >= effective_from
    )
    if area_ids is not None:
        query = query.where(TriggerApplication.area_id.in_(area_ids))
    return [
        DatedRecord(area_id, received_on, f"application {reference}")
        for area_id, received_on, reference in db.session.execute(query.order_by(TriggerApplication.received_on))
    ]


#: The rule set and the timescales, read on the day of receipt. (The dated commencement of a statutory
#: change, such as the PCC review, is a fact of law with its own date, not a local choice.)
RULE_SET_GROUPS = {GROUP_THRESHOLD, GROUP_TIMESCALES}
