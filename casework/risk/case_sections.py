"""The risk parts of the case record: current risk in the API answer, a page section, the timeline."""

from __future__ import annotations

from typing import Any

from casework.accounts.models import User
from casework.cases.models import Person
from casework.cases.policies import can_edit_case
from casework.cases.sections import TimelineEntry, case_records
from casework.risk.models import BAND_LABELS, RiskAssessment, RiskQuestionnaire
from casework.risk.schemas import dump_assessment

#: What the case record reads with the case's assessments, as values (``casework.cases.sections.case_records``):
#: who assessed and the victim by name, the questionnaire's version (not its questions).
CASE_RECORDS: dict[str, Any] = {
    "entity": RiskAssessment,
    "values": (
        (RiskAssessment.assessed_by, User.name, User.email),
        (RiskAssessment.victim, Person.name),
        (RiskAssessment.questionnaire, RiskQuestionnaire.version),
    ),
    "order_by": (RiskAssessment.assessed_on.desc(), RiskAssessment.id.desc()),
}


def _assessments(case_id: int) -> list[Any]:
    """Every assessment on the case, newest first: read once per request (with the other domains'
    records of the case) for the section, the API answer and the timeline."""
    return case_records(case_id, "risk_assessments")


def _latest(case_id: int) -> Any:
    """The latest assessment on the case (for the case or any victim on it), or None."""
    assessments = _assessments(case_id)
    return assessments[0] if assessments else None


def current_risk(case: Any, _user: Any) -> dict[str, Any] | None:
    latest = _latest(case.id)
    return dump_assessment(latest) if latest is not None else None


def risk_section(case: Any, user: Any) -> dict[str, Any]:
    return {
        "case": case,
        "risk_current": _latest(case.id),
        "risk_can_assess": can_edit_case(user, case),
        "risk_band_labels": BAND_LABELS,
    }


def risk_timeline(case: Any, viewer: Any = None) -> list[TimelineEntry]:
    return [
        TimelineEntry(
            when=a.assessed_on,
            kind="risk_assessment",
            title=f"Risk assessed as {BAND_LABELS[a.band].lower()}" + (f" for {a.victim.name}" if a.victim else ""),
            detail=f"Score {a.score}"
            + (f"; next review by {a.review_on.day} {a.review_on:%B %Y}" if a.review_on else ""),
            actor_name=a.assessed_by.name if a.assessed_by else None,
            link=f"/cases/{case.id}/risk-assessments",
        )
        for a in _assessments(case.id)
    ]
