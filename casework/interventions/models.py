"""Warnings, notices and orders issued on a case, and the log of their breaches."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework.core.db import TimestampMixin, UTCDateTime, VersionedMixin, enum_column
from casework.extensions import db


class InterventionKind(enum.StrEnum):
    warning_letter = "warning_letter"
    verbal_warning = "verbal_warning"
    abc = "abc"
    cpw = "cpw"
    cpn = "cpn"
    fpn = "fpn"
    civil_injunction = "civil_injunction"
    cbo = "cbo"
    closure_notice = "closure_notice"
    closure_order = "closure_order"
    dispersal = "dispersal"
    pspo = "pspo"
    community_remedy = "community_remedy"


KIND_LABELS = {
    InterventionKind.warning_letter: "Warning letter",
    InterventionKind.verbal_warning: "Verbal warning",
    InterventionKind.abc: "Acceptable Behaviour Contract",
    InterventionKind.cpw: "Community Protection Warning",
    InterventionKind.cpn: "Community Protection Notice",
    InterventionKind.fpn: "Fixed Penalty Notice",
    InterventionKind.civil_injunction: "Civil injunction",
    InterventionKind.cbo: "Criminal Behaviour Order",
    InterventionKind.closure_notice: "Closure notice",
    InterventionKind.closure_order: "Closure order",
    InterventionKind.dispersal: "Dispersal direction",
    InterventionKind.pspo: "Public Spaces Protection Order",
    InterventionKind.community_remedy: "Community Remedy",
}


class InterventionStatus(enum.StrEnum):
    issued = "issued"
    complied = "complied"
    breached = "breached"
    appealed = "appealed"
    expired = "expired"
    withdrawn = "withdrawn"
    varied = "varied"


#: Statuses after which nothing more is due.
FINISHED_STATUSES = {InterventionStatus.complied, InterventionStatus.expired, InterventionStatus.withdrawn}


class Intervention(TimestampMixin, VersionedMixin, db.Model):
    __tablename__ = "interventions"
    __table_args__ = (
        sa.Index("ix_interventions_case_issued", "case_id", "issued_on"),
        sa.Index("ix_interventions_subject_kind", "subject_person_id", "kind"),
        sa.CheckConstraint("amount IS NULL OR amount > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"))
    kind: Mapped[InterventionKind] = mapped_column(enum_column(InterventionKind))
    status: Mapped[InterventionStatus] = mapped_column(
        enum_column(InterventionStatus), default=InterventionStatus.issued
    )
    #: The person (or business or group) it is addressed to; none for a PSPO, which covers a place.
    subject_person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id"))
    issuing_agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id"))
    issuing_officer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: The officer's name when they are not a user (a constable who gave a dispersal direction).
    issuing_officer_name: Mapped[str | None] = mapped_column(sa.String(200))
    issued_on: Mapped[date] = mapped_column(sa.Date)
    #: The moment of service or direction, where hours count (closure notice, dispersal).
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    comply_by: Mapped[date | None] = mapped_column(sa.Date)
    starts_on: Mapped[date | None] = mapped_column(sa.Date)
    ends_on: Mapped[date | None] = mapped_column(sa.Date)
    #: An adult Criminal Behaviour Order or injunction "until further order".
    is_indefinite: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
    #: Hours: a closure notice's length, a dispersal direction's exclusion period.
    duration_hours: Mapped[int | None] = mapped_column(sa.Integer)
    #: A 48-hour closure notice needs a superintendent or the council's chief executive (s.77).
    has_senior_sign_off: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
    amount: Mapped[Decimal | None] = mapped_column(sa.Numeric(10, 2))
    discount_amount: Mapped[Decimal | None] = mapped_column(sa.Numeric(10, 2))
    discount_days: Mapped[int | None] = mapped_column(sa.Integer)
    #: The CPN or PSPO an FPN is for; the closure notice a closure order follows.
    related_intervention_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("interventions.id", ondelete="SET NULL"), index=True
    )
    yot_consulted_on: Mapped[date | None] = mapped_column(sa.Date)
    convicted_on: Mapped[date | None] = mapped_column(sa.Date)
    #: The place: dispersal area, closed premises, PSPO area.
    location: Mapped[str | None] = mapped_column(sa.String(500))
    requirements: Mapped[str | None] = mapped_column(sa.Text)
    prohibitions: Mapped[str | None] = mapped_column(sa.Text)
    #: ABC signatory for an under-18.
    parent_guardian_name: Mapped[str | None] = mapped_column(sa.String(200))
    #: Community Remedy: the victim's views, their choice, and why another action was chosen.
    victim_views: Mapped[str | None] = mapped_column(sa.Text)
    victim_choice: Mapped[str | None] = mapped_column(sa.String(500))
    departure_reason: Mapped[str | None] = mapped_column(sa.Text)
    notes: Mapped[str | None] = mapped_column(sa.Text)
    #: Dates that follow from it, computed on issue with the settings then in force:
    #: {"appeal_window_closes": "2026-03-21", "hearing_by": "2026-03-03T12:00:00+00:00", ...}.
    key_dates: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    #: Warnings given when it was recorded, kept so the page shows what the officer was told.
    rule_warnings: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    case = relationship("Case")
    subject = relationship("Person")
    issuing_agency = relationship("Agency")
    issuing_officer = relationship("User", foreign_keys=[issuing_officer_id])
    related = relationship("Intervention", remote_side=[id])
    breaches: Mapped[list[InterventionBreach]] = relationship(
        back_populates="intervention", cascade="all, delete-orphan", order_by="InterventionBreach.occurred_on"
    )

    @property
    def label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def dates(self) -> list[tuple[str, date | datetime]]:
        """``key_dates`` read back: (key, date) or (key, aware datetime) for deadlines in hours."""
        return [
            (key, datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value))
            for key, value in (self.key_dates or {}).items()
        ]


class InterventionBreach(TimestampMixin, db.Model):
    """One entry in the breach log (for an ABC, evidence for later enforcement, not an offence)."""

    __tablename__ = "intervention_breaches"

    id: Mapped[int] = mapped_column(primary_key=True)
    intervention_id: Mapped[int] = mapped_column(sa.ForeignKey("interventions.id", ondelete="CASCADE"), index=True)
    occurred_on: Mapped[date] = mapped_column(sa.Date)
    description: Mapped[str] = mapped_column(sa.Text)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    intervention: Mapped[Intervention] = relationship(back_populates="breaches")
    recorded_by = relationship("User")
