"""The one GOV.UK date field and the one way of putting a service's errors on a form (casework.core.forms)."""

from __future__ import annotations

from datetime import date

import pytest
from flask import Flask
from werkzeug.datastructures import MultiDict
from wtforms import StringField

from casework.core.errors import InvalidInput
from casework.core.forms import FlaskForm, GovukDateField, show_service_errors


@pytest.fixture
def context():
    app = Flask(__name__)
    app.config.update(SECRET_KEY="test", WTF_CSRF_ENABLED=False)
    with app.test_request_context(method="POST"):
        yield


class DatedForm(FlaskForm):
    happened_on = GovukDateField("Date it happened")
    due_on = GovukDateField("Due date", planned=True)
    needed_on = GovukDateField("Date needed", required=True)
    told_on = GovukDateField("Date told", required="Enter the day you were told")


class AskedDate(GovukDateField):
    invalid_message = "Enter a real date, for example 27 3 2026"


class QuestionDateForm(FlaskForm):
    asked_on = AskedDate("When did it happen?")


def _date(name: str, day: str, month: str, year: str) -> dict[str, str]:
    return {f"{name}-day": day, f"{name}-month": month, f"{name}-year": year}


def _filled(**overrides: dict[str, str]) -> MultiDict:
    data = {
        **_date("happened_on", "2", "3", "2024"),
        **_date("due_on", "", "", ""),
        **_date("needed_on", "1", "1", "2025"),
        **_date("told_on", "1", "1", "2025"),
    }
    for values in overrides.values():
        data.update(values)
    return MultiDict(data)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        (("", "3", "2024"), "Date it happened must include a day"),
        (("", "", "2024"), "Date it happened must include a day and a month"),
        (("31", "2", "2024"), "Date it happened must be a real date"),
        (("2", "3", "24"), "Date it happened must be a real date"),
        (("2", "3", "1850"), "Date it happened must be on or after 1 January 1900"),
        (("2", "3", "2999"), "Date it happened must be today or in the past"),
    ],
)
def test_a_date_that_cannot_be_used_gets_the_gov_uk_message(context, typed, message):
    form = DatedForm(formdata=_filled(happened=_date("happened_on", *typed)))
    assert not form.validate()
    assert form.happened_on.errors == [message]
    assert form.happened_on.raw_data == list(typed)  # shown back as typed


def test_a_date_is_read_and_an_empty_optional_one_is_none(context):
    form = DatedForm(formdata=_filled(due=_date("due_on", "1", "4", "2090")))
    assert form.validate(), form.errors
    assert form.happened_on.data == date(2024, 3, 2)
    assert form.due_on.data == date(2090, 4, 1)
    empty = DatedForm(formdata=_filled())
    assert empty.validate(), empty.errors
    assert empty.due_on.data is None


def test_a_required_date_says_what_to_enter(context):
    form = DatedForm(formdata=_filled(needed=_date("needed_on", "", "", ""), told=_date("told_on", "", "", "")))
    assert not form.validate()
    assert form.needed_on.errors == ["Enter date needed"]
    assert form.told_on.errors == ["Enter the day you were told"]


def test_a_form_whose_labels_are_questions_has_one_message_for_an_unreadable_date(context):
    form = QuestionDateForm(formdata=MultiDict(_date("asked_on", "31", "2", "2024")))
    assert not form.validate()
    assert form.asked_on.errors == ["Enter a real date, for example 27 3 2026"]


class NamedForm(FlaskForm):
    name = StringField("Name")
    issued_time = StringField("Time")


def test_service_errors_go_on_their_fields_and_the_rest_above_the_form_once(context):
    form = NamedForm(formdata=MultiDict())
    error = InvalidInput(
        {
            "name": ["Enter a name"],
            "issued_at": ["Enter the time"],
            "kind": ["Choose a kind"],
            "_rule": ["Enter a name", "Not on a closed case"],
            "elsewhere": ["Not on a closed case"],
        }
    )
    show_service_errors(form, error, {"issued_at": "issued_time", "kind": None})
    assert form.name.errors == ["Enter a name"]
    assert form.issued_time.errors == ["Enter the time"]
    # kind is never on a field; a rule repeating a field's message is shown once, on the field.
    assert form.form_errors == ["Choose a kind", "Not on a closed case"]


def test_nested_service_errors_can_go_on_the_field_of_their_last_part(context):
    form = NamedForm(formdata=MultiDict())
    show_service_errors(form, {"people.0.name": ["Enter a name"]}, nested_by_last_part=True)
    assert form.name.errors == ["Enter a name"]
    plain = NamedForm(formdata=MultiDict())
    show_service_errors(plain, {"people.0.name": ["Enter a name"]})
    assert not plain.name.errors
    assert plain.form_errors == ["Enter a name"]
