"""Page forms for signing in and for the administration pages.

Forms check the shape of what was typed (something entered, an email address that looks like one, a
real date); the services check everything that needs the database (an email already in use, a manager
who exists) and the views copy those messages back onto the fields.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from wtforms import (
    BooleanField,
    EmailField,
    Field,
    HiddenField,
    PasswordField,
    RadioField,
    SearchField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional, Regexp

from casework.accounts.models import AgencyKind
from casework.core.forms import FlaskForm, GovukDateField, ReadVersionMixin, options
from casework.core.permissions import ROLE_LABELS, Role
from casework.core.settings import TIME_UNITS, SettingSpec

EMAIL_FORMAT = "Enter an email address in the correct format, like name@example.com"

ROLE_CHOICES = [(role.value, ROLE_LABELS[role]) for role in Role]

AGENCY_KIND_LABELS = {
    AgencyKind.council: "Council",
    AgencyKind.police: "Police",
    AgencyKind.health: "Health (for example an integrated care board)",
    AgencyKind.housing: "Housing provider",
    AgencyKind.fire: "Fire and rescue",
    AgencyKind.probation: "Probation",
    AgencyKind.other: "Other",
}

TIME_UNIT_LABELS = {"working_days": "working days", "calendar_days": "calendar days", "hours": "hours"}

YES_NO = [("yes", "Yes"), ("no", "No")]


class SignInForm(FlaskForm):
    email = EmailField(
        "Email address",
        validators=[
            DataRequired("Enter your email address"),
            Email("Enter an email address in the correct format, like name@example.com"),
        ],
    )
    password = PasswordField("Password", validators=[DataRequired("Enter your password"), Length(max=1024)])


class ConfirmPasswordForm(FlaskForm):
    """The signed-in user's password, asked again before a change to their second factor."""

    password = PasswordField("Your password", validators=[DataRequired("Enter your password"), Length(max=1024)])


class PasswordChangeForm(ConfirmPasswordForm):
    """The signed-in user's own new password, with their current one (``staff.accounts.password_change``)."""

    password = PasswordField(
        "Your current password", validators=[DataRequired("Enter your current password"), Length(max=1024)]
    )
    new_password = PasswordField(
        "New password",
        description="At least 12 characters: three or four unrelated words are easy to remember and hard to guess.",
        validators=[DataRequired("Enter a new password"), Length(max=1024)],
    )


class CodeForm(FlaskForm):
    """A code from the authenticator app (or, when signing in, a recovery code)."""

    code = StringField(
        "Code",
        validators=[
            DataRequired("Enter the code"),
            Length(max=40, message="Enter the 6-digit code from your app, or a recovery code"),
        ],
    )


# --- users ------------------------------------------------------------------------------------------


class UserFilterForm(FlaskForm):
    """The search box and filters above the list of users (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    q = SearchField("Name or email address", validators=[Optional(), Length(max=200)])
    agency = SelectField("Agency", validate_choice=False)
    role = SelectField("Role", choices=options([("", "Any role"), *ROLE_CHOICES]), validate_choice=False)


def _name_field() -> StringField:
    return StringField(
        "Full name",
        validators=[
            DataRequired("Enter the user's full name"),
            Length(max=200, message="Name must be 200 characters or fewer"),
        ],
    )


def _agency_field() -> SelectField:
    return SelectField(
        "Agency",
        description="The organisation the user works for. They see the cases and reviews of the areas it covers.",
        validators=[DataRequired("Select the user's agency")],
    )


def _roles_field() -> SelectMultipleField:
    return SelectMultipleField(
        "Roles",
        description="Select all that apply.",
        choices=options(ROLE_CHOICES),
        validators=[DataRequired("Select at least one role")],
    )


def _manager_field() -> EmailField:
    return EmailField(
        "Manager's email address (optional)",
        description="The manager receives this user's escalations and sees their work in the team view.",
        validators=[Optional(), Email(EMAIL_FORMAT), Length(max=254)],
    )


class UserCreateForm(FlaskForm):
    name = _name_field()
    email = EmailField(
        "Email address",
        description="The user signs in with this address.",
        validators=[DataRequired("Enter the user's email address"), Email(EMAIL_FORMAT), Length(max=254)],
    )
    agency = _agency_field()
    roles = _roles_field()
    manager_email = _manager_field()
    password = PasswordField(
        "Initial password",
        description="At least 12 characters. Give it to the user in person or by phone, not by email.",
        validators=[DataRequired("Enter an initial password")],
    )


class UserEditForm(FlaskForm):
    name = _name_field()
    agency = _agency_field()
    roles = _roles_field()
    manager_email = _manager_field()
    is_active = RadioField(
        "Can this user sign in?",
        description="Deactivating a user signs them out everywhere. Their records and history stay.",
        choices=options([("yes", "Yes, the account is active"), ("no", "No, deactivate the account")]),
        validators=[InputRequired("Select whether the user can sign in")],
    )
    #: The version of the user the page showed: a save over someone else's change answers 409.
    version = HiddenField(validators=[InputRequired()])


class PasswordResetForm(FlaskForm):
    password = PasswordField(
        "New password",
        description="At least 12 characters. The user is signed out everywhere and signs in with this password.",
        validators=[DataRequired("Enter a new password")],
    )


# --- areas and agencies -----------------------------------------------------------------------------


class AreaCreateForm(FlaskForm):
    name = StringField(
        "Name",
        description="The district or unitary council area, like Bolsover.",
        validators=[
            DataRequired("Enter the area's name"),
            Length(max=200, message="Name must be 200 characters or fewer"),
        ],
    )
    code = StringField(
        "Code",
        description="2 to 10 letters or digits, used in case and application references, like BOL.",
        validators=[
            DataRequired("Enter a code for the area"),
            Regexp(r"^[A-Za-z0-9_-]{2,10}$", message="Code must be 2 to 10 letters, digits, hyphens or underscores"),
        ],
    )


def _agency_name_field() -> StringField:
    return StringField(
        "Name",
        validators=[
            DataRequired("Enter the agency's name"),
            Length(max=200, message="Name must be 200 characters or fewer"),
        ],
    )


def _agency_kind_field() -> RadioField:
    return RadioField(
        "Kind of organisation",
        choices=options((kind.value, label) for kind, label in AGENCY_KIND_LABELS.items()),
        validators=[InputRequired("Select the kind of organisation")],
    )


def _agency_areas_field() -> SelectMultipleField:
    return SelectMultipleField(
        "Areas covered",
        description="Its users work on the cases and reviews of these areas. Select all that apply.",
        validators=[DataRequired("Select at least one area the agency covers")],
    )


def _agency_csas_field() -> BooleanField:
    return BooleanField(
        "Its officers are accredited under the Community Safety Accreditation Scheme",
        description="Accredited officers may issue fixed penalties for CPN and PSPO breaches where the Crime and "
        "Policing Act 2026 power is in force in the area.",
    )


class AgencyCreateForm(FlaskForm):
    code = StringField(
        "Code",
        description="2 to 20 letters or digits, like BDC. It cannot be changed later.",
        validators=[
            DataRequired("Enter a code for the agency"),
            Regexp(r"^[A-Za-z0-9_-]{2,20}$", message="Code must be 2 to 20 letters, digits, hyphens or underscores"),
        ],
    )
    name = _agency_name_field()
    kind = _agency_kind_field()
    area_codes = _agency_areas_field()
    is_csas_accredited = _agency_csas_field()


class AgencyEditForm(ReadVersionMixin, FlaskForm):
    name = _agency_name_field()
    kind = _agency_kind_field()
    area_codes = _agency_areas_field()
    is_csas_accredited = _agency_csas_field()


# --- area settings ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SettingInput:
    """How one registered setting is edited: its kind of input and the form fields it uses."""

    spec: SettingSpec
    #: "boolean", "choice", "number", "timescale", "text" or "json", chosen from the spec.
    kind: str
    field_name: str

    @property
    def names(self) -> tuple[str, ...]:
        if self.kind == "timescale":
            return (f"{self.field_name}-amount", f"{self.field_name}-unit")
        return (self.field_name,)

    def initial(self, value: Any) -> dict[str, Any]:
        """Form data showing ``value`` in this setting's inputs."""
        if self.kind == "boolean":
            return {self.field_name: "yes" if value else "no"}
        if self.kind == "timescale":
            value = value or {}
            return {f"{self.field_name}-amount": value.get("amount"), f"{self.field_name}-unit": value.get("unit")}
        if self.kind == "json":
            return {self.field_name: json.dumps(value)}
        return {self.field_name: value}

    def submitted(self, form: FlaskForm) -> Any:
        """The value typed into the form, in the shape the setting's parser takes."""
        if self.kind == "boolean":
            choice = form[self.field_name].data
            return {"yes": True, "no": False}.get(choice, choice)
        if self.kind == "timescale":
            amount = (form[f"{self.field_name}-amount"].data or "").strip()
            return {"amount": amount, "unit": form[f"{self.field_name}-unit"].data}
        raw = (form[self.field_name].data or "").strip()
        if self.kind == "json":
            try:
                return json.loads(raw)
            except ValueError:
                return raw
        return raw


def _kind_of(default: Any, spec: SettingSpec | None = None) -> str:
    if spec is not None and spec.choices:
        return "choice"
    if isinstance(default, bool):
        return "boolean"
    if isinstance(default, int):
        return "number"
    if isinstance(default, dict) and set(default) == {"amount", "unit"}:
        return "timescale"
    if isinstance(default, str):
        return "text"
    return "json"


def setting_inputs(specs: list[SettingSpec]) -> list[SettingInput]:
    inputs = []
    for spec in specs:
        # Field names become HTML ids and names: keep them to letters, digits and underscores.
        field_name = "setting_" + re.sub(r"[^A-Za-z0-9]+", "_", spec.key)
        inputs.append(SettingInput(spec=spec, kind=_kind_of(spec.default, spec), field_name=field_name))
    return inputs


class AreaSettingsFormBase(ReadVersionMixin, FlaskForm):
    effective_from = GovukDateField(
        "Date the changes take effect",
        planned=True,
        description=(
            "Usually today or a later day, for example 1 4 2027. An earlier day is allowed only when no "
            "application received since then would be affected."
        ),
        required="Enter the date the changes take effect",
    )


def area_settings_form(inputs: list[SettingInput], **kwargs: Any) -> FlaskForm:
    """A form with the effective date and one input (two for a timescale) per registered setting."""

    class AreaSettingsForm(AreaSettingsFormBase):
        pass

    for item in inputs:
        label = item.spec.title
        if item.kind == "boolean":
            field: Field = RadioField(label, choices=options(YES_NO), validate_choice=False)
        elif item.kind == "choice":
            field = RadioField(label, choices=options(item.spec.choices), validate_choice=False)
        elif item.kind == "timescale":
            setattr(AreaSettingsForm, f"{item.field_name}-amount", StringField("Amount"))
            field = SelectField(
                "Unit",
                choices=options((unit, TIME_UNIT_LABELS.get(unit, unit)) for unit in TIME_UNITS),
                validate_choice=False,
            )
            setattr(AreaSettingsForm, f"{item.field_name}-unit", field)
            continue
        elif item.kind == "json":
            field = TextAreaField(label, description="A JSON value.")
        else:
            field = StringField(label)
        setattr(AreaSettingsForm, item.field_name, field)
    return AreaSettingsForm(**kwargs)
