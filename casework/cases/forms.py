"""Flask-WTF forms for the casework pages. Services do the domain checks; these check the shape."""

from __future__ import annotations

from typing import Any

from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, Optional

from casework.cases.models import ExplanationMethod, PartyRole, PersonKind
from casework.core.forms import FlaskForm, GovukDateField, options

#: The labels of the case pages' dates are questions ("When did the behaviour happen?"), so a date that
#: cannot be read gets one message that does not repeat them (``GovukDateField(invalid_message=...)``).
ASKED_DATE_MESSAGE = "Enter a real date, for example 27 3 2026"


# --- people ------------------------------------------------------------------------------------------


class PersonForm(FlaskForm):
    kind = RadioField(
        "What kind of person is this?",
        choices=options(
            [
                (PersonKind.individual.value, "An individual"),
                (PersonKind.business.value, "A business"),
                (PersonKind.group.value, "A group"),
                (PersonKind.unknown.value, "Unknown (for example, an unidentified perpetrator)"),
            ]
        ),
        default=PersonKind.individual.value,
    )
    name = StringField("Name", validators=[Length(max=200)], description="Leave blank for an unknown person")
    date_of_birth = GovukDateField(
        invalid_message=ASKED_DATE_MESSAGE,
        label="Date of birth",
        validators=[Optional()],
        description="If known. For example, 27 3 1985",
    )
    address = TextAreaField("Address", validators=[Optional(), Length(max=500)])
    postcode = StringField("Postcode", validators=[Optional(), Length(max=10)])
    email = EmailField("Email address", validators=[Optional(), Email("Enter an email address in the correct format")])
    phone = StringField("Phone number", validators=[Optional(), Length(max=40)])
    is_personally_vulnerable = BooleanField(
        "Personal vulnerability", description="Who they are: age, health, disability"
    )
    personal_vulnerability_notes = TextAreaField("Notes on personal vulnerability", validators=[Optional()])
    is_situationally_vulnerable = BooleanField(
        "Situational vulnerability", description="Their circumstances: living alone, isolation"
    )
    situational_vulnerability_notes = TextAreaField("Notes on situational vulnerability", validators=[Optional()])
    is_incidentally_vulnerable = BooleanField(
        "Incidental vulnerability", description="Brought on by the behaviour itself: fear, loss of sleep"
    )
    incidental_vulnerability_notes = TextAreaField("Notes on incidental vulnerability", validators=[Optional()])
    consent_given = RadioField(
        "Have they consented to their information being shared with partner agencies?",
        choices=options([("unknown", "Not asked yet"), ("yes", "Yes"), ("no", "No")]),
        default="unknown",
    )
    consent_on = GovukDateField(
        invalid_message=ASKED_DATE_MESSAGE, label="Date consent was given or refused", validators=[Optional()]
    )
    consent_scope = StringField(
        "What they agreed may be shared, and with whom", validators=[Optional(), Length(max=500)]
    )
    confirm_not_duplicate = HiddenField(default="")

    def person_values(self) -> dict[str, Any]:
        values = {
            name: field.data
            for name, field in self._fields.items()
            if name not in {"csrf_token", "confirm_not_duplicate", "consent_given"}
        }
        values["consent_given"] = {"yes": True, "no": False}.get(self.consent_given.data)
        for key in ("name", "address", "postcode", "email", "phone", "consent_scope"):
            values[key] = (values[key] or "").strip() or None
        return values


class PersonEditForm(PersonForm):
    version = HiddenField()


class PeopleSearchForm(FlaskForm):
    class Meta:
        csrf = False

    name = StringField("Name", validators=[Optional(), Length(max=200)])
    date_of_birth = GovukDateField(invalid_message=ASKED_DATE_MESSAGE, label="Date of birth", validators=[Optional()])
    postcode = StringField("Postcode", validators=[Optional(), Length(max=10)])


# --- cases -------------------------------------------------------------------------------------------


class ReassignForm(FlaskForm):
    owner_email = SelectField("Who should the cases go to?", validators=[DataRequired("Choose who the cases go to")])
    #: The chosen cases' ids, comma-separated (each loaded again through visibility when saved).
    case_ids = HiddenField()


class SavedViewForm(FlaskForm):
    name = StringField(
        "Name of the view",
        validators=[
            DataRequired("Enter a name for the view"),
            Length(max=100, message="The name must be 100 characters or fewer"),
        ],
        description="For example, My high risk cases",
    )
    share_with_team = BooleanField(
        "Share it with my team", description="Your manager and the people they manage will see it too"
    )
    #: The list's query string, as the list page had it.
    arguments = HiddenField()


class CaseForm(FlaskForm):
    area_code = SelectField("Area", validators=[DataRequired("Choose the area")])
    category = SelectField("Category", validators=[DataRequired("Choose a category")])
    summary = TextAreaField(
        "Summary",
        validators=[DataRequired("Enter a summary of the case"), Length(max=10_000)],
        description="What is happening, to whom, and since when",
    )
    location = StringField(
        "Location", validators=[Optional(), Length(max=300)], description="Street, estate or address"
    )
    lead_agency_code = SelectField("Lead agency", validators=[Optional()])
    owner_email = EmailField(
        "Case owner's email address",
        validators=[Optional(), Email("Enter an email address in the correct format")],
        description="Leave blank to own the case yourself",
    )
    is_restricted = BooleanField(
        "Restrict this case to named users", description="Only you, the case owner and users you name will see it"
    )


class CaseEditForm(FlaskForm):
    version = HiddenField()
    category = SelectField("Category", validators=[DataRequired("Choose a category")])
    summary = TextAreaField("Summary", validators=[DataRequired("Enter a summary of the case"), Length(max=10_000)])
    location = StringField("Location", validators=[Optional(), Length(max=300)])
    owner_email = EmailField(
        "Case owner's email address", validators=[Optional(), Email("Enter an email address in the correct format")]
    )
    is_restricted = BooleanField("Restrict this case to named users")


class CloseForm(FlaskForm):
    version = HiddenField()
    reason = TextAreaField(
        "Why is the case being closed?",
        validators=[DataRequired("Enter the reason for closing the case"), Length(max=500)],
    )
    closed_on = GovukDateField(
        invalid_message=ASKED_DATE_MESSAGE,
        label="Date closed",
        validators=[Optional()],
        description="Leave blank for today",
    )
    #: Asked only when the closing date is already past the area's retention period (the page shows
    #: it with a warning): the case would then be anonymised once the grace after closing has passed.
    confirm_closed_on = BooleanField("The closing date is right")


#: The choice for each ordinary open action on the close page.
ACTION_CHOICES = (("cancel", "Cancel it"), ("hand_over", "Hand it over"))


def close_form_for(actions: list[Any], staff: list[Any], **kwargs: Any) -> CloseForm:
    """The close form for a case with these open ordinary ``actions``: one cancel-or-hand-over choice
    per action (``action_<id>``), and who takes over what continues (chosen from ``staff``)."""

    class CaseCloseForm(CloseForm):
        handover_to = SelectField(
            "Who takes over the work that continues?",
            description="Statutory deadlines, and any action you hand over, go to this person.",
            validators=[Optional()],
        )

    for action in actions:
        setattr(
            CaseCloseForm,
            f"action_{action.id}",
            RadioField(
                f"{action.description} ({action.agency.name})",
                choices=options(ACTION_CHOICES),
                default="cancel",
                validate_choice=True,
            ),
        )
    form = CaseCloseForm(**kwargs)
    form.handover_to.choices = options(
        [("", "Keep the current owners"), *((str(u.id), f"{u.name} ({u.email})") for u in staff)]
    )
    return form


def handed_over_action_ids(form: Any, actions: list[Any]) -> list[int]:
    return [a.id for a in actions if getattr(form, f"action_{a.id}").data == "hand_over"]


class FirstContactForm(FlaskForm):
    version = HiddenField()
    victim_first_contacted_on = GovukDateField(
        "When was the victim first contacted about this case?",
        invalid_message=ASKED_DATE_MESSAGE,
        validators=[Optional()],
        description="For example, 27 3 2026. Not before the case was opened. Leave blank if not yet.",
    )


class ReopenForm(FlaskForm):
    version = HiddenField()
    reason = TextAreaField(
        "Why is the case being reopened?",
        validators=[DataRequired("Enter the reason for reopening the case"), Length(max=500)],
    )


class ShareForm(FlaskForm):
    agency_code = SelectField("Share with", validators=[DataRequired("Choose an agency")])


class AccessForm(FlaskForm):
    email = EmailField(
        "Email address of the user to name",
        validators=[DataRequired("Enter an email address"), Email("Enter an email address in the correct format")],
    )


class LinkForm(FlaskForm):
    reference = StringField(
        "Reference of the case to link",
        validators=[DataRequired("Enter a case reference")],
        description="For example, BOL-2026-0042",
    )


class NoteForm(FlaskForm):
    text = TextAreaField("Note", validators=[DataRequired("Enter the note"), Length(max=20_000)])


class PartyForm(FlaskForm):
    person_id = HiddenField(validators=[DataRequired()])
    role = SelectField("Role", choices=options((r.value, r.value.capitalize()) for r in PartyRole))


class IncidentForm(FlaskForm):
    occurred_on = GovukDateField(
        invalid_message=ASKED_DATE_MESSAGE,
        label="When did the behaviour happen?",
        validators=[DataRequired("Enter the date the behaviour happened")],
    )
    description = TextAreaField(
        "What happened?", validators=[DataRequired("Describe what happened"), Length(max=20_000)]
    )
    causes_had = BooleanField("It caused harassment, alarm or distress", default=True)
    hate_motivated = BooleanField("It was motivated by hate")
    complainant_person_id = SelectField("Who reported it?", validators=[Optional()])
    reported_on = GovukDateField(
        invalid_message=ASKED_DATE_MESSAGE,
        label="When was it reported?",
        validators=[Optional()],
        description="Leave blank if nobody reported it yet",
    )
    agency_code = SelectField("Which agency received the report?", validators=[Optional()])
    reference = StringField(
        "That agency's reference",
        validators=[Optional(), Length(max=100)],
        description="For example, a police log number",
    )


class ComplaintForm(FlaskForm):
    complainant_person_id = SelectField("Who reported it?", validators=[Optional()])
    reported_on = GovukDateField(
        invalid_message=ASKED_DATE_MESSAGE,
        label="When was it reported?",
        validators=[DataRequired("Enter the date it was reported")],
    )
    agency_code = SelectField("Which agency received the report?", validators=[DataRequired("Choose the agency")])
    reference = StringField("That agency's reference", validators=[Optional(), Length(max=100)])


class ExplanationForm(FlaskForm):
    explained_on = GovukDateField(
        invalid_message=ASKED_DATE_MESSAGE,
        label="When was the Case Review explained?",
        validators=[DataRequired("Enter the date")],
    )
    method = RadioField(
        "How was it explained?",
        choices=options((m.value, m.value.replace("_", " ").capitalize()) for m in ExplanationMethod),
        validators=[DataRequired("Choose how it was explained")],
    )
    notes = TextAreaField("Notes", validators=[Optional(), Length(max=5000)])


class CategoryForm(FlaskForm):
    code = StringField(
        "Code",
        validators=[DataRequired("Enter a code"), Length(max=40)],
        description="Lower case letters, for example fly_tipping",
    )
    name = StringField("Name", validators=[DataRequired("Enter a name"), Length(max=100)])
    area_code = SelectField(
        "Area", validators=[Optional()], description="Leave as all areas for a category every area may use"
    )


class PageIdForm(FlaskForm):
    """An empty form for buttons that only post (stop sharing): the CSRF token."""

    item = IntegerField(validators=[Optional()])
