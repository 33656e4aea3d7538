"""Page forms for tasking meetings."""

from __future__ import annotations

from wtforms import IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from casework.core.forms import FlaskForm, GovukDateField, ReadVersionMixin


class SeriesForm(FlaskForm):
    name = StringField(
        "Name of the meeting", validators=[DataRequired("Enter a name for the meeting"), Length(max=200)]
    )
    area_id = SelectField("Area", coerce=str, validate_choice=False, validators=[DataRequired("Choose the area")])
    interval_days = IntegerField(
        "Days between meetings",
        description="7 for weekly, 14 for fortnightly",
        validators=[
            DataRequired("Enter the number of days between meetings"),
            NumberRange(1, 92, "Enter a number from 1 to 92"),
        ],
    )
    agency_ids = SelectMultipleField("Agencies that attend", coerce=str, validate_choice=False)
    held_on = GovukDateField(
        "Date of the first meeting", description="For example, 27 3 2026", planned=True, required=True
    )


class MeetingForm(FlaskForm):
    held_on = GovukDateField("Date of the meeting", description="For example, 27 3 2026", planned=True, required=True)


class AddCaseForm(FlaskForm):
    reference = StringField("Case reference", validators=[DataRequired("Enter a case reference"), Length(max=30)])


class MoveForm(FlaskForm):
    direction = StringField(validators=[DataRequired(), Length(max=4)])


class AttendanceForm(FlaskForm):
    """The CSRF token; one ``status-<agency id>`` and ``representative-<agency id>`` per agency are read
    from the request (their number depends on the series)."""


class ItemForm(ReadVersionMixin, FlaskForm):
    discussion = TextAreaField("Discussion", validators=[Optional(), Length(max=10_000)])
    decisions = TextAreaField("Decisions", validators=[Optional(), Length(max=10_000)])


class AllocateForm(FlaskForm):
    description = TextAreaField(
        "What needs to be done", validators=[DataRequired("Describe the action"), Length(max=5_000)]
    )
    agency_id = SelectField(
        "Which agency will do it", coerce=str, validate_choice=False, validators=[DataRequired("Choose the agency")]
    )
    assignee_id = SelectField("Who will do it", coerce=str, validate_choice=False, validators=[Optional()])
    due_on = GovukDateField("Due date", description="For example, 27 3 2026", planned=True, required=True)


class NominateForm(FlaskForm):
    note = TextAreaField("Why should the meeting discuss it? (optional)", validators=[Optional(), Length(max=500)])
