"""The tell-the-victim form."""

from __future__ import annotations

from wtforms import BooleanField, RadioField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from casework.cases.forms import ASKED_DATE_MESSAGE
from casework.core.forms import FlaskForm, GovukDateField, options
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
