"""The ``Prefer`` request header (RFC 7240): what a client would like the server to do, which the
server may honour or ignore.

An endpoint that honours a preference says so with ``Preference-Applied`` and, because the same URL
then answers differently by the header, ``Vary: Prefer`` (RFC 7240, section 2).
"""

from __future__ import annotations

from flask import Response, request
from werkzeug.http import parse_list_header

#: The client would rather wait for a job than for the answer: ``202 Accepted`` and where to follow it.
RESPOND_ASYNC = "respond-async"


def preferences() -> frozenset[str]:
    """The names of the preferences the request states, in lower case (names are case-insensitive;
    their values and parameters, ``wait=10`` or ``; foo``, are not read here)."""
    # The header may be sent several times, each holding a comma-separated list (quoted values may
    # hold commas, which parse_list_header keeps inside their item).
    stated = parse_list_header(", ".join(request.headers.getlist("Prefer")))
    names = (item.split(";", 1)[0].split("=", 1)[0].strip().lower() for item in stated)
    return frozenset(name for name in names if name)


def prefers(name: str) -> bool:
    return name in preferences()


def applied(response: Response, name: str) -> Response:
    """Say on ``response`` that the preference ``name`` was honoured."""
    response.headers["Preference-Applied"] = name
    response.vary.add("Prefer")
    return response


def may_vary(response: Response) -> Response:
    """Say on ``response`` (answered without honouring a preference) that asking otherwise would
    change it, so a cache does not give one answer for the other."""
    response.vary.add("Prefer")
    return response
