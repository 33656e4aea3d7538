"""URL converters that only match what the database can hold, so a wild path value is a 404.

``<int:...>`` stops at 2^31-1 (an id above it cannot exist, and PostgreSQL refuses to compare an
INTEGER column with it); ``<code>`` and ``<path:...>`` refuse NUL and lone surrogates. A value that a
converter refuses means the rule does not match: the answer is 404, as for any unknown address.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from werkzeug.routing import IntegerConverter, Map, PathConverter, UnicodeConverter, ValidationError

from casework.core.inputs import DB_INT_MAX, has_unstorable


class DatabaseIntegerConverter(IntegerConverter):
    """``<int:...>`` bounded to the database's INTEGER range (a rule may narrow it further)."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs["max"] = min(kwargs.get("max") or DB_INT_MAX, DB_INT_MAX)
        super().__init__(map, *args, **kwargs)


class StorableStringConverter(UnicodeConverter):
    def to_python(self, value: str) -> Any:
        if has_unstorable(value):
            raise ValidationError()
        return super().to_python(value)


class StorablePathConverter(PathConverter):
    def to_python(self, value: str) -> Any:
        if has_unstorable(value):
            raise ValidationError()
        return super().to_python(value)


def init_routing(app: Flask) -> None:
    """Called before any blueprint registers a rule: rules pick their converters when added."""
    app.url_map.converters.update(
        {
            "int": DatabaseIntegerConverter,
            "default": StorableStringConverter,
            "string": StorableStringConverter,
            "path": StorablePathConverter,
        }
    )


def init_input_checks(app: Flask) -> None:
    """Pages read some query parameters directly (filters, ``page``): refuse the unstorable ones
    there once, for every page. The API's query strings go through its parser, which does the same
    with a field-by-field 422; page forms refuse them as a form error (casework.core.forms)."""
    from flask import request

    from casework.core.errors import html_error
    from casework.core.inputs import unstorable_strings

    @app.before_request
    def refuse_unstorable_query():  # type: ignore[no-untyped-def]
        if request.path.startswith("/api/") or not request.args:
            return None
        if any(True for _ in unstorable_strings(request.args.to_dict(flat=False))):
            return html_error(400, "The web address contains a character that cannot be used. Check it and try again.")
        return None
