"""The review is complete before its outcome goes out.

The Local Government and Social Care Ombudsman found against Croydon for a Case Review whose outcome
went to the applicant before the agencies' information was in, before the attendees were recorded and
before the victim had seen the action plan. So the outcome letter waits for the coordinator to confirm
that the review is complete:

* every relevant agency's information is in, or the reason it is not is recorded;
* who attended the meeting is recorded;
* the victim was consulted on the action plan, or the reason they were not is recorded;
* the meeting was held on or after the day it was scheduled for, or the reason it was held early is
  recorded.

Completeness holds back the letter, not the facts: the review counts as carried out (and with
recommendations) on the day the meeting was held, and its recommendations are tracked actions from
the moment the chair records the outcome. The outcome letter's deadline still runs from the meeting.

A confirmation dated today sends the outcome letter (to the victim too, when someone else applied for
them). One dated earlier records past work only: no letter goes out unless the user asks for it, and
the day the letter went out by other means may be given.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa

from casework.accounts.models import Agency, User, agency_areas
from casework.audit.services import record_change, snapshot
from casework.community_triggers import deadlines as deadline_engine
from casework.community_triggers import signals
from casework.community_triggers.models import (
    ApplicationStatus,
    InformationRequest,
    MeetingAttendee,
    MissingInformation,
    ReviewMeeting,
    TriggerApplication,
)
from casework.core.errors import RULE, InvalidInput, RuleViolation
from casework.core.time import today
from casework.extensions import db

COMPLETENESS_AUDIT_FIELDS = (
    "completeness_confirmed_on",
    "completeness_confirmed_by_id",
    "victim_not_consulted_reason",
    "held_early_reason",
    "outcome_letter_sent_on",
)


@dataclass(frozen=True)
class AgencyInformation:
    """One relevant agency's information for the review: asked for or not, in or not, and why not."""

    agency: Agency
    request: InformationRequest | None
    missing_reason: str | None

    @property
    def is_in(self) -> bool:
        return self.request is not None and self.request.submitted_on is not None


def relevant_agencies(application: TriggerApplication) -> list[Agency]:
    """The agencies whose information the review needs: every agency covering the area (each was told
    of the application on receipt, s.104(3)) and any other agency that was asked. One query."""
    asked = sa.select(InformationRequest.agency_id).where(InformationRequest.application_id == application.id)
    covering = sa.select(agency_areas.c.agency_id).where(agency_areas.c.area_id == application.area_id)
    return list(
        db.session.scalars(
            sa.select(Agency).where(sa.or_(Agency.id.in_(covering), Agency.id.in_(asked))).order_by(Agency.name)
        )
    )


def agency_information(meeting: ReviewMeeting) -> list[AgencyInformation]:
    """Each relevant agency with its request (if any) and the reason recorded for missing information."""
    application = meeting.application
    requests = {
        item.agency_id: item
        for item in db.session.scalars(
            sa.select(InformationRequest).where(InformationRequest.application_id == application.id)
        )
    }
    reasons = {row.agency_id: row.reason for row in meeting.missing_information}
    return [
        AgencyInformation(agency, requests.get(agency.id), reasons.get(agency.id))
        for agency in relevant_agencies(application)
    ]


def attendees_recorded(meeting: ReviewMeeting) -> bool:
    return bool(
        db.session.scalar(
            sa.select(sa.func.count(MeetingAttendee.id)).where(
                MeetingAttendee.meeting_id == meeting.id, MeetingAttendee.attended.is_(True)
            )
        )
    )


def held_early(meeting: ReviewMeeting) -> bool:
    return meeting.held_on is not None and meeting.held_on < meeting.scheduled_on


def gaps(
    meeting: ReviewMeeting,
    *,
    missing_reasons: Mapping[int, str] | None = None,
    victim_not_consulted_reason: str | None = None,
    held_early_reason: str | None = None,
) -> dict[str, list[str]]:
    """What still stands between the review and its outcome letter, as field messages (empty when it is
    complete). Reasons given now count as well as those recorded before."""
    missing_reasons = missing_reasons or {}
    found: dict[str, list[str]] = {}
    for item in agency_information(meeting):
        reason = (missing_reasons.get(item.agency.id) or item.missing_reason or "").strip()
        if not item.is_in and not reason:
            asked = "has not sent its information" if item.request is not None else "was not asked for its information"
            found[f"missing_information.{item.agency.code}"] = [
                f"{item.agency.name} {asked}: record why, or wait for it."
            ]
    if not attendees_recorded(meeting):
        found["attendees"] = ["Record who attended the meeting."]
    if meeting.victim_consulted_on is None and not (
        (victim_not_consulted_reason or "").strip() or meeting.victim_not_consulted_reason
    ):
        found["victim_not_consulted_reason"] = [
            "Consult the victim on the action plan, or record why they were not consulted."
        ]
    if held_early(meeting) and not ((held_early_reason or "").strip() or meeting.held_early_reason):
        found["held_early_reason"] = [
            f"The meeting was held before the day it was scheduled for ({_long(meeting.scheduled_on)}): record why."
        ]
    return found


def _long(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def confirm_complete(
    actor: User | None,
    meeting: ReviewMeeting,
    *,
    confirmed_on: date | None = None,
    missing_information: Mapping[Agency, str] | None = None,
    victim_not_consulted_reason: str | None = None,
    held_early_reason: str | None = None,
    send_letter: bool | None = None,
    outcome_letter_sent_on: date | None = None,
) -> ReviewMeeting:
    """The coordinator confirms the review complete; the outcome letter then goes out (see the module
    docstring). ``missing_information`` maps an agency to why its information is not in. Refused with
    ``_rule`` and the field of each gap while the review is incomplete; nothing is written then."""
    from casework.community_triggers.services import FINAL_STATUSES, event_date_errors

    application = meeting.application
    if meeting.held_on is None or meeting.outcome_recorded_at is None:
        raise RuleViolation("The chair has not recorded the outcome of this meeting yet.")
    if meeting.completeness_confirmed_on is not None:
        raise RuleViolation(f"The review was confirmed complete on {_long(meeting.completeness_confirmed_on)}.")
    if application.status in FINAL_STATUSES - {ApplicationStatus.closed}:
        raise RuleViolation(f"The application is {application.status.value.replace('_', ' ')}.")
    if meeting is not deadline_engine.current_meeting(application):
        raise RuleViolation("A later meeting has been arranged: confirm that one instead.")
    confirmed_on = confirmed_on or today()
    errors = event_date_errors(
        confirmed_on,
        "confirmed_on",
        "the review was confirmed complete",
        not_before=[(meeting.held_on, "the meeting")],
    )
    send = (confirmed_on == today()) if send_letter is None else bool(send_letter)
    if outcome_letter_sent_on is not None:
        if send:
            errors["outcome_letter_sent_on"] = [
                "Give the day the letter was sent only when the service is not sending it."
            ]
        else:
            errors.update(
                event_date_errors(
                    outcome_letter_sent_on,
                    "outcome_letter_sent_on",
                    "the outcome letter was sent",
                    not_before=[(meeting.held_on, "the meeting")],
                )
            )
    reasons = {agency.id: (reason or "").strip() for agency, reason in (missing_information or {}).items()}
    outstanding = gaps(
        meeting,
        missing_reasons=reasons,
        victim_not_consulted_reason=victim_not_consulted_reason,
        held_early_reason=held_early_reason,
    )
    if outstanding:
        errors[RULE] = [
            "The review is not complete yet, so its outcome cannot go out: "
            + " ".join(m[0] for m in outstanding.values())
        ]
        errors.update(outstanding)
    if errors:
        raise InvalidInput(errors)

    before = snapshot(meeting, COMPLETENESS_AUDIT_FIELDS)
    submitted = {item.agency.id for item in agency_information(meeting) if item.is_in}
    existing = {row.agency_id: row for row in meeting.missing_information}
    for agency_id, reason in reasons.items():
        if not reason or agency_id in submitted:
            continue  # information that is in needs no reason
        if agency_id in existing:
            existing[agency_id].reason = reason
        else:
            meeting.missing_information.append(MissingInformation(agency_id=agency_id, reason=reason))
    if victim_not_consulted_reason and victim_not_consulted_reason.strip() and meeting.victim_consulted_on is None:
        meeting.victim_not_consulted_reason = victim_not_consulted_reason.strip()
    if held_early_reason and held_early_reason.strip() and held_early(meeting):
        meeting.held_early_reason = held_early_reason.strip()
    meeting.completeness_confirmed_on = confirmed_on
    meeting.completeness_confirmed_by_id = getattr(actor, "id", None)
    if send:
        meeting.outcome_letter_sent_on = today()
    elif outcome_letter_sent_on is not None:
        meeting.outcome_letter_sent_on = outcome_letter_sent_on
    db.session.flush()
    record_change(
        actor,
        meeting,
        before,
        snapshot(meeting, COMPLETENESS_AUDIT_FIELDS)
        | {"missing_information": {row.agency.code: row.reason for row in meeting.missing_information}},
        f"Review of {application.reference} confirmed complete"
        + ("; the outcome letter goes out" if send else " (recorded only: no letter sent)"),
    )
    # The letters follow in this transaction (``letters``); the outcome letter's deadline closes and
    # the appeal window may start later.
    signals.review_completed.send(application, actor=actor, meeting=meeting, send_letter=send)
    deadline_engine.sync(application)
    return meeting


def outcome_pending(application: TriggerApplication) -> ReviewMeeting | None:
    """The held meeting whose outcome is waiting for the review to be confirmed complete, if any."""
    meeting = deadline_engine.current_meeting(application)
    if meeting is None or meeting.held_on is None or meeting.completeness_confirmed_on is not None:
        return None
    if application.status in {ApplicationStatus.withdrawn, ApplicationStatus.screened_out}:
        return None
    return meeting


def summary(meeting: ReviewMeeting) -> dict[str, Any]:
    """The checklist the completeness page shows."""
    return {
        "information": agency_information(meeting),
        "attendees_recorded": attendees_recorded(meeting),
        "held_early": held_early(meeting),
        "gaps": gaps(meeting),
    }
