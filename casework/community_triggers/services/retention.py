"""What happens to applications as records age: anonymised with their case, or when unlinked and
due."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import sqlalchemy as sa

from casework.cases.models import Case
from casework.community_triggers import deadlines as deadline_engine
from casework.community_triggers.models import (
    ApplicationStatus,
    MeetingAttendee,
    TriggerApplication,
)
from casework.community_triggers.services._common import FINAL_STATUSES
from casework.core.time import now
from casework.extensions import db

# --- retention ---------------------------------------------------------------------------------------


def anonymise_application(application: TriggerApplication, report: Any) -> None:
    """Remove the applicant's details and the free text of the whole review (complaints, decisions,
    meetings and minutes, attendees, recommendations and their actions, appeals, the PCC's review,
    agencies' submissions, files, letters), keeping the dated events the published statistics count:
    every text column of these rows goes unless its model retains it (``casework.core.retention``)."""
    from casework.actions.services import anonymise_actions, recommendation_actions
    from casework.community_triggers.models import (
        InformationRequest,
        Letter,
        TriggerDocument,
    )
    from casework.core.retention import anonymise
    from casework.reminders.services import anonymise_deadlines

    # Held before anything of the review is read (FOR NO KEY UPDATE on PostgreSQL; on SQLite the run
    # holds the write lock throughout): an agency's submission holds the review too once its file is
    # put (``info_requests.submit``), so either it waits for this run and is refused, or this waits for
    # it to commit and finds its file below. Its files read before this lock, one committed meanwhile
    # would be missed, and kept for ever.
    db.session.execute(
        sa.select(TriggerApplication.id).where(TriggerApplication.id == application.id).with_for_update(key_share=True)
    )
    meeting_ids = [m.id for m in application.meetings]
    recommendations = [r for m in application.meetings for r in m.recommendations]
    attendees = (
        list(db.session.scalars(sa.select(MeetingAttendee).where(MeetingAttendee.meeting_id.in_(meeting_ids))))
        if meeting_ids
        else []
    )
    requests = list(
        db.session.scalars(sa.select(InformationRequest).where(InformationRequest.application_id == application.id))
    )
    documents = list(
        db.session.scalars(sa.select(TriggerDocument).where(TriggerDocument.application_id == application.id))
    )
    letters = list(db.session.scalars(sa.select(Letter).where(Letter.application_id == application.id)))
    pcc_reviews = list(application.pcc_reviews)
    # The review papers: the agenda, the chair's assessments of each perpetrator, why an agency's
    # information was missing, and the forum's lessons-learnt review.
    agenda_items = [item for m in application.meetings for item in m.agenda_items]
    assessments = [a for m in application.meetings for a in m.proportionality_assessments]
    missing = [row for m in application.meetings for row in m.missing_information]
    lessons_reviews = list(application.lessons_reviews)
    rows = (
        application,
        *application.complaints,
        *application.decisions,
        *application.meetings,
        *recommendations,
        *attendees,
        *application.appeals,
        *pcc_reviews,
        *requests,
        *documents,
        *letters,
        *agenda_items,
        *assessments,
        *missing,
        *lessons_reviews,
    )
    for row in rows:
        anonymise(row)
    # Placeholders that still say what the record was.
    application.applicant_name = f"Applicant {application.reference} (anonymised)"
    application.anonymised_at = now()
    for attendee in attendees:
        attendee.name = "Attendee (anonymised)"
    for document in documents:
        document.filename = f"document-{document.id} (removed under the retention policy)"
        document.size = 0
        # The file itself is deleted from its store; the row keeps an empty file in its place.
        _replace_with_empty_file(document)
    for letter in letters:
        letter.subject = f"{letter.kind.value.replace('_', ' ').capitalize()} letter"
    db.session.flush()
    # The recommendations' actions and the deadlines belong to their domains, which remove their text.
    anonymise_actions(recommendation_actions([r.id for r in recommendations]), report)
    anonymise_deadlines(report, subject_type=deadline_engine.SUBJECT_TYPE, subject_ids=[application.id])
    anonymise_deadlines(report, subject_type="trigger_information_requests", subject_ids=[r.id for r in requests])
    anonymise_deadlines(report, subject_type="trigger_pcc_reviews", subject_ids=[r.id for r in pcc_reviews])
    report.add("trigger_applications", [application.id])
    report.add("trigger_complaints", [c.id for c in application.complaints])
    report.add("trigger_decisions", [d.id for d in application.decisions])
    report.add("trigger_meetings", meeting_ids)
    report.add("trigger_recommendations", [r.id for r in recommendations])
    report.add("trigger_meeting_attendees", [a.id for a in attendees])
    report.add("trigger_appeals", [a.id for a in application.appeals])
    report.add("trigger_pcc_reviews", [r.id for r in pcc_reviews])
    report.add("trigger_information_requests", [r.id for r in requests])
    report.add("trigger_documents", [d.id for d in documents])
    report.add("trigger_letters", [letter.id for letter in letters])
    report.add("trigger_agenda_items", [item.id for item in agenda_items])
    report.add("trigger_proportionality_assessments", [a.id for a in assessments])
    report.add("trigger_missing_information", [row.id for row in missing])
    report.add("trigger_lessons_reviews", [row.id for row in lessons_reviews])


def applications_going_with(case: Case) -> list[TriggerApplication]:
    """Applications linked to ``case`` whose every other linked case is already anonymised: they go
    with the last of their cases."""
    from casework.community_triggers.models import application_cases

    linked = sa.select(application_cases.c.application_id).where(application_cases.c.case_id == case.id)
    other_live = sa.exists().where(
        application_cases.c.application_id == TriggerApplication.id,
        application_cases.c.case_id != case.id,
        application_cases.c.case_id.in_(sa.select(Case.id).where(Case.anonymised_at.is_(None))),
    )
    return list(
        db.session.scalars(
            sa.select(TriggerApplication).where(
                TriggerApplication.id.in_(linked), TriggerApplication.anonymised_at.is_(None), ~other_live
            )
        )
    )


def last_event_on(application: TriggerApplication) -> date:
    """The last dated event of an application: its retention period runs from there."""
    days = [application.received_on, application.withdrawn_on, application.screened_out_on]
    days += [d.decided_on for d in application.decisions]
    days += [m.held_on for m in application.meetings]
    days += [a.decided_on or a.received_on for a in application.appeals]
    return max(d for d in days if d is not None)


def unlinked_applications_due(cutoffs: Mapping[int, date]) -> list[TriggerApplication]:
    """Applications linked to no case whose last event is before their area's cutoff."""
    from casework.community_triggers.models import application_cases

    found: list[TriggerApplication] = []
    for area_id, cutoff in cutoffs.items():
        candidates = db.session.scalars(
            sa.select(TriggerApplication).where(
                TriggerApplication.area_id == area_id,
                TriggerApplication.anonymised_at.is_(None),
                TriggerApplication.received_on < cutoff,
                ~sa.exists().where(application_cases.c.application_id == TriggerApplication.id),
            )
        )
        found.extend(
            a
            for a in candidates
            if a.status in FINAL_STATUSES | {ApplicationStatus.threshold_not_met, ApplicationStatus.review_concluded}
            and last_event_on(a) < cutoff
        )
    return found


def _replace_with_empty_file(document: Any) -> None:
    """Delete a Case Review document's stored file (retention), leaving an empty one in its place."""
    from casework.core import storage

    old = db.session.get(storage.StoredFile, document.stored_file_id)
    # The empty file is kept in the database whatever the store: this transaction has written the
    # anonymised rows already, and a PUT to an object store made here would keep SQLite's write lock
    # (and every other writer waiting) for as long as the store takes, for each document.
    document.stored_file_id = storage.save(b"", "application/octet-stream", folder="removed", backend="database").id
    db.session.flush()
    if old is not None:
        storage.discard(old)
