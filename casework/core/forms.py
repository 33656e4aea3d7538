"""Form helpers shared by every domain's Flask-WTF forms, and the base class they all use."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from typing import Any

import flask_wtf
from wtforms.fields.choices import SelectChoice

from casework.core.fields import EARLIEST_DATE, event_date_problem, planned_date_problem
from casework.core.inputs import DB_INT_MAX, UNSTORABLE_MESSAGE, has_unstorable


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


#: Fields named ``*_id`` (a select or hidden field naming a record) and ``version`` (the optimistic
#: lock) hold whole numbers; views turn them into ints, so a posted value that is not one is a form
#: error here rather than a ValueError there.
_ID_FIELD = re.compile(r"(^|_)id$|^version$")
NOT_AN_ID_MESSAGE = "Select one of the options shown (the page may be out of date: reload it)."


def field_holds_an_id(field: Any) -> bool:
    """False when ``field`` is an id or version field whose value is not an id the database could hold."""
    if not _ID_FIELD.search(field.short_name) or field.type in ("FormField", "FieldList"):
        return True
    value = field.data
    if value is None or value == "" or (isinstance(value, int) and not isinstance(value, bool)):
        return value is None or value == "" or 0 <= value <= DB_INT_MAX
    text = str(value).strip()
    return text.isascii() and text.isdigit() and int(text) <= DB_INT_MAX


class FlaskForm(flask_wtf.FlaskForm):
    """The base of every page form: Flask-WTF's, plus the checks every input needs whatever the form
    (``tests/core/test_forms.py`` checks that no form skips it)."""

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        bad = unstorable_fields(self)
        for field in bad:
            field.errors = [*(field.errors or ()), UNSTORABLE_MESSAGE]
        not_ids = [field for field in self if not field_holds_an_id(field)]
        for field in not_ids:
            field.errors = [*(field.errors or ()), NOT_AN_ID_MESSAGE]
        return valid and not bad and not not_ids


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
