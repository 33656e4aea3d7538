"""The interventions part of the case record: the API answer, a page section, the timeline."""

from __future__ import annotations

from typing import Any

from casework.accounts.models import User
from casework.cases.models import Person
from casework.cases.policies import can_edit_case
from casework.cases.sections import TimelineEntry, case_records
from casework.interventions import services
from casework.interventions.models import Intervention, InterventionBreach, InterventionReview
from casework.interventions.schemas import dump_intervention

#: What the case record reads with the case's interventions, as values (``casework.cases.sections.case_records``):
#: ``services.CASE_INTERVENTION_OPTIONS``' records, with the subject by name only (the case page shows no
#: more) and the users by name.
CASE_RECORDS: dict[str, Any] = {
    "entity": Intervention,
    "values": (
        (Intervention.subject, Person.name),
        Intervention.issuing_agency,
        (Intervention.issuing_officer, User.name, User.email),
        (Intervention.breaches, (InterventionBreach.recorded_by, User.name, User.email)),
        (Intervention.reviews, (InterventionReview.recorded_by, User.name, User.email)),
    ),
    "order_by": (Intervention.issued_on.desc(), Intervention.id.desc()),
    # A row per breach and review, each some 90 columns wide: in a statement of their own.
    "apart": True,
}


def _interventions(case_id: int) -> list[Any]:
    """The case's interventions, read once per request (with the other domains' records of the case)
    for the section, the API answer and the timeline."""
    return case_records(case_id, "interventions")


def interventions(case: Any, _user: Any) -> list[dict[str, Any]]:
    return [dump_intervention(i) for i in _interventions(case.id)]


def interventions_section(case: Any, user: Any) -> dict[str, Any]:
    return {
        "case": case,
        "interventions": _interventions(case.id),
        "interventions_can_add": can_edit_case(user, case),
    }


def interventions_timeline(case: Any, viewer: Any = None) -> list[TimelineEntry]:
    entries: list[TimelineEntry] = []
    for intervention in _interventions(case.id):
        about = f" to {intervention.shown_subject_name}" if intervention.shown_subject_name else ""
        link = services.intervention_link(intervention)
        entries.append(
            TimelineEntry(
                when=intervention.issued_at or intervention.issued_on,
                kind="intervention",
                title=f"{intervention.label} issued{about}",
                detail=intervention.requirements or intervention.prohibitions,
                actor_name=intervention.issuing_officer.name
                if intervention.issuing_officer
                else intervention.issuing_officer_name,
                link=link,
            )
        )
        entries.extend(
            TimelineEntry(
                when=breach.occurred_on,
                # An ABC breach is evidence for later action, not an offence: the title says "not kept".
                kind="intervention_breach",
                title=(
                    f"{intervention.label} not kept"
                    if intervention.kind.value == "abc"
                    else f"{intervention.label} breached"
                    + (" (a criminal offence)" if breach.is_criminal_offence else "")
                ),
                detail=breach.description,
                actor_name=breach.recorded_by.name if breach.recorded_by else None,
                link=link,
            )
            for breach in intervention.breaches
        )
        entries.extend(
            TimelineEntry(
                when=review.reviewed_at or review.reviewed_on,
                kind="intervention_review",
                title=f"{intervention.label} reviewed",
                detail=review.notes,
                actor_name=review.reviewer_name or (review.recorded_by.name if review.recorded_by else None),
                link=link,
            )
            for review in intervention.reviews
        )
        if intervention.extended_at is not None:
            entries.append(
                TimelineEntry(
                    when=intervention.extended_at,
                    kind="intervention_extension",
                    title=f"{intervention.label} extended by {intervention.extension_hours} hours (extension notice)",
                    detail=None,
                    actor_name=intervention.extension_authorised_by,
                    link=link,
                )
            )
    return entries
