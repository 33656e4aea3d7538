"""Form helpers shared by every domain's Flask-WTF forms, and the base class they all use."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from typing import Any

import flask_wtf
from flask import g, has_request_context
from markupsafe import Markup
from wtforms import Field, HiddenField
from wtforms.fields.choices import SelectChoice
from wtforms.utils import unset_value
from wtforms.validators import StopValidation
from wtforms.widgets import HiddenInput

from casework.core.errors import RULE, Conflict, InvalidInput
from casework.core.fields import EARLIEST_DATE, event_date_problem, planned_date_problem
from casework.core.inputs import DB_INT_MAX, ONE_LINE_MESSAGE, UNSTORABLE_MESSAGE, has_unstorable, is_digits
from casework.core.submissions import new_key, spent_here


def options(pairs: Iterable[tuple[str, str]]) -> list[SelectChoice]:
    """``(value, label)`` pairs as WTForms choices (plain tuples are deprecated in WTForms 3.3)."""
    return [SelectChoice(value, label) for value, label in pairs]


def _leaf_fields(form: Any) -> Iterator[Any]:
    """Every field of ``form`` that holds a value, in sub-forms and lists of rows too."""
    for field in form:
        if field.type == "FormField":
            yield from _leaf_fields(field.form)
        elif field.type == "FieldList":
            for entry in field.entries:
                yield from _leaf_fields(entry.form) if entry.type == "FormField" else _leaf_fields([entry])
        else:
            yield field


def _texts(field: Any) -> list[str]:
    texts = [v for v in (field.raw_data or ()) if isinstance(v, str)]
    if isinstance(field.data, str):
        texts.append(field.data)
    return texts


def unstorable_fields(form: Any) -> list[Any]:
    """Every field whose submitted text holds a NUL or a lone surrogate: the database cannot store it,
    so it is a form error rather than a failure later."""
    return [field for field in _leaf_fields(form) if any(has_unstorable(text) for text in _texts(field))]


#: Fields typed on one line (a text input, not a textarea or a hidden field).
_ONE_LINE_TYPES = {"StringField", "EmailField", "TelField", "SearchField", "URLField", "PasswordField"}


def broken_line_fields(form: Any) -> list[Any]:
    """Every one-line field whose submitted text holds a line break: a browser's text input cannot send
    one, so it was made by hand, and a name with lines of its own would become lines of an email."""
    return [
        field
        for field in _leaf_fields(form)
        if field.type in _ONE_LINE_TYPES and any("\n" in text or "\r" in text for text in _texts(field))
    ]


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
    return is_digits(text) and int(text) <= DB_INT_MAX


class SubmissionKeyInput(HiddenInput):
    """The submission key's hidden input: each key written out once in an answer. The first form to write
    a key out writes its own (a fresh one, or the key the form was sent with, when it is shown again with
    its errors); any form writing out a key already written in this answer writes a new one. One form
    object written out more than once (a row's small form in a loop, two forms of a page built from one
    object), and several objects built from one request's fields (every form of a page answering a POST
    with the prefix of the form sent takes its key), are as many forms, each sent on its own: with one key
    between them, the second sent after the first would be answered "already saved" and do nothing. Nor
    is the key this request was sent with written out once the request has saved with it
    (``submissions.spent_here``): a form of the page answering that request (a secret shown once, beside
    the page's other forms) is a new form."""

    def __call__(self, field: Field, **kwargs: Any) -> Markup:
        value = field._value()
        written_here = _keys_written()
        if value in written_here or getattr(field, "_key_written", False) or spent_here(value):
            value = kwargs["value"] = new_key()
        field._key_written = True
        written_here.add(value)
        written: Markup = super().__call__(field, **kwargs)
        return written


def _keys_written() -> set[str]:
    """The submission keys written out in this request's answer (outside a request, none kept)."""
    if not has_request_context():
        return set()
    written: set[str] = g.setdefault("casework_submission_keys_written", set())
    return written


class FlaskForm(flask_wtf.FlaskForm):
    """The base of every page form: Flask-WTF's, plus the checks every input needs whatever the form
    (``tests/core/test_forms.py`` checks that no form skips it), and the one-time submission key that
    makes a form sent twice save once (``casework.core.submissions``; ``form.hidden_tag()`` writes it
    out with the CSRF token). A form without a CSRF token (a search sent with GET) has no key either."""

    #: ``autocomplete="off"``: Firefox keeps a hidden field's value when a page is reloaded, which would
    #: send the key of a form already saved with the next one.
    submission_key = HiddenField(default=new_key, widget=SubmissionKeyInput(), render_kw={"autocomplete": "off"})

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        meta = cls.__dict__.get("Meta")
        if meta is not None and meta.__dict__.get("csrf") is False:
            cls.submission_key = None

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        bad = unstorable_fields(self)
        for field in bad:
            field.errors = [*(field.errors or ()), UNSTORABLE_MESSAGE]
        not_ids = [field for field in self if not field_holds_an_id(field)]
        for field in not_ids:
            field.errors = [*(field.errors or ()), NOT_AN_ID_MESSAGE]
        broken = broken_line_fields(self)
        for field in broken:
            field.errors = [*(field.errors or ()), ONE_LINE_MESSAGE]
        return valid and not bad and not not_ids and not broken


#: What a save over someone else's later save is told: nothing of it is written.
CHANGED_SINCE_READ = "The record changed since you read it. Reload the page to see the change, then make yours again."


def refuse_if_changed_since_read(current: object, read: object) -> None:
    """Optimistic locking for a page or call that sends back the version it read (``read``): a 409
    (``Conflict``) when the record is no longer at that version, so that the second of two people
    editing at once cannot silently undo the first. A call that sends no version is not checked (the
    API keeps the field optional for partners); every page form sends it (``ReadVersionMixin``)."""
    if read is None or read == "":
        return
    if str(read).strip() != str(current):
        raise Conflict(CHANGED_SINCE_READ)


def version_of(record: Any) -> int:
    """A versioned record's version (``VersionedMixin``); 0 for one not created yet (a default letter
    template), so that a save over one created since the page was read is refused too."""
    return 0 if record is None else int(record.version)


def digest_version(shown: object) -> int:
    """A version for a record that has no version column (an agency, the tell-the-victim template): a
    number made from what its page shows of it (``shown``, JSON-able), so that a save over a change made
    since is refused all the same. A change undone since reads as no change, which it then is."""
    text = json.dumps(shown, sort_keys=True, default=str)
    return int(hashlib.sha256(text.encode()).hexdigest()[:7], 16)  # below DB_INT_MAX: an id-shaped field


class ReadVersionMixin:
    """For a page form that changes a record someone else may be changing too: a hidden ``version``
    (the version shown, ``show_version`` on GET; kept as posted when the page is shown again with
    errors), checked before saving (``refuse_if_changed``). ``autocomplete="off"``: Firefox would keep
    an old version across a reload, and the next save would be refused for nothing."""

    version = HiddenField(render_kw={"autocomplete": "off"})

    def show_version(self, current: object) -> None:
        self.version.data = str(current)

    def refuse_if_changed(self, current: object) -> None:
        refuse_if_changed_since_read(current, self.version.data)


class ConfirmForm(FlaskForm):
    """A button that changes something (or spends a sign-in link): only the CSRF token."""


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


class GovukDateField(Field):
    """A date entered in the GOV.UK date input: three boxes posted as ``<name>-day``, ``<name>-month``
    and ``<name>-year``; the one date field of every page form.

    Rendered by ``date_field`` in templates/macros/forms.html, which reads ``raw_data`` back so a wrong
    date is shown as typed. ``data`` is a date, or None when the three boxes are empty. Messages follow
    the GOV.UK date input pattern: "<label> must include a day and a month", "<label> must be a real
    date", then the bounds of ``date_problem`` (an event's date is not in the future; a ``planned``
    date is between 1900 and 2099). ``required`` is True ("Enter <label>") or the message to show when
    nothing is entered; a ``DataRequired`` validator works too.
    """

    type = "GovukDateField"
    PARTS = ("day", "month", "year")
    #: The most digits each box may hold (leading zeros aside): a longer number is no date at all.
    DIGITS = (2, 2, 4)
    #: One message for any date that cannot be read, instead of the two above: for forms whose labels
    #: are questions ("When did the behaviour happen?"), which the messages cannot start with.
    invalid_message: str | None = None

    def __init__(
        self,
        label: str | None = None,
        validators: Any = None,
        *,
        required: bool | str = False,
        planned: bool = False,
        invalid_message: str | None = None,
        what: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(label, validators, **kwargs)
        #: How the messages name the date when the label cannot start a sentence (a question such as
        #: "When did it happen?"): "the date it happened" gives "The date it happened must be a real date"
        #: and "Enter the date it happened".
        self.what = what
        #: A planned date (1900 to 2099) rather than the date of an event (1900 to today).
        self.planned = planned
        self.required = required
        if invalid_message is not None:
            self.invalid_message = invalid_message
        #: What is wrong with what was typed (set by ``process``), shown before any validator runs.
        self.problem: str | None = None

    def process(self, formdata: Any, data: Any = unset_value, extra_filters: Any = None) -> None:
        super().process(None, data, extra_filters)
        self.problem = None
        self.raw_data = None
        if formdata is None or not any(f"{self.name}-{part}" in formdata for part in self.PARTS):
            return
        parts = [(formdata.get(f"{self.name}-{part}") or "").strip() for part in self.PARTS]
        self.raw_data = parts
        self.data = None
        if not any(parts):
            return
        missing = [name for name, value in zip(self.PARTS, parts, strict=True) if not value]
        if missing:
            self.problem = self.invalid_message or f"{self._subject()} must include a {' and a '.join(missing)}"
            return
        if not all(is_digits(part) for part in parts):
            # ``int`` reads more than digits: "1_5" as 15, "+5", and full-width or Arabic-Indic digits
            # (U+FF11 U+FF15), so a mistyped box would be saved as a date nobody typed.
            self.problem = self.invalid_message or f"{self._subject()} must be a real date"
            return
        too_long = [
            name
            for name, value, digits in zip(self.PARTS, parts, self.DIGITS, strict=True)
            if len(value.lstrip("0")) > digits
        ]
        if too_long:
            # "99999999999999999999" is an int, but no date: ``date()`` raises OverflowError for it.
            self.problem = self.invalid_message or (
                f"{self._subject()} must have a year of 4 numbers"
                if too_long == ["year"]
                else f"{self._subject()} must be a real date"
            )
            return
        try:
            day, month, year = (int(part) for part in parts)
            if year < 1000:  # a two-digit year is not a real date; 1000 to 1899 is out of bounds
                raise ValueError
            self.data = date(year, month, day)
        except (ValueError, OverflowError):
            self.problem = self.invalid_message or f"{self._subject()} must be a real date"

    def _subject(self) -> str:
        """The date as the subject of a message: ``what`` with a capital, else the label."""
        return self.what[0].upper() + self.what[1:] if self.what else str(self.label.text)

    def is_empty(self) -> bool:
        """Whether the field holds no date and nothing was typed in any of its three boxes."""
        return self.data is None and not any(self.raw_data or ())

    def pre_validate(self, form: Any) -> None:
        # A date that could not be read is reported as such; DataRequired would replace the message.
        if self.problem:
            raise StopValidation(self.problem)
        if self.data is None and self.required:
            if isinstance(self.required, str):
                message = self.required
            else:
                message = f"Enter {self.what}" if self.what else f"Enter {self.label.text.lower()}"
            raise StopValidation(message)
        problem = date_problem(self._subject(), self.data, planned=self.planned)
        if problem:
            raise StopValidation(problem)

    def _value(self) -> str:
        return self.data.isoformat() if isinstance(self.data, date) else ""


def show_service_errors(
    form: Any,
    errors: InvalidInput | Mapping[str, list[str]],
    fields: Mapping[str, str | None] | None = None,
    *,
    nested_by_last_part: bool = False,
) -> None:
    """Put a service's ``InvalidInput`` messages on the form: each on the field it names, the rest (and
    every ``_rule``) above the form, each message once.

    ``fields`` maps a service's name to the form's field (None: never on a field; a form whose one
    field answers for the whole change may map ``_rule`` to it). With
    ``nested_by_last_part`` a nested name the map does not give (``complaints.0.occurred_on``) goes
    on the field named by its last part (``occurred_on``), where a form has one row of those. A form
    with rows of its own (a FieldList of row forms) says which field a name means with a
    ``field_for(name)`` method instead (``complaints.1.reported_on``: the second filled row's field).
    A message about a whole list of rows goes above the form: the list has no place for it.
    """
    messages_by_key = errors.errors if isinstance(errors, InvalidInput) else errors
    fields = fields or {}
    field_for = getattr(form, "field_for", None)
    placed: set[str] = set()
    rest: list[str] = []
    for key, messages in messages_by_key.items():
        name = fields.get(key, key.rsplit(".", 1)[-1] if nested_by_last_part else key)
        if not name or (key == RULE and key not in fields):
            field = None
        elif field_for is not None and key not in fields:
            field = field_for(key)
        else:
            field = form._fields.get(name)
        if field is not None and field.type == "FieldList":
            field = None
        if field is not None:
            field.errors = [*list(field.errors or []), *messages]
            placed.update(messages)
        else:
            rest.extend(messages)
    # A rule naming a field is shown once, on that field.
    form.form_errors = [*list(form.form_errors or []), *dict.fromkeys(m for m in rest if m not in placed)]
