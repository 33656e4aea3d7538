"""Warnings, notices and orders issued on a case, and the log of their breaches."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from casework.cases.models import CaseParty
from casework.core.db import TimestampMixin, UTCDateTime, VersionedMixin, enum_column
from casework.extensions import Model

#: What stands for an intervention's subject who is withheld (``Intervention.subject_withheld``).
WITHHELD_SUBJECT = "Withheld (not a party to this case)"


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
    # Crime and Policing Act 2026 Part 1, each available from the area's commencement date.
    respect_order = "respect_order"
    youth_injunction = "youth_injunction"
    housing_injunction = "housing_injunction"


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
    InterventionKind.respect_order: "Respect Order",
    InterventionKind.youth_injunction: "Youth Injunction",
    InterventionKind.housing_injunction: "Housing Injunction",
}

#: Kinds a court grants on an application: the day of application decides which power exists (the
#: Crime and Policing Act 2026 commencement) and whether the youth offending team must be consulted.
APPLIED_FOR_KINDS = {
    InterventionKind.civil_injunction,
    InterventionKind.respect_order,
    InterventionKind.youth_injunction,
    InterventionKind.housing_injunction,
    InterventionKind.cbo,
    InterventionKind.closure_order,
}


class Conduct(enum.StrEnum):
    """The kind of anti-social behaviour an order is for (2014 Act s.2(1); the 2026 Act divides the
    powers along it: Respect Orders for the first, Housing Injunctions for the second)."""

    harassment_alarm_distress = "harassment_alarm_distress"
    housing_nuisance = "housing_nuisance"


CONDUCT_LABELS = {
    Conduct.harassment_alarm_distress: "Conduct that caused, or was likely to cause, harassment, alarm or distress",
    Conduct.housing_nuisance: "Housing-related nuisance or annoyance",
}


class ReviewOutcome(enum.StrEnum):
    continues = "continues"
    varied = "varied"
    ended = "ended"


REVIEW_OUTCOME_LABELS = {
    ReviewOutcome.continues: "It continues as it is",
    ReviewOutcome.varied: "It is to be varied",
    ReviewOutcome.ended: "It is to end (withdrawn, or an application to discharge it)",
}


class InterventionStatus(enum.StrEnum):
    issued = "issued"
    complied = "complied"
    breached = "breached"
    appealed = "appealed"
    expired = "expired"
    withdrawn = "withdrawn"
    varied = "varied"


class ServiceMethod(enum.StrEnum):
    """How a notice was served (s.55 of the 2014 Act for CPWs, CPNs and fixed penalties; s.79 for
    closure notices, which are also fixed to the premises)."""

    by_hand = "by_hand"
    left_at_address = "left_at_address"
    post = "post"
    fixed_to_premises = "fixed_to_premises"


SERVICE_METHOD_LABELS = {
    ServiceMethod.by_hand: "Given to them in person",
    ServiceMethod.left_at_address: "Left at their usual or last known address",
    ServiceMethod.post: "Posted to their usual or last known address",
    ServiceMethod.fixed_to_premises: "Fixed to a prominent place on the premises",
}
#: "Served by hand", "served by post": how the service is described on the notice and in the record.
SERVICE_METHOD_PHRASES = {
    ServiceMethod.by_hand: "by hand",
    ServiceMethod.left_at_address: "by leaving it at the address",
    ServiceMethod.post: "by post",
    ServiceMethod.fixed_to_premises: "by fixing it to the premises",
}


class NoticeKind(enum.StrEnum):
    """The kinds produced as a notice to serve, from an editable template (casework.interventions.notices)."""

    cpw = "cpw"
    cpn = "cpn"
    fpn = "fpn"
    closure_notice = "closure_notice"


#: Statuses after which nothing more is due. Final: a finished intervention is not marked another
#: finished status, and is made live again only to correct a mistake (``services.status_refusal``).
FINISHED_STATUSES = {InterventionStatus.complied, InterventionStatus.expired, InterventionStatus.withdrawn}
#: Statuses of an intervention in force: its dates still to come are due.
LIVE_STATUSES = {
    InterventionStatus.issued,
    InterventionStatus.breached,
    InterventionStatus.appealed,
    InterventionStatus.varied,
}


class Intervention(TimestampMixin, VersionedMixin, Model):
    __tablename__ = "interventions"
    #: Kept when the rest is anonymised (casework.core.retention): the dates that followed (dates only).
    __retained__ = ("key_dates",)
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
    #: The day the application for an injunction or order was made (ages for the youth offending team
    #: consultation, and which power exists, follow it); null: taken as the day of issue.
    applied_on: Mapped[date | None] = mapped_column(sa.Date)
    convicted_on: Mapped[date | None] = mapped_column(sa.Date)
    #: What the order is for: a Respect Order needs harassment, alarm or distress (2026 Act).
    conduct: Mapped[Conduct | None] = mapped_column(enum_column(Conduct))
    #: Who supervises compliance with positive requirements (s.3 of the 2014 Act and its successors).
    supervisor_name: Mapped[str | None] = mapped_column(sa.String(200))
    #: Who authorised or signed it off (a 48-hour closure notice: the superintendent, chief executive or
    #: designate, or the housing provider's senior manager), by name and rank or post.
    authorised_by: Mapped[str | None] = mapped_column(sa.String(200))
    #: A housing provider's closure notice: the premises are ones it owns or manages (2026 Act).
    premises_owned_or_managed: Mapped[bool | None] = mapped_column(sa.Boolean)
    #: A closure notice's extension notice (s.77(4)): when it was issued, the hours it added (in all),
    #: and who signed it off.
    extended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    extension_hours: Mapped[int | None] = mapped_column(sa.Integer)
    extension_authorised_by: Mapped[str | None] = mapped_column(sa.String(200))
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
    #: An appeal against it (or a PSPO's High Court challenge): the day it was lodged, set when it is
    #: marked appealed, and the day it was decided, set when it leaves appealed (``services._apply_status``).
    #: Both are cleared when the appeal is recorded in error. The last appeal's, kept after it ends.
    appeal_lodged_on: Mapped[date | None] = mapped_column(sa.Date)
    appeal_decided_on: Mapped[date | None] = mapped_column(sa.Date)
    #: The day of its latest extension (a closure order, s.82; a PSPO, s.60) and of its latest variation
    #: (marked varied): the time to appeal a closure order (s.84) or challenge a PSPO (s.66) runs again
    #: from them (``services.appeal_warning``).
    extended_on: Mapped[date | None] = mapped_column(sa.Date)
    varied_on: Mapped[date | None] = mapped_column(sa.Date)
    #: Warnings given when it was recorded, kept so the page shows what the officer was told.
    rule_warnings: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: A notice served from the service (casework.interventions.notices): when, how and by whom. The
    #: notice itself is a document on the case (documents.intervention_id).
    served_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    service_method: Mapped[ServiceMethod | None] = mapped_column(enum_column(ServiceMethod))
    served_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: Who served it, as printed on the notice (a user's name, or an officer who is not a user).
    served_by_name: Mapped[str | None] = mapped_column(sa.String(200))
    #: What the notice said beyond the intervention's own fields, as served: the recipient's address,
    #: a fixed penalty's particulars of the offence, a closure notice's hearing (when and where).
    notice_details: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)

    #: Whether the subject is a party to the intervention's case, read with the intervention (no
    #: statement of its own). Everyone who sees the case sees its parties, and only them among the
    #: people a restricted case hides (``casework.cases.policies.visible_people_clause``); a subject
    #: recorded before subjects had to be parties, who is not one, is withheld from every reader
    #: (``subject_withheld``), never named.
    subject_is_party: Mapped[bool] = column_property(
        sa.exists().where(CaseParty.case_id == case_id, CaseParty.person_id == subject_person_id)
    )

    case = relationship("Case")
    subject = relationship("Person")
    issuing_agency = relationship("Agency")
    issuing_officer = relationship("User", foreign_keys=[issuing_officer_id])
    served_by = relationship("User", foreign_keys=[served_by_id])
    related = relationship("Intervention", remote_side=[id])
    breaches: Mapped[list[InterventionBreach]] = relationship(
        back_populates="intervention", cascade="all, delete-orphan", order_by="InterventionBreach.occurred_on"
    )
    reviews: Mapped[list[InterventionReview]] = relationship(
        back_populates="intervention", cascade="all, delete-orphan", order_by="InterventionReview.reviewed_on"
    )

    @property
    def label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def subject_withheld(self) -> bool:
        """Whether the subject is withheld from the readers of the case: a person who is not a party to
        it (``subject_is_party``) may be one the restricted-people rule hides from them."""
        return self.subject_person_id is not None and not self.subject_is_party

    @property
    def shown_subject_name(self) -> str | None:
        """The subject's name as the readers of the case are shown it: None when there is no subject or
        it is withheld."""
        return None if self.subject_withheld or self.subject is None else self.subject.name

    @property
    def subject_caption(self) -> str | None:
        """The subject's name for a page or an export, the words ``WITHHELD_SUBJECT`` for a withheld one,
        None for none (a place)."""
        if self.subject_withheld:
            return WITHHELD_SUBJECT
        return self.subject.name if self.subject is not None else None

    @property
    def dates(self) -> list[tuple[str, date | datetime]]:
        """``key_dates`` read back: (key, date) or (key, aware datetime) for deadlines in hours."""
        return [
            (key, datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value))
            for key, value in (self.key_dates or {}).items()
        ]


class InterventionBreach(TimestampMixin, Model):
    """One entry in the breach log (for an ABC, evidence for later enforcement, not an offence).

    Whether the breach is a criminal offence is fixed when it is recorded, from the power the
    intervention was granted under (a Respect Order's breach is; a civil injunction's is contempt)."""

    __tablename__ = "intervention_breaches"

    id: Mapped[int] = mapped_column(primary_key=True)
    intervention_id: Mapped[int] = mapped_column(sa.ForeignKey("interventions.id", ondelete="CASCADE"), index=True)
    occurred_on: Mapped[date] = mapped_column(sa.Date)
    description: Mapped[str] = mapped_column(sa.Text)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    is_criminal_offence: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
    #: The police crime reference, for a breach that is an offence.
    crime_reference: Mapped[str | None] = mapped_column(sa.String(100))

    intervention: Mapped[Intervention] = relationship(back_populates="breaches")
    recorded_by = relationship("User")


class InterventionReview(TimestampMixin, Model):
    """A review of an order or direction while it runs: a Respect Order's periodic review, the 48-hour
    review of a dispersal direction (2026 Act), an under-18 Criminal Behaviour Order's review (s.28), an
    Acceptable Behaviour Contract's or a PSPO's review. Recording one closes the review that was due."""

    __tablename__ = "intervention_reviews"
    #: Kept when the rest is anonymised (casework.core.retention): which review it answered.
    __retained__ = ("review_key",)

    id: Mapped[int] = mapped_column(primary_key=True)
    intervention_id: Mapped[int] = mapped_column(sa.ForeignKey("interventions.id", ondelete="CASCADE"), index=True)
    reviewed_on: Mapped[date] = mapped_column(sa.Date)
    #: The moment, where the review is counted in hours (a dispersal direction).
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Who reviewed it, by name and rank or post (a superintendent for a dispersal direction).
    reviewer_name: Mapped[str | None] = mapped_column(sa.String(200))
    outcome: Mapped[ReviewOutcome] = mapped_column(enum_column(ReviewOutcome))
    notes: Mapped[str | None] = mapped_column(sa.Text)
    #: The review deadline it answered (``review_1``, ``review_at``, ``review_on``).
    review_key: Mapped[str | None] = mapped_column(sa.String(40))
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    intervention: Mapped[Intervention] = relationship(back_populates="reviews")
    recorded_by = relationship("User")


class NoticeTemplate(TimestampMixin, VersionedMixin, Model):
    """An editable notice template (Jinja, in the limited sandbox). A null area is the template for
    every area; without a row the default shipped in casework/interventions/notice_templates.py is used."""

    __tablename__ = "notice_templates"
    __table_args__ = (sa.UniqueConstraint("kind", "area_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[NoticeKind] = mapped_column(enum_column(NoticeKind))
    area_id: Mapped[int | None] = mapped_column(sa.ForeignKey("areas.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(sa.String(300))
    body: Mapped[str] = mapped_column(sa.Text)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
