"""Queueing email. The message, and the task message that sends it, are stored with the change that
caused it; the send is handed to the broker after the commit (``casework.core.tasks_outbox``)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from casework.core.tasks_outbox import enqueue
from casework.extensions import db
from casework.notifications.models import OutboxEmail


def queue_email(
    *,
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    key: str,
    related: tuple[str, int] | None = None,
) -> OutboxEmail:
    """Store an email and send it once the transaction commits.

    ``key`` identifies the message (e.g. ``reminder:42:2026-03-09T00:00:00+00:00``): queueing the same
    key again returns the existing row and sends nothing more. Two transactions queueing the same key
    at once are settled by the unique index: the second one's insert fails inside a SAVEPOINT and it
    returns the first one's row.
    """
    existing = db.session.scalar(sa.select(OutboxEmail).where(OutboxEmail.idempotency_key == key))
    if existing is not None:
        return existing
    row = OutboxEmail(
        idempotency_key=key,
        to_address=to,
        subject=subject,
        body_text=text,
        body_html=html,
        related_type=related[0] if related else None,
        related_id=related[1] if related else None,
    )
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        existing = db.session.scalar(sa.select(OutboxEmail).where(OutboxEmail.idempotency_key == key))
        if existing is None:
            raise
        return existing
    # The send is a task message written in this transaction, handed to the broker after the commit.
    enqueue("notifications.send_email", row.id)
    return row
