from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework.core.db import UTCDateTime, enum_column
from casework.extensions import db


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


class AuditEntry(db.Model):
    """Who did what to which record, when, with the values before and after.

    The table is append-only: the migration adds database triggers that refuse UPDATE and DELETE, so
    not even a bug in the service can rewrite history.
    """

    __tablename__ = "audit_entries"
    __table_args__ = (
        sa.Index("ix_audit_entries_object", "object_type", "object_id", "created_at"),
        sa.Index("ix_audit_entries_actor", "actor_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=sa.func.now(), index=True)
    #: Null for the system (scheduled tasks) and for the public.
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[AuditAction] = mapped_column(enum_column(AuditAction))
    object_type: Mapped[str] = mapped_column(sa.String(60))
    object_id: Mapped[str | None] = mapped_column(sa.String(60))
    summary: Mapped[str] = mapped_column(sa.String(500))
    #: ``{"field": [before, after]}`` for updates, the new values for creates.
    changes: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    ip_address: Mapped[str | None] = mapped_column(sa.String(45))

    actor = relationship("User", lazy="joined")
