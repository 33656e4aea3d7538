"""The audit log's three tables.

- ``audit_entries``, the chained part: who (``actor_id``), when, what kind (``action``), the subject
  (``object_type``, ``object_id``) and ``values_hash``, a hash of the entry's personal values. Nothing in it
  names a person, so it is kept for ever.
- ``audit_values``, the personal part, one row per entry: the summary, the before/after copies and the
  client's address, with a random ``nonce`` mixed into ``values_hash`` (so an erased value cannot be
  confirmed by hashing a guess). Retention erases these (``casework.audit.services.erase_personal_values``),
  a person merge moves them to another subject; neither touches ``audit_entries``.
- ``audit_seals``, the hash chain: one row per entry, in the order the periodic ``audit.seal`` task
  sealed them, each carrying the previous seal's hash. Writing an entry never waits for a seal.

All three are append-only in the database (triggers refuse UPDATE and DELETE; ``audit_values`` accepts
only the erasure and move shapes), and on PostgreSQL the service's role may only INSERT and SELECT them
(see ``casework/core/database_roles.py``).

``AuditEntry`` maps ``audit_entries`` joined to ``audit_values``, so an entry is written, read and
filtered with its summary and changes as one object, as before the split.
"""

from __future__ import annotations

import enum
import secrets
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from casework.core.db import UTCDateTime, enum_column, utcnow
from casework.extensions import Model, db


class AuditAction(enum.StrEnum):
    create = "create"
    update = "update"
    delete = "delete"
    view = "view"
    sign_in = "sign_in"
    sign_in_failed = "sign_in_failed"
    sign_out = "sign_out"
    export = "export"
    anonymise = "anonymise"
    #: The personal values of a subject's entries were erased (retention).
    erase = "erase"
    #: The personal values of a subject's entries were moved to another subject (a merge).
    move = "move"


#: What an erased entry's summary reads; the database triggers accept exactly this text.
ERASED_SUMMARY = "Personal details erased"

#: The entries, not erased yet, of the two summaries that named a person in an entry about another
#: record before they gave the person's number ("Added <name> to case ...", about the case; "Second
#: report by <name> ...", about the task), by their subject type. None is written any more, so these are
#: a closed set that only shrinks; each is the predicate of a partial index (below, migrations 0760 and
#: 0800) and written as SQL text, with no bound parameters, so that both databases see a query repeating
#: it can read that index. The PostgreSQL function ``audit_erase_old_summaries`` erases only these.
#:
#: A summary that gives the number ("Added person 12 to case ...") is told from one that names someone
#: by the digit after "person " (``_BY_NUMBER``), compared exactly on both databases: not by NOT LIKE
#: 'Added person %', which left out a person whose name starts with that word ("Person Unknown", on
#: SQLite, whose LIKE ignores case; "person unknown" on either database), so it was never erased.
_DIGITS = "('0', '1', '2', '3', '4', '5', '6', '7', '8', '9')"


def _by_number(words: str) -> str:
    """SQL true for a summary that starts with ``words`` (ending "person ") followed by a digit."""
    return f"(substr(summary, 1, {len(words)}) = '{words}' AND substr(summary, {len(words) + 1}, 1) IN {_DIGITS})"


OLD_SUMMARIES_NAMING_PEOPLE = {
    "cases": (
        "subject_type = 'cases' AND erased_at IS NULL AND summary LIKE 'Added % to case % as %' "
        f"AND NOT {_by_number('Added person ')}"
    ),
    "case_review_explanations": (
        "subject_type = 'case_review_explanations' AND erased_at IS NULL "
        "AND summary LIKE 'Second report by % on case %: explain the Case Review' "
        f"AND NOT {_by_number('Second report by person ')}"
    ),
}

audit_entries = sa.Table(
    "audit_entries",
    db.metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("created_at", UTCDateTime(), server_default=sa.func.now(), nullable=False, index=True),
    #: Null for the system (scheduled tasks) and for the public.
    sa.Column("actor_id", sa.ForeignKey("users.id", ondelete="SET NULL")),
    sa.Column("action", enum_column(AuditAction), nullable=False),
    sa.Column("object_type", sa.String(60), nullable=False),
    sa.Column("object_id", sa.String(60)),
    #: sha256 of the personal values with their nonce (casework.audit.chain.values_digest).
    sa.Column("values_hash", sa.String(64), nullable=False),
    sa.Index("ix_audit_entries_object", "object_type", "object_id", "created_at"),
    sa.Index("ix_audit_entries_actor", "actor_id", "created_at"),
)

audit_values = sa.Table(
    "audit_values",
    db.metadata,
    sa.Column(
        "entry_id",
        sa.BigInteger().with_variant(sa.Integer, "sqlite"),
        sa.ForeignKey("audit_entries.id"),
        primary_key=True,
    ),
    #: Whose values these are: the entry's subject, until a merge moves them to another.
    sa.Column("subject_type", sa.String(60), nullable=False),
    sa.Column("subject_id", sa.String(60)),
    sa.Column("summary", sa.String(500), nullable=False),
    #: ``{"field": [before, after]}`` for updates, the new values for creates.
    sa.Column("changes", sa.JSON(none_as_null=True)),
    sa.Column("ip_address", sa.String(45)),
    sa.Column("nonce", sa.String(32)),
    #: Set when retention erased the values (then summary is ERASED_SUMMARY and the rest is null).
    sa.Column("erased_at", UTCDateTime()),
    sa.Index("ix_audit_values_subject", "subject_type", "subject_id"),
    sa.Index(
        "ix_audit_values_old_party_summaries",
        "entry_id",
        postgresql_where=sa.text(OLD_SUMMARIES_NAMING_PEOPLE["cases"]),
        sqlite_where=sa.text(OLD_SUMMARIES_NAMING_PEOPLE["cases"]),
    ),
    sa.Index(
        "ix_audit_values_old_second_report_summaries",
        "entry_id",
        postgresql_where=sa.text(OLD_SUMMARIES_NAMING_PEOPLE["case_review_explanations"]),
        sqlite_where=sa.text(OLD_SUMMARIES_NAMING_PEOPLE["case_review_explanations"]),
    ),
)


class AuditEntry(Model):
    """Who did what to which record, when, with the values before and after (an entry and its values)."""

    __table__ = sa.join(audit_entries, audit_values, audit_entries.c.id == audit_values.c.entry_id)

    id: Mapped[int] = column_property(audit_entries.c.id, audit_values.c.entry_id)
    created_at: Mapped[datetime] = column_property(audit_entries.c.created_at)
    actor_id: Mapped[int | None] = column_property(audit_entries.c.actor_id)
    action: Mapped[AuditAction] = column_property(audit_entries.c.action)
    object_type: Mapped[str] = column_property(audit_entries.c.object_type)
    object_id: Mapped[str | None] = column_property(audit_entries.c.object_id)
    values_hash: Mapped[str] = column_property(audit_entries.c.values_hash)
    subject_type: Mapped[str] = column_property(audit_values.c.subject_type)
    subject_id: Mapped[str | None] = column_property(audit_values.c.subject_id)
    summary: Mapped[str] = column_property(audit_values.c.summary)
    changes: Mapped[dict[str, Any] | None] = column_property(audit_values.c.changes)
    ip_address: Mapped[str | None] = column_property(audit_values.c.ip_address)
    nonce: Mapped[str | None] = column_property(audit_values.c.nonce)
    erased_at: Mapped[datetime | None] = column_property(audit_values.c.erased_at)

    actor = relationship("User", lazy="joined")

    @property
    def is_erased(self) -> bool:
        return self.erased_at is not None


@sa.event.listens_for(AuditEntry, "before_insert")
def _complete_entry(_mapper: Any, _connection: Any, entry: AuditEntry) -> None:
    """Every way of writing an entry (record(), a test, a bulk add) gets its time, subject and hash here,
    so the chain never meets an entry whose hash was forgotten."""
    from casework.audit.chain import plain, values_digest

    if entry.created_at is None:
        entry.created_at = utcnow()
    if entry.subject_type is None:
        entry.subject_type, entry.subject_id = entry.object_type, entry.object_id
    if entry.nonce is None and entry.erased_at is None:
        entry.nonce = secrets.token_hex(16)
    entry.changes = plain(entry.changes) if entry.changes is not None else None
    entry.summary = (entry.summary or "")[:500]
    entry.values_hash = values_digest(entry.nonce, entry.summary, entry.changes, entry.ip_address)


class AuditSeal(Model):
    """One link of the hash chain: entry ``entry_id`` is the ``position``-th sealed, and ``hash`` covers
    the previous link's hash and the entry's chained fields (casework.audit.chain)."""

    __tablename__ = "audit_seals"

    position: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=False
    )
    entry_id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), unique=True)
    previous_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64))
    sealed_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=sa.func.now())
