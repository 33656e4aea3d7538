"""Queueing email. The message is stored with the change that caused it and sent after commit."""

from __future__ import annotations

import sqlalchemy as sa

from casework.core.db import after_commit
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

    ``key`` identifies the message (e.g. ``reminder:deadline:42:2026-03-09``): queueing the same key
    again returns the existing row and sends nothing more.
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
    db.session.add(row)
    db.session.flush()
    from casework.notifications.tasks import send_email

    after_commit(send_email.delay, row.id)
    return row
