"""Links that leave the service: in emails, letters and anything else read outside a browser tab.

Every such link is built here, from ``CASEWORK_BASE_URL`` alone. The request's ``Host`` header is
whatever the client sent (``Host: evil.example`` on the public form would otherwise put
``http://evil.example/...`` in the applicant's confirmation email), and a task has no request at all,
so neither may decide where a link points. Links inside the pages stay relative and use Flask's
``url_for`` as usual.

- ``external_url(endpoint, **values)``: the absolute address of a page, for an email or a letter.
- ``path_for(endpoint, **values)``: a page's path without a request, for what is stored and turned into
  a link later (``Deadline.link``).
- ``absolute(path)``: a stored path made absolute.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app


def base_url() -> str:
    """``CASEWORK_BASE_URL`` without its trailing slash (validated in ``casework.config``)."""
    return str(current_app.config["CASEWORK"]["BASE_URL"]).rstrip("/")


def path_for(endpoint: str, /, **values: Any) -> str:
    """The path of a page (``/case-reviews/7``), built from the URL map without the request, so the
    same path comes out of a view, a task or the demo loader."""
    # The server name is never used: only the path is built. The script root (a reverse proxy's
    # prefix) belongs to the base URL, not to the path.
    adapter = current_app.url_map.bind("casework.invalid", script_name="/", url_scheme="http")
    return adapter.build(endpoint, values)


def absolute(path: str) -> str:
    """A path of this service (``/cases/9``) as an absolute link from the base URL."""
    if not path.startswith("/") or path.startswith("//") or urlsplit(path).netloc:
        raise ValueError(f"not a path of this service: {path!r}")
    return base_url() + path


def external_url(endpoint: str, /, **values: Any) -> str:
    """The absolute address of a page, for an email or a letter: always under ``CASEWORK_BASE_URL``."""
    return absolute(path_for(endpoint, **values))
