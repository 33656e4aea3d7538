"""The s.104(9) figures as stored snapshots, and the jobs that compile them.

A snapshot is the figures for one area and one reporting period at one moment. Drafts are what
``compile`` stores; a published snapshot is a numbered version (1, 2, ...) that never changes again: a
correction is a new version with a note. The migration adds database triggers that refuse UPDATE and
DELETE of published rows (as for the audit log), and the ORM listeners below refuse them earlier with a
clearer message.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework.core.db import TimestampMixin, UTCDateTime, enum_column
from casework.core.jobs import LeasedJobMixin
from casework.extensions import Model


class SnapshotStatus(enum.StrEnum):
    draft = "draft"
    published = "published"


class SnapshotSource(enum.StrEnum):
    #: Counted from the service's own records.
    compiled = "compiled"
    #: Typed in by an administrator for a year before the service was used, from a published paper.
    entered_by_hand = "entered_by_hand"


class StatisticsSnapshot(Model):
    __tablename__ = "statistics_snapshots"
    __table_args__ = (
        # One version number per area and period; drafts have none (NULLs never collide).
        sa.UniqueConstraint("area_id", "period_start", "period_end", "version"),
        sa.Index("ix_statistics_snapshots_lookup", "area_id", "period_start", "period_end", "status"),
        sa.CheckConstraint(
            "(status = 'published' AND version IS NOT NULL AND published_at IS NOT NULL)"
            " OR (status = 'draft' AND version IS NULL AND published_at IS NULL)",
            name="published_has_version",
        ),
        sa.CheckConstraint("period_end >= period_start", name="period_in_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(sa.ForeignKey("areas.id"))
    period_start: Mapped[date] = mapped_column(sa.Date)
    period_end: Mapped[date] = mapped_column(sa.Date)
    status: Mapped[SnapshotStatus] = mapped_column(enum_column(SnapshotStatus), default=SnapshotStatus.draft)
    source: Mapped[SnapshotSource] = mapped_column(enum_column(SnapshotSource), default=SnapshotSource.compiled)
    #: Published versions only: 1 for the first publication, then one more for each correction.
    version: Mapped[int | None] = mapped_column(sa.Integer)
    #: The four statutory figures and the extras (see ``casework.statistics.queries.FIGURE_KEYS``).
    figures: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    compiled_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: Null when the scheduled task compiled it.
    compiled_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The manager who approved the figures by publishing them (an admin for figures entered by hand).
    published_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: Whether the extras (channels, bases, appeals, pending, median days) are published with the four
    #: statutory figures: the area's choice at publication.
    extras_published: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
    #: Why a correction was published, or where figures entered by hand come from.
    note: Mapped[str | None] = mapped_column(sa.Text)

    area = relationship("Area", lazy="joined")
    compiled_by = relationship("User", foreign_keys=[compiled_by_id])
    published_by = relationship("User", foreign_keys=[published_by_id])
    #: Set when a published version was withdrawn (a row of its own: the snapshot never changes).
    withdrawal: Mapped[StatisticsWithdrawal | None] = relationship(
        back_populates="snapshot", uselist=False, lazy="selectin"
    )

    @property
    def is_published(self) -> bool:
        return self.status == SnapshotStatus.published

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawal is not None


class StatisticsWithdrawal(Model):
    """A published version taken down because it was published by mistake.

    The published snapshot itself never changes (the database refuses it), so the withdrawal is a row
    of its own: who withdrew it, when and why. A withdrawn version is kept for the record and shown
    to staff, but no longer on the public page or in the CSV and JSON. Withdrawals are never changed
    or deleted either.
    """

    __tablename__ = "statistics_withdrawals"

    id: Mapped[int] = mapped_column(primary_key=True)
    snapshot_id: Mapped[int] = mapped_column(sa.ForeignKey("statistics_snapshots.id"), unique=True)
    note: Mapped[str] = mapped_column(sa.Text)
    withdrawn_at: Mapped[datetime] = mapped_column(UTCDateTime())
    withdrawn_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    snapshot: Mapped[StatisticsSnapshot] = relationship(back_populates="withdrawal")
    withdrawn_by = relationship("User", foreign_keys=[withdrawn_by_id])


class JobStatus(enum.StrEnum):
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"


#: A job in one of these will not change again: its page and its poll show it as it is.
FINISHED = (JobStatus.done, JobStatus.failed)


class StatisticsJob(TimestampMixin, LeasedJobMixin, Model):
    """One request to compile an area's figures, so a page can show its progress while it runs."""

    __tablename__ = "statistics_jobs"
    __table_args__ = (sa.Index("ix_statistics_jobs_area_period", "area_id", "period_start", "period_end"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(sa.ForeignKey("areas.id"))
    period_start: Mapped[date] = mapped_column(sa.Date)
    period_end: Mapped[date] = mapped_column(sa.Date)
    status: Mapped[JobStatus] = mapped_column(enum_column(JobStatus), default=JobStatus.queued)
    #: Null for the scheduled compilation after a period ends.
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    snapshot_id: Mapped[int | None] = mapped_column(sa.ForeignKey("statistics_snapshots.id"))
    error: Mapped[str | None] = mapped_column(sa.Text)

    area = relationship("Area", lazy="joined")
    snapshot: Mapped[StatisticsSnapshot | None] = relationship()

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED


class PublishedSnapshotChanged(Exception):
    """A published snapshot was about to be changed or deleted: a correction is a new version."""


@sa.event.listens_for(StatisticsSnapshot, "before_update")
def _refuse_update_of_published(_mapper: Any, _connection: Any, target: StatisticsSnapshot) -> None:
    state = sa.inspect(target)
    if not any(state.attrs[column.key].history.has_changes() for column in state.mapper.column_attrs):
        return  # only a relationship changed (a withdrawal row was added): no UPDATE of this row
    history = state.attrs.status.history
    was = history.deleted[0] if history.deleted else target.status
    if was == SnapshotStatus.published:
        raise PublishedSnapshotChanged(
            f"published statistics (snapshot {target.id}) cannot be changed: publish a correction"
        )


@sa.event.listens_for(StatisticsSnapshot, "before_delete")
def _refuse_delete_of_published(_mapper: Any, _connection: Any, target: StatisticsSnapshot) -> None:
    if target.status == SnapshotStatus.published:
        raise PublishedSnapshotChanged(f"published statistics (snapshot {target.id}) cannot be deleted")


@sa.event.listens_for(StatisticsWithdrawal, "before_update")
def _refuse_update_of_withdrawal(_mapper: Any, _connection: Any, target: StatisticsWithdrawal) -> None:
    raise PublishedSnapshotChanged(f"a withdrawal (row {target.id}) is a record: it cannot be changed")


@sa.event.listens_for(StatisticsWithdrawal, "before_delete")
def _refuse_delete_of_withdrawal(_mapper: Any, _connection: Any, target: StatisticsWithdrawal) -> None:
    raise PublishedSnapshotChanged(f"a withdrawal (row {target.id}) is a record: it cannot be deleted")
