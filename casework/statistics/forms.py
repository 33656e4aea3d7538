"""Forms of the statistics pages (staff and admin)."""

from __future__ import annotations

from wtforms import BooleanField, HiddenField, IntegerField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from casework.core.forms import FlaskForm
from casework.core.inputs import iso_day
from casework.statistics.queries import MAX_FIGURE_ENTERED

#: The Act's Case Review duties began in October 2014: 2014/15 is the first financial year.
FIRST_YEAR = 2014


def financial_year_choices(last_year: int) -> list[tuple[str, str]]:
    """``[("2025", "2025/26"), ...]``, newest first."""
    return [(str(y), f"{y}/{str(y + 1)[2:]}") for y in range(last_year, FIRST_YEAR - 1, -1)]


class ChooseForm(FlaskForm):
    """Which area and reporting period to show (a GET form: nothing changes, so no CSRF token)."""

    class Meta:
        csrf = False

    area = SelectField("Area", validators=[Optional()])
    period = SelectField("Reporting period", validators=[Optional()])


def _iso_date(_form: FlaskForm, field: HiddenField) -> None:
    day = iso_day(field.data) if isinstance(field.data, str) else None
    if day is None:
        raise ValidationError("The reporting period is not a date. Choose the period again.")
    field.data = day


class PeriodForm(FlaskForm):
    area_code = HiddenField(validators=[DataRequired("Choose an area."), Length(max=10)])
    period_start = HiddenField(validators=[_iso_date])
    period_end = HiddenField(validators=[_iso_date])


class PublishForm(PeriodForm):
    note = TextAreaField(
        "Note about this version",
        description="Required for a correction: say what changed and why. It is published with the figures.",
        validators=[Optional(), Length(max=2000, message="The note must be 2000 characters or fewer.")],
    )
    publish_extras = BooleanField(
        "Publish the extra figures too (channels, decisions by basis, appeals, withdrawn and pending, median days)",
        description="Only for a year with at least 5 applications: with fewer they could identify an applicant.",
    )


class WithdrawForm(FlaskForm):
    note = TextAreaField(
        "Why are these figures withdrawn?",
        description="Kept with the figures and shown to staff, for example: published for the wrong period.",
        validators=[
            DataRequired("Say why these figures are withdrawn"),
            Length(max=2000, message="The note must be 2000 characters or fewer."),
        ],
    )


def _whole(label: str) -> IntegerField:
    return IntegerField(
        label,
        validators=[
            InputRequired(f"Enter the number of {label.lower()}, or 0"),
            NumberRange(
                min=0,
                max=MAX_FIGURE_ENTERED,
                message=f"{label} must be a whole number from 0 to {MAX_FIGURE_ENTERED:,}",
            ),
        ],
    )


class HistoricForm(FlaskForm):
    area = SelectField("Area", validators=[DataRequired("Choose the area")])
    year = SelectField("Financial year", validators=[DataRequired("Choose the financial year")])
    applications = _whole("Applications")
    threshold_not_met = _whole("Decisions that the threshold was not met")
    reviews_carried_out = _whole("Reviews carried out")
    reviews_with_recommendations = _whole("Reviews that made recommendations")
    note = TextAreaField(
        "Source",
        description="Where the figures were published, and anything a reader needs to know about them.",
        validators=[
            DataRequired("Say where the figures come from"),
            Length(max=2000, message="The source must be 2000 characters or fewer."),
        ],
    )
