"""URL converters that only match what the database can hold, so a wild path value is a 404.

```<int:...>`` stops at 2^31-1 (an id above it cannot exist, and PostgreSQL refuses to compare an
INTEGER column with it: 404 before the view runs); ``<code>`` and ``<path:...>`` refuse NUL and lone
surrogates (the rule does not match: 404, as for any unknown address).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

from flask import Flask
from werkzeug.routing import IntegerConverter, PathConverter, UnicodeConverter, ValidationError

from casework.core.inputs import DB_INT_MAX, has_unstorable


class DatabaseIntegerConverter(IntegerConverter):
    """``<int:...>``; values beyond the database's INTEGER range are answered 404 after routing.

    Not refused here: werkzeug decides a 405 from the path's shape before converting, so a refusing
    converter turns ``PATCH /actions/99999999999`` into a 405 naming the GET rule of the same path.
    """

    #: For the OpenAPI document: the largest id that can exist.
    maximum = DB_INT_MAX


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
    init_routing_redirects(app)


def init_routing_redirects(app: Flask) -> None:
    """werkzeug answers an address without its trailing slash, or with doubled slashes, with a 308 to its
    canonical form, an absolute URL on the host the request's ``Host`` header named: a client (or a
    proxy that passes any Host through) could make it point at another site, and a cache keep that.
    Its ``Location`` becomes the path and query alone, as every other redirect of the service is."""
    from flask import Response, request
    from werkzeug.routing import RequestRedirect

    @app.after_request
    def relative_routing_redirect(response: Response) -> Response:
        if isinstance(request.routing_exception, RequestRedirect) and "Location" in response.headers:
            target = urlsplit(response.headers["Location"])
            path = "/" + target.path.lstrip("/")  # never "//host": a path of this service
            response.headers["Location"] = urlunsplit(("", "", path, target.query, ""))
        return response


def init_input_checks(app: Flask) -> None:
    """Path ids beyond the INTEGER range are 404 for every endpoint. Pages read some query parameters
    directly (filters, ``page``): refuse the unstorable ones there once, for every page. The API's
    query strings go through its parser, which does the same with a field-by-field 422; page forms
    refuse them as a form error (casework.core.forms)."""
    from flask import abort, request

    from casework.core.errors import html_error
    from casework.core.inputs import unstorable_strings

    @app.url_value_preprocessor
    def refuse_ids_beyond_the_database(_endpoint: str | None, values: dict[str, Any] | None) -> None:
        if values and any(isinstance(v, int) and not 0 <= v <= DB_INT_MAX for v in values.values()):
            abort(404)

    @app.before_request
    def refuse_unstorable_query():  # type: ignore[no-untyped-def]
        if request.path.startswith("/api/") or not request.args:
            return None
        if any(True for _ in unstorable_strings(request.args.to_dict(flat=False))):
            return html_error(400, "The web address contains a character that cannot be used. Check it and try again.")
        return None
