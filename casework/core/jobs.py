"""Background jobs (a partnership report, a compilation of the statistics): when a client should poll
one again.

``Retry-After`` (RFC 9110, section 10.2.3) in seconds, so a client polls at the pace the service
expects instead of guessing: on every ``202`` that hands back a job, and on every poll of a job that is
still queued or running. A finished job's answer has none: there is nothing more to wait for.
"""

from __future__ import annotations

from flask import Response

from casework.core.openapi import Header

#: As often as the service's own pages check a job (their REFRESH_SECONDS): a report or a compilation
#: takes seconds, and a poll costs one small read.
RETRY_AFTER_SECONDS = 3

_RETRY_AFTER_SCHEMA = {"type": "integer", "minimum": 1}

#: On a ``202`` with a job: always sent.
RETRY_AFTER = Header(
    "Retry-After",
    f"Seconds to wait before polling the job at its `Location` ({RETRY_AFTER_SECONDS}).",
    schema=_RETRY_AFTER_SCHEMA,
)
#: On a poll of a job: sent while the job is queued or running, not once it is done or failed.
RETRY_AFTER_WHILE_UNFINISHED = Header(
    "Retry-After",
    f"While the job is queued or running: seconds to wait before polling it again ({RETRY_AFTER_SECONDS}). "
    "Not sent once it is done or failed.",
    required=False,
    schema=_RETRY_AFTER_SCHEMA,
)


def poll_again_later(response: Response) -> Response:
    """Say on ``response`` when to poll the job it hands back."""
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response

