from __future__ import annotations

from wtforms import RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from casework.core.forms import FlaskForm

DELIVERY_CHOICES = [
    SelectChoice("each", "A reminder for each deadline, and a daily digest if you manage a team"),
    SelectChoice("digest_only", "Only a daily digest of what is due and overdue"),
]


class NotificationSettingsForm(FlaskForm):
    delivery = RadioField(
        "How do you want to hear about your deadlines?",
        choices=DELIVERY_CHOICES,
        validators=[InputRequired("Select how you want to hear about your deadlines")],
        description="Your manager is told about overdue work either way.",
    )
