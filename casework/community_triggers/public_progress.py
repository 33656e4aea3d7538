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


def _contact_matches(email: str | None, phone: str | None, contact: str) -> bool:
    given = contact.strip()
    if not given:
        return False
    if "@" in given:
        return bool(email) and (email or "").strip().lower() == given.lower()
    digits = _phone_digits(given)
    return len(digits) >= 6 and bool(phone) and _phone_digits(phone or "") == digits


def find_for_applicant(reference: str, contact: str) -> TriggerApplication | None:
    """The application, or None when the reference is unknown or the contact is not the one given
    on it: the same answer either way, after the same work (one query of the reference's contact
    details), so neither the answer nor the time it takes can be used to list references. Only a
    matching contact loads the application and its steps."""
    found = db.session.execute(
        sa.select(TriggerApplication.id, TriggerApplication.applicant_email, TriggerApplication.applicant_phone).where(
            TriggerApplication.reference == reference.strip().upper()
        )
    ).first()
    if found is None or not _contact_matches(found.applicant_email, found.applicant_phone, contact):
        return None
    return db.session.scalar(
        sa.select(TriggerApplication)
        .where(TriggerApplication.id == found.id)
        .options(
            selectinload(TriggerApplication.decisions),
            selectinload(TriggerApplication.meetings),
            selectinload(TriggerApplication.appeals),
        )
    )


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
