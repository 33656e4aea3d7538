"""Flask-WTF forms for the Community Trigger pages (public and staff).

Dates are the core ``GovukDateField`` (``what`` names the date in its messages); a service's errors
go on the form with the core ``show_service_errors`` (forms with rows of their own say which field a
service's name means with ``field_for``).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional, ValidationError

from casework.community_triggers.models import CONSENT_ROLES, ApplicantRole, Channel
from casework.core.forms import FlaskForm, GovukDateField, ReadVersionMixin
from casework.core.inputs import is_digits


def choices(pairs: list[tuple[str, str]]) -> list[SelectChoice]:
    """WTForms 3.3 wants SelectChoice objects rather than (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


def labels(field: Any) -> dict[str, str]:
    """A choice field's labels by value."""
    return {choice.value: choice.label for choice in field.choices or ()}


APPLICANT_ROLES = [
    (ApplicantRole.victim.value, "I am the victim of the anti-social behaviour"),
    (ApplicantRole.on_behalf.value, "I am applying for someone else"),
    (ApplicantRole.group.value, "I am applying for a group or community"),
    (ApplicantRole.partner.value, "I work for an agency and am applying for a victim"),
]

STAFF_CHANNELS = [
    (Channel.phone.value, "Phone"),
    (Channel.letter.value, "Letter"),
    (Channel.email.value, "Email"),
    (Channel.in_person.value, "In person"),
    (Channel.partner.value, "Partner agency"),
]

#: Rows of complaints shown at first; "Add another complaint" adds one more, up to the maximum.
COMPLAINT_ROWS = 3
MAX_COMPLAINT_ROWS = 20
OTHER_AGENCY = "other"


def add_error(field: Any, message: str) -> None:
    """Attach one of the form's own cross-field messages to a field."""
    field.errors = [*field.errors, message]


def required_date(field: GovukDateField) -> date | None:
    """A row's date, which a row that is filled in must have ("Enter <what>" when it has none): a date
    field of a row cannot be ``required`` itself, as a row left blank is ignored."""
    if field.data is None and not field.errors:
        add_error(field, f"Enter {field.what}")
    return None if field.errors else field.data


def has_errors(form: Any) -> bool:
    return bool(error_items(form))


def error_items(form: Any) -> list[dict[str, str]]:
    """The error summary's list, walking into lists of rows (the core helper shows top-level fields).

    Each item links to the control the message is about.
    """
    from casework.core.templating import _messages, field_anchor

    items = [{"text": str(message)} for message in getattr(form, "form_errors", None) or ()]

    def walk(field: Any) -> None:
        if field.type == "FieldList":
            for entry in field.entries:
                walk(entry)
        elif field.type == "FormField":
            for sub in field.form:
                walk(sub)
        else:
            messages = _messages(field.errors)
            if messages:
                items.append({"text": messages[0], "href": f"#{field_anchor(field)}"})

    for field in form:
        walk(field)
    return items


class ChecksMixin:
    """Forms with checks across fields (``check``), and rows whose errors count (``has_errors``)."""

    def validate(self, extra_validators: Any = None) -> bool:
        super().validate(extra_validators)  # type: ignore[misc]
        self.check()
        return not has_errors(self)

    def check(self) -> None:
        """Checks across fields, after the fields' own."""


class ComplaintRow(Form):
    """One complaint the applicant made. A row left completely blank is ignored."""

    complainant_name = StringField(
        "Who made the complaint (optional)",
        description="Leave blank if you made it yourself",
        validators=[Optional(), Length(max=200)],
    )
    occurred_on = GovukDateField("When did the behaviour happen?", what="the date the behaviour happened")
    reported_on = GovukDateField("When did you report it?", what="the date it was reported")
    agency = SelectField("Who did you report it to?", choices=[], validate_choice=False)
    reported_to = StringField("If it was someone else, who?", validators=[Optional(), Length(max=200)])
    reference = StringField(
        "Reference number (optional)",
        description="For example, a police log number or a case number from the council or landlord",
        validators=[Optional(), Length(max=100)],
    )
    hate_motivated = BooleanField("I think this was because of who I am (a hate incident)")

    def is_blank(self) -> bool:
        return (
            self.occurred_on.is_empty()
            and self.reported_on.is_empty()
            and not (self.agency.data or "").strip()
            and not (self.reported_to.data or "").strip()
            and not (self.reference.data or "").strip()
            and not (self.complainant_name.data or "").strip()
        )

    def check(self) -> bool:
        occurred = required_date(self.occurred_on)
        reported = required_date(self.reported_on)
        if occurred and reported and reported < occurred:
            add_error(self.reported_on, "The date it was reported must be on or after the day it happened")
        agency = (self.agency.data or "").strip()
        if not agency or (agency == OTHER_AGENCY and not (self.reported_to.data or "").strip()):
            add_error(self.agency, "Select who it was reported to, or choose someone else and type their name")
        return not (self.occurred_on.errors or self.reported_on.errors or self.agency.errors)


class ApplicationForm(ChecksMixin, FlaskForm):
    """The application: the public form, and (with channel and received on) the staff form."""

    applicant_role = RadioField(
        "Who is applying?", choices=choices(APPLICANT_ROLES), validators=[InputRequired("Select who is applying")]
    )
    consent_given = BooleanField("The person I am applying for has agreed to this application")
    consent_not_needed_reason = TextAreaField(
        "If they have not agreed, why is their agreement not needed?",
        description="For example, they do not have the mental capacity to decide",
        validators=[Optional(), Length(max=5000)],
    )
    victim_name = StringField("Their full name (optional)", validators=[Optional(), Length(max=200)])
    victim_email = StringField(
        "Their email address (optional)",
        description="We will send them the outcome of the review too",
        validators=[
            Optional(),
            Email("Enter their email address in the correct format, like name@example.com"),
            Length(max=254),
        ],
    )
    victim_address = TextAreaField("Their postal address (optional)", validators=[Optional(), Length(max=500)])
    area = RadioField(
        "Where is the anti-social behaviour happening?",
        choices=[],
        validators=[InputRequired("Select the area where it is happening")],
    )
    applicant_name = StringField("Full name", validators=[DataRequired("Enter your full name"), Length(max=200)])
    applicant_email = StringField(
        "Email address (optional)",
        description="We will send your confirmation and letters here",
        validators=[
            Optional(),
            Email("Enter an email address in the correct format, like name@example.com"),
            Length(max=254),
        ],
    )
    applicant_phone = StringField("Phone number (optional)", validators=[Optional(), Length(max=40)])
    applicant_address = TextAreaField("Postal address (optional)", validators=[Optional(), Length(max=500)])
    description = TextAreaField(
        "What has been happening?",
        description="Tell us about the behaviour, how long it has gone on and how it affects you",
        validators=[DataRequired("Tell us what has been happening"), Length(max=10000)],
    )
    complaints = FieldList(FormField(ComplaintRow), min_entries=COMPLAINT_ROWS, max_entries=MAX_COMPLAINT_ROWS)
    #: Bots fill every field; people never see this one (hidden by a class, skipped by screen readers).
    website = StringField("Leave this field empty")
    add_complaint = SubmitField("Add another complaint")
    change = SubmitField("Change your answers")
    confirm = SubmitField("Accept and send")

    def set_choices(self, areas: list[Any], agencies: list[Any]) -> None:
        self.area.choices = choices([(area.code, area.name) for area in areas])
        agency_choices = choices(
            [("", "Select an organisation")]
            + [(a.code, a.name) for a in agencies]
            + [(OTHER_AGENCY, "Someone else (type their name)")]
        )
        for row in self.complaints:
            row.form.agency.choices = agency_choices

    def filled_complaints(self) -> list[ComplaintRow]:
        return [row.form for row in self.complaints if not row.form.is_blank()]

    def validate_consent_given(self, field: BooleanField) -> None:
        applies_for_someone = self.applicant_role.data in {role.value for role in CONSENT_ROLES}
        if applies_for_someone and not field.data and not (self.consent_not_needed_reason.data or "").strip():
            raise ValidationError(
                "Confirm that the person you are applying for has agreed, or say why their agreement is not needed"
            )

    def check(self) -> None:
        rows = self.filled_complaints()
        if not rows:
            add_error(self.complaints.entries[0].form.occurred_on, "Enter at least one complaint that was made")
        for row in rows:
            row.check()

    def field_for(self, key: str) -> Any:
        """The field a service's error key names (``complaints.0.reported_on``, ``applicant.name``)."""
        parts = key.split(".")
        if parts[0] == "applicant" and len(parts) == 2:
            return self._fields.get(f"applicant_{parts[1]}")
        if parts[0] == "complaints" and len(parts) == 3 and is_digits(parts[1]):
            rows = self.filled_complaints()
            index = int(parts[1])
            if index < len(rows):
                return rows[index]._fields.get("agency" if parts[2] == "agency_code" else parts[2])
        return self._fields.get(key)

    def complaints_data(self, agencies: dict[str, Any]) -> list[dict[str, Any]]:
        """The complaints for ``services.register_application``; ``agencies`` maps codes to Agency."""
        result = []
        for row in self.filled_complaints():
            agency = (row.agency.data or "").strip()
            result.append(
                {
                    "complainant_name": (row.complainant_name.data or "").strip() or None,
                    "occurred_on": row.occurred_on.data,
                    "reported_on": row.reported_on.data,
                    "agency": agencies.get(agency),
                    "reported_to": (row.reported_to.data or "").strip() or None,
                    "reference": (row.reference.data or "").strip() or None,
                    "causes_had": True,
                    "hate_motivated": bool(row.hate_motivated.data),
                }
            )
        return result

    def application_data(
        self, *, area: Any, agencies: dict[str, Any], channel: str, received_on: date | None
    ) -> dict[str, Any]:
        return {
            "area": area,
            "received_on": received_on,
            "channel": channel,
            "applicant": {
                "name": self.applicant_name.data,
                "email": self.applicant_email.data or None,
                "phone": self.applicant_phone.data or None,
                "address": self.applicant_address.data or None,
            },
            "applicant_role": self.applicant_role.data,
            # Consent is what the applicant confirmed, never assumed from the role.
            "consent_given": bool(self.consent_given.data),
            "consent_not_needed_reason": self.consent_not_needed_reason.data or None,
            "victim": {
                "name": self.victim_name.data or None,
                "email": self.victim_email.data or None,
                "address": self.victim_address.data or None,
            },
            "description": self.description.data,
            "cases": [],
            "complaints": self.complaints_data(agencies),
        }


class StaffApplicationForm(ApplicationForm):
    channel = RadioField(
        "How was the application received?",
        choices=choices(STAFF_CHANNELS),
        validators=[InputRequired("Select how the application was received")],
    )
    received_on = GovukDateField("When was it received?", what="the date it was received", required=True)
    applicant_name = StringField(
        "Applicant's full name", validators=[DataRequired("Enter the applicant's full name"), Length(max=200)]
    )


class ProgressForm(FlaskForm):
    reference = StringField(
        "Application reference",
        description="It is on your confirmation page and email, for example BOL-CT-2026-0003",
        validators=[DataRequired("Enter your application reference"), Length(max=30)],
    )
    contact = StringField(
        "Email address or phone number",
        description="The one you gave on the application",
        validators=[
            DataRequired("Enter the email address or phone number you gave on the application"),
            Length(max=254),
        ],
    )


class ScreenOutForm(ChecksMixin, FlaskForm):
    reason = TextAreaField(
        "Why is this not a Case Review, and where has it been redirected?",
        description="For example: a complaint about an officer, sent to the council's complaints team",
        validators=[DataRequired("Enter the reason and where it was redirected"), Length(max=5000)],
    )
    kind = RadioField(
        "What is it?",
        choices=choices(
            [
                ("service_complaint", "A complaint about a service"),
                ("new_incident", "A report of new anti-social behaviour"),
            ]
        ),
        validators=[InputRequired("Select what it is")],
    )
    screened_out_on = GovukDateField("Date decided", what="the date decided", required=True)


def SendLetterField() -> BooleanField:  # named like a field class: it is a field factory
    """The step's letter for a step dated before today: recorded only unless asked."""
    return BooleanField(
        "Send the letter now",
        description=(
            "Only for a date before today: past steps are recorded without sending their letter unless you tick this."
        ),
    )


class DatedForm(ChecksMixin, FlaskForm):
    """One dated step (acknowledge)."""

    on = GovukDateField("Date", what="the date", required=True)
    send_letter = SendLetterField()


class DecisionForm(ChecksMixin, FlaskForm):
    met = RadioField(
        "Is the threshold met?",
        choices=choices([("yes", "Yes, the threshold is met"), ("no", "No, the threshold is not met")]),
        validators=[InputRequired("Select whether the threshold is met")],
    )
    basis = RadioField(
        "On what basis is it met?",
        choices=choices(
            [
                ("automatic", "Automatic: enough qualifying complaints"),
                ("community", "Community: enough different complainants"),
                ("hate", "Hate incident"),
                ("discretionary", "Discretionary: persistence, harm and the response"),
                ("vulnerable_override", "Vulnerable victim (manager's decision)"),
            ]
        ),
        validators=[Optional()],
    )
    reasons = TextAreaField(
        "Reasons for the decision", validators=[DataRequired("Enter the reasons for the decision"), Length(max=10000)]
    )
    persistence = TextAreaField("Persistence of the behaviour", validators=[Optional(), Length(max=5000)])
    harm = TextAreaField("Harm or potential harm", validators=[Optional(), Length(max=5000)])
    adequacy = TextAreaField("Adequacy of the response", validators=[Optional(), Length(max=5000)])
    decided_on = GovukDateField("Date of the decision", what="the date of the decision", required=True)
    send_letter = SendLetterField()

    def check(self) -> None:
        # Not an in-line validator: Optional() stops the chain on an empty field before it would run.
        if self.met.data == "yes" and not self.basis.data:
            add_error(self.basis, "Select the basis on which the threshold is met")


class MeetingForm(ChecksMixin, FlaskForm):
    scheduled_on = GovukDateField("Date of the meeting", what="the date of the meeting", required=True, planned=True)
    chair = SelectField("Independent chair", choices=[], validators=[DataRequired("Select the chair")])
    location = StringField("Where", validators=[Optional(), Length(max=300)])
    arranged_on = GovukDateField(
        "Date the meeting was arranged (leave empty for today)", what="the date the meeting was arranged"
    )
    send_letter = SendLetterField()


class MeetingDetailsForm(ReadVersionMixin, ChecksMixin, FlaskForm):
    agenda = TextAreaField(
        "Notes for the agenda (optional)",
        description="The agenda's items are under Papers",
        validators=[Optional(), Length(max=10000)],
    )
    location = StringField("Where", validators=[Optional(), Length(max=300)])
    victim_invited = RadioField(
        "Is the victim invited?", choices=choices([("yes", "Yes"), ("no", "No")]), validators=[Optional()]
    )
    victim_not_invited_reason = TextAreaField(
        "Why is the victim not invited?", validators=[Optional(), Length(max=5000)]
    )
    papers_sent_on = GovukDateField("Date the papers were sent to the panel (optional)")

    def check(self) -> None:
        if self.victim_invited.data == "no" and not (self.victim_not_invited_reason.data or "").strip():
            add_error(self.victim_not_invited_reason, "Enter why the victim is not invited")


class PapersSentForm(ReadVersionMixin, FlaskForm):
    """The day the papers went to the panel, recorded once the meeting is held (its other arrangements
    can no longer change then): the record is often made after the meeting, until the review is complete."""

    papers_sent_on = GovukDateField(
        "Date the papers were sent to the panel", required="Enter the date the papers were sent to the panel"
    )


class AttendeeForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired("Enter the attendee's name"), Length(max=200)])
    role = StringField(
        "Role",
        description="For example, panel member or victim's representative",
        validators=[Optional(), Length(max=100)],
    )
    agency = SelectField("Agency", choices=[], validate_choice=False)


class RecommendationRow(Form):
    text = TextAreaField("Recommendation", validators=[Optional(), Length(max=5000)])
    agency = SelectField("Addressed to", choices=[], validate_choice=False)
    #: The people who may own it (``services.recommendation_owner_choices``), by email address: the
    #: service looks the choice up as it looks up the API's ``owner_email`` (``recommendation_owner``),
    #: so a value the page did not offer is refused in the same words, not as "Not a valid choice".
    owner = SelectField(
        "Owner (optional)",
        description="Someone at the agency it is addressed to who can see the linked case",
        choices=[],
        validate_choice=False,
    )
    due_on = GovukDateField("Due date", what="the due date", planned=True)

    def is_blank(self) -> bool:
        return not (self.text.data or "").strip() and self.due_on.is_empty() and not self.agency.data

    def check(self) -> bool:
        if not (self.text.data or "").strip():
            add_error(self.text, "Enter the recommendation")
        if not self.agency.data:
            add_error(self.agency, "Select the agency it is addressed to")
        required_date(self.due_on)
        return not (self.text.errors or self.agency.errors or self.due_on.errors)


class OutcomeForm(ChecksMixin, FlaskForm):
    held_on = GovukDateField("Date the meeting was held", what="the date the meeting was held", required=True)
    minutes = TextAreaField("Minutes", validators=[DataRequired("Enter the minutes"), Length(max=50000)])
    proportionality_assessment = TextAreaField(
        "Perpetrator proportionality assessment",
        description="Whether the actions proposed against the perpetrator are proportionate",
        validators=[Optional(), Length(max=10000)],
    )
    outcome = TextAreaField("Outcome", validators=[Optional(), Length(max=10000)])
    victim_invited = RadioField(
        "Was the victim invited to the meeting?",
        choices=choices([("yes", "Yes"), ("no", "No")]),
        validators=[InputRequired("Select whether the victim was invited")],
    )
    victim_not_invited_reason = TextAreaField(
        "Why was the victim not invited?", validators=[Optional(), Length(max=5000)]
    )
    recommendations = FieldList(FormField(RecommendationRow), min_entries=2, max_entries=20)
    add_recommendation = SubmitField("Add another recommendation")
    save = SubmitField("Record the outcome")

    def set_choices(self, agencies: list[Any], owners: list[Any]) -> None:
        agency_choices = choices([("", "Select an agency")] + [(a.code, a.name) for a in agencies])
        owner_choices = choices([("", "Nobody named")] + [(u.email, f"{u.name}, {u.agency.name}") for u in owners])
        for row in self.recommendations:
            row.form.agency.choices = agency_choices
            row.form.owner.choices = owner_choices

    def filled(self) -> list[RecommendationRow]:
        return [row.form for row in self.recommendations if not row.form.is_blank()]

    #: The service's names of a recommendation's fields that the row calls otherwise.
    ROW_FIELDS = {"agency_code": "agency", "owner_email": "owner"}

    def field_for(self, key: str) -> Any:
        parts = key.split(".")
        if parts[0] == "recommendations" and len(parts) == 3 and is_digits(parts[1]):
            rows = self.filled()
            if int(parts[1]) < len(rows):
                return rows[int(parts[1])]._fields.get(self.ROW_FIELDS.get(parts[2], parts[2]))
        return self._fields.get(key)

    def check(self) -> None:
        if self.victim_invited.data == "no" and not (self.victim_not_invited_reason.data or "").strip():
            add_error(self.victim_not_invited_reason, "Enter why the victim was not invited")
        for row in self.filled():
            row.check()


class InformationRequestForm(ChecksMixin, FlaskForm):
    agency = SelectField("Agency", choices=[], validators=[DataRequired("Select the agency")])
    due_on = GovukDateField("Due date", what="the due date", required=True, planned=True)


class SubmissionForm(FlaskForm):
    submission = TextAreaField(
        "Your agency's information",
        description="The complaints you received, what you did and what you know",
        validators=[DataRequired("Enter your agency's information"), Length(max=50000)],
    )
    document = FileField("Attach a file (optional)", description="PDF, Word, plain text or an image, up to 10 MB")


class AppealForm(ChecksMixin, FlaskForm):
    received_on = GovukDateField("Date the appeal was received", what="the date the appeal was received", required=True)
    grounds = TextAreaField("Grounds of appeal", validators=[DataRequired("Enter the grounds"), Length(max=10000)])


class AppealHandlerForm(FlaskForm):
    handler_name = StringField(
        "Handler's name and organisation",
        description="Someone who took no part, for example the PCC's office",
        validators=[DataRequired("Enter the handler"), Length(max=200)],
    )


class AppealDecisionForm(ChecksMixin, FlaskForm):
    decision = RadioField(
        "Decision",
        choices=choices([("upheld", "Upheld: the review goes back for a new meeting"), ("not_upheld", "Not upheld")]),
        validators=[InputRequired("Select the decision")],
    )
    reasons = TextAreaField("Reasons", validators=[DataRequired("Enter the reasons"), Length(max=10000)])
    decided_on = GovukDateField("Date of the decision", what="the date of the decision", required=True)
    send_letter = SendLetterField()


class WithdrawForm(ChecksMixin, FlaskForm):
    reason = TextAreaField(
        "Why is the application being withdrawn?", validators=[DataRequired("Enter the reason"), Length(max=5000)]
    )
    withdrawn_on = GovukDateField("Date withdrawn", what="the date withdrawn", required=True)


class LinkCaseForm(FlaskForm):
    case_reference = StringField(
        "Case reference",
        description="For example, BOL-2026-0042",
        validators=[DataRequired("Enter a case reference"), Length(max=40)],
    )


class LetterTemplateForm(ReadVersionMixin, FlaskForm):
    subject = StringField("Subject", validators=[DataRequired("Enter the subject"), Length(max=300)])
    body = TextAreaField("Letter", validators=[DataRequired("Enter the letter"), Length(max=50000)])
    preview = SubmitField("Preview")
    save = SubmitField("Save template")


# --- completeness and the review papers ---------------------------------------------------------------


class CompletenessFormBase(FlaskForm):
    victim_not_consulted_reason = TextAreaField(
        "Why was the victim not consulted on the action plan?",
        description="For example, they asked not to be contacted again",
        validators=[Optional(), Length(max=5000)],
    )
    held_early_reason = TextAreaField(
        "Why was the meeting held before the day it was scheduled for?", validators=[Optional(), Length(max=5000)]
    )
    #: Service error key (``missing_information.BDC``) -> form field name, set by ``completeness_form``.
    MISSING_FIELDS: dict[str, str] = {}

    def field_for(self, key: str) -> Any:
        return self._fields.get(self.MISSING_FIELDS.get(key, key))

    def missing_reasons(self, agencies: list[Any]) -> dict[Any, str]:
        return {agency: self[f"missing_{agency.id}"].data or "" for agency in agencies}


def completeness_form(missing_agencies: list[Any], **kwargs: Any) -> CompletenessFormBase:
    """The confirmation form, with a reason box for each agency whose information is not in."""

    class CompletenessForm(CompletenessFormBase):
        MISSING_FIELDS = {f"missing_information.{agency.code}": f"missing_{agency.id}" for agency in missing_agencies}

    for agency in missing_agencies:
        setattr(
            CompletenessForm,
            f"missing_{agency.id}",
            TextAreaField(f"Why is {agency.name}'s information not in?", validators=[Optional(), Length(max=5000)]),
        )
    return CompletenessForm(**kwargs)


class ConsultationFormBase(ReadVersionMixin, ChecksMixin, FlaskForm):
    # The meeting's version: the coordinator and the chair can both record the consultation, and a second
    # recording replaces the victim's view of each recommendation the first one gave.
    consulted_on = GovukDateField(
        "Date the victim was consulted", what="the date the victim was consulted", required=True
    )
    notes = TextAreaField(
        "What the victim said about the action plan",
        validators=[DataRequired("Enter what the victim said"), Length(max=10000)],
    )

    def views(self, recommendations: list[Any]) -> dict[int, str]:
        return {item.id: self[f"view_{item.id}"].data or "" for item in recommendations}


def consultation_form(recommendations: list[Any], **kwargs: Any) -> ConsultationFormBase:
    """The victim's consultation on the action plan, with their view of each recommendation."""

    class ConsultationWithViews(ConsultationFormBase):
        pass

    for index, item in enumerate(recommendations, 1):
        setattr(
            ConsultationWithViews,
            f"view_{item.id}",
            TextAreaField(
                f"Their view of recommendation {index} (optional)",
                description=item.text,
                validators=[Optional(), Length(max=5000)],
            ),
        )
    return ConsultationWithViews(**kwargs)


class AgendaRow(Form):
    title = StringField("Item", validators=[Optional(), Length(max=300)])
    lead = StringField("Led by (optional)", validators=[Optional(), Length(max=200)])
    notes = TextAreaField("Notes (optional)", validators=[Optional(), Length(max=10000)])


class AgendaForm(ReadVersionMixin, FlaskForm):
    items = FieldList(FormField(AgendaRow), min_entries=1, max_entries=40)
    add_item = SubmitField("Add another item")
    save = SubmitField("Save the agenda")

    def rows(self) -> list[dict[str, Any]]:
        return [
            {"title": row.form.title.data, "lead": row.form.lead.data, "notes": row.form.notes.data}
            for row in self.items
        ]

    def field_for(self, key: str) -> Any:
        parts = key.split(".")
        if parts[0] == "agenda_items" and len(parts) == 3 and is_digits(parts[1]) and int(parts[1]) < len(self.items):
            return self.items.entries[int(parts[1])].form._fields.get(parts[2])
        return None


class ProportionalityForm(ReadVersionMixin, ChecksMixin, FlaskForm):
    #: The perpetrators of the linked cases (seen by whoever sees the application), or someone named.
    person = SelectField("Who is the assessment about?", choices=[])
    subject_name = StringField(
        "Their name, if they are not listed",
        validators=[Optional(), Length(max=200)],
    )
    age_note = TextAreaField("Age", validators=[Optional(), Length(max=10000)])
    vulnerability_note = TextAreaField("Vulnerability and capacity", validators=[Optional(), Length(max=10000)])
    consequences_note = TextAreaField("Housing and other consequences", validators=[Optional(), Length(max=10000)])
    previous_interventions_note = TextAreaField(
        "Previous interventions and their effect", validators=[Optional(), Length(max=10000)]
    )
    victim_view_note = TextAreaField("The victim's view", validators=[Optional(), Length(max=10000)])
    conclusion = TextAreaField(
        "Conclusion",
        description="Are the actions proposed against this person proportionate, and why?",
        validators=[DataRequired("Enter the conclusion"), Length(max=20000)],
    )
    assessed_on = GovukDateField("Date of the assessment", what="the date of the assessment", required=True)

    def field_for(self, key: str) -> Any:
        if key == "factors":
            return self.age_note
        return self._fields.get(key)


class LessonsReviewForm(ChecksMixin, FlaskForm):
    forum = StringField(
        "Which forum reviewed it?",
        description="For example, the Derbyshire and Derby City ASB Forum",
        validators=[DataRequired("Enter the forum"), Length(max=200)],
    )
    reviewed_on = GovukDateField("Date of the forum's review", what="the date of the forum's review", required=True)
    lessons = TextAreaField(
        "Lessons learnt",
        description="What the partners should do differently, or that there were none",
        validators=[DataRequired("Enter the lessons learnt"), Length(max=20000)],
    )
    shared_with = TextAreaField(
        "Who the lessons were shared with (optional)", validators=[Optional(), Length(max=5000)]
    )
