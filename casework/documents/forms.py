"""Forms for the documents pages."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import RadioField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from casework.core.forms import options
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
