"""Form helpers shared by every domain's Flask-WTF forms, and the base class they all use."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

import flask_wtf
from wtforms.fields.choices import SelectChoice

from casework.core.fields import EARLIEST_DATE, event_date_problem, planned_date_problem
from casework.core.inputs import UNSTORABLE_MESSAGE, has_unstorable


def options(pairs: Iterable[tuple[str, str]]) -> list[SelectChoice]:
    """``(value, label)`` pairs as WTForms choices (plain tuples are deprecated in WTForms 3.3)."""
    return [SelectChoice(value, label) for value, label in pairs]


def unstorable_fields(form: Any) -> list[Any]:
    """Every field (in sub-forms and lists of rows too) whose submitted text holds a NUL or a lone
    surrogate: the database cannot store it, so it is a form error rather than a failure later."""
    found: list[Any] = []
    for field in form:
        if field.type == "FormField":
            found.extend(unstorable_fields(field.form))
        elif field.type == "FieldList":
            for entry in field.entries:
                found.extend(unstorable_fields(entry.form) if entry.type == "FormField" else unstorable_fields([entry]))
        else:
            texts = [v for v in (field.raw_data or ()) if isinstance(v, str)]
            if isinstance(field.data, str):
                texts.append(field.data)
            if any(has_unstorable(text) for text in texts):
                found.append(field)
    return found


class FlaskForm(flask_wtf.FlaskForm):
    """The base of every page form: Flask-WTF's, plus the checks every input needs whatever the form
    (``tests/core/test_forms.py`` checks that no form skips it)."""

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        bad = unstorable_fields(self)
        for field in bad:
            field.errors = [*(field.errors or ()), UNSTORABLE_MESSAGE]
        return valid and not bad


def date_problem(label: str, value: date | None, *, planned: bool) -> str | None:
    """The page forms' side of ``casework.core.fields.EventDate``/``PlannedDate``: the same bounds,
    worded for the GOV.UK date input. Every date field of every form calls this."""
    if value is None:
        return None
    if planned:
        return f"{label} must be between 1 January 1900 and 31 December 2099" if planned_date_problem(value) else None
    if value < EARLIEST_DATE:
        return f"{label} must be on or after 1 January 1900"
    if event_date_problem(value):
        return f"{label} must be today or in the past"
    return None
