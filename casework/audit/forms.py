"""The audit log's search form (a GET form: it changes nothing, so it carries no CSRF token)."""

from __future__ import annotations

from typing import Any

from wtforms import EmailField, SelectField, StringField
from wtforms.validators import Email, Length, Optional

from casework.accounts.forms import EMAIL_FORMAT, options
from casework.audit.models import AuditAction
from casework.core.forms import FlaskForm, GovukDateField

ACTION_LABELS = {
    AuditAction.create: "Created",
    AuditAction.update: "Changed",
    AuditAction.delete: "Deleted",
    AuditAction.view: "Viewed",
    AuditAction.sign_in: "Signed in",
    AuditAction.sign_in_failed: "Failed sign-in",
    AuditAction.sign_out: "Signed out",
    AuditAction.export: "Exported",
    AuditAction.anonymise: "Anonymised",
    AuditAction.erase: "Erased personal details",
    AuditAction.move: "Moved personal details",
}


def record_type_label(object_type: str) -> str:
    """``trigger_applications`` -> ``Trigger applications``."""
    return object_type.replace("_", " ").capitalize()


class AuditSearchForm(FlaskForm):
    class Meta:
        csrf = False

    user = EmailField(
        "User's email address",
        validators=[Optional(), Email(EMAIL_FORMAT), Length(max=254)],
    )
    object_type = SelectField("Kind of record", validate_choice=False)
    object_id = StringField(
        "Record ID", description="The number in the record's web address.", validators=[Optional(), Length(max=60)]
    )
    action = SelectField(
        "Action",
        choices=options([("", "Any action"), *((action.value, label) for action, label in ACTION_LABELS.items())]),
        validate_choice=False,
    )
    date_from = GovukDateField("Date from", description="For example, 27 3 2027", planned=True)
    date_to = GovukDateField("Date to", description="For example, 31 3 2027", planned=True)

    def __init__(self, *args: Any, record_types: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.object_type.choices = options(
            [("", "Any kind of record")] + [(t, record_type_label(t)) for t in record_types]
        )

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        if self.date_from.data and self.date_to.data and self.date_to.data < self.date_from.data:
            self.date_to.errors = [*self.date_to.errors, "Date to must be the same as or after date from"]
            valid = False
        if self.object_id.data and not self.object_type.data:
            self.object_type.errors = [*self.object_type.errors, "Select the kind of record the ID belongs to"]
            valid = False
        return valid
