"""Risk assessment models: versioned questionnaires and the assessments made with them."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework.core.db import UTCDateTime, enum_column
from casework.extensions import Model


class RiskBand(enum.StrEnum):
    standard = "standard"
    medium = "medium"
    high = "high"


BAND_LABELS = {RiskBand.standard: "Standard", RiskBand.medium: "Medium", RiskBand.high: "High"}


class RiskQuestionnaire(Model):
    """One version of a questionnaire; never changed once used (an edit is a new version).

    ``questions`` is a list of ``{"key", "text", "hint", "options": [{"value", "label", "weight",
    "forces_high"}]}``; a yes/no question is one with the options yes and no.
    """

    __tablename__ = "risk_questionnaires"
    __table_args__ = (sa.Index("ix_risk_questionnaires_area_version", "area_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: None: the questionnaire for every area without its own.
    area_id: Mapped[int | None] = mapped_column(sa.ForeignKey("areas.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(sa.Integer)
    title: Mapped[str] = mapped_column(sa.String(200))
    questions: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON)
    #: Scores from ``medium_from`` are medium, from ``high_from`` high.
    medium_from: Mapped[int] = mapped_column(sa.Integer)
    high_from: Mapped[int] = mapped_column(sa.Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=sa.func.now())
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    area = relationship("Area")


class RiskAssessment(Model):
    """One assessment, kept for good: the latest for a case (or for a victim on it) is the current risk."""

    __tablename__ = "risk_assessments"
    #: Kept when the rest is anonymised (casework.core.retention): which questions forced a high band (question keys,
    #: no answers).
    __retained__ = ("forced_high_by",)
    __table_args__ = (sa.Index("ix_risk_assessments_case", "case_id", "assessed_on", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"))
    victim_person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id"))
    questionnaire_id: Mapped[int] = mapped_column(sa.ForeignKey("risk_questionnaires.id"), index=True)
    #: question key -> option value chosen.
    answers: Mapped[dict[str, str]] = mapped_column(sa.JSON)
    score: Mapped[int] = mapped_column(sa.Integer)
    band: Mapped[RiskBand] = mapped_column(enum_column(RiskBand))
    #: Keys of the questions whose answers forced a high band on their own.
    forced_high_by: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    assessed_on: Mapped[date] = mapped_column(sa.Date)
    review_on: Mapped[date | None] = mapped_column(sa.Date)
    notes: Mapped[str | None] = mapped_column(sa.Text)
    assessed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=sa.func.now())

    questionnaire: Mapped[RiskQuestionnaire] = relationship()
    victim = relationship("Person")
    assessed_by = relationship("User")
