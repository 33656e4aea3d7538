"""The Community Trigger (ASB Case Review): applications, their complaints, the threshold decision,
the review meeting and its recommendations, and the appeal.

Events are stored as dated fields on the records they belong to (received, acknowledged, decided, held,
withdrawn), because the published statistics count events by the day they happened,
not by an application's current status.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from casework.core.db import TimestampMixin, UTCDateTime, VersionedMixin, enum_column
from casework.extensions import Model, db


class Channel(enum.StrEnum):
    online = "online"
    phone = "phone"
    email = "email"
    letter = "letter"
    in_person = "in_person"
    partner = "partner"


class ApplicantRole(enum.StrEnum):
    victim = "victim"
    on_behalf = "on_behalf"
    group = "group"
    partner = "partner"


class RepeatHandling(enum.StrEnum):
    """How an area's procedure handles a complainant with many applications (an area setting). None of
    them stops the application: the right to apply is statutory."""

    #: Recorded on the application, nothing more.
    record = "record"
    #: The coordinator reads the applicant's earlier applications together with this one.
    read_together = "read_together"
    #: One named officer is the applicant's single point of contact for all their applications.
    single_point_of_contact = "single_point_of_contact"


#: Roles that apply for someone else, the victim, and so need the victim's consent or the reason it is
#: not needed. A group applying for itself is the victim; the victim applying needs no one else's.
CONSENT_ROLES = frozenset({ApplicantRole.on_behalf, ApplicantRole.partner})


class ApplicationStatus(enum.StrEnum):
    received = "received"
    #: Not a Case Review (a service complaint or a new incident report): redirected, reason recorded.
    screened_out = "screened_out"
    threshold_not_met = "threshold_not_met"
    threshold_met = "threshold_met"
    meeting_arranged = "meeting_arranged"
    review_concluded = "review_concluded"
    appealed = "appealed"
    closed = "closed"
    withdrawn = "withdrawn"


application_cases = sa.Table(
    "trigger_application_cases",
    db.metadata,
    sa.Column("application_id", sa.ForeignKey("trigger_applications.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("case_id", sa.ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class TriggerApplication(TimestampMixin, VersionedMixin, Model):
    __tablename__ = "trigger_applications"
    #: Kept when the rest is anonymised (casework.core.retention): the reference (statistics and letters refer to it).
    __retained__ = ("reference",)
    __table_args__ = (
        sa.UniqueConstraint("area_id", "year", "sequence"),
        sa.Index("ix_trigger_applications_area_received", "area_id", "received_on"),
        sa.Index("ix_trigger_applications_area_status", "area_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: ``BOL-CT-2026-0003``: area, year of receipt, sequence within the area and year.
    reference: Mapped[str] = mapped_column(sa.String(30), unique=True)
    area_id: Mapped[int] = mapped_column(sa.ForeignKey("areas.id"))
    year: Mapped[int] = mapped_column(sa.Integer)
    sequence: Mapped[int] = mapped_column(sa.Integer)
    received_on: Mapped[date] = mapped_column(sa.Date)
    channel: Mapped[Channel] = mapped_column(enum_column(Channel))
    applicant_name: Mapped[str] = mapped_column(sa.String(200))
    applicant_email: Mapped[str | None] = mapped_column(sa.String(254))
    applicant_phone: Mapped[str | None] = mapped_column(sa.String(40))
    applicant_address: Mapped[str | None] = mapped_column(sa.String(500))
    applicant_role: Mapped[ApplicantRole] = mapped_column(enum_column(ApplicantRole))
    #: The victim's consent when someone applies for them (``CONSENT_ROLES``).
    consent_given: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
    #: Why the victim's consent is not needed (for example, they lack capacity to give it), when it was
    #: not given: one of the two is required when someone applies for the victim.
    consent_not_needed_reason: Mapped[str | None] = mapped_column(sa.Text)
    #: The victim, when someone else applies for them: the outcome letter goes to them too.
    victim_name: Mapped[str | None] = mapped_column(sa.String(200))
    victim_email: Mapped[str | None] = mapped_column(sa.String(254))
    victim_address: Mapped[str | None] = mapped_column(sa.String(500))
    #: ``applicant_name`` and ``victim_name`` as ``Person.normalised_name`` is written (the one
    #: function, ``casework.cases.services.fields.normalise_name``), set whenever the name is: the
    #: restricted-people rule compares the applicant with people through them
    #: (``casework.community_triggers.applicants``). Never written otherwise.
    applicant_normalised_name: Mapped[str | None] = mapped_column(sa.String(200))
    victim_normalised_name: Mapped[str | None] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[ApplicationStatus] = mapped_column(
        enum_column(ApplicationStatus), default=ApplicationStatus.received
    )
    acknowledged_on: Mapped[date | None] = mapped_column(sa.Date)
    screened_out_on: Mapped[date | None] = mapped_column(sa.Date)
    screened_out_reason: Mapped[str | None] = mapped_column(sa.Text)
    withdrawn_on: Mapped[date | None] = mapped_column(sa.Date)
    withdrawal_reason: Mapped[str | None] = mapped_column(sa.Text)
    #: The evaluation at receipt (the working shown to the coordinator), recomputed while undecided.
    threshold_evaluation: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    #: Null when the public applied through the web form.
    registered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: The applicant's earlier applications in the area within the area's look-back, when they reach the
    #: area's number for "many applications", and how the area's procedure handles that (a
    #: ``RepeatHandling`` value). Recorded at registration; it never stops an application.
    earlier_applications: Mapped[int | None] = mapped_column(sa.Integer)
    repeat_handling: Mapped[RepeatHandling | None] = mapped_column(enum_column(RepeatHandling))
    #: Set when the retention task removed the applicant's details and the free text of the review.
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    area = relationship("Area")
    registered_by = relationship("User", foreign_keys=[registered_by_id])
    complaints: Mapped[list[ApplicationComplaint]] = relationship(
        back_populates="application",
        cascade="all, delete-orphan",
        order_by="ApplicationComplaint.occurred_on",
    )
    cases = relationship("Case", secondary=application_cases, order_by="Case.reference")
    decisions: Mapped[list[ThresholdDecision]] = relationship(
        back_populates="application", cascade="all, delete-orphan", order_by="ThresholdDecision.id"
    )
    meetings: Mapped[list[ReviewMeeting]] = relationship(
        back_populates="application", cascade="all, delete-orphan", order_by="ReviewMeeting.id"
    )
    appeals: Mapped[list[Appeal]] = relationship(
        back_populates="application", cascade="all, delete-orphan", order_by="Appeal.id"
    )
    lessons_reviews: Mapped[list[LessonsReview]] = relationship(
        back_populates="application", cascade="all, delete-orphan", order_by="LessonsReview.id"
    )
    #: Requests to the Police and Crime Commissioner to review a "not met" decision (pcc_review.models).
    pcc_reviews: Mapped[list[PccReview]] = relationship(
        back_populates="application", cascade="all, delete-orphan", order_by="PccReview.id"
    )

    @property
    def decision(self) -> ThresholdDecision | None:
        """The threshold decision in force (the latest)."""
        return self.decisions[-1] if self.decisions else None

    @validates("applicant_name", "victim_name")
    def _normalise_with_name(self, key: str, value: str | None) -> str | None:
        from casework.cases.services.fields import normalise_name

        normalised = normalise_name(value) if value else None
        setattr(self, key.replace("_name", "_normalised_name"), normalised)
        return value


class ApplicationComplaint(Model):
    """A complaint the applicant lists: when it happened, when and to whom it was reported."""

    __tablename__ = "trigger_complaints"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        sa.ForeignKey("trigger_applications.id", ondelete="CASCADE"), index=True
    )
    #: Missing means the applicant made it.
    complainant_name: Mapped[str | None] = mapped_column(sa.String(200))
    occurred_on: Mapped[date] = mapped_column(sa.Date)
    reported_on: Mapped[date] = mapped_column(sa.Date)
    agency_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agencies.id"))
    #: Who it was reported to, in the applicant's words, when it is not an agency in the service.
    reported_to: Mapped[str | None] = mapped_column(sa.String(200))
    reference: Mapped[str | None] = mapped_column(sa.String(100))
    causes_had: Mapped[bool] = mapped_column(sa.Boolean, default=True, server_default=sa.true())
    hate_motivated: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())

    application: Mapped[TriggerApplication] = relationship(back_populates="complaints")
    agency = relationship("Agency")


class DecisionBasis(enum.StrEnum):
    automatic = "automatic"
    community = "community"
    hate = "hate"
    discretionary = "discretionary"
    vulnerable_override = "vulnerable_override"


class ThresholdDecision(TimestampMixin, Model):
    """The coordinator's decision on the threshold, with the basis and reasons (s.104(4)-(6))."""

    __tablename__ = "trigger_decisions"
    __table_args__ = (sa.Index("ix_trigger_decisions_decided_on", "decided_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        sa.ForeignKey("trigger_applications.id", ondelete="CASCADE"), index=True
    )
    met: Mapped[bool] = mapped_column(sa.Boolean)
    basis: Mapped[DecisionBasis | None] = mapped_column(enum_column(DecisionBasis))
    reasons: Mapped[str | None] = mapped_column(sa.Text)
    #: The discretionary factors of s.104(5), each with reasons.
    persistence: Mapped[str | None] = mapped_column(sa.Text)
    harm: Mapped[str | None] = mapped_column(sa.Text)
    adequacy: Mapped[str | None] = mapped_column(sa.Text)
    decided_on: Mapped[date] = mapped_column(sa.Date)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: The evaluation and the rule set the decision was made on, kept as they were.
    evaluation: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)

    application: Mapped[TriggerApplication] = relationship(back_populates="decisions")
    decided_by = relationship("User")


class ReviewMeeting(TimestampMixin, VersionedMixin, Model):
    """A review meeting under an independent chair. A new meeting follows an upheld appeal."""

    __tablename__ = "trigger_meetings"
    __table_args__ = (
        sa.Index("ix_trigger_meetings_held_on", "held_on"),
        sa.Index("ix_trigger_meetings_chair", "chair_id", "held_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        sa.ForeignKey("trigger_applications.id", ondelete="CASCADE"), index=True
    )
    scheduled_on: Mapped[date] = mapped_column(sa.Date)
    #: The day the meeting was arranged (the chair appointed): it cannot have been held before then.
    arranged_on: Mapped[date | None] = mapped_column(sa.Date)
    chair_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    location: Mapped[str | None] = mapped_column(sa.String(300))
    agenda: Mapped[str | None] = mapped_column(sa.Text)
    victim_invited: Mapped[bool | None] = mapped_column(sa.Boolean)
    #: Required when the victim is not invited (the chair records why).
    victim_not_invited_reason: Mapped[str | None] = mapped_column(sa.Text)
    #: When the papers went to the panel (the step "papers to the panel", due before the meeting).
    papers_sent_on: Mapped[date | None] = mapped_column(sa.Date)
    held_on: Mapped[date | None] = mapped_column(sa.Date)
    minutes: Mapped[str | None] = mapped_column(sa.Text)
    proportionality_assessment: Mapped[str | None] = mapped_column(sa.Text)
    outcome: Mapped[str | None] = mapped_column(sa.Text)
    #: When the outcome was recorded: a review is "carried out" once this is set.
    outcome_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    victim_consulted_on: Mapped[date | None] = mapped_column(sa.Date)
    #: What the victim said when consulted on the action plan, each consultation dated. Kept apart from
    #: the outcome, which the outcome letter quotes to the applicant (who may not be the victim).
    victim_consultation_notes: Mapped[str | None] = mapped_column(sa.Text)
    #: Why the victim was not consulted on the action plan, when they were not.
    victim_not_consulted_reason: Mapped[str | None] = mapped_column(sa.Text)
    #: Why the meeting was held before the day it was scheduled for, when it was.
    held_early_reason: Mapped[str | None] = mapped_column(sa.Text)
    #: The coordinator confirmed the review complete (every agency's information or why not, the
    #: attendees, the victim's consultation or why not): only then does the outcome letter go out.
    completeness_confirmed_on: Mapped[date | None] = mapped_column(sa.Date)
    completeness_confirmed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    outcome_letter_sent_on: Mapped[date | None] = mapped_column(sa.Date)

    application: Mapped[TriggerApplication] = relationship(back_populates="meetings")
    chair = relationship("User", foreign_keys=[chair_id])
    completeness_confirmed_by = relationship("User", foreign_keys=[completeness_confirmed_by_id])
    recommendations: Mapped[list[Recommendation]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", order_by="Recommendation.id"
    )
    missing_information: Mapped[list[MissingInformation]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", order_by="MissingInformation.id"
    )
    agenda_items: Mapped[list[AgendaItem]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", order_by="AgendaItem.position"
    )
    proportionality_assessments: Mapped[list[ProportionalityAssessment]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", order_by="ProportionalityAssessment.id"
    )


class MissingInformation(Model):
    """Why an agency's information is not in, given when the review is confirmed complete."""

    __tablename__ = "trigger_missing_information"
    __table_args__ = (sa.UniqueConstraint("meeting_id", "agency_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("trigger_meetings.id", ondelete="CASCADE"))
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id"))
    reason: Mapped[str] = mapped_column(sa.Text)

    meeting: Mapped[ReviewMeeting] = relationship(back_populates="missing_information")
    agency = relationship("Agency")


class AgendaItem(Model):
    """One item of the Case Review meeting's agenda (the Derbyshire agenda template): the standard items
    are set out when the meeting is arranged, and the coordinator or chair may add, change or remove."""

    __tablename__ = "trigger_agenda_items"
    __table_args__ = (sa.Index("ix_trigger_agenda_items_meeting", "meeting_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("trigger_meetings.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(sa.Integer)
    title: Mapped[str] = mapped_column(sa.String(300))
    #: Who leads the item, e.g. "Chair" or "Derbyshire Police".
    lead: Mapped[str | None] = mapped_column(sa.String(200))
    notes: Mapped[str | None] = mapped_column(sa.Text)

    meeting: Mapped[ReviewMeeting] = relationship(back_populates="agenda_items")


class ProportionalityAssessment(TimestampMixin, VersionedMixin, Model):
    """The perpetrator proportionality assessment (the Derbyshire template): each factor with a note,
    and a conclusion on whether the actions proposed against the perpetrator are proportionate."""

    __tablename__ = "trigger_proportionality_assessments"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("trigger_meetings.id", ondelete="CASCADE"), index=True)
    #: The alleged perpetrator, by name (a person on a linked case, or someone not on the system).
    subject_name: Mapped[str] = mapped_column(sa.String(200))
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id", ondelete="SET NULL"))
    age_note: Mapped[str | None] = mapped_column(sa.Text)
    vulnerability_note: Mapped[str | None] = mapped_column(sa.Text)
    consequences_note: Mapped[str | None] = mapped_column(sa.Text)
    previous_interventions_note: Mapped[str | None] = mapped_column(sa.Text)
    victim_view_note: Mapped[str | None] = mapped_column(sa.Text)
    conclusion: Mapped[str] = mapped_column(sa.Text)
    assessed_on: Mapped[date] = mapped_column(sa.Date)
    assessed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    meeting: Mapped[ReviewMeeting] = relationship(back_populates="proportionality_assessments")
    assessed_by = relationship("User")


class Recommendation(TimestampMixin, Model):
    """A recommendation of the review (s.104(7)); it becomes a tracked action until done."""

    __tablename__ = "trigger_recommendations"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("trigger_meetings.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(sa.Text)
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id"))
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    due_on: Mapped[date] = mapped_column(sa.Date)
    #: The victim's view of this part of the action plan, from their consultation before it is final.
    victim_view: Mapped[str | None] = mapped_column(sa.Text)

    meeting: Mapped[ReviewMeeting] = relationship(back_populates="recommendations")
    agency = relationship("Agency")
    owner = relationship("User")


class AppealDecision(enum.StrEnum):
    upheld = "upheld"
    not_upheld = "not_upheld"


class Appeal(TimestampMixin, VersionedMixin, Model):
    __tablename__ = "trigger_appeals"
    __table_args__ = (sa.Index("ix_trigger_appeals_received_on", "received_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        sa.ForeignKey("trigger_applications.id", ondelete="CASCADE"), index=True
    )
    received_on: Mapped[date] = mapped_column(sa.Date)
    grounds: Mapped[str] = mapped_column(sa.Text)
    #: A handler who took no part (e.g. the PCC's office or another area's chair).
    handler_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    handler_name: Mapped[str | None] = mapped_column(sa.String(200))
    decision: Mapped[AppealDecision | None] = mapped_column(enum_column(AppealDecision))
    decision_reasons: Mapped[str | None] = mapped_column(sa.Text)
    decided_on: Mapped[date | None] = mapped_column(sa.Date)

    application: Mapped[TriggerApplication] = relationship(back_populates="appeals")
    handler = relationship("User")


class LessonsReview(TimestampMixin, Model):
    """The county ASB forum's lessons-learnt review of a concluded Case Review (in Derbyshire, the
    Derbyshire and Derby City ASB Forum considers Community Trigger cases so lessons are shared with
    every partner), recorded on the application."""

    __tablename__ = "trigger_lessons_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        sa.ForeignKey("trigger_applications.id", ondelete="CASCADE"), index=True
    )
    forum: Mapped[str] = mapped_column(sa.String(200))
    reviewed_on: Mapped[date] = mapped_column(sa.Date)
    lessons: Mapped[str] = mapped_column(sa.Text)
    #: Who the lessons were shared with (partners, the Safer Communities Board, ...).
    shared_with: Mapped[str | None] = mapped_column(sa.Text)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    application: Mapped[TriggerApplication] = relationship(back_populates="lessons_reviews")
    recorded_by = relationship("User")


class InformationRequest(TimestampMixin, Model):
    """A request to an agency for its information about the case (Sch 4 para 7), with a due date."""

    __tablename__ = "trigger_information_requests"
    __table_args__ = (sa.UniqueConstraint("application_id", "agency_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        sa.ForeignKey("trigger_applications.id", ondelete="CASCADE"), index=True
    )
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id"))
    requested_on: Mapped[date] = mapped_column(sa.Date)
    due_on: Mapped[date] = mapped_column(sa.Date)
    submitted_on: Mapped[date | None] = mapped_column(sa.Date)
    submission: Mapped[str | None] = mapped_column(sa.Text)
    submitted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    agency = relationship("Agency")
    documents: Mapped[list[TriggerDocument]] = relationship(back_populates="information_request")


class TriggerDocument(TimestampMixin, Model):
    """A file attached to an application (an agency's submission, meeting papers)."""

    __tablename__ = "trigger_documents"
    #: Kept when the rest is anonymised (casework.core.retention): the kind of file.
    __retained__ = ("content_type",)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        sa.ForeignKey("trigger_applications.id", ondelete="CASCADE"), index=True
    )
    information_request_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("trigger_information_requests.id", ondelete="SET NULL")
    )
    filename: Mapped[str] = mapped_column(sa.String(255))
    #: Found from the content when it was submitted.
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int] = mapped_column(sa.Integer)
    #: The file's bytes, in the service's file store (casework.core.storage).
    stored_file_id: Mapped[int] = mapped_column(sa.ForeignKey("stored_files.id"), index=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    information_request: Mapped[InformationRequest | None] = relationship(back_populates="documents")
    stored_file = relationship("StoredFile")


class MeetingAttendee(Model):
    __tablename__ = "trigger_meeting_attendees"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("trigger_meetings.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    agency_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agencies.id"))
    #: e.g. "chair", "victim", "victim's representative", "panel member".
    role: Mapped[str | None] = mapped_column(sa.String(100))
    attended: Mapped[bool] = mapped_column(sa.Boolean, default=True, server_default=sa.true())


class LetterKind(enum.StrEnum):
    acknowledgement = "acknowledgement"
    threshold_decision = "threshold_decision"
    meeting_invitation = "meeting_invitation"
    outcome = "outcome"
    appeal_decision = "appeal_decision"
    #: The Police and Crime Commissioner's review (Crime and Policing Act 2026): the request received,
    #: and the outcome.
    pcc_review_request = "pcc_review_request"
    pcc_review_outcome = "pcc_review_outcome"


class LetterTemplate(TimestampMixin, VersionedMixin, Model):
    """An editable letter template (Jinja, sandboxed). A null area is the default for every area."""

    __tablename__ = "trigger_letter_templates"
    __table_args__ = (sa.UniqueConstraint("kind", "area_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[LetterKind] = mapped_column(enum_column(LetterKind))
    area_id: Mapped[int | None] = mapped_column(sa.ForeignKey("areas.id", ondelete="CASCADE"))
    subject: Mapped[str] = mapped_column(sa.String(300))
    body: Mapped[str] = mapped_column(sa.Text)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))


class LetterRecipient(enum.StrEnum):
    applicant = "applicant"
    #: The victim, when someone else applied for them: the outcome goes to them too.
    victim = "victim"


class Letter(TimestampMixin, Model):
    """A letter produced for an application, kept as it was sent, and logged on the application."""

    __tablename__ = "trigger_letters"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        sa.ForeignKey("trigger_applications.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[LetterKind] = mapped_column(enum_column(LetterKind))
    subject: Mapped[str] = mapped_column(sa.String(300))
    body: Mapped[str] = mapped_column(sa.Text)
    #: The meeting, decision or appeal the letter is about, where there is one.
    meeting_id: Mapped[int | None] = mapped_column(sa.ForeignKey("trigger_meetings.id", ondelete="SET NULL"))
    appeal_id: Mapped[int | None] = mapped_column(sa.ForeignKey("trigger_appeals.id", ondelete="SET NULL"))
    sent_on: Mapped[date | None] = mapped_column(sa.Date)
    recipient: Mapped[LetterRecipient] = mapped_column(
        enum_column(LetterRecipient), default=LetterRecipient.applicant, server_default=LetterRecipient.applicant.value
    )
    emailed_to: Mapped[str | None] = mapped_column(sa.String(254))
    outbox_email_id: Mapped[int | None] = mapped_column(sa.ForeignKey("outbox_emails.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))


class AgencyNotification(Model):
    """Each relevant agency told of an application on receipt (the single point of contact duty)."""

    __tablename__ = "trigger_agency_notifications"
    #: Kept when the rest is anonymised (casework.core.retention): the staff addresses told (no applicant's data).
    __retained__ = ("recipients",)
    __table_args__ = (sa.UniqueConstraint("application_id", "agency_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        sa.ForeignKey("trigger_applications.id", ondelete="CASCADE"), index=True
    )
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id"))
    notified_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=sa.func.now())
    #: Users of the agency who were emailed (coordinators and managers), for the record.
    recipients: Mapped[list[str] | None] = mapped_column(sa.JSON)

    agency = relationship("Agency")


# The relationship above names it; its module is registered with the models (community_triggers.init_app).
from casework.community_triggers.pcc_review.models import PccReview  # noqa: E402
