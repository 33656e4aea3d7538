"""Forms of the data protection pages. Services do the checks; these check the shape."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, TextAreaField
from wtforms.validators import DataRequired, Length

from casework.core.forms import options

FORMATS = (("html", "A page to read or print"), ("pdf", "A PDF"), ("json", "A JSON file"))


class ReleaseForm(FlaskForm):
    """The data protection officer's release of a full export: the reason is recorded (audited)."""

    reason = TextAreaField(
        "Why are you releasing the full export?",
        description="For example the subject access request's reference. It is recorded in the audit log.",
        validators=[DataRequired("Enter the reason for releasing the full export"), Length(max=1000)],
    )
    format = RadioField("Format", choices=options(FORMATS), default="html", validators=[DataRequired()])


class MergeForm(FlaskForm):
    """Confirming a merge (the page shows both records and what moves)."""
