"""File answers: one way to name a download, whatever the name holds.

A file name comes from whoever uploaded the file: it may hold quotes, non-ASCII letters or control
characters. Werkzeug's ``send_file`` writes ``Content-Disposition`` with an ASCII ``filename`` and
an RFC 5987 ``filename*`` (UTF-8) and quotes it properly; control characters (a newline would end
the header) are dropped first.
"""

from __future__ import annotations

import io
import re

from flask import Response, send_file

_CONTROL = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")


def safe_filename(name: str, fallback: str = "download") -> str:
    cleaned = _CONTROL.sub("", name or "").replace("/", "_").replace("\\", "_")
    return cleaned or fallback


def file_response(
    content: bytes | str,
    filename: str,
    mimetype: str,
    *,
    inline: bool = False,
    content_security_policy: str | None = None,
) -> Response:
    """``content`` as a download named ``filename`` (or shown in the browser when ``inline``).

    A file someone uploaded gets a ``content_security_policy`` with ``sandbox``: opened in the
    browser, it can run nothing and reach nothing as the service.
    """
    data = content.encode() if isinstance(content, str) else content
    response = send_file(
        io.BytesIO(data),
        mimetype=mimetype,
        as_attachment=not inline,
        download_name=safe_filename(filename),
        conditional=False,
        etag=False,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    if content_security_policy:
        response.headers["Content-Security-Policy"] = content_security_policy
    return response
