"""A request to the Police and Crime Commissioner to review a "threshold not met" decision, and the
PCC's outcome, recorded on the application with their own dates (the published working figures count
both by the day they happened)."""

from __future__ import annotations

import enum
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework.core.db import TimestampMixin, VersionedMixin, enum_column
from casework.extensions import Model


class PccReviewOutcome(enum.StrEnum):
    #: The PCC finds the decision was properly made: it stands.
    decision_stands = "decision_stands"
    #: The PCC asks the relevant bodies to take the threshold decision again.
    reconsider = "reconsider"


OUTCOME_LABELS = {
    PccReviewOutcome.decision_stands: "The decision stands",
    PccReviewOutcome.reconsider: "The threshold decision is to be taken again",
}


class PccReview(TimestampMixin, VersionedMixin, Model):
    __tablename__ = "trigger_pcc_reviews"
    __table_args__ = (
        sa.Index("ix_trigger_pcc_reviews_requested_on", "requested_on"),
        sa.Index("ix_trigger_pcc_reviews_decided_on", "decided_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        sa.ForeignKey("trigger_applications.id", ondelete="CASCADE"), index=True
    )
    #: The "not met" decision the applicant asked the PCC to review.
    decision_id: Mapped[int | None] = mapped_column(sa.ForeignKey("trigger_decisions.id", ondelete="SET NULL"))
    #: The day the request reached the PCC's office (or the area, which passed it on).
    requested_on: Mapped[date] = mapped_column(sa.Date)
    grounds: Mapped[str] = mapped_column(sa.Text)
    #: Who at the PCC's office reviews it.
    reviewer_name: Mapped[str | None] = mapped_column(sa.String(200))
    outcome: Mapped[PccReviewOutcome | None] = mapped_column(enum_column(PccReviewOutcome))
    outcome_reasons: Mapped[str | None] = mapped_column(sa.Text)
    decided_on: Mapped[date | None] = mapped_column(sa.Date)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    application = relationship("TriggerApplication", back_populates="pcc_reviews")
    decision = relationship("ThresholdDecision")
