"""The Case Review panels of the dashboard: the coordinator's applications by stage with their next
deadline, and the chair's "Reviews I chair"."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import url_for
from sqlalchemy.orm import selectinload

from casework.community_triggers import deadlines as deadline_engine
from casework.community_triggers.models import ApplicationStatus, ReviewMeeting, TriggerApplication
from casework.community_triggers.policies import visible_applications_clause
from casework.core.time import today
from casework.extensions import db
from casework.reminders.models import DeadlineStatus

STAGE_LABELS = {
    ApplicationStatus.received: "Received: threshold to decide",
    ApplicationStatus.screened_out: "Screened out",
    ApplicationStatus.threshold_not_met: "Threshold not met",
    ApplicationStatus.threshold_met: "Threshold met: meeting to arrange",
    ApplicationStatus.meeting_arranged: "Meeting arranged",
    ApplicationStatus.review_concluded: "Review concluded",
    ApplicationStatus.appealed: "Appeal to decide",
    ApplicationStatus.closed: "Closed",
    ApplicationStatus.withdrawn: "Withdrawn",
}
#: Stages still in hand, in the order of the procedure (the board's order).
OPEN_STAGES = [
    ApplicationStatus.received,
    ApplicationStatus.threshold_met,
    ApplicationStatus.meeting_arranged,
    ApplicationStatus.appealed,
    ApplicationStatus.review_concluded,
    ApplicationStatus.threshold_not_met,
]
PANEL_LIMIT = 20


def _href(application_id: int) -> str:
    return url_for("staff.triggers.show", application_id=application_id)


def coordinator_panel(user: Any) -> dict[str, Any]:
    """Open applications in the user's areas by stage, each with its next open deadline (overdue or
    not), and the reviews held whose outcome letter waits for them to be confirmed complete. Four
    queries."""
    applications = db.session.scalars(
        sa.select(TriggerApplication)
        .where(
            visible_applications_clause(user),
            TriggerApplication.status.in_(OPEN_STAGES),
            # Anonymised at whatever stage it stood, an application can no longer be changed: nothing
            # is in hand on it.
            TriggerApplication.anonymised_at.is_(None),
        )
        .options(selectinload(TriggerApplication.area), selectinload(TriggerApplication.meetings))
        .order_by(TriggerApplication.received_on, TriggerApplication.id)
        .limit(200)
    ).all()
    rows = deadline_engine.deadline_rows(a.id for a in applications)
    day = today()
    by_stage = {stage: index for index, stage in enumerate(OPEN_STAGES)}
    listed = []
    for application in sorted(applications, key=lambda a: (by_stage[a.status], a.received_on, a.id)):
        open_rows = sorted(
            (r for r in rows[application.id].values() if r.status == DeadlineStatus.open),
            key=deadline_engine.row_due,
        )
        next_row = open_rows[0] if open_rows else None
        next_due = deadline_engine.row_due(next_row) if next_row else None
        listed.append(
            {
                "reference": application.reference,
                "href": _href(application.id),
                "area": application.area.name,
                "received_on": application.received_on,
                "status": STAGE_LABELS[application.status],
                "stage": application.status.value,
                "next_deadline": next_row.title.split(":")[0] if next_row else None,
                "next_due_on": next_due,
                "is_overdue": bool(next_due and next_due < day),
            }
        )
    references = {a.id: a.reference for a in applications}
    # Reviews held whose outcome waits for the coordinator to confirm them complete.
    waiting = db.session.execute(
        sa.select(ReviewMeeting.id, ReviewMeeting.application_id, ReviewMeeting.held_on)
        .where(
            ReviewMeeting.application_id.in_(list(references)),
            ReviewMeeting.held_on.is_not(None),
            ReviewMeeting.completeness_confirmed_on.is_(None),
        )
        .order_by(ReviewMeeting.held_on)
    ).all()
    latest = {a.id: max((m.id for m in a.meetings), default=None) for a in applications}
    # The deadlines themselves (overdue, due soon) are listed once, from the deadlines table, by the
    # reminders panel below this one (templates/reminders/_dashboard_deadlines.html).
    return {
        "awaiting_completeness": [
            {
                "reference": references[application_id],
                "href": url_for("staff.trigger_papers.complete", application_id=application_id, meeting_id=meeting_id),
                "held_on": held_on,
            }
            for meeting_id, application_id, held_on in waiting
            if latest.get(application_id) == meeting_id
        ][:PANEL_LIMIT],
        "applications": listed[:PANEL_LIMIT],
    }


def chair_panel(user: Any) -> dict[str, Any]:
    """The meetings the user is appointed to chair: those still to hold first, then the last held."""
    meetings = db.session.scalars(
        sa.select(ReviewMeeting)
        .join(TriggerApplication, TriggerApplication.id == ReviewMeeting.application_id)
        .where(ReviewMeeting.chair_id == user.id, TriggerApplication.anonymised_at.is_(None))
        .options(selectinload(ReviewMeeting.application).selectinload(TriggerApplication.area))
        .order_by(ReviewMeeting.held_on.is_not(None), ReviewMeeting.scheduled_on.desc(), ReviewMeeting.id.desc())
        .limit(PANEL_LIMIT)
    ).all()
    return {
        "reviews": [
            {
                "reference": meeting.application.reference,
                "href": url_for("staff.reviews.show", meeting_id=meeting.id),
                "area": meeting.application.area.name,
                "meeting_at": meeting.held_on or meeting.scheduled_on,
                "status": "Held" if meeting.held_on else STAGE_LABELS[meeting.application.status],
            }
            for meeting in meetings
        ]
    }
