"""The public progress check: an application found by its reference together with the email address
or phone number given on it (a reference alone is guessable, and a postcode is shared with the
neighbours), and the dated steps the applicant may see: no names, reasons or meeting places."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from casework.community_triggers.models import TriggerApplication
from casework.core.templating import format_date
from casework.extensions import db


@dataclass(frozen=True)
class Step:
    on: date
    text: str


def _phone_digits(value: str) -> str:
    """``+44 7700 900123`` and ``07700 900123`` are the same number."""
    digits = re.sub(r"\D", "", value)
    if digits.startswith("44"):
        digits = "0" + digits[2:]
    return digits


def contact_matches(application: TriggerApplication, contact: str) -> bool:
    given = contact.strip()
    if not given:
        return False
    if "@" in given:
        return bool(application.applicant_email) and application.applicant_email.strip().lower() == given.lower()
    digits = _phone_digits(given)
    return (
        len(digits) >= 6 and bool(application.applicant_phone) and _phone_digits(application.applicant_phone) == digits
    )


def find_for_applicant(reference: str, contact: str) -> TriggerApplication | None:
    """The application, or None when the reference is unknown or the contact is not the one given
    on it (the same answer either way, so the check cannot be used to list references)."""
    application = db.session.scalar(
        sa.select(TriggerApplication)
        .where(TriggerApplication.reference == reference.strip().upper())
        .options(
            selectinload(TriggerApplication.decisions),
            selectinload(TriggerApplication.meetings),
            selectinload(TriggerApplication.appeals),
        )
    )
    if application is None or not contact_matches(application, contact):
        return None
    return application


def steps(application: TriggerApplication) -> list[Step]:
    """What has happened so far, oldest first."""
    found = [Step(application.received_on, "We received the application.")]
    if application.acknowledged_on:
        found.append(Step(application.acknowledged_on, "We wrote to confirm we had received it."))
    if application.screened_out_on:
        found.append(
            Step(application.screened_out_on, "We decided it is not a Case Review and wrote to say where it was sent.")
        )
    for decision in application.decisions:
        text = (
            "We decided the threshold for a Case Review is met."
            if decision.met
            else ("We decided the threshold for a Case Review is not met and wrote to explain why.")
        )
        found.append(Step(decision.decided_on, text))
    for meeting in application.meetings:
        if meeting.arranged_on:
            found.append(
                Step(meeting.arranged_on, f"We arranged a review meeting for {format_date(meeting.scheduled_on)}.")
            )
        if meeting.held_on:
            found.append(Step(meeting.held_on, "The review meeting was held."))
        if meeting.outcome_letter_sent_on:
            found.append(Step(meeting.outcome_letter_sent_on, "We sent the outcome of the review."))
    for appeal in application.appeals:
        found.append(Step(appeal.received_on, "We received an appeal."))
        if appeal.decided_on:
            found.append(Step(appeal.decided_on, "The appeal was decided and we wrote with the result."))
    if application.withdrawn_on:
        found.append(Step(application.withdrawn_on, "The application was withdrawn."))
    return sorted(found, key=lambda step: step.on)
