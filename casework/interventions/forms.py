"""Page forms for interventions."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from wtforms import BooleanField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, StopValidation

from casework.core.forms import FlaskForm, GovukDateField, ReadVersionMixin
from casework.core.inputs import whole_number
from casework.core.time import london_time
from casework.interventions.models import (
    CONDUCT_LABELS,
    KIND_LABELS,
    REVIEW_OUTCOME_LABELS,
    SERVICE_METHOD_LABELS,
    Conduct,
    InterventionKind,
    InterventionStatus,
    ReviewOutcome,
    ServiceMethod,
)


def required_choice(message: str, values: list[str]) -> Any:
    """One GOV.UK message ("Select ...") for a missing or unknown choice, instead of WTForms' two."""

    def check(_form: Any, field: Any) -> None:
        if field.data not in values:
            field.errors[:] = []
            raise StopValidation(message)

    return check


def parse_time(value: str | None) -> time | None:
    """``14:30``, ``2:30pm``, ``9am`` -> a time; None when empty; ValueError when not a time."""
    value = (value or "").strip().lower().replace(".", ":")
    if not value:
        return None
    # ASCII digits only: ``\d`` matches full-width and other digits too, which ``int`` then reads.
    match = re.fullmatch(r"([0-9]{1,2})(?::([0-9]{2}))?\s*(am|pm)?", value)
    if not match:
        raise ValueError("Enter a time like 14:30 or 2:30pm")
    hour, minute, suffix = int(match.group(1)), int(match.group(2) or 0), match.group(3)
    if suffix:
        if not 1 <= hour <= 12:
            raise ValueError("Enter a time like 14:30 or 2:30pm")
        hour = hour % 12 + (12 if suffix == "pm" else 0)
    if hour > 23 or minute > 59:
        raise ValueError("Enter a time like 14:30 or 2:30pm")
    return time(hour, minute)


def london_moment(day: date, at: time) -> datetime:
    """``at`` on ``day`` in London; ValueError (its message for the form) for a time the clocks skipped."""
    return london_time(day, at)


class KindForm(FlaskForm):
    kind = RadioField(
        "What are you recording?",
        choices=[SelectChoice(k.value, KIND_LABELS[k]) for k in InterventionKind],
        validate_choice=False,
        validators=[required_choice("Select what you are recording", [k.value for k in InterventionKind])],
    )


#: The fields each kind's form shows, besides the subject, date of issue, terms and notes.
KIND_FIELDS: dict[str, tuple[str, ...]] = {
    "warning_letter": (),
    "verbal_warning": (),
    "abc": ("ends_on", "parent_guardian_name"),
    "cpw": ("comply_by",),
    "cpn": ("comply_by",),
    "fpn": ("related_intervention_id", "amount", "discount_amount", "discount_days"),
    "civil_injunction": ("applied_on", "yot_consulted_on", "ends_on", "is_indefinite", "supervisor_name"),
    "respect_order": ("applied_on", "conduct", "ends_on", "is_indefinite", "supervisor_name"),
    "youth_injunction": ("applied_on", "yot_consulted_on", "ends_on", "supervisor_name"),
    "housing_injunction": ("applied_on", "conduct", "ends_on", "is_indefinite", "supervisor_name"),
    "cbo": ("convicted_on", "ends_on", "is_indefinite"),
    "closure_notice": (
        "issued_time",
        "duration_hours",
        "has_senior_sign_off",
        "authorised_by",
        "premises_owned_or_managed",
        "location",
    ),
    "closure_order": ("related_intervention_id", "ends_on", "location"),
    "dispersal": ("issued_time", "duration_hours", "location"),
    "pspo": ("ends_on", "location"),
    "community_remedy": ("victim_views", "victim_choice", "departure_reason"),
}


class InterventionForm(FlaskForm):
    subject_person_id = SelectField("Who is it for?", coerce=str, validators=[Optional()])
    issued_on = GovukDateField("Date of issue", required=True, description="For example, 27 3 2026")
    issued_time = StringField(
        "Time of service or direction", description="For example, 14:30 or 2:30pm", validators=[Optional()]
    )
    comply_by = GovukDateField(
        "Date by which the conduct must stop", description="For example, 27 4 2026", planned=True
    )
    ends_on = GovukDateField("End date", description="For example, 27 3 2027", planned=True)
    is_indefinite = BooleanField("Until further order (no end date)")
    convicted_on = GovukDateField("Date of conviction")
    applied_on = GovukDateField(
        "Date the application was made",
        description="Leave empty if it is the date of issue. The youth offending team consultation, and which "
        "power applies, follow this date.",
    )
    yot_consulted_on = GovukDateField(
        "Date the youth offending team was consulted",
        description="Needed before applying, if the respondent is under 18 on the day of the application",
    )
    conduct = RadioField(
        "What is the conduct?",
        choices=[SelectChoice(c.value, CONDUCT_LABELS[c]) for c in Conduct],
        validate_choice=False,
        validators=[Optional()],
    )
    supervisor_name = StringField(
        "Who supervises the requirements (optional)",
        description="The person or organisation responsible for supervising compliance with any requirements",
        validators=[Length(max=200)],
    )
    authorised_by = StringField(
        "Who signed it off",
        description="Name and rank or post, for example Supt 401 Reid",
        validators=[Length(max=200)],
    )
    premises_owned_or_managed = BooleanField("The premises are owned or managed by the issuing housing provider")
    duration_hours = StringField("Length in hours", validators=[Optional(), Length(max=4)])
    has_senior_sign_off = BooleanField(
        "Signed off at senior level",
        description="A superintendent, the council's chief executive or their designate, or a housing provider's "
        "senior manager: needed for a notice of more than 24 hours",
    )
    related_intervention_id = SelectField("Which notice or order is it for?", coerce=str, validators=[Optional()])
    amount = StringField("Amount", validators=[Optional(), Length(max=10)])
    discount_amount = StringField(
        "Reduced amount for early payment (optional)", validators=[Optional(), Length(max=10)]
    )
    discount_days = StringField("Days the reduced amount applies for", validators=[Optional(), Length(max=3)])
    location = StringField("Place", description="The area, premises or public place", validators=[Length(max=500)])
    requirements = TextAreaField("Requirements", validators=[Length(max=10_000)])
    prohibitions = TextAreaField(
        "Prohibitions", description="What the person must not do", validators=[Length(max=10_000)]
    )
    parent_guardian_name = StringField("Parent or guardian who signs", validators=[Length(max=200)])
    victim_views = TextAreaField("The victim's views", validators=[Length(max=10_000)])
    victim_choice = StringField("The action the victim chose", validators=[Length(max=500)])
    departure_reason = TextAreaField("Why a different action was chosen", validators=[Length(max=10_000)])
    issuing_officer_name = StringField(
        "Issuing officer, if not you", description="For example, PC 1234 Smith", validators=[Length(max=200)]
    )
    notes = TextAreaField("Notes", validators=[Length(max=10_000)])

    def to_data(self, kind: str) -> dict[str, Any]:
        """The service's input, or ValueError naming the field that could not be read (and, for the
        time, what is wrong with it)."""
        shown = set(KIND_FIELDS[kind])

        def text(name: str) -> str | None:
            value = getattr(self, name).data
            return value.strip() or None if isinstance(value, str) else value

        data: dict[str, Any] = {
            "kind": kind,
            "subject_person_id": int(self.subject_person_id.data) if self.subject_person_id.data else None,
            "issued_on": self.issued_on.data,
            "requirements": text("requirements"),
            "prohibitions": text("prohibitions"),
            "issuing_officer_name": text("issuing_officer_name"),
            "notes": text("notes"),
        }
        for name in shown:
            if name == "issued_time":
                try:
                    at = parse_time(self.issued_time.data)
                    data["issued_at"] = london_moment(self.issued_on.data, at) if at and self.issued_on.data else None
                except ValueError as error:
                    raise ValueError(name, str(error)) from None
            elif name in {"amount", "discount_amount"}:
                raw = (getattr(self, name).data or "").strip().lstrip("£")
                try:
                    data[name] = Decimal(raw) if raw else None
                except InvalidOperation:
                    raise ValueError(name) from None
            elif name in {"duration_hours", "discount_days"}:
                raw = (getattr(self, name).data or "").strip()
                if raw and whole_number(raw) is None:
                    raise ValueError(name)
                data[name] = whole_number(raw) if raw else None
            elif name == "related_intervention_id":
                data[name] = int(self.related_intervention_id.data) if self.related_intervention_id.data else None
            elif name == "conduct":
                data[name] = self.conduct.data if self.conduct.data in set(Conduct) else None
            else:
                data[name] = text(name)
        return data


class BreachForm(FlaskForm):
    occurred_on = GovukDateField("Date it happened", required=True, description="For example, 27 3 2026")
    description = TextAreaField(
        "What happened", validators=[DataRequired("Describe what happened"), Length(max=10_000)]
    )
    crime_reference = StringField(
        "Police crime reference (optional)",
        description="Where the breach was reported as a crime",
        validators=[Length(max=100)],
    )


class StatusForm(FlaskForm):
    status = RadioField(
        "Status",
        choices=[SelectChoice(s.value, s.value.capitalize()) for s in InterventionStatus],
        validate_choice=False,
        validators=[required_choice("Select a status", [s.value for s in InterventionStatus])],
    )
    notes = TextAreaField("Notes (optional)", validators=[Length(max=10_000)])
    version = StringField(validators=[Optional()])
    #: An appeal's days (``services.check_appeal_dates``): empty, today.
    appeal_lodged_on = GovukDateField(
        "Date the appeal was lodged (if marking it appealed)",
        description="Leave empty if it was lodged today. For example, 27 3 2026",
        what="the date the appeal was lodged",
    )
    appeal_decided_on = GovukDateField(
        "Date the appeal was decided (if the appeal has ended)",
        description="Leave empty if it was decided today. For example, 27 3 2026",
        what="the date the appeal was decided",
    )
    appeal_in_error = BooleanField(
        "The appeal was recorded by mistake: none was made",
        description="Its effects are undone as if it had never been recorded. Choose the status it had before.",
    )
    #: Marking it varied (``services.update_status``): empty, today. The time to appeal a closure order
    #: (s.84) or to challenge a PSPO (s.66) runs again from it.
    varied_on = GovukDateField(
        "Date it was varied (if marking it varied)",
        description="Leave empty if it was varied today. For example, 27 3 2026",
        what="the date it was varied",
    )

    def offer(self, statuses: Iterable[InterventionStatus]) -> None:
        """Offer only the statuses the intervention may be given (``services.status_choices``)."""
        self.status.choices = [SelectChoice(s.value, s.value.capitalize()) for s in statuses]


class ExtendForm(FlaskForm):
    ends_on = GovukDateField("New end date", required=True, description="For example, 27 3 2027", planned=True)
    #: The day the extension was made (``services.extend``): empty, today. The time to appeal runs again from it.
    extended_on = GovukDateField(
        "Date the extension was made",
        description="Leave empty if it was made today. For example, 27 3 2026",
        what="the date the extension was made",
    )


class ExtensionNoticeForm(FlaskForm):
    """A closure notice's extension notice (s.77(4))."""

    extended_on = GovukDateField("Date of the extension notice", required=True, description="For example, 20 11 2026")
    extended_time = StringField(
        "Time of the extension notice",
        description="For example, 14:30 or 2:30pm",
        validators=[DataRequired("Enter the time of the extension notice")],
    )
    hours = StringField(
        "Hours added",
        description="Up to 24 hours in all",
        validators=[DataRequired("Enter the hours the notice is extended by"), Length(max=3)],
    )
    has_senior_sign_off = BooleanField(
        "Signed off at senior level",
        description="A superintendent, the council's chief executive or their designate, or a housing provider's "
        "senior manager",
    )
    authorised_by = StringField(
        "Who signed it off",
        description="Name and rank or post, for example Supt 401 Reid",
        validators=[Length(max=200)],
    )


class ReviewForm(FlaskForm):
    reviewed_on = GovukDateField("Date of the review", required=True, description="For example, 20 11 2026")
    reviewed_time = StringField(
        "Time of the review (optional)", description="For example, 14:30 or 2:30pm", validators=[Optional()]
    )
    reviewer_name = StringField("Who reviewed it", description="Name and rank or post", validators=[Length(max=200)])
    outcome = RadioField(
        "Outcome of the review",
        choices=[SelectChoice(o.value, REVIEW_OUTCOME_LABELS[o]) for o in ReviewOutcome],
        validate_choice=False,
        validators=[required_choice("Select the outcome of the review", [o.value for o in ReviewOutcome])],
    )
    notes = TextAreaField("Notes (optional)", validators=[Length(max=10_000)])


class NoticeForm(FlaskForm):
    """What a notice says beyond the intervention's record, and how it was served."""

    recipient_name = StringField(
        "Who is it addressed to?",
        validators=[Length(max=200, message="The name must be 200 characters or fewer")],
    )
    recipient_address = TextAreaField(
        "Their address",
        description="One line for each part of the address, as it will be printed.",
        validators=[Length(max=500, message="The address must be 500 characters or fewer")],
    )
    conduct = TextAreaField(
        "The conduct",
        description="What they have been doing that has a detrimental effect on the quality of life of those in "
        "the locality, for example 'playing amplified music audible outside 9 Station Road late at night'.",
        validators=[Length(max=2000, message="The conduct must be 2,000 characters or fewer")],
    )
    particulars = TextAreaField(
        "Particulars of the offence",
        description="When, where and what happened: the failure to comply this penalty is for.",
        validators=[Length(max=2000, message="The particulars must be 2,000 characters or fewer")],
    )
    hearing_on = GovukDateField("Date of the hearing", planned=True, description="For example, 22 3 2026")
    hearing_time = StringField("Time of the hearing", description="For example, 9:30am")
    court = TextAreaField(
        "Where it will be heard",
        description="The magistrates' court and its address.",
        validators=[Length(max=500, message="The court must be 500 characters or fewer")],
    )
    served_on = GovukDateField("Date it was served", description="For example, 20 3 2026")
    served_time = StringField("Time it was served (optional)", description="For example, 14:30 or 2:30pm")
    method = RadioField(
        "How was it served?",
        choices=[SelectChoice(m.value, SERVICE_METHOD_LABELS[m]) for m in ServiceMethod],
        validate_choice=False,
        validators=[required_choice("Select how it was served", [m.value for m in ServiceMethod])],
    )
    served_by_name = StringField(
        "Who served it?",
        description="Their name (and rank or post, for a police officer).",
        validators=[Length(max=200, message="The name must be 200 characters or fewer")],
    )


class NoticeTemplateForm(ReadVersionMixin, FlaskForm):
    title = StringField(
        "Title",
        validators=[
            DataRequired("Enter the title"),
            Length(max=300, message="The title must be 300 characters or fewer"),
        ],
    )
    body = TextAreaField(
        "Notice",
        validators=[
            DataRequired("Enter the notice"),
            Length(max=50000, message="The notice must be 50,000 characters or fewer"),
        ],
    )
