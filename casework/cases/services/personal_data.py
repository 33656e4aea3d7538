"""The cases domain's part of subject access, retention and merging duplicate people (the
data protection domain decides what is due and sends the lifecycle events). Never commits."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from casework.audit.models import AuditAction
from casework.audit.services import record, snapshot
from casework.cases.models import (
    Case,
    CaseEvent,
    CaseNote,
    CaseParty,
    CaseReviewExplanation,
    Complaint,
    Incident,
    PartyRole,
    Person,
    QueuedPoliceReport,
)
from casework.cases.services.fields import PERSON_FIELDS, normalise_name
from casework.cases.services.reading import case_explanations, case_notes, load_case_record
from casework.core import lifecycle
from casework.core.time import now
from casework.extensions import db

# --- subject access: the cases domain's part (``casework.data_protection.subject_access``) ------------


def export_sections(person: Person, access: Any) -> dict[str, Any]:
    """The person's details and every case they are on that the export may show: roles, summary,
    parties (others named only in the full version), incidents and complaints (another complainant's
    reference only in the full version), notes, the second-report tasks about them, and the calls from
    police incident logs added to the case (the callers' details only in the full version)."""
    details = {"id": person.id, **snapshot(person, PERSON_FIELDS), "anonymised_at": _iso(person.anonymised_at)}
    cases = []
    for case_id in sorted(access.shown_case_ids):
        case = load_case_record(case_id)
        cases.append(
            {
                "reference": case.reference,
                "status": case.status.value,
                "roles": sorted(access.roles[case.id]),
                "summary": access.redact(case.summary),
                "location": access.redact(case.location),
                "opened_at": _iso(case.created_at),
                "closed_on": _iso(case.closed_on),
                "closure_reason": access.redact(case.closure_reason),
                "lead_agency": case.lead_agency.name,
                "parties": [
                    {"name": access.name_of(p.person), "role": p.role.value}
                    for p in sorted(case.parties, key=lambda p: (p.person_id != person.id, p.role.value, p.id))
                ],
                "incidents": [
                    {
                        "occurred_on": i.occurred_on.isoformat(),
                        "description": access.redact(i.description),
                        "causes_had": i.causes_had,
                        "hate_motivated": i.hate_motivated,
                        "complaints": [
                            {
                                "reported_on": c.reported_on.isoformat(),
                                "agency": c.agency.name,
                                "by_this_person": c.complainant_person_id == person.id,
                                "complainant": access.name_of(c.complainant),
                                "reference": c.reference
                                if access.full or c.complainant_person_id == person.id
                                else None,
                            }
                            for c in i.complaints
                        ],
                    }
                    for i in case.incidents
                ],
                "notes": [{"created_at": _iso(n.created_at), "text": access.redact(n.text)} for n in case_notes(case)],
                "case_review_explanations": [
                    {
                        "second_report_on": t.second_report_on.isoformat(),
                        "explained_on": _iso(t.explained_on),
                        "method": t.method.value if t.method else None,
                        "notes": access.redact(t.notes),
                    }
                    for t in case_explanations(case)
                    if t.person_id == person.id
                ],
                # Calls from police incident logs added to the case: the callers are third parties.
                "police_calls": [
                    {
                        "police_reference": r.police_reference,
                        "occurred_at": _iso(r.occurred_at),
                        "location": access.redact(r.location),
                        "category": r.category,
                        # Who called is not known to be anyone on the case: withheld unless released in full.
                        "caller_name": r.caller_name if access.full else None,
                        "caller_phone": r.caller_phone if access.full else None,
                        "caller_email": r.caller_email if access.full else None,
                        "reason": access.redact(r.reason),
                        "status": r.status.value,
                    }
                    for r in case_police_calls(case)
                ],
            }
        )
    return {"person": details, "cases": cases}


def case_police_calls(case: Case) -> list[QueuedPoliceReport]:
    """The calls from police incident logs added to ``case``."""
    return list(
        db.session.scalars(
            sa.select(QueuedPoliceReport)
            .where(QueuedPoliceReport.case_id == case.id)
            .order_by(QueuedPoliceReport.occurred_at, QueuedPoliceReport.id)
        )
    )


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


# --- retention: the cases domain's part (``casework.data_protection`` decides what is due) -------------


def anonymise_case(case: Case, report: Any) -> None:
    """Remove the free text and references of ``case`` and of its incidents, complaints, notes,
    events and second-report tasks, keeping dates, categories and counts (the statistics need them).
    Lists what it anonymised in ``report`` (a ``casework.core.lifecycle.RetentionReport``)."""
    from casework.core.retention import anonymise

    stamp = now()
    anonymise(case)
    case.anonymised_at = stamp
    incidents = list(db.session.scalars(sa.select(Incident).where(Incident.case_id == case.id)))
    complaints = list(db.session.scalars(sa.select(Complaint).join(Incident).where(Incident.case_id == case.id)))
    notes = list(db.session.scalars(sa.select(CaseNote).where(CaseNote.case_id == case.id)))
    events = list(db.session.scalars(sa.select(CaseEvent).where(CaseEvent.case_id == case.id)))
    tasks = list(db.session.scalars(sa.select(CaseReviewExplanation).where(CaseReviewExplanation.case_id == case.id)))
    # Calls from police incident logs added to the case (or to one of its complaints): the caller's
    # details and what was said about the call.
    police_calls = list(
        db.session.scalars(
            sa.select(QueuedPoliceReport).where(
                sa.or_(
                    QueuedPoliceReport.case_id == case.id,
                    QueuedPoliceReport.complaint_id.in_([c.id for c in complaints]),
                )
            )
        )
    )
    for row in (*incidents, *complaints, *notes, *events, *tasks, *police_calls):
        anonymise(row)
    for event in events:
        # "Case closed: <reason>", "Linked to ...", "<name> named on the case": keep only what happened.
        event.summary = (
            f"{event.kind.value.replace('_', ' ').capitalize()} (details removed under the retention policy)"
        )
        # The other case a link names is a detail too: the timeline would name it in place of the summary.
        event.related_case_id = None
    # Its parties and complaints keep naming their people here: the links to anyone who lives on in
    # the service are severed for every domain at once (``data_protection.retention.unlink_living_people``).
    parties = db.session.scalars(sa.select(CaseParty.id).where(CaseParty.case_id == case.id)).all()
    db.session.flush()
    report.add("cases", [case.id])
    report.add("incidents", [i.id for i in incidents])
    report.add("complaints", [c.id for c in complaints])
    report.add("case_notes", [n.id for n in notes])
    report.add("case_events", [e.id for e in events])
    report.add("case_review_explanations", [t.id for t in tasks])
    report.add("queued_police_reports", [r.id for r in police_calls])
    report.add("case_parties", parties)
    report.case_references.append(case.reference)
    record(None, AuditAction.anonymise, case, f"Anonymised case {case.reference} under the retention policy")


def anonymise_person(person: Person, report: Any) -> None:
    """Remove ``person``'s name and details (the record stays, so counts and links still add up)."""
    from casework.core.retention import anonymise

    anonymise(person)
    person.name = lifecycle.anonymised_name(person.id)
    person.normalised_name = normalise_name(person.name)
    person.date_of_birth = None
    person.consent_on = None
    person.anonymised_at = now()
    db.session.flush()
    report.add("people", [person.id])
    report.person_ids.append(person.id)
    record(None, AuditAction.anonymise, person, f"Anonymised person {person.id} under the retention policy")


# --- merging duplicate people: the cases domain's part (``casework.data_protection.merge``) -----------


def move_person_records(merge: Any) -> None:
    """Move the merged person's parties, complaints and second-report tasks to the kept person. A
    party row the kept person already has (same case and role) is removed, and recorded to restore."""
    kept_roles = set(
        db.session.execute(
            sa.select(CaseParty.case_id, CaseParty.role).where(CaseParty.person_id == merge.kept_id)
        ).all()
    )
    moved, removed = [], []
    for party in db.session.scalars(sa.select(CaseParty).where(CaseParty.person_id == merge.merged_id)):
        if (party.case_id, party.role) in kept_roles:
            removed.append({"case_id": party.case_id, "role": party.role.value})
            db.session.delete(party)
        else:
            party.person_id = merge.kept_id
            moved.append(party.id)
    merge.record("case_parties", moved, removed=removed)
    complaints = list(
        db.session.scalars(sa.select(Complaint.id).where(Complaint.complainant_person_id == merge.merged_id))
    )
    db.session.execute(
        sa.update(Complaint).where(Complaint.id.in_(complaints)).values(complainant_person_id=merge.kept_id)
    )
    merge.record("complaints", complaints)
    taken = set(
        db.session.execute(
            sa.select(CaseReviewExplanation.case_id, CaseReviewExplanation.first_report_on).where(
                CaseReviewExplanation.person_id == merge.kept_id
            )
        ).all()
    )
    tasks = [
        t.id
        for t in db.session.scalars(
            sa.select(CaseReviewExplanation).where(CaseReviewExplanation.person_id == merge.merged_id)
        )
        if (t.case_id, t.first_report_on) not in taken
    ]
    db.session.execute(
        sa.update(CaseReviewExplanation).where(CaseReviewExplanation.id.in_(tasks)).values(person_id=merge.kept_id)
    )
    merge.record("case_review_explanations", tasks)
    db.session.flush()


def restore_person_records(merge: Any) -> None:
    """Undo ``move_person_records``: exactly the rows it moved go back, and removed parties return."""
    db.session.execute(
        sa.update(CaseParty).where(CaseParty.id.in_(merge.ids("case_parties"))).values(person_id=merge.merged_id)
    )
    for row in merge.moved.get("case_parties", {}).get("removed", []):
        db.session.add(CaseParty(case_id=row["case_id"], person_id=merge.merged_id, role=PartyRole(row["role"])))
    db.session.execute(
        sa.update(Complaint)
        .where(Complaint.id.in_(merge.ids("complaints")))
        .values(complainant_person_id=merge.merged_id)
    )
    db.session.execute(
        sa.update(CaseReviewExplanation)
        .where(CaseReviewExplanation.id.in_(merge.ids("case_review_explanations")))
        .values(person_id=merge.merged_id)
    )
    db.session.flush()
