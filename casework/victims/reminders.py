"""Messages to victims who use the victim page: how each is sent, and the reminder of their next step.

One channel choice for every message to a victim (issue 13 item 3): a
text message through GOV.UK Notify when they asked for text messages, have a mobile number and Notify
is configured; otherwise email to the address they checked with the officer (through Notify when it
is configured, else SMTP or ``instance/mail/``); a text message written to ``instance/mail/`` only
when there is no email address. Every message is an outbox row with an idempotency key, written in
the caller's transaction and sent after the commit, exactly once. Never commits.
"""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from flask import render_template

from casework.cases.models import Case, CaseStatus, Person
from casework.core.links import external_url
from casework.extensions import db
from casework.notifications import notify
from casework.notifications.models import OutboxEmail
from casework.notifications.services import queue_email, queue_text
from casework.victims.models import ContactBy, VictimAccess
from casework.victims.services import next_step_shown

#: Victims are reminded of their next step this many days before its date.
NEXT_STEP_LEAD_DAYS = 1


def channel_for(access: VictimAccess) -> str | None:
    """``"text"`` or ``"email"``: how a message to this victim goes now; None when it cannot go."""
    if access.mobile and ((access.contact_by is ContactBy.text and notify.is_configured()) or not access.email):
        return "text"
    if access.email:
        return "email"
    return None


def message_victim(access: VictimAccess, *, subject: str, text: str, key: str) -> OutboxEmail | None:
    """Queue one message to the victim by the channel ``channel_for`` chooses; ``key`` makes it once."""
    channel = channel_for(access)
    related = ("victim_accesses", access.id)
    if channel == "text":
        assert access.mobile is not None
        return queue_text(to=access.mobile, text=text, key=key, related=related)
    if channel == "email":
        assert access.email is not None
        return queue_email(to=access.email, subject=subject, text=text, key=key, related=related)
    return None


def next_step_key(access: VictimAccess) -> str:
    """One reminder per access and date of its next step: a new date is a new reminder."""
    assert access.next_step_on is not None
    return f"victim-next-step:{access.id}:{access.next_step_on.isoformat()}"


def due_next_step_reminders(day: date) -> list[VictimAccess]:
    """Live victim pages whose next step is due within the lead time of ``day`` (and not past), on a
    case still open that the page covers (``services.next_step_shown``), of a person not anonymised."""
    due = list(
        db.session.scalars(
            sa.select(VictimAccess)
            .join(Case, Case.id == VictimAccess.next_step_case_id)
            .join(Person, Person.id == VictimAccess.person_id)
            .where(
                VictimAccess.ended_at.is_(None),
                VictimAccess.next_step.is_not(None),
                VictimAccess.next_step_on.between(day, day + timedelta(days=NEXT_STEP_LEAD_DAYS)),
                Case.status == CaseStatus.open,
                Case.anonymised_at.is_(None),
                Person.anonymised_at.is_(None),
            )
            .order_by(VictimAccess.id)
        )
    )
    return [access for access in due if next_step_shown(access)]


def queue_next_step_reminders(day: date) -> int:
    """Remind each victim whose next step is due soon; a reminder already queued is not queued again
    (its key), so the task may run more than once a day. Returns the reminders newly queued."""
    queued = 0
    start = external_url("public.victims.sign_in")
    due = due_next_step_reminders(day)
    keys = {access.id: next_step_key(access) for access in due}
    # One look for the reminders already queued, not one per victim.
    queued_before = (
        set(
            db.session.scalars(
                sa.select(OutboxEmail.idempotency_key).where(OutboxEmail.idempotency_key.in_(keys.values()))
            )
        )
        if keys
        else set()
    )
    for access in due:
        key = keys[access.id]
        if key in queued_before:
            continue
        text = render_template("victims/next_step_reminder.txt", access=access, start=start)
        if message_victim(access, subject="A reminder about your case", text=text, key=key) is not None:
            queued += 1
    return queued


def unsent_still_wanted(message: OutboxEmail) -> str | None:
    """Why a message to a victim not sent yet should no longer go (``None``: it should), asked just
    before sending (``notifications.tasks``): a message can wait hours for a mail server or Notify that
    is down, and meanwhile the page may have ended (switched off, stopped by the victim, the case or
    person anonymised), its address or number been corrected (the old one someone else's), or, for a
    next step's reminder, its step changed or no longer shown (its case closed)."""
    access = db.session.get(VictimAccess, message.related_id)
    if access is None or access.ended_at is not None:
        return "the victim page has ended"
    if message.to_address not in {access.email, access.mobile}:
        return "the victim's contact details have changed"
    if message.idempotency_key.startswith("victim-next-step:") and (
        not next_step_shown(access) or access.next_step_on is None or message.idempotency_key != next_step_key(access)
    ):
        return "its next step has changed"
    return None
