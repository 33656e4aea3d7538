"""A partnership report compiled by a task (a long period, or many areas), so the page can show its
progress while it runs and the report when it is done."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework.core.db import TimestampMixin, UTCDateTime, enum_column
from casework.core.jobs import LeasedJobMixin
from casework.extensions import Model
from casework.statistics.models import FINISHED, JobStatus


class ReportJob(TimestampMixin, LeasedJobMixin, Model):
    __tablename__ = "partnership_report_jobs"
    __table_args__ = (sa.Index("ix_partnership_report_jobs_requested_by", "requested_by_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Only the manager who asked sees the job (it is their report).
    requested_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    #: The areas reported on, by id, as they were when asked.
    area_ids: Mapped[list[int]] = mapped_column(sa.JSON)
    #: False: one area's report; true: the areas added up (the county).
    whole_group: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    period_start: Mapped[date] = mapped_column(sa.Date)
    period_end: Mapped[date] = mapped_column(sa.Date)
    status: Mapped[JobStatus] = mapped_column(enum_column(JobStatus), default=JobStatus.queued)
    steps_done: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    steps_total: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    #: ``{"now": ..., "before": ...}``: what ``compute_report`` answered for the period and the year
    #: before (area ids as text, as JSON keeps them).
    figures: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    error: Mapped[str | None] = mapped_column(sa.Text)

    requested_by = relationship("User")

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED
