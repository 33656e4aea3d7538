"""Page forms for the PCC review: the request received, and the PCC's outcome."""

from __future__ import annotations

from wtforms import FormField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from casework.community_triggers.forms import DateInput, DatesMixin, choices
from casework.community_triggers.pcc_review.models import OUTCOME_LABELS, PccReviewOutcome
from casework.core.forms import FlaskForm


class PccReviewRequestForm(DatesMixin, FlaskForm):
    DATES = (("requested_on", "the date the request was received", True, True),)
    requested_on = FormField(DateInput, label="Date the request was received")
    grounds = TextAreaField(
        "Why the applicant asks for the decision to be reviewed",
        validators=[DataRequired("Enter why the applicant asks for the review"), Length(max=20_000)],
    )
    reviewer_name = StringField(
        "Who at the Commissioner's office will review it (optional)",
        validators=[Optional(), Length(max=200)],
    )


class PccReviewOutcomeForm(DatesMixin, FlaskForm):
    DATES = (("decided_on", "the date of the PCC's decision", True, True),)
    outcome = RadioField(
        "What did the Police and Crime Commissioner decide?",
        choices=choices([(o.value, OUTCOME_LABELS[o]) for o in PccReviewOutcome]),
        validators=[InputRequired("Select what the Commissioner decided")],
    )
    reasons = TextAreaField("Reasons", validators=[DataRequired("Enter the reasons"), Length(max=20_000)])
    decided_on = FormField(DateInput, label="Date of the decision")
    reviewer_name = StringField(
        "Who reviewed it at the Commissioner's office (optional)", validators=[Optional(), Length(max=200)]
    )
