"""Sending the outbox. Each message is claimed under a row lock and marked sent in the same
transaction, so two workers never send the same message; SMTP failures are retried with backoff."""

from __future__ import annotations

import hashlib
import smtplib

import sqlalchemy as sa
from celery import shared_task
from flask import current_app
from flask_mailman import EmailMultiAlternatives

from casework.core.db import commit
from casework.core.time import now
from casework.extensions import db
from casework.notifications.models import OutboxEmail

TRANSIENT = (smtplib.SMTPException, OSError)


@shared_task(
    name="notifications.send_email",
    autoretry_for=TRANSIENT,
    retry_backoff=5,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=50,
)
def send_email(email_id: int) -> bool:
    row = db.session.scalar(
        sa.select(OutboxEmail).where(OutboxEmail.id == email_id).with_for_update(skip_locked=True)
    )
    if row is None or row.sent_at is not None:
        db.session.rollback()
        return False  # already sent, or another worker holds it right now
    message = EmailMultiAlternatives(
        subject=row.subject,
        body=row.body_text,
        from_email=current_app.config["MAIL_DEFAULT_SENDER"],
        to=[row.to_address],
        # A stable Message-ID from the idempotency key lets mail servers drop a duplicate if a
        # worker dies between handing the message over and recording that it did.
        headers={"Message-ID": f"<{hashlib.sha256(row.idempotency_key.encode()).hexdigest()[:40]}@casework>"},
    )
    if row.body_html:
        message.attach_alternative(row.body_html, "text/html")
    try:
        message.send()
    except TRANSIENT as error:
        row_id = row.id
        db.session.rollback()
        db.session.execute(
            sa.update(OutboxEmail)
            .where(OutboxEmail.id == row_id)
            .values(attempts=OutboxEmail.attempts + 1, last_error=str(error)[:500])
        )
        commit()
        raise
    row.attempts += 1
    row.sent_at = now()
    row.last_error = None
    commit()
    return True
