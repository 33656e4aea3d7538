"""Forms of the victim page (the victim's side) and of switching it on (the officer's side)."""

from __future__ import annotations

from flask_wtf.file import FileField
from wtforms import BooleanField, EmailField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from casework.cases.forms import ASKED_DATE_MESSAGE
from casework.core.forms import FlaskForm, GovukDateField, ReadVersionMixin, options


class SwitchOnForm(FlaskForm):
    email = EmailField(
        "Email address",
        description="Sign-in links are sent here.",
        validators=[Optional(), Length(max=254, message="The email address must be 254 characters or fewer")],
    )
    mobile = StringField(
        "UK mobile number",
        description="Sign-in codes are sent here by text message.",
        validators=[Optional(), Length(max=40, message="The mobile number must be 40 characters or fewer")],
    )
    contact_by = RadioField(
        "How do they want reminders?",
        description="Reminders of what happens next. Text messages need a mobile number.",
        choices=options([("email", "Email"), ("text", "Text message")]),
        validators=[Optional()],
    )
    contact_checked = BooleanField("I have checked these contact details with them, and they want to use the page")
    next_step = TextAreaField(
        "What happens next (optional)",
        description="Shown to them. Never write about planned enforcement or the other people involved.",
        validators=[Optional(), Length(max=2000, message="What happens next must be 2,000 characters or fewer")],
    )
    next_step_on = GovukDateField(
        invalid_message=ASKED_DATE_MESSAGE, label="When (optional)", validators=[Optional()], planned=True
    )


class ApplicantSwitchOnForm(FlaskForm):
    """Switching the page on for the applicant for a Case Review: their contact details, checked."""

    email = SwitchOnForm.email
    mobile = SwitchOnForm.mobile
    contact_by = SwitchOnForm.contact_by
    contact_checked = SwitchOnForm.contact_checked


class NextStepForm(ReadVersionMixin, FlaskForm):
    # What the page showed of the next step (``digest_version``): two officers of the agency may change
    # it, and the victim reads whichever was saved last.
    next_step = SwitchOnForm.next_step
    next_step_on = GovukDateField(
        invalid_message=ASKED_DATE_MESSAGE, label="When (optional)", validators=[Optional()], planned=True
    )


class EmailSignInForm(FlaskForm):
    email = EmailField(
        "Email address",
        description="The address you gave your officer.",
        validators=[
            DataRequired("Enter your email address"),
            Length(max=254, message="The email address must be 254 characters or fewer"),
        ],
    )


class MobileSignInForm(FlaskForm):
    mobile = StringField(
        "UK mobile number",
        description="The number you gave your officer.",
        validators=[
            DataRequired("Enter your mobile number"),
            Length(max=40, message="The mobile number must be 40 characters or fewer"),
        ],
    )


class CodeForm(FlaskForm):
    code = StringField(
        "Code",
        description="The 6 numbers in the text message.",
        validators=[DataRequired("Enter the code"), Length(max=20, message="Enter the 6 numbers of the code")],
    )


class DiaryForm(FlaskForm):
    happened_on = GovukDateField(
        invalid_message=ASKED_DATE_MESSAGE,
        label="When did it happen?",
        validators=[DataRequired("Enter the date it happened")],
        description="For example, 27 3 2026",
    )
    happened_at_time = StringField(
        "What time? (optional)",
        description="For example, 11pm, or about midnight.",
        validators=[Optional(), Length(max=40, message="The time must be 40 characters or fewer")],
    )
    location = StringField(
        "Where did it happen? (optional)",
        validators=[Optional(), Length(max=300, message="Where it happened must be 300 characters or fewer")],
    )
    what_happened = TextAreaField(
        "What happened?",
        validators=[
            DataRequired("Enter what happened"),
            Length(max=5000, message="What happened must be 5,000 characters or fewer"),
        ],
    )
    who_was_involved = TextAreaField(
        "Who was involved? (optional)",
        description="Names or descriptions, if you know them.",
        validators=[Optional(), Length(max=2000, message="Who was involved must be 2,000 characters or fewer")],
    )
    how_it_affected = TextAreaField(
        "How did it affect you? (optional)",
        validators=[Optional(), Length(max=2000, message="How it affected you must be 2,000 characters or fewer")],
    )
    file = FileField("Add a photo or recording (optional)")
