"""A person's Case Review records: their subject access export and the section on their page."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from casework.accounts.models import Area
from casework.cases.models import Person
from casework.community_triggers.models import (
    MeetingAttendee,
    TriggerApplication,
)
from casework.extensions import db

# --- subject access -------------------------------------------------------------------------------------


def exported_email_applications(access: Any, ids: set[int]) -> set[int]:
    """The applications whose email a subject access export may hold: those its exporter may read."""
    return access.readable_applications(ids)


def exported_email_letters(access: Any, ids: set[int]) -> set[int]:
    """The letters whose email a subject access export may hold: those of applications it may hold."""
    from casework.community_triggers.models import Letter

    rows = db.session.execute(sa.select(Letter.id, Letter.application_id).where(Letter.id.in_(sorted(ids)))).all()
    readable = access.readable_applications({row.application_id for row in rows})
    return {row.id for row in rows if row.application_id in readable}


def _is_applicant(application: TriggerApplication, person: Person) -> bool:
    if person.email and application.applicant_email and person.email.lower() == application.applicant_email.lower():
        return True
    return application.applicant_normalised_name == person.normalised_name


def _applied_as_any(application: TriggerApplication, identities: list[Person]) -> bool:
    """Made under the person's record or a record merged into it and shown with it."""
    return any(_is_applicant(application, record) for record in identities)


def export_section(person: Person, access: Any) -> list[dict[str, Any]]:
    """The Case Review applications linked to the person's cases, or made by them.

    The applicant's part (their details, their account, their complaints, their appeal, the letters
    sent to them) is in the applicant's export; the agencies' part (the decision, the meeting, the
    recommendations, the agencies' information) in the export of everyone on a linked case, and the
    perpetrator proportionality assessment only in a perpetrator's. An application linked to a
    withheld (restricted) case is withheld with it."""
    from casework.community_triggers.models import (
        InformationRequest,
        Letter,
        TriggerDocument,
        application_cases,
    )
    from casework.community_triggers.review_papers import FACTOR_FIELDS

    linked = (
        sa.select(application_cases.c.application_id).where(application_cases.c.case_id.in_(access.case_ids))
        if access.case_ids
        else None
    )
    identities = access.identities
    candidates = sa.or_(
        *(TriggerApplication.applicant_name.ilike(record.name) for record in identities if record.name),
        *(
            sa.func.lower(TriggerApplication.applicant_email) == record.email.lower()
            for record in identities
            if record.email
        ),
        *([TriggerApplication.id.in_(linked)] if linked is not None else []),
    )
    applications = db.session.scalars(
        sa.select(TriggerApplication).where(candidates).order_by(TriggerApplication.id)
    ).all()
    # Only what the exporter may read: an application is found by a name or an email address anyone may
    # type into a person's record (the data protection officer answers for every one).
    readable = access.readable_applications(a.id for a in applications)
    found = []
    for application in applications:
        case_ids = {c.id for c in application.cases}
        if case_ids & access.withheld_case_ids or application.id not in readable:
            continue
        is_applicant = _applied_as_any(application, identities)
        on_linked_case = bool(case_ids & access.shown_case_ids)
        if not (is_applicant or on_linked_case or access.full):
            continue
        is_perpetrator = any(access.has_role(case_id, "perpetrator") for case_id in case_ids)
        own = is_applicant or access.full
        entry: dict[str, Any] = {
            "reference": application.reference,
            "status": application.status.value,
            "received_on": application.received_on.isoformat(),
            "channel": application.channel.value,
            "you_applied": is_applicant,
            "cases": [c.reference for c in application.cases if c.id in access.shown_case_ids or access.full],
            "lessons_reviews": [
                {
                    "reviewed_on": r.reviewed_on.isoformat() if r.reviewed_on else None,
                    "forum": access.redact(r.forum),
                    "lessons": access.redact(r.lessons),
                    "shared_with": access.redact(r.shared_with),
                }
                for r in application.lessons_reviews
            ],
            "decisions": [
                {
                    "decided_on": d.decided_on.isoformat(),
                    "met": d.met,
                    "basis": d.basis.value if d.basis else None,
                    "reasons": access.redact(d.reasons),
                    "persistence": access.redact(d.persistence),
                    "harm": access.redact(d.harm),
                    "adequacy": access.redact(d.adequacy),
                }
                for d in application.decisions
            ],
            "meetings": [
                {
                    "scheduled_on": m.scheduled_on.isoformat(),
                    "held_on": m.held_on.isoformat() if m.held_on else None,
                    "location": access.redact(m.location),
                    "agenda": access.redact(m.agenda),
                    "minutes": access.redact(m.minutes),
                    "outcome": access.redact(m.outcome),
                    "proportionality_assessment": access.redact(m.proportionality_assessment)
                    if is_perpetrator or access.full
                    else None,
                    "victim_consultation_notes": access.redact(m.victim_consultation_notes),
                    "victim_not_consulted_reason": access.redact(m.victim_not_consulted_reason),
                    "held_early_reason": access.redact(m.held_early_reason),
                    "missing_information": [
                        {"agency": row.agency.name, "reason": access.redact(row.reason)}
                        for row in m.missing_information
                    ],
                    # The chair's assessments of this person as a perpetrator (the review papers).
                    "proportionality_assessments": [
                        {
                            "assessed_on": a.assessed_on.isoformat() if a.assessed_on else None,
                            "subject_name": access.redact(a.subject_name),
                            **{name: access.redact(getattr(a, name)) for name in FACTOR_FIELDS},
                            "conclusion": access.redact(a.conclusion),
                        }
                        for a in m.proportionality_assessments
                        if a.person_id == person.id or (access.full and a.person_id is None)
                    ],
                    "attendees": [
                        access.own_or_third(a.name)
                        for a in db.session.scalars(
                            sa.select(MeetingAttendee).where(MeetingAttendee.meeting_id == m.id)
                        )
                    ],
                    "recommendations": [
                        {"text": access.redact(r.text), "agency": r.agency.name, "due_on": r.due_on.isoformat()}
                        for r in m.recommendations
                    ],
                }
                for m in application.meetings
            ],
            "information_from_agencies": [
                {
                    "agency": item.agency.name,
                    "submitted_on": item.submitted_on.isoformat() if item.submitted_on else None,
                    "submission": access.redact(item.submission),
                    "files": [d.filename for d in item.documents],
                }
                for item in db.session.scalars(
                    sa.select(InformationRequest).where(InformationRequest.application_id == application.id)
                )
            ],
        }
        if own:
            entry.update(
                applicant={
                    "name": application.applicant_name,
                    "email": application.applicant_email,
                    "phone": application.applicant_phone,
                    "address": application.applicant_address,
                    "role": application.applicant_role.value,
                },
                description=access.redact(application.description),
                complaints=[
                    {
                        "complainant": access.own_or_third(c.complainant_name) if c.complainant_name else None,
                        "occurred_on": c.occurred_on.isoformat(),
                        "reported_on": c.reported_on.isoformat(),
                        "reported_to": c.agency.name if c.agency else access.redact(c.reported_to),
                        "reference": access.redact(c.reference),
                    }
                    for c in application.complaints
                ],
                appeals=[
                    {
                        "received_on": a.received_on.isoformat(),
                        "grounds": access.redact(a.grounds),
                        "decision": a.decision.value if a.decision else None,
                        "decision_reasons": access.redact(a.decision_reasons),
                    }
                    for a in application.appeals
                ],
                pcc_reviews=[
                    {
                        "requested_on": r.requested_on.isoformat(),
                        "grounds": access.redact(r.grounds),
                        "reviewer_name": access.redact(r.reviewer_name),
                        "outcome": r.outcome.value if r.outcome else None,
                        "outcome_reasons": access.redact(r.outcome_reasons),
                        "decided_on": r.decided_on.isoformat() if r.decided_on else None,
                    }
                    for r in application.pcc_reviews
                ],
                letters=[
                    {
                        "kind": letter.kind.value,
                        "sent_on": letter.sent_on.isoformat() if letter.sent_on else None,
                        "subject": letter.subject,
                        "body": letter.body,
                    }
                    for letter in db.session.scalars(
                        sa.select(Letter).where(Letter.application_id == application.id).order_by(Letter.id)
                    )
                ],
                files=[
                    d.filename
                    for d in db.session.scalars(
                        sa.select(TriggerDocument).where(
                            TriggerDocument.application_id == application.id,
                            TriggerDocument.information_request_id.is_(None),
                        )
                    )
                ],
            )
        found.append(entry)
    return found


# --- the person page ---------------------------------------------------------------------------------------


def person_section(person: Person, user: Any) -> dict[str, Any]:
    """Case Review applications linked to the person's cases or made by them (same name or email),
    those the user may see; for the rest, how many and in which areas."""
    from casework.cases.models import CaseParty
    from casework.community_triggers.applicants import withheld_clause, withheld_ids
    from casework.community_triggers.models import application_cases
    from casework.community_triggers.policies import visible_applications_clause

    # Made by them: found by their name or email, so not among those whose applicant is withheld from
    # the user (that this person applied is the applicant's details, casework.community_triggers.applicants).
    made_by_them = sa.and_(
        sa.or_(
            TriggerApplication.applicant_normalised_name == person.normalised_name,
            *([sa.func.lower(TriggerApplication.applicant_email) == person.email.lower()] if person.email else []),
        ),
        ~withheld_clause(user),
    )
    about = sa.or_(
        TriggerApplication.id.in_(
            sa.select(application_cases.c.application_id).where(
                application_cases.c.case_id.in_(sa.select(CaseParty.case_id).where(CaseParty.person_id == person.id))
            )
        ),
        made_by_them,
    )
    visible = list(
        db.session.scalars(
            sa.select(TriggerApplication)
            .where(about, visible_applications_clause(user))
            .order_by(TriggerApplication.received_on.desc())
        )
    )
    hidden = db.session.execute(
        sa.select(Area.name, sa.func.count(TriggerApplication.id))
        .join(Area, Area.id == TriggerApplication.area_id)
        .where(about, ~visible_applications_clause(user))
        .group_by(Area.name)
        .order_by(Area.name)
    ).all()
    # That they applied is the applicant's details: not told to a reader they are withheld from.
    withheld = withheld_ids(user, (a.id for a in visible))
    return {
        "person_applications": visible,
        "person_applications_applied": {a.id for a in visible if a.id not in withheld and _is_applicant(a, person)},
        "person_applications_hidden": {"count": sum(n for _a, n in hidden), "areas": [a for a, _n in hidden]},
    }
