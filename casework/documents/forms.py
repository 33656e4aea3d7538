"""Forms for the documents pages."""

from __future__ import annotations

from flask_wtf.file import FileField
from wtforms import BooleanField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from casework.core.forms import FlaskForm, options
from casework.documents.models import KIND_LABELS, UPLOAD_KINDS


class UploadForm(FlaskForm):
    file = FileField("Upload a file")
    kind = RadioField(
        "What is it?",
        choices=options((kind.value, KIND_LABELS[kind]) for kind in UPLOAD_KINDS),
        validators=[DataRequired("Select what kind of document this is")],
        validate_choice=False,  # the service refuses any other value, with the same message
    )
    incident_id = SelectField("What is it about?", choices=[], validate_choice=False)
    description = TextAreaField(
        "Description (optional)",
        description="For example, who made it and when, or what it shows.",
        validators=[Optional(), Length(max=2000, message="The description must be 2,000 characters or fewer")],
    )


class RemoveForm(FlaskForm):
    reason = TextAreaField(
        "Why are you removing it?",
        description="For example, it was added to the wrong case. The reason is kept in the case's history.",
        validators=[
            DataRequired("Enter why the document is being removed"),
            Length(max=2000, message="The reason must be 2,000 characters or fewer"),
        ],
    )


class LetterheadForm(FlaskForm):
    name = StringField(
        "Name",
        description="As it heads every letter, for example Bolsover Community Safety Partnership.",
        validators=[
            DataRequired("Enter the name"),
            Length(max=200, message="The name must be 200 characters or fewer"),
        ],
    )
    address = TextAreaField(
        "Address",
        description="One line for each part of the address.",
        validators=[Optional(), Length(max=500, message="The address must be 500 characters or fewer")],
    )
    contact = TextAreaField(
        "Contact details (optional)",
        description="Telephone, email and website, one on each line.",
        validators=[Optional(), Length(max=500, message="The contact details must be 500 characters or fewer")],
    )
    logo = FileField("Logo (optional)", description="A PNG or JPEG image, up to 1 MB.")
    logo_alt = StringField(
        "Text for people who cannot see the logo",
        description="For example, Bolsover District Council logo. Read out by screen readers in the PDFs.",
        validators=[Optional(), Length(max=200, message="The text must be 200 characters or fewer")],
    )
    remove_logo = BooleanField("Remove the logo")
    fixed_penalty_payment = TextAreaField(
        "How to pay a fixed penalty (printed on fixed penalty notices)",
        description="Who the penalty is paid to, their address, and the ways to pay.",
        validators=[Optional(), Length(max=2000, message="The text must be 2,000 characters or fewer")],
    )
    housing_and_legal_advice = TextAreaField(
        "Where to get advice about housing and legal matters (printed on closure notices)",
        description="Names and contact details of organisations in the area that give that advice.",
        validators=[Optional(), Length(max=2000, message="The text must be 2,000 characters or fewer")],
    )
