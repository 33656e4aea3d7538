"""JSON answers written by orjson, with the same values and keys as Flask's own provider.

Encoding an answer with the standard library took about a twentieth of the API case page's time (13 KB
of nested dicts: ``docs/performance.md``); orjson writes the same JSON about ten times faster. What
stays as Flask's provider has it: keys sorted, dates and times given to Flask's ``default`` (HTTP dates,
as before; orjson would write ISO 8601), decimals, dataclasses and ``__html__`` objects likewise, an
indented answer in debug mode, a newline at the end. One difference, which JSON readers do not see:
characters outside ASCII are written as UTF-8 (the JSON standard's encoding), not as ``\\u`` escapes.
Anything orjson refuses (an integer past 64 bits) is written by the standard library instead.
"""

from __future__ import annotations

from typing import Any, cast

import orjson
from flask import Response as FlaskResponse
from flask.json.provider import DefaultJSONProvider
from werkzeug.sansio.response import Response

_OPTIONS = (
    orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
)


class OrjsonProvider(DefaultJSONProvider):
    def _encode(self, obj: Any) -> bytes | None:
        try:
            return orjson.dumps(obj, default=self.default, option=_OPTIONS)
        except orjson.JSONEncodeError:
            return None

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        # Arguments for the standard library (an indent, other separators) mean its output is wanted.
        encoded = None if kwargs else self._encode(obj)
        return super().dumps(obj, **kwargs) if encoded is None else encoded.decode()

    def response(self, *args: Any, **kwargs: Any) -> Response:
        if (self.compact is None and self._app.debug) or self.compact is False:
            return super().response(*args, **kwargs)
        encoded = self._encode(self._prepare_response_obj(args, kwargs))
        if encoded is None:
            return super().response(*args, **kwargs)
        # The app's response class is Flask's (``self._app`` is typed as the app's base, without a body).
        response_class = cast("type[FlaskResponse]", self._app.response_class)
        return response_class(encoded + b"\n", mimetype=self.mimetype)
