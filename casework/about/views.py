"""The privacy notice and the accessibility statement, linked from the footer of every page.

Both are public: a member of the public reads them before applying, and staff see the same pages.
What differs between installations (who runs the service, how to contact them, when it was tested)
comes from the organisation settings; a setting left empty shows a bracketed placeholder, so a
council can see what it still has to fill in.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template

from casework.cases import settings as case_settings
from casework.core.permissions import public_endpoint
from casework.core.settings import defaults

bp = Blueprint("about", __name__)

#: Shown where a setting is empty: what the council must fill in.
PLACEHOLDERS = {
    "ORGANISATION_NAME": "[the council or partnership that runs this service]",
    "ORGANISATION_ADDRESS": "[its postal address]",
    "CONTACT_EMAIL": "[an email address for questions about the service]",
    "CONTACT_PHONE": "[a phone number for questions about the service]",
    "DATA_PROTECTION_EMAIL": "[the data protection officer's email address]",
    "ACCESSIBILITY_TESTED_ON": "[the date the service was last tested]",
}


def organisation() -> dict[str, Any]:
    """The organisation settings, each with ``is_set`` so templates can tell a value from a placeholder."""
    settings = current_app.config["CASEWORK"]
    return {
        key.lower(): {"value": settings.get(key) or placeholder, "is_set": bool(settings.get(key))}
        for key, placeholder in PLACEHOLDERS.items()
    }


@bp.get("/privacy")
@public_endpoint
def privacy():
    return render_template(
        "about/privacy.html",
        title="Privacy notice",
        organisation=organisation(),
        retention_years=defaults()[case_settings.CASE_RETENTION_YEARS],
    )


@bp.get("/accessibility")
@public_endpoint
def accessibility():
    return render_template(
        "about/accessibility.html",
        title="Accessibility statement",
        organisation=organisation(),
        idle_minutes=current_app.config["CASEWORK"]["SESSION_IDLE_MINUTES"],
    )
