"""Multi-agency ASB tasking meetings: a recurring meeting per area (a series), each meeting's agenda of
cases, what was said and decided about each, the actions given out (ordinary case actions, linked
here), and which agencies attended."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework.core.db import TimestampMixin, UTCDateTime, VersionedMixin, enum_column
from casework.extensions import Model, db

#: The agencies that attend a series' meetings (and so may read its minutes, case by case).
tasking_series_agencies = sa.Table(
    "tasking_series_agencies",
    db.metadata,
    sa.Column("series_id", sa.ForeignKey("tasking_series.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("agency_id", sa.ForeignKey("agencies.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class TaskingSeries(TimestampMixin, Model):
    """One area's recurring tasking meeting ("Bolsover ASB tasking, weekly")."""

    __tablename__ = "tasking_series"

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(sa.ForeignKey("areas.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    #: Days from one meeting to the next (7: weekly).
    interval_days: Mapped[int] = mapped_column(sa.Integer, default=7)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    area = relationship("Area")
    agencies = relationship("Agency", secondary=tasking_series_agencies, order_by="Agency.name")


class MeetingStatus(enum.StrEnum):
    #: Agenda open; the meeting is being prepared or held.
    planned = "planned"
    #: Minutes published: the record is closed.
    held = "held"


class TaskingMeeting(TimestampMixin, VersionedMixin, Model):
    __tablename__ = "tasking_meetings"
    __table_args__ = (sa.UniqueConstraint("series_id", "held_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(sa.ForeignKey("tasking_series.id", ondelete="CASCADE"))
    held_on: Mapped[date] = mapped_column(sa.Date)
    status: Mapped[MeetingStatus] = mapped_column(enum_column(MeetingStatus), default=MeetingStatus.planned)
    chair_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    minutes_published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    series: Mapped[TaskingSeries] = relationship()
    chair = relationship("User")
    items: Mapped[list[TaskingAgendaItem]] = relationship(
        back_populates="meeting", order_by="TaskingAgendaItem.position", cascade="all, delete-orphan"
    )
    attendance: Mapped[list[TaskingAttendance]] = relationship(cascade="all, delete-orphan")


class AttendanceStatus(enum.StrEnum):
    attended = "attended"
    apologies = "apologies"
    absent = "absent"


class TaskingAttendance(Model):
    """One agency at one meeting: attended (by whom), sent apologies, or absent."""

    __tablename__ = "tasking_attendance"
    __table_args__ = (sa.UniqueConstraint("meeting_id", "agency_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("tasking_meetings.id", ondelete="CASCADE"))
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id", ondelete="CASCADE"), index=True)
    status: Mapped[AttendanceStatus] = mapped_column(enum_column(AttendanceStatus), default=AttendanceStatus.absent)
    #: Who came for the agency (or sent the apologies): they are emailed the link to the minutes.
    representative_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    agency = relationship("Agency")
    representative = relationship("User")


class AgendaReason(enum.StrEnum):
    """Why a case is on the agenda; the first four are found by the agenda sources
    (``casework.tasking.agenda``)."""

    new_high_risk = "new_high_risk"
    risk_increased = "risk_increased"
    threshold_watch = "threshold_watch"
    overdue_actions = "overdue_actions"
    carried_forward = "carried_forward"
    nominated = "nominated"
    added_by_chair = "added_by_chair"


class TaskingAgendaItem(TimestampMixin, VersionedMixin, Model):
    """One case on one meeting's agenda, and what the meeting said and decided about it."""

    __tablename__ = "tasking_agenda_items"
    #: Kept when the case is anonymised (casework.core.retention): why it was on the agenda (codes).
    __retained__ = ("reasons",)
    __table_args__ = (
        sa.UniqueConstraint("meeting_id", "case_id"),
        sa.Index("ix_tasking_agenda_items_case", "case_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("tasking_meetings.id", ondelete="CASCADE"))
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(sa.Integer)
    #: AgendaReason values, in the order they were found.
    reasons: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    nominated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: Why the officer nominated the case.
    nomination_note: Mapped[str | None] = mapped_column(sa.String(500))
    discussion: Mapped[str | None] = mapped_column(sa.Text)
    decisions: Mapped[str | None] = mapped_column(sa.Text)

    meeting: Mapped[TaskingMeeting] = relationship(back_populates="items")
    nominated_by = relationship("User")


class TaskingAction(Model):
    """An action on a meeting's action log: given out at the meeting (``item_id`` set) or carried
    forward from an earlier meeting while still open. The action itself is the case's own
    (``casework.cases.models.Action``), with its deadline and reminders."""

    __tablename__ = "tasking_actions"
    __table_args__ = (
        sa.UniqueConstraint("meeting_id", "action_id"),
        sa.Index("ix_tasking_actions_action", "action_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("tasking_meetings.id", ondelete="CASCADE"))
    item_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tasking_agenda_items.id", ondelete="SET NULL"))
    action_id: Mapped[int] = mapped_column(sa.ForeignKey("actions.id", ondelete="CASCADE"))
    is_carried_forward: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())

    action = relationship("Action")
