"""The risk parts of the case record: current risk in the API answer, a page section, the timeline."""

from __future__ import annotations

from typing import Any

from casework.cases.policies import can_edit_case
from casework.cases.sections import TimelineEntry
from casework.risk import services
from casework.risk.models import BAND_LABELS
from casework.risk.schemas import dump_assessment


def current_risk(case: Any, _user: Any) -> dict[str, Any] | None:
    """The latest assessment on the case (for the case or any victim on it), or None."""
    latest = services.latest_assessment(case.id, any_victim=True)
    return dump_assessment(latest) if latest is not None else None


def risk_section(case: Any, user: Any) -> dict[str, Any]:
    return {
        "case": case,
        "risk_current": services.latest_assessment(case.id, any_victim=True),
        "risk_can_assess": can_edit_case(user, case),
        "risk_band_labels": BAND_LABELS,
    }


def risk_timeline(case: Any) -> list[TimelineEntry]:
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
        for a in services.case_assessments(case.id)
    ]
