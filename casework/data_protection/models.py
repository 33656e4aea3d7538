"""What information governance keeps: the retention runs (what was anonymised, never the values)
and merges of duplicate people (what moved, so a merge can be undone within its window)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework.core.db import UTCDateTime
from casework.extensions import Model


class RetentionRun(Model):
    """One retention run: which records reached their retention date and were anonymised."""

    __tablename__ = "retention_runs"
    __table_args__ = (sa.Index("ix_retention_runs_started_at", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The day the retention dates were reckoned from.
    run_on: Mapped[date] = mapped_column(sa.Date)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: table -> number of rows anonymised or erased (``{"cases": 2, "incidents": 7, ...}``).
    counts: Mapped[dict[str, int]] = mapped_column(sa.JSON, default=dict)
    #: References of the cases anonymised (references are not personal data).
    case_references: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    #: Ids of the people anonymised.
    person_ids: Mapped[list[int]] = mapped_column(sa.JSON, default=list)

    @property
    def total(self) -> int:
        return sum((self.counts or {}).values())


class PersonMerge(Model):
    """Two records of the same person merged into one. The merged record is kept (hidden, pointing to
    the kept one) until the undo window ends, so undoing restores exactly what moved."""

    __tablename__ = "person_merges"
    #: Kept when the rest is anonymised (casework.core.retention): the ids that moved.
    __retained__ = ("moved",)
    __table_args__ = (
        sa.Index("ix_person_merges_kept", "kept_person_id"),
        sa.Index("ix_person_merges_merged", "merged_person_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kept_person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id", ondelete="CASCADE"))
    merged_person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id", ondelete="CASCADE"))
    merged_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    merged_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: The merge can be undone until then.
    undo_until: Mapped[datetime] = mapped_column(UTCDateTime())
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    undone_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: What each domain moved: ``{table: {"ids": [...], ...}}`` (``casework.core.lifecycle.PersonMerge``).
    moved: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)

    kept = relationship("Person", foreign_keys=[kept_person_id])
    merged = relationship("Person", foreign_keys=[merged_person_id])
    merged_by = relationship("User", foreign_keys=[merged_by_id])


class SubjectAccessExport(Model):
    """The register of subject access exports: who exported whose records, when, which version and,
    for a full release by the data protection officer, why. (The audit log has the same facts; this
    is the list the data protection officer works from.)"""

    __tablename__ = "subject_access_exports"
    #: Kept when the rest is anonymised (casework.core.retention): which version was exported.
    __retained__ = ("version",)
    __table_args__ = (
        sa.Index("ix_subject_access_exports_made_at", "made_at"),
        sa.Index("ix_subject_access_exports_person", "person_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id", ondelete="CASCADE"))
    made_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    made_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: "redacted" or "full".
    version: Mapped[str] = mapped_column(sa.String(10))
    reason: Mapped[str | None] = mapped_column(sa.Text)
    withheld_cases: Mapped[int] = mapped_column(sa.Integer, default=0)

    person = relationship("Person")
    made_by = relationship("User")
