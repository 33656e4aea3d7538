"""The deadlines of a Case Review: when each step is due, and the Deadline rows.

Each step's timescale is an area setting (amount, unit, start event). A step's deadline exists once its
start event has happened; it is a ``casework.reminders`` Deadline row (so the reminders sweep reminds
and escalates from it), moved when its start event changes, marked done when the step is done, and
cancelled when the application is withdrawn or screened out. Timescales are read with the settings in
force on the day the application was received, so a later change of procedure does not move the
deadlines of applications already in hand.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time
from typing import Any

import sqlalchemy as sa

from casework.community_triggers.models import (
    AppealDecision,
    ApplicationStatus,
    InformationRequest,
    ReviewMeeting,
    TriggerApplication,
)
from casework.community_triggers.settings import STEP_DESCRIPTIONS, STEPS, StepTimescale, step_timescales
from casework.core.dates import due_from
from casework.core.time import LONDON, london_day
from casework.extensions import db
from casework.reminders.models import Deadline, DeadlineStatus
from casework.reminders.services import correct_due_day, done_by, set_deadline, settle

SUBJECT_TYPE = "trigger_applications"
KIND_PREFIX = "trigger."

#: Statuses in which nothing more is owed: every open deadline is cancelled.
ENDED_STATUSES = {ApplicationStatus.withdrawn, ApplicationStatus.screened_out}


def kind_of(step: str) -> str:
    return KIND_PREFIX + step


def current_meeting(application: TriggerApplication) -> ReviewMeeting | None:
    return application.meetings[-1] if application.meetings else None


def decision_appealed_against_on(application: TriggerApplication) -> date | None:
    """The day the appeal window starts from: a "not met" threshold decision, otherwise
    the day the review meeting was held, or the day the outcome letter was sent when that is later."""
    decision = application.decision
    if decision is None:
        return None
    if not decision.met:
        return decision.decided_on
    meeting = current_meeting(application)
    if meeting is None or meeting.held_on is None:
        return None
    if meeting.outcome_letter_sent_on and meeting.outcome_letter_sent_on > meeting.held_on:
        return meeting.outcome_letter_sent_on
    return meeting.held_on


def start_events(application: TriggerApplication) -> dict[str, date | None]:
    """The day each start event happened (None: not yet)."""
    decision = application.decision
    meeting = current_meeting(application)
    appeal = application.appeals[-1] if application.appeals else None
    review_required: date | None = None
    if decision is not None and decision.met:
        review_required = decision.decided_on
        upheld = [a.decided_on for a in application.appeals if a.decision == AppealDecision.upheld and a.decided_on]
        if upheld and upheld[-1] > review_required:
            review_required = upheld[-1]
    return {
        "received": application.received_on,
        "acknowledged": application.acknowledged_on,
        "threshold_decided": decision.decided_on if decision else None,
        "review_required": review_required,
        "meeting_scheduled": meeting.scheduled_on if meeting else None,
        "meeting_held": meeting.held_on if meeting else None,
        "outcome_letter_sent": meeting.outcome_letter_sent_on if meeting else None,
        "decision_appealed_against": decision_appealed_against_on(application),
        "appeal_received": appeal.received_on if appeal else None,
    }


def _threshold_retaken_on(application: TriggerApplication) -> date | None:
    """The day an upheld appeal against a "not met" decision, or the Police and Crime Commissioner's
    review of it, sent the decision back to be taken again."""
    from casework.community_triggers.pcc_review.services import reconsidered_on

    if application.status != ApplicationStatus.received or not application.decisions:
        return None
    upheld = [a.decided_on for a in application.appeals if a.decision == AppealDecision.upheld and a.decided_on]
    upheld += reconsidered_on(application)
    return max(upheld) if upheld else None


def due_on(timescale: StepTimescale, start: date) -> date | datetime:
    if timescale.unit == "hours":
        # Events are dated, not timed: hours run from the start of the event's day in London.
        return due_from(timescale.timescale, datetime.combine(start, time.min, tzinfo=LONDON))
    return due_from(timescale.timescale, start)


def compute(application: TriggerApplication, settings: dict[str, Any]) -> dict[str, date | datetime]:
    """Each step's due date or time, for the steps whose start event has happened."""
    events = start_events(application)
    result: dict[str, date | datetime] = {}
    retaken = _threshold_retaken_on(application)
    for step, timescale in step_timescales(settings).items():
        start = events.get(timescale.start)
        if step == "threshold_decision" and retaken is not None:
            start = retaken
        if start is not None:
            result[step] = due_on(timescale, start)
    return result


def _step_state(application: TriggerApplication, step: str) -> DeadlineStatus:
    """Whether the step is still owed (open), done, or no longer owed (cancelled)."""
    if application.status in ENDED_STATUSES:
        return DeadlineStatus.cancelled
    decision = application.decision
    meeting = current_meeting(application)
    appeal = application.appeals[-1] if application.appeals else None
    not_met = decision is not None and not decision.met
    if step == "acknowledge":
        if application.acknowledged_on:
            return DeadlineStatus.done
        # The decision letter has gone: an acknowledgement is no longer owed.
        return DeadlineStatus.cancelled if decision is not None else DeadlineStatus.open
    if step == "information_requests":
        requests = _information_submitted(application)
        if requests and all(requests):
            return DeadlineStatus.done
        return DeadlineStatus.cancelled if information_stage_ended(application) else DeadlineStatus.open
    if step == "threshold_decision":
        return DeadlineStatus.open if application.status == ApplicationStatus.received else DeadlineStatus.done
    if step == "review_meeting":
        if not_met:
            return DeadlineStatus.cancelled
        # Owed while a meeting is to arrange or to hold (again, after an upheld appeal).
        awaiting = {ApplicationStatus.threshold_met, ApplicationStatus.meeting_arranged}
        return DeadlineStatus.open if application.status in awaiting else DeadlineStatus.done
    if step == "papers_to_panel":
        if not_met:
            return DeadlineStatus.cancelled
        sent = meeting is not None and (meeting.papers_sent_on or meeting.held_on)
        return DeadlineStatus.done if sent else DeadlineStatus.open
    if step == "outcome_letter":
        return DeadlineStatus.done if meeting is not None and meeting.outcome_letter_sent_on else DeadlineStatus.open
    if step == "appeal_window_closes":
        # Not work anyone owes: it is closed once an appeal is lodged or the review is closed; the
        # daily task closes windows that passed without one.
        lodged = appeal is not None and appeal.received_on >= (decision_appealed_against_on(application) or date.min)
        if lodged or application.status == ApplicationStatus.closed:
            return DeadlineStatus.done
        return DeadlineStatus.open
    if step == "appeal_decision":
        return DeadlineStatus.done if appeal is not None and appeal.decision else DeadlineStatus.open
    raise ValueError(step)


def _information_submitted(application: TriggerApplication) -> list[date | None]:
    """The day each agency's information was submitted (None: not yet), for the step and its day."""
    return list(
        db.session.scalars(
            sa.select(InformationRequest.submitted_on).where(InformationRequest.application_id == application.id)
        )
    )


def done_on(application: TriggerApplication, step: str) -> date | None:
    """The day the record says the step was done (None when it does not say: the papers to the panel of
    a meeting held without their day recorded). A step entered later than it was done still counts
    from its day."""
    decision = application.decision
    meeting = current_meeting(application)
    appeal = application.appeals[-1] if application.appeals else None
    if step == "acknowledge":
        return application.acknowledged_on
    if step == "information_requests":
        submitted = _information_submitted(application)
        days = [day for day in submitted if day is not None]
        return max(days) if days and len(days) == len(submitted) else None
    if step == "threshold_decision":
        return decision.decided_on if decision is not None else None
    if step == "review_meeting":
        return meeting.held_on if meeting is not None else None
    if step == "papers_to_panel":
        return meeting.papers_sent_on if meeting is not None else None
    if step == "outcome_letter":
        return meeting.outcome_letter_sent_on if meeting is not None else None
    if step == "appeal_window_closes":
        return appeal.received_on if appeal is not None else None
    if step == "appeal_decision":
        return appeal.decided_on if appeal is not None else None
    return None


def information_stage_ended(application: TriggerApplication) -> bool:
    """Whether information from the agencies is no longer owed: a review meeting it was for has been
    held (what is still missing is explained when the review is confirmed complete; a meeting after an
    upheld appeal does not reopen a stage long past), the threshold was not met, or the application
    ended."""
    if application.status in ENDED_STATUSES:
        return True
    decision = application.decision
    if decision is not None and not decision.met:
        return True
    return any(meeting.held_on is not None for meeting in application.meetings)


def _close_information_request_deadlines(application: TriggerApplication) -> None:
    """Each agency's own request deadline closes with the stage, so a concluded review does not leave
    an agency's dashboard showing "Overdue" (a late submission is still accepted and recorded)."""
    from casework.community_triggers.info_requests import DEADLINE_KIND
    from casework.community_triggers.info_requests import SUBJECT_TYPE as REQUEST_SUBJECT_TYPE
    from casework.core.time import now

    request_ids = sa.select(InformationRequest.id).where(
        InformationRequest.application_id == application.id, InformationRequest.submitted_on.is_(None)
    )
    for row in db.session.scalars(
        sa.select(Deadline).where(
            Deadline.subject_type == REQUEST_SUBJECT_TYPE,
            Deadline.kind == DEADLINE_KIND,
            Deadline.status == DeadlineStatus.open,
            Deadline.subject_id.in_(request_ids),
        )
    ):
        row.status = DeadlineStatus.cancelled
        row.completed_at = now()


def area_coordinator_id(application: TriggerApplication) -> int | None:
    """Who owns the coordinator's deadlines: the registering coordinator while they still coordinate
    the area (a coordinator moved to an agency not covering it may no longer open the application),
    else the area's coordinator (the first active coordinator of an agency covering the area)."""
    from casework.accounts.models import User, UserRole, agency_areas
    from casework.core.permissions import Role

    registered_by = application.registered_by
    if (
        registered_by is not None
        and registered_by.has_role(Role.coordinator)
        and registered_by.is_active
        and application.area_id in registered_by.area_ids
    ):
        return int(registered_by.id)
    coordinator_id: int | None = db.session.scalar(
        sa.select(User.id)
        .join(UserRole, UserRole.user_id == User.id)
        .join(agency_areas, agency_areas.c.agency_id == User.agency_id)
        .where(
            agency_areas.c.area_id == application.area_id,
            UserRole.role == Role.coordinator,
            User.is_active.is_(True),
        )
        .order_by(User.id)
        .limit(1)
    )
    return coordinator_id


def _may_hold(user: Any, application: TriggerApplication) -> bool:
    """Whether ``user`` may hold work on ``application``: active, and able to open it."""
    from casework.community_triggers import policies

    return user is not None and user.is_active and policies.can_view(user, application)


def return_unseen_review_work(user_ids: Any = None) -> int:
    """Give the open work on a Case Review (its own steps, its information requests, its PCC review,
    its recommendations' actions filed on no case and assigned to nobody) held by ``user_ids`` (None:
    anyone), whose sight or roles narrowed, to whoever holds it by the rules now: ``sync`` gives a
    review's own steps to the coordinator who registered it while they still coordinate its area, else
    to the area's coordinator (the chair's step to the chair while they may open the review); the
    rest, held by someone who may no longer take the review's steps, goes to the area's coordinator.
    As ``reminders.return_unseen_work`` gives a case's work back to its owner
    (``lifecycle.sight_narrowed``), which leaves this work (it has no case): left with them, it would
    name the review in their calendar feed, reminders and lists, and nobody able to act on it would be
    reminded. Answers how many deadlines changed hands."""
    from casework.accounts.models import User
    from casework.actions.services import SUBJECT_TYPE as ACTIONS
    from casework.cases.models import Action
    from casework.community_triggers import policies
    from casework.community_triggers.info_requests import SUBJECT_TYPE as INFORMATION_REQUESTS
    from casework.community_triggers.models import InformationRequest, Recommendation, ReviewMeeting
    from casework.community_triggers.pcc_review.models import PccReview
    from casework.community_triggers.pcc_review.services import SUBJECT_TYPE as PCC_REVIEWS

    application_id = sa.case(
        (Deadline.subject_type == SUBJECT_TYPE, Deadline.subject_id),
        (
            Deadline.subject_type == INFORMATION_REQUESTS,
            sa.select(InformationRequest.application_id)
            .where(InformationRequest.id == Deadline.subject_id)
            .scalar_subquery(),
        ),
        (
            Deadline.subject_type == PCC_REVIEWS,
            sa.select(PccReview.application_id).where(PccReview.id == Deadline.subject_id).scalar_subquery(),
        ),
        # A recommendation's action filed on no case, not assigned to anyone: its deadline is the
        # area's coordinator's (``actions.services.create_recommendation_action``). One assigned is its
        # assignee's, of the agency it is addressed to, wherever that agency works: while they are, with
        # an open account (moved to another agency, or their account closed, it is unassigned,
        # ``actions.services.unassign_unseen``, and its work goes back as an unassigned one's does).
        (
            Deadline.subject_type == ACTIONS,
            sa.select(ReviewMeeting.application_id)
            .join(Recommendation, Recommendation.meeting_id == ReviewMeeting.id)
            .join(Action, Action.recommendation_id == Recommendation.id)
            .where(
                Action.id == Deadline.subject_id,
                ~sa.exists().where(
                    User.id == Action.assignee_id, User.is_active.is_(True), User.agency_id == Action.agency_id
                ),
            )
            .scalar_subquery(),
        ),
    )
    query = sa.select(Deadline, application_id).where(
        Deadline.status == DeadlineStatus.open,
        Deadline.case_id.is_(None),
        Deadline.owner_id.is_not(None),
        Deadline.subject_type.in_([SUBJECT_TYPE, INFORMATION_REQUESTS, PCC_REVIEWS, ACTIONS]),
    )
    if user_ids is not None:
        query = query.where(Deadline.owner_id.in_(user_ids))
    held: dict[int, list[Deadline]] = {}
    for row, of_application in db.session.execute(query.order_by(Deadline.id)):
        if of_application is not None:
            held.setdefault(of_application, []).append(row)
    changed = 0
    for of_application, rows in sorted(held.items()):
        application = db.session.get_one(TriggerApplication, of_application)
        before = {row.id: row.owner_id for row in rows}
        sync(application)
        coordinator_id = area_coordinator_id(application)
        for row in rows:
            if row.subject_type == SUBJECT_TYPE or row.status != DeadlineStatus.open:
                continue
            holder = db.session.get(User, row.owner_id) if row.owner_id is not None else None
            if holder is None or not (holder.is_active and policies.can_manage(holder, application)):
                row.owner_id = coordinator_id
                row.reminder_sent_at = None
                row.escalation_sent_at = None
                # Held by nobody (no coordinator in the area), its escalation goes to the managers of the
                # agencies covering the area (``reminders.escalation_recipients``): a recommendation's
                # action's deadline had no area to find them by.
                row.area_id = row.area_id or application.area_id
        db.session.flush()
        changed += sum(1 for row in rows if row.owner_id != before[row.id])
    return changed


def meeting_link(meeting: Any) -> str:
    """The chair's page of the review meeting, as a path."""
    from casework.core.links import path_for

    return path_for("staff.reviews.show", meeting_id=meeting.id)


def application_link(application: TriggerApplication) -> str:
    """The application's page, as a path (stored on deadlines; emails make it absolute)."""
    from casework.core.links import path_for

    return path_for("staff.triggers.show", application_id=application.id)


def sync(application: TriggerApplication) -> None:
    """Bring the application's Deadline rows into line with its record (idempotent)."""
    from casework.accounts.services import area_settings

    settings = area_settings(application.area, on=application.received_on)
    dues = compute(application, settings)
    rows = {
        row.kind: row
        for row in db.session.scalars(
            sa.select(Deadline).where(Deadline.subject_type == SUBJECT_TYPE, Deadline.subject_id == application.id)
        )
    }
    coordinator_id = area_coordinator_id(application)
    meeting = current_meeting(application)
    # The chair's step is the chair's while they may open the review (not once their chair role is taken
    # away or their account closed): the coordinator's otherwise, as before a meeting is arranged.
    chair_holds = meeting is not None and _may_hold(meeting.chair, application)
    for step, due in dues.items():
        kind = kind_of(step)
        state = _step_state(application, step)
        row = rows.get(kind)
        # The chair prepares for the meeting; the outcome letter waits for the coordinator to confirm
        # the review complete, so it is the coordinator's.
        chairs_step = step == "papers_to_panel" and meeting is not None
        owner_id = meeting.chair_id if meeting is not None and chairs_step and chair_holds else coordinator_id
        if row is not None and row.status != DeadlineStatus.open and state != DeadlineStatus.open:
            # Already closed: keep when it was closed, but keep the date true to the record.
            if (row.due_on or row.due_at) != due and isinstance(due, date) and not isinstance(due, datetime):
                correct_due_day(row, due)
            day_done = done_on(application, step) if row.status == state == DeadlineStatus.done else None
            if day_done is not None and row.completed_at is not None and london_day(row.completed_at) != day_done:
                # Its day was corrected since: done by the end of the day the record now says.
                row.completed_at = done_by(day_done)
            continue
        row = set_deadline(
            subject_type=SUBJECT_TYPE,
            subject_id=application.id,
            kind=kind,
            title=f"{STEP_DESCRIPTIONS[step]}: {application.reference}",
            due=due,
            owner_id=owner_id,
            # The Case Review runs on whatever happens to the cases linked to it.
            case_id=None,
            area_id=application.area_id,
            # The chair's own steps link to the review as the chair sees it: a chair from outside the
            # partnership may not open the coordinator's application page.
            link=meeting_link(meeting) if chairs_step else application_link(application),
        )
        if state != DeadlineStatus.open:
            settle(row, state, done_by(done_on(application, step)) if state == DeadlineStatus.done else None)
    # Open rows whose step no longer applies (the application ended) are cancelled too.
    for kind, row in rows.items():
        if row.status == DeadlineStatus.open and kind.removeprefix(KIND_PREFIX) not in dues:
            settle(row, DeadlineStatus.cancelled)
    if information_stage_ended(application):
        _close_information_request_deadlines(application)
    db.session.flush()


def row_due(row: Deadline) -> date:
    """The day a row is due (a deadline in hours: its London day)."""
    return row.due_on if row.due_on is not None else london_day(row.due_at)


def deadline_rows(application_ids: Iterable[int]) -> dict[int, dict[str, Deadline]]:
    """The Deadline rows of several applications in one query: ``{application_id: {step: row}}``."""
    ids = list(application_ids)
    result: dict[int, dict[str, Deadline]] = {i: {} for i in ids}
    if not ids:
        return result
    for row in db.session.scalars(
        sa.select(Deadline).where(
            Deadline.subject_type == SUBJECT_TYPE,
            Deadline.subject_id.in_(ids),
            Deadline.kind.startswith(KIND_PREFIX),
        )
    ):
        result[row.subject_id][row.kind.removeprefix(KIND_PREFIX)] = row
    return result


def as_dict(rows: dict[str, Deadline]) -> dict[str, date]:
    """docs/api.md ``deadlines``: each step's day, in the order of the steps."""
    return {step: row_due(rows[step]) for step in STEPS if step in rows}


def deadlines(application: TriggerApplication) -> dict[str, date]:
    return as_dict(deadline_rows([application.id])[application.id])


#: Kept for callers written against the first cut.
_row_due = row_due
