from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework.core.db import TimestampMixin, UTCDateTime, enum_column
from casework.extensions import Model


class DeadlineStatus(enum.StrEnum):
    open = "open"
    done = "done"
    cancelled = "cancelled"


class Deadline(TimestampMixin, Model):
    """One dated obligation with an owner: a Case Review step, an action, a risk review, an ABC
    review, a compliance date, an appeal window, an FPN payment period, a closure hearing, a PSPO expiry.

    Every domain creates these through ``casework.reminders.services.set_deadline`` and the sweep
    reminds and escalates from them, so there is one list of what is due, not one per feature.
    """

    __tablename__ = "deadlines"
    #: Kept when the rest is anonymised (casework.core.retention): what kind of obligation, about which record.
    __retained__ = ("kind", "subject_type", "link")
    __table_args__ = (
        sa.UniqueConstraint("subject_type", "subject_id", "kind"),
        # The sweep reads only open rows by time; keep that index small.
        sa.Index(
            "ix_deadlines_open_due",
            "due_at",
            postgresql_where=sa.text("status = 'open'"),
            sqlite_where=sa.text("status = 'open'"),
        ),
        # The reminder claim reads open rows not yet reminded by remind_at; once reminded a row leaves
        # this index, so it stays as small as the backlog of reminders still to send.
        sa.Index(
            "ix_deadlines_open_remind",
            "remind_at",
            postgresql_where=sa.text("status = 'open' AND reminder_sent_at IS NULL"),
            sqlite_where=sa.text("status = 'open' AND reminder_sent_at IS NULL"),
        ),
        sa.Index("ix_deadlines_owner_open", "owner_id", "status", "due_at"),
        # A case's deadlines (its next deadline on lists and dashboards, what its closure hands over or
        # cancels), whatever record they are on.
        sa.Index("ix_deadlines_case_open", "case_id", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: What kind of obligation, e.g. ``trigger.acknowledge``, ``action.due``, ``risk.review``.
    kind: Mapped[str] = mapped_column(sa.String(60))
    #: The record it belongs to, e.g. (``trigger_applications``, 7).
    subject_type: Mapped[str] = mapped_column(sa.String(60))
    subject_id: Mapped[int] = mapped_column(sa.Integer)
    #: The case the obligation belongs to (the case itself, an action, a person's risk review, an
    #: intervention; None: work that is no case's, such as a Case Review step). A case's deadlines are
    #: found by this, not by parsing links. The sweep joins it: a closed case's work is neither reminded
    #: nor escalated, unless statutory or handed over. ``set_deadline`` requires it from every caller,
    #: so no domain can forget it.
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"))
    #: A statutory deadline (a Case Review's action, a court hearing, an order review): when its case
    #: closes it is handed over to a named owner, never cancelled.
    is_statutory: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
    #: When it was handed over on the closure of its case: it stays due although the case is closed.
    handed_over_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Who had it before that handover: reopening the case gives it back to them, unless it was taken
    #: up since (``set_deadline`` on a handed-over row forgets them). Kept after the reopening, until
    #: the next handover, so every domain's receiver reads the same answer whichever runs first.
    handed_over_from_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: Shown in reminders and dashboards, e.g. "Acknowledge application BOL-CT-2026-0003".
    title: Mapped[str] = mapped_column(sa.String(300))
    #: Path of the page where the work is done, for links in emails and dashboards.
    link: Mapped[str | None] = mapped_column(sa.String(300))
    area_id: Mapped[int | None] = mapped_column(sa.ForeignKey("areas.id", ondelete="SET NULL"), index=True)
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: The last day for date deadlines; None for deadlines in hours.
    due_on: Mapped[date | None] = mapped_column(sa.Date)
    #: The moment it becomes overdue (for a date: the end of that day in Europe/London).
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: When the owner should be reminded (working days before, from the reminder setting).
    remind_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[DeadlineStatus] = mapped_column(enum_column(DeadlineStatus), default=DeadlineStatus.open)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reminder_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    escalation_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    owner = relationship("User", foreign_keys=[owner_id])


class CalendarFeed(TimestampMixin, Model):
    """A user's private deadline calendar link (casework/reminders/calendar.py). Only a hash of its
    secret is kept; revoking it deletes the row, and a new link has a new secret."""

    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    #: SHA-256 of the secret in the link (hex): the secret is long and random, so no slow hash is needed.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)

    user = relationship("User")
