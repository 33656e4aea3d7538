"""The project's request parsing: one webargs parser and one base schema for every API input.

Strings are stripped, unknown fields are refused (a misspelt field should not be silently ignored),
and validation errors become ``422 {"errors": {field: [messages]}}`` as docs/api.md fixes. Before any
schema runs, the parser refuses what no schema should have to think about (casework.core.inputs):
JSON nested too deeply to parse safely, and strings holding a NUL or a lone surrogate, wherever they
are in the body or query string. Every integer field is held to the database's INTEGER range.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from typing import Any, NoReturn

import flask
from marshmallow import RAISE, Schema, ValidationError, fields, missing, pre_load, validate
from webargs.flaskparser import FlaskParser
from webargs.multidictproxy import MultiDictProxy

from casework.core.errors import InvalidInput
from casework.core.inputs import (
    DB_INT_MAX,
    DB_INT_MIN,
    MAX_PAGE,
    ONE_LINE_MESSAGE,
    TOO_DEEP_MESSAGE,
    UNSTORABLE_MESSAGE,
    json_too_deep,
    unstorable_strings,
)

INVALID_JSON_MESSAGE = "The body is not valid JSON."
NO_BODY_MESSAGE = "Send a JSON body with Content-Type: application/json."


def duplicate_key_message(key: str) -> str:
    return f'The body gives "{key}" more than once in one object: give each field once.'


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _refuse_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object as a dict, refusing a key given twice: the standard parser would keep the last one
    silently, so a body read one way by a proxy or a partner's own checks (the first) would be written
    another way here (the last)."""
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise _DuplicateKey(key)
        found[key] = value
    return found


def _within_the_integer_range(validator: Any) -> bool:
    """Whether ``validator`` is a Range with both ends inside the INTEGER range (``Range(min=1)`` is not:
    it lets 99999999999999999999 through to SQL, where SQLite's driver refuses it with a 500)."""
    return (
        isinstance(validator, validate.Range)
        and validator.min is not None
        and validator.max is not None
        and validator.min >= DB_INT_MIN
        and validator.max <= DB_INT_MAX
    )


def _bound_integers(field: fields.Field[Any]) -> None:
    """Hold an integer field (or a list's items) to the INTEGER range, unless it says something narrower
    at both ends (a Range with only a minimum, such as ``page``'s, gets the range's maximum too)."""
    if isinstance(field, fields.Integer):
        if not any(_within_the_integer_range(v) for v in field.validators):
            field.validators.append(validate.Range(min=DB_INT_MIN, max=DB_INT_MAX))
    elif isinstance(field, fields.List):
        _bound_integers(field.inner)
    elif isinstance(field, fields.Tuple):
        for inner in field.tuple_fields:
            _bound_integers(inner)


class BaseSchema(Schema):
    class Meta:
        unknown = RAISE

    def on_bind_field(self, field_name: str, field_obj: fields.Field[Any]) -> None:
        # Every schema's fields pass here as it is built: one place for the database's integer range.
        _bound_integers(field_obj)

    @pre_load
    def strip_strings(self, data: Any, **_kwargs: Any) -> Any:
        if isinstance(data, dict):
            broken = {
                key: [ONE_LINE_MESSAGE]
                for key, value in data.items()
                if isinstance(key, str) and _NAME.search(key) and isinstance(value, str) and _BREAK.search(value)
            }
            if broken:
                # A name is one line, as the pages' text inputs are: one with lines of its own would become
                # lines of a letter or an email ("Dear <name>,").
                raise ValidationError(broken)
            return {k: v.strip() if isinstance(v, str) else v for k, v in data.items()}
        return data


#: Body fields that hold a name ("name", "applicant_name", "reviewer_name", "filename"), and line breaks.
_NAME = re.compile(r"(^|_)(file)?name$")
_BREAK = re.compile(r"[\r\n]")


def _flatten(messages: Any) -> dict[str, list[str]]:
    """Nested marshmallow messages to ``{"complaints.0.reported_on": [...]}``."""
    flat: dict[str, list[str]] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                name = "_rule" if key == "_schema" else str(key)
                walk(f"{prefix}.{name}" if prefix else name, inner)
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            flat.setdefault(prefix or "_rule", []).extend(value)
        elif isinstance(value, list):
            for item in value:
                walk(prefix, item)
        else:
            flat.setdefault(prefix or "_rule", []).append(str(value))

    walk("", messages)
    return flat


class Parser(FlaskParser):
    DEFAULT_LOCATION = "json"
    # A misspelt filter is refused like a misspelt body field (the schema's RAISE), not ignored: a
    # partner system that sends ``?stauts=open`` must not silently get every record instead.
    DEFAULT_UNKNOWN_BY_LOCATION = {**FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION, "query": None, "querystring": None}

    def handle_error(
        self,
        error: ValidationError,
        req: flask.Request,
        schema: Schema,
        *,
        error_status_code: int | None,
        error_headers: Mapping[str, str] | None,
    ) -> NoReturn:
        messages = error.messages
        if isinstance(messages, dict) and set(messages) <= {"json", "query", "form", "view_args"} and messages:
            messages = next(iter(messages.values()))
        raise InvalidInput(_flatten(messages))

    def load_json(self, req, schema):  # type: ignore[no-untyped-def]
        # A missing or non-JSON body is a clear 422, not a silent empty object.
        # An empty body declared as JSON is missing too: webargs would read it as an empty object, which
        # a PATCH takes as a change of nothing and writes (a new version, an audit entry).
        if req.method in {"POST", "PUT", "PATCH"} and (not req.is_json or not req.get_data(cache=True)):
            raise InvalidInput({"_rule": [NO_BODY_MESSAGE]})
        return super().load_json(req, schema)

    def _raw_load_json(self, req):  # type: ignore[no-untyped-def]
        if req.is_json and json_too_deep(req.get_data(cache=True)):
            raise InvalidInput({"_rule": [TOO_DEEP_MESSAGE]})
        if not req.is_json:
            return missing
        try:
            data = _parse_json(req.get_data(cache=True))
        except json.JSONDecodeError:
            raise
        except _DuplicateKey as duplicate:
            raise InvalidInput({"_rule": [duplicate_key_message(duplicate.key)]}) from None
        except (ValueError, RecursionError):
            # An integer of thousands of digits (Python refuses to convert it), or nesting the bracket
            # count did not catch.
            raise InvalidInput({"_rule": [INVALID_JSON_MESSAGE]}) from None
        refuse_unstorable(data)
        return data

    def _get_schema(self, argmap: Any, req: flask.Request) -> Schema:
        # One instance per schema class, not one per request: building a schema copies and binds
        # every field (a fifth of a small API request's work). A marshmallow 4 schema keeps no
        # state between loads (``load`` takes everything it varies by as arguments), so an instance
        # is safe to share between requests and threads.
        if isinstance(argmap, type) and issubclass(argmap, Schema):
            return _schema_instance(argmap)
        return super()._get_schema(argmap, req)

    def _handle_invalid_json_error(self, error, req, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise InvalidInput({"_rule": [INVALID_JSON_MESSAGE]})

    def load_querystring(self, req, schema):  # type: ignore[no-untyped-def]
        refuse_unstorable(req.args.to_dict(flat=False))
        return self._makeproxy(req.args, schema, cls=_ParametersProxy)

    def load_form(self, req, schema):  # type: ignore[no-untyped-def]
        refuse_unstorable(req.form.to_dict(flat=False))
        return self._makeproxy(req.form, schema, cls=_ParametersProxy)


class _ParametersProxy(MultiDictProxy):
    """webargs' view of a query string or a form, asked for a parameter the request left out without
    werkzeug's ``MultiDict.get``: that raises and catches an HTTP exception (``BadRequestKeyError``)
    for each one, sixteen on a plain case list, each costing more than the lookup."""

    def __getitem__(self, key: str) -> Any:
        if key not in self.data:
            return missing
        return super().__getitem__(key)


def _parse_json(body: bytes) -> Any:
    """webargs' ``core.parse_json`` (UTF-8, a decoding error as a ``JSONDecodeError``), refusing a key
    given twice in one object."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise json.JSONDecodeError(
            f"Bytes decoding error : {error.reason}", doc=str(error.object), pos=error.start
        ) from error
    return json.loads(text, object_pairs_hook=_refuse_duplicate_keys)


def refuse_unstorable(data: Any) -> None:
    """422 naming every string (or key) that holds a NUL or a lone surrogate."""
    paths = list(unstorable_strings(data))
    if paths:
        # A query string's values come as lists: name the parameter, not its first item.
        raise InvalidInput({path.removesuffix(".0"): [UNSTORABLE_MESSAGE] for path in paths})


@functools.cache
def _schema_instance(schema_class: type[Schema]) -> Schema:
    return schema_class()


parser = Parser()


def use_args(argmap: Any, *args: Any, location: str | None = None, **kwargs: Any) -> Any:
    """``parser.use_args`` that also tells the OpenAPI document what the view reads."""
    from casework.core.openapi import record_input

    decorator = parser.use_args(argmap, *args, location=location, **kwargs)

    def decorate(view: Any) -> Any:
        wrapped = decorator(view)
        record_input(wrapped, argmap, location or parser.location or Parser.DEFAULT_LOCATION)
        return wrapped

    return decorate


use_kwargs = parser.use_kwargs


def load(schema: Schema, data: Any) -> Any:
    """Validate ``data`` with ``schema`` outside a view (CLI, tasks), raising InvalidInput."""
    from marshmallow import ValidationError

    try:
        return schema.load(data)
    except ValidationError as error:
        raise InvalidInput(_flatten(error.messages)) from None


class PageArgs(BaseSchema):
    #: Up to ``MAX_PAGE``, so ``(page - 1) * per_page`` is an OFFSET every database takes; a larger page
    #: is refused (422) like ``page=0``.
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
    per_page = fields.Integer(load_default=25, validate=validate.Range(min=1, max=100))
