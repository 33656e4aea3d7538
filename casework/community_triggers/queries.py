"""Reads for the Case Review pages and API: what each view shows, each named for what it returns.

Visibility stays with policies.py: functions that list applications take the policy's clause (or the
user) and apply it; functions that take an application expect one the caller was allowed to see.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from casework.accounts.models import Agency, Area, User
from casework.audit.models import AuditEntry
from casework.community_triggers import policies
from casework.community_triggers.models import (
    Appeal,
    ApplicationComplaint,
    ApplicationStatus,
    InformationRequest,
    Letter,
    LetterKind,
    LetterTemplate,
    MeetingAttendee,
    MissingInformation,
    ProportionalityAssessment,
    Recommendation,
    ReviewMeeting,
    ThresholdDecision,
    TriggerApplication,
)
from casework.core.errors import NotFound
from casework.extensions import db

# Everything the API's answer about an application shows, loaded in a fixed number of queries: each
# collection by a query of its own (selectinload), and what a record names one of (its area, agency,
# chair, owner) joined into the query of that record, not queried again: each further query cost its
# own statement and the working out of its cache key from these options, the larger part of the answer.
APPLICATION_LOAD = (
    joinedload(TriggerApplication.area, innerjoin=True),
    selectinload(TriggerApplication.complaints).joinedload(ApplicationComplaint.agency),
    selectinload(TriggerApplication.cases),
    selectinload(TriggerApplication.decisions).joinedload(ThresholdDecision.decided_by),
    selectinload(TriggerApplication.meetings).options(
        joinedload(ReviewMeeting.chair),
        joinedload(ReviewMeeting.completeness_confirmed_by),
        selectinload(ReviewMeeting.agenda_items),
        selectinload(ReviewMeeting.proportionality_assessments),
        selectinload(ReviewMeeting.missing_information).joinedload(MissingInformation.agency),
        selectinload(ReviewMeeting.recommendations).options(
            joinedload(Recommendation.agency), joinedload(Recommendation.owner)
        ),
    ),
    selectinload(TriggerApplication.appeals).joinedload(Appeal.handler),
    selectinload(TriggerApplication.lessons_reviews),
    selectinload(TriggerApplication.pcc_reviews),
)


# --- applications -------------------------------------------------------------------------------------


def board_applications(
    user: Any, *, status: str = "", area_code: str = "", limit: int = 500
) -> Sequence[TriggerApplication]:
    """The board: applications the user may see, newest received first, optionally of one status or area."""
    query = (
        sa.select(TriggerApplication)
        .where(policies.visible_applications_clause(user))
        .options(selectinload(TriggerApplication.area))
        .order_by(TriggerApplication.received_on.desc(), TriggerApplication.id.desc())
    )
    if status in {s.value for s in ApplicationStatus}:
        query = query.where(TriggerApplication.status == status)
    if area_code:
        query = query.where(TriggerApplication.area.has(Area.code == area_code))
    return db.session.scalars(query.limit(limit)).all()


def visible_applications_for_the_api(user: Any, *, area_code: str | None, status: str | None) -> sa.Select[Any]:
    """The API's list of applications the user may see, newest received first (paged by the caller)."""
    query = sa.select(TriggerApplication).where(policies.visible_applications_clause(user))
    if area_code:
        query = query.join(Area, Area.id == TriggerApplication.area_id).where(Area.code == area_code.upper())
    if status:
        query = query.where(TriggerApplication.status == status)
    return query.options(*APPLICATION_LOAD).order_by(
        TriggerApplication.received_on.desc(), TriggerApplication.id.desc()
    )


def application_with_everything(application_id: int) -> TriggerApplication:
    """The application with all the API shows loaded afresh (after a change in this request)."""
    return db.session.scalar(
        sa.select(TriggerApplication)
        .where(TriggerApplication.id == application_id)
        .options(*APPLICATION_LOAD)
        .execution_options(populate_existing=True)
    )


def application_with_id(application_id: int) -> TriggerApplication | None:
    return db.session.get(TriggerApplication, application_id)


def references_of_applications(application_ids: Iterable[int]) -> dict[int, str]:
    """{application id: reference}."""
    ids = set(application_ids)
    if not ids:
        return {}
    return dict(
        db.session.execute(  # type: ignore[arg-type]
            sa.select(TriggerApplication.id, TriggerApplication.reference).where(TriggerApplication.id.in_(ids))
        ).all()
    )


def anonymised_applications(application_ids: Iterable[int]) -> set[int]:
    """Those of ``application_ids`` anonymised under the retention policy: they take no step
    (``policies.takes_steps``), so a list leads to no page of theirs that would only refuse it."""
    ids = set(application_ids)
    if not ids:
        return set()
    return set(
        db.session.scalars(
            sa.select(TriggerApplication.id).where(
                TriggerApplication.id.in_(ids), TriggerApplication.anonymised_at.is_not(None)
            )
        )
    )


def application_audit(application: TriggerApplication, limit: int = 100) -> Sequence[AuditEntry]:
    """The latest audit entries about the application, newest first."""
    return db.session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.object_type == TriggerApplication.__tablename__, AuditEntry.object_id == str(application.id))
        .order_by(AuditEntry.id.desc())
        .limit(limit)
    ).all()


# --- letters, information, meetings ------------------------------------------------------------------


def letters_of(application: TriggerApplication) -> Sequence[Letter]:
    return db.session.scalars(
        sa.select(Letter).where(Letter.application_id == application.id).order_by(Letter.id)
    ).all()


def letter_of(application: TriggerApplication, letter_id: int) -> Letter | None:
    """The application's letter with this id, or None (another application's letter is None too)."""
    item = db.session.get(Letter, letter_id)
    return item if item is not None and item.application_id == application.id else None


def information_requests_of(application: TriggerApplication) -> Sequence[InformationRequest]:
    """The application's requests for information, with their agency and documents, oldest first."""
    return db.session.scalars(
        sa.select(InformationRequest)
        .where(InformationRequest.application_id == application.id)
        .options(selectinload(InformationRequest.agency), selectinload(InformationRequest.documents))
        .order_by(InformationRequest.id)
    ).all()


def information_requests_to_agency(agency_id: int | None) -> Sequence[InformationRequest]:
    """What an agency has been asked for: the ones still to submit first, by the date they are due."""
    return db.session.scalars(
        sa.select(InformationRequest)
        .where(InformationRequest.agency_id == agency_id)
        .options(selectinload(InformationRequest.agency))
        .order_by(InformationRequest.submitted_on.is_not(None), InformationRequest.due_on)
    ).all()


def appeal_of(application: TriggerApplication, appeal_id: int) -> Appeal:
    item = db.session.get(Appeal, appeal_id)
    if item is None or item.application_id != application.id:
        raise NotFound("Appeal not found.")
    return item


def attendees_of(meeting: ReviewMeeting) -> Sequence[MeetingAttendee]:
    return db.session.scalars(
        sa.select(MeetingAttendee).where(MeetingAttendee.meeting_id == meeting.id).order_by(MeetingAttendee.id)
    ).all()


def meeting_with_id(meeting_id: int) -> ReviewMeeting | None:
    return db.session.get(ReviewMeeting, meeting_id)


def meetings_chaired_by(user: User) -> Sequence[ReviewMeeting]:
    """The chair's reviews: those still to be held first, by the date they are planned for."""
    return db.session.scalars(
        sa.select(ReviewMeeting)
        .where(ReviewMeeting.chair_id == user.id)
        .options(selectinload(ReviewMeeting.application).selectinload(TriggerApplication.area))
        .order_by(ReviewMeeting.held_on.is_not(None), ReviewMeeting.scheduled_on)
    ).all()


def latest_outcome_letter_sent_on(application_id: int) -> Any:
    """When the latest meeting's outcome letter went out (None if it has not)."""
    return db.session.scalar(
        sa.select(ReviewMeeting.outcome_letter_sent_on)
        .where(ReviewMeeting.application_id == application_id)
        .order_by(ReviewMeeting.id.desc())
        .limit(1)
    )


def assessment_of(meeting: ReviewMeeting, assessment_id: int) -> ProportionalityAssessment:
    item = db.session.get(ProportionalityAssessment, assessment_id)
    if item is None or item.meeting_id != meeting.id:
        raise NotFound("Assessment not found.")
    return item


# --- the public form and the letter templates ---------------------------------------------------------


@cache
def _area_and_agency_names_statement() -> Any:
    # Built once: every visit to the public form runs it, and building and keying a statement costs
    # more than running this one. The areas (kind 0) then the agencies (kind 1), each by name.
    kind: Any = sa.literal_column("kind")
    return sa.union_all(
        sa.select(sa.literal_column("0").label("kind"), Area.code.label("code"), Area.name.label("name")),
        sa.select(sa.literal_column("1").label("kind"), Agency.code.label("code"), Agency.name.label("name")),
    ).order_by(kind, sa.literal_column("name"))


def area_and_agency_names() -> tuple[list[Any], list[Any]]:
    """(code, name) rows of every area and every agency, by name: all the public form needs. One
    statement for both."""
    rows = db.session.execute(_area_and_agency_names_statement()).all()
    return [row for row in rows if row.kind == 0], [row for row in rows if row.kind == 1]


def all_letter_templates() -> Sequence[LetterTemplate]:
    return db.session.scalars(sa.select(LetterTemplate)).all()


def letter_template(kind: LetterKind, area: Area | None) -> LetterTemplate | None:
    """The template written for this kind and area (area None: the one for every area), or None."""
    return db.session.scalar(
        sa.select(LetterTemplate).where(
            LetterTemplate.kind == kind,
            LetterTemplate.area_id == area.id if area else LetterTemplate.area_id.is_(None),
        )
    )


def visible_case_with_reference(user: Any, reference: str) -> Any:
    """The case with this reference (as typed) if the user may see it, else None (to link to an application)."""
    from casework.cases.models import Case
    from casework.cases.policies import visible_cases_clause

    return db.session.scalar(
        sa.select(Case).where(Case.reference == reference.strip().upper(), visible_cases_clause(user))
    )
