"""How large a request's body may be, by what it is, and what a client is told when it is larger.

``MAX_CONTENT_LENGTH`` is sized for uploads (``CASEWORK_UPLOAD_MAX_MB`` and room for the rest of the
form), and werkzeug parses a multipart body a part at a time, within ``MAX_FORM_PARTS`` parts and
``MAX_FORM_MEMORY_SIZE`` bytes of text in each. Every other body (a page form sent url-encoded, the
API's JSON) is read whole and parsed at once, with neither limit: 21 MB of ``a=&a=&...`` is seven
million fields, about a gigabyte and ten seconds of one web worker, for anyone who can reach a public
form. Such a body may be no larger than ``MAX_TEXT_BODY_BYTES``.

The limit is checked from the Content-Length before any view or hook runs (``init_body_limits``), so
every route refuses alike, whether or not it reads its body. A body sent in chunks has no
Content-Length: the same first hook reads it, up to a byte past the limit, into a file that stands in
for it (``_take_chunked_body``), so it is refused alike too. Left to werkzeug, reading it would have
stopped at the limit without a word, and the first megabyte been parsed as if it were the whole (a
form's last fields dropped), on the routes that read it. An endpoint that takes larger uploads (an import) says so with
``allow_larger_uploads``, not by changing the request's limit in a hook of its own, which would come
after this check.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable

from flask import Flask, Request, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

#: The largest body that is not ``multipart/form-data``. No field a form or API schema takes is longer
#: than 50,000 characters; 1 MB is room for several such fields, percent-encoded.
MAX_TEXT_BODY_BYTES = 1024 * 1024
MEGABYTE = 1024 * 1024


LARGER_UPLOADS = "casework.larger_uploads"
#: Set in the request's environ when a body sent in chunks passed its limit (it has no length to compare).
_CHUNKED_OVER_LIMIT = "casework.chunked_body_over_limit"
_CHUNKED_BODY = "casework.chunked_body"


def allow_larger_uploads(app: Flask, endpoint: str, limit: Callable[[], int]) -> None:
    """Let ``endpoint`` take multipart bodies of up to ``limit()`` bytes (the file and the form's room)."""
    app.extensions.setdefault(LARGER_UPLOADS, {})[endpoint] = limit


def init_body_limits(app: Flask) -> None:
    """Refuse a body whose declared length is over the limit before anything else is done with it."""

    def refuse_bodies_over_the_limit() -> None:
        length = request.content_length  # None for a request with no body: most of them, read at once
        if length:
            limit = request.max_content_length
            if limit is not None and length > limit:
                raise RequestEntityTooLarge()
        elif length is None and "chunked" in request.headers.get("Transfer-Encoding", "").lower():
            _take_chunked_body(request.max_content_length)

    # First of all the hooks, those the extensions added before this runs included: the CSRF check, the
    # rate limits and the submission keys read the form, and would read a body sent in chunks as far as
    # the limit and no further, without a word.
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_bodies_over_the_limit)

    @app.teardown_request
    def close_chunked_body(_error: BaseException | None = None) -> None:
        if (body := request.environ.pop(_CHUNKED_BODY, None)) is not None:
            body.close()


def _take_chunked_body(limit: int | None) -> None:
    """Read a body sent in chunks, up to a byte past ``limit``, into a file that then stands in for the
    request's input (in memory up to a megabyte, on disk beyond): a body over the limit is refused here,
    before any other hook, as one whose Content-Length says so."""
    if limit is None or "wsgi.input_terminated" not in request.environ:
        return  # a server that does not end the stream: werkzeug reads none of it
    source = request.environ["wsgi.input"]
    # Closed at the end of the request (close_chunked_body), not here: it stands in for the input till then.
    body = tempfile.SpooledTemporaryFile(max_size=MAX_TEXT_BODY_BYTES)  # noqa: SIM115
    request.environ[_CHUNKED_BODY] = body
    taken = 0
    while chunk := source.read(min(64 * 1024, limit + 1 - taken)):
        taken += len(chunk)
        if taken > limit:
            request.environ[_CHUNKED_OVER_LIMIT] = True
            raise RequestEntityTooLarge()
        body.write(chunk)
    body.seek(0)
    request.environ["wsgi.input"] = body


class CaseworkRequest(Request):
    """Flask's request, with a smaller limit on a body that is not a multipart upload. A view that sets
    ``request.max_content_length`` itself (the imports' upload) keeps its own."""

    @property
    def max_content_length(self) -> int | None:
        if self._max_content_length is not None:
            return self._max_content_length
        if not current_app:
            return None
        limit: int | None = current_app.config["MAX_CONTENT_LENGTH"]
        if self.mimetype == "multipart/form-data":
            larger = current_app.extensions.get(LARGER_UPLOADS, {}).get(self.endpoint)
            return larger() if larger is not None else limit
        return MAX_TEXT_BODY_BYTES if limit is None else min(limit, MAX_TEXT_BODY_BYTES)

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value


def too_large_message() -> tuple[str, str]:
    """The title and message of a 413: which limit the request passed, in the client's terms."""
    limit = request.max_content_length
    if request.mimetype != "multipart/form-data":
        return (
            "The request is too large",
            f"What you sent is larger than the {MAX_TEXT_BODY_BYTES // 1024:,} KB a form or an API request may be.",
        )
    if limit is not None and ((request.content_length or 0) > limit or request.environ.get(_CHUNKED_OVER_LIMIT)):
        # Each upload limit is the largest file and a megabyte of room for the rest of the form.
        return "The file is too large", f"Files must be smaller than {max(limit // MEGABYTE - 1, 1)} MB."
    return (
        "The form is too large",
        "The form has more fields than it may, or more text in one of them than it may hold.",
    )
