"""The threshold watch's findings: one row per victim and area that meets, or is one short of, the
Case Review threshold (and per victim already told of their right, so it is not asked again)."""

from __future__ import annotations

import enum
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework.core.db import TimestampMixin, enum_column
from casework.extensions import Model


class ToldMethod(enum.StrEnum):
    letter = "letter"
    email = "email"
    phone = "phone"
    in_person = "in_person"


TOLD_METHOD_LABELS = {
    ToldMethod.letter: "Letter",
    ToldMethod.email: "Email",
    ToldMethod.phone: "Phone",
    ToldMethod.in_person: "In person",
}


class WatchEntry(TimestampMixin, Model):
    """A victim found by the watch in one area, with the engine's working as it was last evaluated.

    ``working`` is docs/api.md's ``threshold`` object whose complaints also carry ``case_id`` and
    ``holding_agency`` (the case's lead agency), so the board can show complaints on cases the reader may
    not see as a count and the agency that holds them without another query. Its
    reasons name the day of the evaluation by a placeholder (``services.EVALUATION_DAY``), named when
    shown: an entry whose finding has not changed is not rewritten by each night's pass.
    """

    __tablename__ = "threshold_watch_entries"
    __table_args__ = (
        sa.UniqueConstraint("area_id", "person_id"),
        # The board and the API read an area's victims within one short, vulnerable first.
        sa.Index("ix_threshold_watch_entries_area_short", "area_id", "short_by", "vulnerable"),
        sa.Index("ix_threshold_watch_entries_person", "person_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(sa.ForeignKey("areas.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id", ondelete="CASCADE"))
    #: The victim's cases in the area (as parties: victim or complainant), newest complaint first.
    case_ids: Mapped[list[int]] = mapped_column(sa.JSON, default=list)
    #: The case whose owner is asked to tell the victim of their right.
    task_case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cases.id", ondelete="SET NULL"))
    qualifying_count: Mapped[int] = mapped_column(sa.Integer)
    #: The area's automatic threshold in force on ``evaluated_on``.
    threshold: Mapped[int] = mapped_column(sa.Integer)
    short_by: Mapped[int] = mapped_column(sa.Integer)
    vulnerable: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
    #: An open Case Review application linked to one of the victim's cases (the column's name keeps its
    #: foreign key's name within PostgreSQL's 63 characters).
    open_application_id: Mapped[int | None] = mapped_column(
        "application_id", sa.ForeignKey("trigger_applications.id", ondelete="SET NULL")
    )
    working: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    #: A digest of ``working`` (SHA-256 of its canonical JSON): the pass compares it, not the working,
    #: so it need not load every entry's working to find the few that changed.
    working_digest: Mapped[str | None] = mapped_column(sa.String(64))
    #: The day the entry's finding was last found different (written); the day it was last confirmed is
    #: the later of this and its area's ``WatchPass.evaluated_on``.
    evaluated_on: Mapped[date] = mapped_column(sa.Date)
    #: The first day the victim met the threshold in this run of it (cleared when they fall back).
    met_on: Mapped[date | None] = mapped_column(sa.Date)
    told_on: Mapped[date | None] = mapped_column(sa.Date)
    told_method: Mapped[ToldMethod | None] = mapped_column(enum_column(ToldMethod))
    told_notes: Mapped[str | None] = mapped_column(sa.Text)
    told_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: The letter or email as it was sent (from the area's template in force that day).
    told_subject: Mapped[str | None] = mapped_column(sa.String(300))
    told_text: Mapped[str | None] = mapped_column(sa.Text)

    person = relationship("Person")
    area = relationship("Area")
    task_case = relationship("Case")
    open_application = relationship("TriggerApplication")
    told_by = relationship("User")


class WatchPass(Model):
    """The day of the latest nightly pass in an area: every entry of the area was evaluated that day,
    and those whose finding had not changed were left as they were (so their working is shown as of
    this day, not of the day it was written)."""

    __tablename__ = "threshold_watch_passes"

    area_id: Mapped[int] = mapped_column(sa.ForeignKey("areas.id", ondelete="CASCADE"), primary_key=True)
    evaluated_on: Mapped[date] = mapped_column(sa.Date)


class TellVictimTemplate(TimestampMixin, Model):
    """The wording of the letter or email telling a victim of their right to a Case Review, as an admin
    changed it (Jinja, sandboxed, with limits: ``casework.threshold_watch.message``). A null area is the
    template for every area; without a row the default shipped in code applies."""

    __tablename__ = "threshold_watch_templates"
    __table_args__ = (sa.UniqueConstraint("kind", "area_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: One kind today (``tell_victim``); the column lets the shared lookup of templates in force work.
    kind: Mapped[str] = mapped_column(sa.String(40), default="tell_victim", server_default="tell_victim")
    area_id: Mapped[int | None] = mapped_column(sa.ForeignKey("areas.id", ondelete="CASCADE"))
    subject: Mapped[str] = mapped_column(sa.String(300))
    body: Mapped[str] = mapped_column(sa.Text)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
