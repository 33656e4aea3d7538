from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from casework.core.db import UTCDateTime
from casework.extensions import Model


class OutboxEmail(Model):
    """An email to send. The idempotency key makes queueing the same message twice a no-op, and a
    send claims the row (a row lock on PostgreSQL, a sending lock beside the database on SQLite) until
    ``sent_at`` is set, so each message goes once (``casework.notifications.tasks``)."""

    __tablename__ = "outbox_emails"
    __table_args__ = (
        sa.Index(
            "ix_outbox_emails_unsent",
            "created_at",
            postgresql_where=sa.text("sent_at IS NULL"),
            sqlite_where=sa.text("sent_at IS NULL"),
        ),
        sa.Index("ix_outbox_emails_related", "related_type", "related_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    #: "email", or "text" for a text message (``to_address`` is then a mobile number, and there is
    #: no subject): both go through GOV.UK Notify when it is configured (casework.notifications.notify).
    channel: Mapped[str] = mapped_column(sa.String(10), default="email", server_default="email")
    to_address: Mapped[str] = mapped_column(sa.String(254))
    #: The staff account the message was written to (None: someone outside the service, an applicant
    #: or a victim). Asked again just before it is sent (``notifications.tasks``): an account closed, or
    #: given another address, since it was queued is sent nothing written for it. No foreign key: the
    #: outbox depends on no domain (``casework.core.registry.Registry.recipient_checks``).
    to_user_id: Mapped[int | None] = mapped_column(sa.Integer)
    subject: Mapped[str] = mapped_column(sa.String(300))
    body_text: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str | None] = mapped_column(sa.Text)
    #: A sign-in link or code the message carries, sealed with CASEWORK_DATA_KEY (``data_keys.seal``),
    #: and kept only until the message is sent, refused for good, withdrawn or erased. The bodies hold
    #: ``notifications.services.SECRET_WITHHELD`` in its place: whoever reads the table (a replica, a
    #: dump, a subject access export) never reads a live secret (``notifications.services.delivered``).
    sealed_secret: Mapped[str | None] = mapped_column(sa.Text)
    #: The record the email is about (an application for letters, a deadline for reminders).
    related_type: Mapped[str | None] = mapped_column(sa.String(60))
    related_id: Mapped[int | None] = mapped_column(sa.Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=sa.func.now())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    #: When a send was last tried; ``notifications.resend_unsent`` re-queues rows whose retry chain
    #: has gone quiet (the task's message was lost with a broker or a whole worker).
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    #: Set when the mail server refused the message permanently (5xx, unknown recipient): not retried.
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
