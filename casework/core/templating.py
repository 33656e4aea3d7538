"""Jinja set-up for the GOV.UK Design System: template loading, the /assets route, and page helpers.

Templates live in the top-level ``templates/`` folder (one folder per domain) and extend
``layouts/base.html`` or ``layouts/public.html``; the GOV.UK components come from govuk-frontend-jinja
as ``govuk_frontend_jinja/components/<name>/macro.html``. The precompiled GOV.UK Frontend CSS refers
to its fonts and images as ``/assets/...``; ``npm run build`` copies them to
``casework/static/govuk/assets`` and the ``govuk_assets`` blueprint serves that folder there.
"""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import UTC, date, datetime
from functools import cache
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import Blueprint, Flask, current_app
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader

from casework.core.links import external_url
from casework.core.navigation import navigation_items

TEMPLATES_FOLDER = Path(__file__).resolve().parents[2] / "templates"
GOVUK_ASSETS_FOLDER = Path(__file__).resolve().parents[1] / "static" / "govuk" / "assets"
LONDON = ZoneInfo("Europe/London")


def init_templating(app: Flask) -> None:
    app.jinja_loader = ChoiceLoader(
        [
            FileSystemLoader(TEMPLATES_FOLDER),
            # The package's own templates import each other as "govuk_frontend_jinja/...".
            PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
        ]
    )
    app.register_blueprint(
        Blueprint("govuk_assets", __name__, static_folder=GOVUK_ASSETS_FOLDER, static_url_path="/assets")
    )

    helpers = {
        "format_date": format_date,
        "format_datetime": format_datetime,
    }
    app.jinja_env.filters.update(helpers)
    app.jinja_env.globals.update(
        helpers,
        navigation_items=navigation_items,
        # Links in emails and letters: from CASEWORK_BASE_URL, never the request's Host.
        external_url=external_url,
        has_endpoint=has_endpoint,
        error_summary_items=error_summary_items,
        field_error_message=field_error_message,
        field_anchor=field_anchor,
    )


# Dates and times, in the GOV.UK style (https://www.gov.uk/guidance/style-guide/a-to-z#dates).


def _in_london(value: datetime) -> datetime:
    # Stored datetimes are UTC; a naive one can only have come from the database without its zone.
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(LONDON)


def format_date(value: date | datetime | None) -> str:
    """``4 January 2027``. A datetime is shown as its date in Europe/London; None as ``""``."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = _in_london(value).date()
    return f"{value.day} {value:%B %Y}"


def format_time(value: datetime) -> str:
    """``2:15pm``, ``2pm``, ``midday``, ``midnight`` (GOV.UK style), in Europe/London."""
    value = _in_london(value)
    if value.minute == 0 and value.hour in (0, 12):
        return "midnight" if value.hour == 0 else "midday"
    hour = value.hour % 12 or 12
    suffix = "am" if value.hour < 12 else "pm"
    return f"{hour}{suffix}" if value.minute == 0 else f"{hour}:{value.minute:02d}{suffix}"


def format_datetime(value: date | datetime | None) -> str:
    """``4 January 2027 at 2:15pm`` in Europe/London. A plain date is shown as a date."""
    if value is None:
        return ""
    if not isinstance(value, datetime):
        return format_date(value)
    return f"{format_date(value)} at {format_time(value)}"


# Routing.


def has_endpoint(endpoint: str) -> bool:
    """Whether ``url_for(endpoint)`` can be built: templates link to sections only when they exist."""
    return endpoint in current_app.view_functions


# Form errors, for templates/macros/forms.html.


def _messages(errors) -> list[str]:
    """WTForms errors flattened: a FormField's errors are a dict of its subfields' lists."""
    if isinstance(errors, dict):
        return [message for value in errors.values() for message in _messages(value)]
    return [str(message) for message in errors or ()]


def _is_date_input(field) -> bool:
    if field.type == "FormField":
        return "day" in field.form._fields
    return field.type.endswith("DateField")


def field_anchor(field) -> str:
    """The id of the control a field's error should link to: the first input of the group.

    Radios and checkboxes rendered by the macros use the field id for their first item; date inputs
    use ``<id>-day``.
    """
    if _is_date_input(field):
        return field.form.day.id if field.type == "FormField" else f"{field.id}-day"
    return field.id


def field_error_message(field) -> dict | None:
    """The ``errorMessage`` parameter for a GOV.UK component: the field's first error, or None."""
    messages = _messages(field.errors)
    return {"text": messages[0]} if messages else None


def error_summary_items(form) -> list[dict]:
    """The ``errorList`` for govukErrorSummary: form-level errors first, then one per field in order."""
    items = [{"text": str(message)} for message in getattr(form, "form_errors", None) or ()]
    for field in form:
        messages = _messages(field.errors)
        if messages:
            items.append({"text": messages[0], "href": f"#{field_anchor(field)}"})
    return items


# Content Security Policy.


@cache
def govuk_template_script_hashes() -> tuple[str, ...]:
    """CSP source expressions (``'sha256-...'``) for the inline script in govuk_frontend_jinja's page
    template.

    ``template.html`` always emits one fixed inline ``<script>`` that adds the ``js-enabled`` and
    ``govuk-frontend-supported`` body classes; a child template cannot remove it. Our own
    ``static/js/init.js`` does the same job, so a CSP without this hash still works, but the browser
    then reports a blocked inline script on every page. Adding these to ``script-src`` is the approach
    GOV.UK Frontend documents.
    """
    source = (resources.files("govuk_frontend_jinja") / "templates" / "template.html").read_text("utf-8")
    scripts = re.findall(r"<script[^>]*>(.*?)</script>", source, flags=re.DOTALL)
    return tuple(
        f"'sha256-{base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()}'" for script in scripts
    )
