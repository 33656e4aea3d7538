"""The tell-the-victim form, and the admin's form for its template."""

from __future__ import annotations

from wtforms import BooleanField, RadioField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from casework.cases.forms import ASKED_DATE_MESSAGE
from casework.core.forms import FlaskForm, GovukDateField, ReadVersionMixin, options
from casework.threshold_watch.models import TOLD_METHOD_LABELS


class ToldForm(FlaskForm):
    told_on = GovukDateField(
        invalid_message=ASKED_DATE_MESSAGE, label="When were they told?", validators=[DataRequired("Enter the date")]
    )
    method = RadioField(
        "How were they told?",
        choices=options((m.value, label) for m, label in TOLD_METHOD_LABELS.items()),
        validators=[DataRequired("Choose how they were told")],
    )
    send_email = BooleanField(
        "Send them the email now",
        description="Sends the email shown on this page to the address on their record.",
        validators=[Optional()],
    )
    notes = TextAreaField("Notes", validators=[Optional(), Length(max=5000)])


class TellTemplateForm(ReadVersionMixin, FlaskForm):
    subject = StringField("Subject", validators=[DataRequired("Enter the subject"), Length(max=300)])
    body = TextAreaField(
        "Letter or email",
        validators=[
            DataRequired("Enter the letter"),
            Length(max=20000, message="The letter must be 20,000 characters or fewer"),
        ],
    )
    preview = SubmitField("Preview")
    save = SubmitField("Save template")
