"""Page forms for actions."""

from __future__ import annotations

from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from casework.cases.models import ActionStatus
from casework.core.forms import FlaskForm, GovukDateField
from casework.interventions.forms import required_choice

STATUS_LABELS = {
    ActionStatus.open: "Not started",
    ActionStatus.in_progress: "In progress",
    ActionStatus.done: "Done",
    ActionStatus.cancelled: "Cancelled",
}


class ActionForm(FlaskForm):
    description = TextAreaField(
        "What needs to be done", validators=[DataRequired("Describe the action"), Length(max=5_000)]
    )
    agency_id = SelectField(
        "Which agency will do it", coerce=str, validate_choice=False, validators=[DataRequired("Choose the agency")]
    )
    assignee_id = SelectField("Who will do it (optional)", coerce=str, validate_choice=False, validators=[Optional()])
    due_on = GovukDateField("Due date (optional)", description="For example, 27 3 2026", planned=True)


class ActionUpdateForm(FlaskForm):
    status = RadioField(
        "Status",
        choices=[SelectChoice(s.value, STATUS_LABELS[s]) for s in ActionStatus],
        validate_choice=False,
        validators=[required_choice("Select a status", [s.value for s in ActionStatus])],
    )
    outcome = TextAreaField("Outcome", description="Needed to mark the action done", validators=[Length(max=10_000)])
    due_on = GovukDateField("Due date", description="For example, 27 3 2026", planned=True)
    version = StringField(validators=[Optional()])
