"""The victim page: who may use it (switched on by an officer), their sign-in links and codes, and
the ASB diary they keep there."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework.core.db import TimestampMixin, UTCDateTime, enum_column
from casework.extensions import Model


class ContactBy(enum.StrEnum):
    """How the victim wants reminders: by email, or by text message to their mobile."""

    email = "email"
    text = "text"


CONTACT_BY_LABELS = {ContactBy.email: "Email", ContactBy.text: "Text message"}


class VictimAccess(TimestampMixin, Model):
    """A victim's use of the victim page, from the day an officer switched it on (having checked the
    contact details with them) to the day it ended (the officer switched it off, or the victim asked
    to stop). Switching it on again makes a new row: the history stays. It covers only the cases its
    ``agency_id`` and ``switched_on_by_id`` say (``casework.victims.services``: who may see and change it)."""

    __tablename__ = "victim_accesses"
    __table_args__ = (
        # One live access per person.
        sa.Index(
            "uq_victim_accesses_live_person",
            "person_id",
            unique=True,
            postgresql_where=sa.text("ended_at IS NULL"),
            sqlite_where=sa.text("ended_at IS NULL"),
        ),
        # One live access per Case Review applicant.
        sa.Index(
            "uq_victim_accesses_live_application",
            "application_id",
            unique=True,
            postgresql_where=sa.text("ended_at IS NULL AND application_id IS NOT NULL"),
            sqlite_where=sa.text("ended_at IS NULL AND application_id IS NOT NULL"),
        ),
        sa.CheckConstraint("(person_id IS NULL) <> (application_id IS NULL)", name="person_or_application"),
        sa.Index("ix_victim_accesses_email", "email"),
        sa.Index("ix_victim_accesses_mobile", "mobile"),
        # A sign-in looks up a live page by its digest, in the order of the pages: each index holds the
        # live pages only, ordered by digest and then id, so it answers the whole look-up alone (no
        # sort, no row read). Its order matters to PostgreSQL's choice too: with one digest common in
        # its statistics, an index of the digest alone lost to scanning every live page.
        sa.Index(
            "ix_victim_accesses_email_reference",
            "email_reference",
            "id",
            postgresql_where=sa.text("ended_at IS NULL"),
            sqlite_where=sa.text("ended_at IS NULL"),
        ),
        sa.Index(
            "ix_victim_accesses_mobile_reference",
            "mobile_reference",
            "id",
            postgresql_where=sa.text("ended_at IS NULL"),
            sqlite_where=sa.text("ended_at IS NULL"),
        ),
        sa.Index("ix_victim_accesses_reference_key", "reference_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id", ondelete="CASCADE"), index=True)
    #: The Case Review application whose applicant (with no person record) uses the page.
    application_id: Mapped[int | None] = mapped_column(sa.ForeignKey("trigger_applications.id", ondelete="CASCADE"))
    #: Lower case, as checked with the victim: sign-in links go here.
    email: Mapped[str | None] = mapped_column(sa.String(254))
    #: Digits only, UK form (07...): sign-in codes go here by text message.
    mobile: Mapped[str | None] = mapped_column(sa.String(40))
    #: The keyed digests a sign-in looks the page up by (``services.email_reference``,
    #: ``services.mobile_reference``), and which key made them (``services.reference_key_id``): written
    #: with every change (``services.keep_references``), made again once the key has changed.
    email_reference: Mapped[str | None] = mapped_column(sa.String(64))
    mobile_reference: Mapped[str | None] = mapped_column(sa.String(64))
    reference_key: Mapped[str | None] = mapped_column(sa.String(16))
    #: The day the officer checked the contact details with the victim.
    contact_checked_on: Mapped[date] = mapped_column(sa.Date)
    switched_on_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: What the page covers (``casework.victims.services.victim_case_ids``): the person's cases that
    #: this agency (the lead agency of the case it was switched on from, whose officer switched it on)
    #: sees, restricted ones only where the officer who switched it on is named.
    agency_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agencies.id", ondelete="SET NULL"))
    #: What happens next, written for the victim by the officer (never planned enforcement), and when.
    next_step: Mapped[str | None] = mapped_column(sa.Text)
    next_step_on: Mapped[date | None] = mapped_column(sa.Date)
    #: The case the next step is about (the one the officer wrote it on): no reminder once it is closed.
    next_step_case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cases.id", ondelete="SET NULL"))
    #: How they want reminders (sign-in messages go where they ask for them).
    contact_by: Mapped[ContactBy] = mapped_column(
        enum_column(ContactBy), default=ContactBy.email, server_default=ContactBy.email.value
    )
    last_signed_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: How many times the victim signed out. A session carries the count it started with and is open
    #: only while the count is unchanged: signing out ends every session of the access, and a copy of
    #: the cookie with it (the cookie alone is signed, not remembered).
    sign_outs: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: Why it ended: switched off by an officer, or the victim asked to stop.
    ended_reason: Mapped[str | None] = mapped_column(sa.String(200))

    person = relationship("Person")
    application = relationship("TriggerApplication")
    switched_on_by = relationship("User", foreign_keys=[switched_on_by_id])

    @property
    def is_live(self) -> bool:
        return self.ended_at is None


class SignInKind(enum.StrEnum):
    link = "link"
    code = "code"


class VictimSignIn(Model):
    """A single-use, short-lived sign-in secret: a link's token or a text message's code, kept only as
    a digest (a link's SHA-256, a code's HMAC keyed with the secret key: ``services.code_digest``)."""

    __tablename__ = "victim_sign_ins"

    id: Mapped[int] = mapped_column(primary_key=True)
    access_id: Mapped[int] = mapped_column(sa.ForeignKey("victim_accesses.id", ondelete="CASCADE"), index=True)
    kind: Mapped[SignInKind] = mapped_column(enum_column(SignInKind))
    secret_digest: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=sa.func.now())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Wrong codes given for it; at the limit it is spent.
    failed_attempts: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")

    access = relationship("VictimAccess")


class DiaryStatus(enum.StrEnum):
    #: Self-reported: shown to the officer as unverified, not on the ledger, not counted.
    unverified = "unverified"
    #: The officer accepted it into the ledger (an incident and a complaint by the victim).
    accepted = "accepted"


DIARY_STATUS_LABELS = {DiaryStatus.unverified: "Not yet checked", DiaryStatus.accepted: "Accepted"}


class DiaryEntry(TimestampMixin, Model):
    """An entry of a victim's ASB diary: what happened, when, where, who was involved, how it affected
    them, with a photo or recording kept as a document on the case. A self-reported complaint until
    the officer accepts it into the ledger through the service that records staff complaints."""

    __tablename__ = "victim_diary_entries"
    __table_args__ = (sa.Index("ix_victim_diary_entries_case_status", "case_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    access_id: Mapped[int | None] = mapped_column(sa.ForeignKey("victim_accesses.id", ondelete="SET NULL"), index=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"))
    happened_on: Mapped[date] = mapped_column(sa.Date)
    happened_at_time: Mapped[str | None] = mapped_column(sa.String(40))
    location: Mapped[str | None] = mapped_column(sa.String(300))
    what_happened: Mapped[str] = mapped_column(sa.Text)
    who_was_involved: Mapped[str | None] = mapped_column(sa.Text)
    how_it_affected: Mapped[str | None] = mapped_column(sa.Text)
    document_id: Mapped[int | None] = mapped_column(sa.ForeignKey("documents.id", ondelete="SET NULL"))
    status: Mapped[DiaryStatus] = mapped_column(enum_column(DiaryStatus), default=DiaryStatus.unverified)
    incident_id: Mapped[int | None] = mapped_column(sa.ForeignKey("incidents.id", ondelete="SET NULL"))
    accepted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    case = relationship("Case")
    document = relationship("Document")

    @property
    def status_label(self) -> str:
        return DIARY_STATUS_LABELS[self.status]
