"""Information requests: each agency is asked for what it holds about the case, by a due date, and
its officers submit text and files (Schedule 4, para 7: the bodies may ask for information).

Services in the house style: plain arguments and the acting user, validate, flush, audit, raise
domain errors; the views commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

import sqlalchemy as sa

from casework.accounts.models import Agency
from casework.audit.services import record_change, snapshot
from casework.community_triggers.models import InformationRequest, TriggerApplication, TriggerDocument
from casework.core import storage, uploads
from casework.core.errors import InvalidInput, NotFound, RuleViolation
from casework.core.time import today
from casework.extensions import db
from casework.reminders.services import close_deadline, set_deadline

DEADLINE_KIND = "trigger.information_request"
SUBJECT_TYPE = "trigger_information_requests"


def request_information(
    actor: Any, application: TriggerApplication, agency: Agency, *, due_on: date, requested_on: date | None = None
) -> InformationRequest:
    """Ask ``agency`` for its information by ``due_on``, on ``requested_on`` (default today; a request
    made earlier may be entered late)."""
    from casework.community_triggers.deadlines import information_stage_ended
    from casework.community_triggers.services import event_date_errors

    if information_stage_ended(application):
        raise RuleViolation(
            "Information can no longer be requested: the review meeting has been held, the threshold was not "
            "met or the application has ended. Record why any agency's information is missing when you "
            "confirm the review is complete."
        )
    requested_on = requested_on or today()
    problems = event_date_errors(
        requested_on,
        "requested_on",
        "the information was requested",
        not_before=[(application.received_on, "the day the application was received")],
    )
    if problems:
        raise InvalidInput(problems)
    if due_on < requested_on:
        raise InvalidInput({"due_on": ["The due date must be on or after the day it was requested"]})
    if due_on < application.received_on:
        raise InvalidInput({"due_on": ["The due date must be on or after the day the application was received"]})
    if application.area_id not in {area.id for area in agency.areas}:
        raise InvalidInput({"agency": ["That agency does not cover the application's area"]})
    existing = db.session.scalar(
        sa.select(InformationRequest).where(
            InformationRequest.application_id == application.id, InformationRequest.agency_id == agency.id
        )
    )
    if existing is not None:
        raise RuleViolation(f"{agency.name} has already been asked for its information.", field="agency")
    item = InformationRequest(
        application_id=application.id, agency_id=agency.id, requested_on=requested_on, due_on=due_on
    )
    db.session.add(item)
    db.session.flush()
    set_deadline(
        subject_type=SUBJECT_TYPE,
        subject_id=item.id,
        kind=DEADLINE_KIND,
        title=f"{application.reference}: information from {agency.name}",
        due=due_on,
        owner_id=getattr(actor, "id", None),
        case_id=None,
        area_id=application.area_id,
        link=f"/case-reviews/information-requests/{item.id}",
    )
    _sync(application)
    record_change(
        actor,
        application,
        None,
        {"information_request": agency.code, "due_on": due_on},
        f"Information requested from {agency.name}, due {due_on.isoformat()}",
        event_on=requested_on,
    )
    return item


def _sync(application: TriggerApplication) -> None:
    """The application's "information from each agency" step is done once every request is answered."""
    from casework.community_triggers import deadlines

    deadlines.sync(application)


def still_owed(request_ids: list[int]) -> set[int]:
    """The requests whose deadline is still open (one query): an unanswered request whose stage has
    ended is no longer owed, so it is never shown as overdue."""
    from casework.reminders.models import Deadline, DeadlineStatus

    if not request_ids:
        return set()
    return set(
        db.session.scalars(
            sa.select(Deadline.subject_id).where(
                Deadline.subject_type == SUBJECT_TYPE,
                Deadline.kind == DEADLINE_KIND,
                Deadline.status == DeadlineStatus.open,
                Deadline.subject_id.in_(request_ids),
            )
        )
    )


def can_submit(user: Any, item: InformationRequest) -> bool:
    """Staff of the agency asked (and the area's coordinators and managers) may submit."""
    from casework.core.permissions import Permission

    if user.agency_id == item.agency_id and user.can(Permission.VIEW_TRIGGERS):
        return True
    application = db.session.get(TriggerApplication, item.application_id)
    return user.can(Permission.MANAGE_TRIGGERS) and application is not None and application.area_id in user.area_ids


def can_read(user: Any, item: InformationRequest, *, chairs: bool | None = None) -> bool:
    """Whom an agency's submission (its text and its files, their names too) is shown back to: those
    who may submit it (``can_submit``: the agency's staff, the area's coordinators and managers) and the
    chair of one of the review's meetings, who reads it on the review's page. Nobody else, the other
    agencies' officers included: a file is what the agency holds about the applicant's situation, its
    name as the agency wrote it ("Amy Applicant - statement.pdf"). ``chairs``: whether ``user`` chairs
    one of the review's meetings, when the caller knows already."""
    if can_submit(user, item):
        return True
    return chairs_a_meeting(user, item.application_id) if chairs is None else chairs


def chairs_a_meeting(user: Any, application_id: int) -> bool:
    """Whether ``user`` chairs one of the review's meetings."""
    from casework.community_triggers.models import ReviewMeeting

    return bool(
        db.session.scalar(
            sa.select(sa.literal(True)).where(
                ReviewMeeting.application_id == application_id, ReviewMeeting.chair_id == user.id
            )
        )
    )


def readable_ids(user: Any, items: Iterable[InformationRequest]) -> set[int]:
    """Which of an application's requests ``user`` may read the submission and files of (``can_read``):
    whether they chair one of its meetings is asked once for all of them."""
    items = list(items)
    if not items:
        return set()
    chairs = chairs_a_meeting(user, items[0].application_id)
    return {item.id for item in items if can_read(user, item, chairs=chairs)}


def get_document_for(user: Any, document_id: int) -> TriggerDocument:
    """A Case Review file, NotFound when it does not exist or ``user`` may not read it: an agency's
    file to whom its submission is shown (``can_read``); a file of no request (none is written today) to
    whoever runs the review (``policies.can_manage``) or chairs one of its meetings. The one rule of
    the route that serves them and of the lists that name them."""
    from casework.community_triggers import policies

    document = db.session.get(TriggerDocument, document_id)
    if document is not None:
        if document.information_request is not None:
            if can_read(user, document.information_request):
                return document
        else:
            application = db.session.get(TriggerApplication, document.application_id)
            if application is not None and (
                policies.can_manage(user, application) or chairs_a_meeting(user, application.id)
            ):
                return document
    raise NotFound("Document not found.")


def get_request_for(user: Any, request_id: int) -> InformationRequest:
    item = db.session.get(InformationRequest, request_id)
    if item is None or not can_submit(user, item):
        raise NotFound("Information request not found.")
    return item


def _refuse_anonymised(application: TriggerApplication | None) -> None:
    from casework.community_triggers.policies import refuse_anonymised

    if application is not None:
        refuse_anonymised(application)


def submit(
    actor: Any,
    item: InformationRequest,
    *,
    text: str,
    file: tuple[str, bytes] | None = None,
    submitted_on: date | None = None,
) -> InformationRequest:
    """Record the agency's submission (text, and optionally one file per submission: its name and
    content), on ``submitted_on`` (default today; one sent earlier may be entered late)."""
    from casework.community_triggers.services import event_date_errors

    text = (text or "").strip()
    if not text:
        raise InvalidInput({"submission": ["Enter your agency's information"]})
    submitted_on = submitted_on or today()
    problems = event_date_errors(
        submitted_on,
        "submitted_on",
        "the information was sent",
        not_before=[(item.requested_on, "the day it was requested")],
    )
    if problems:
        raise InvalidInput(problems)
    # A Case Review anonymised under the retention policy takes nothing more, before any file is put.
    _refuse_anonymised(db.session.get(TriggerApplication, item.application_id))
    document = None
    if file is not None:
        filename, content = file
        # Checked by its content (never the name or the browser's claim); a photo loses its location.
        inspected = uploads.inspect(filename, content, max_bytes=uploads.max_upload_bytes(), field="document")
        stored = storage.save(inspected.content, inspected.file_type.mime, folder=f"case-reviews/{item.application_id}")
        document = TriggerDocument(
            application_id=item.application_id,
            information_request_id=item.id,
            filename=inspected.filename,
            content_type=inspected.file_type.mime,
            size=len(inspected.content),
            stored_file_id=stored.id,
            uploaded_by_id=getattr(actor, "id", None),
        )
    # The file above was put with no lock held (on SQLite with the write lock let go), so what was read
    # before may be out of date. The Case Review is read again and held first (FOR NO KEY UPDATE on
    # PostgreSQL; the retention run holds it too before it reads the review's files, then writes its
    # requests: the same order, ``anonymise_application``): one anonymised meanwhile has had its files
    # and submissions removed already, so this is refused, and the file put for it deleted with the
    # rollback; a run that comes after waits, and finds this file. Then what the request said before,
    # read again and held, so another submission made meanwhile is the one the audit entry shows replaced.
    _refuse_anonymised(
        db.session.scalar(
            sa.select(TriggerApplication)
            .where(TriggerApplication.id == item.application_id)
            .with_for_update(key_share=True)
            .execution_options(populate_existing=True)
        )
    )
    db.session.refresh(item, with_for_update=True)
    if document is not None:
        db.session.add(document)
    before = snapshot(item, ["submission", "submitted_on"])
    item.submission = text
    item.submitted_on = submitted_on
    item.submitted_by_id = getattr(actor, "id", None)
    db.session.flush()
    close_deadline(SUBJECT_TYPE, item.id, kind=DEADLINE_KIND, done_on=submitted_on)
    application = db.session.get(TriggerApplication, item.application_id)
    _sync(application)
    record_change(
        actor,
        application,
        before,
        snapshot(item, ["submission", "submitted_on"]),
        f"Information submitted by {item.agency.name}",
        event_on=submitted_on,
    )
    return item
