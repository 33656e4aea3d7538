"""Page forms for the PCC review: the request received, and the PCC's outcome."""

from __future__ import annotations

from wtforms import RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from casework.community_triggers.forms import ChecksMixin, choices
from casework.community_triggers.pcc_review.models import OUTCOME_LABELS, PccReviewOutcome
from casework.core.forms import FlaskForm, GovukDateField


class PccReviewRequestForm(ChecksMixin, FlaskForm):
    requested_on = GovukDateField(
        "Date the request was received", what="the date the request was received", required=True
    )
    grounds = TextAreaField(
        "Why the applicant asks for the decision to be reviewed",
        validators=[DataRequired("Enter why the applicant asks for the review"), Length(max=20_000)],
    )
    reviewer_name = StringField(
        "Who at the Commissioner's office will review it (optional)",
        validators=[Optional(), Length(max=200)],
    )


class PccReviewOutcomeForm(ChecksMixin, FlaskForm):
    outcome = RadioField(
        "What did the Police and Crime Commissioner decide?",
        choices=choices([(o.value, OUTCOME_LABELS[o]) for o in PccReviewOutcome]),
        validators=[InputRequired("Select what the Commissioner decided")],
    )
    reasons = TextAreaField("Reasons", validators=[DataRequired("Enter the reasons"), Length(max=20_000)])
    decided_on = GovukDateField("Date of the decision", what="the date of the PCC's decision", required=True)
    reviewer_name = StringField(
        "Who reviewed it at the Commissioner's office (optional)", validators=[Optional(), Length(max=200)]
    )
