"""Domain errors and how each audience sees them.

Services raise these; they know nothing about HTTP. The API turns them into the JSON bodies docs/api.md
fixes, and the pages into GOV.UK error pages or form errors.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from casework.core.bodies import too_large_message
from casework.core.urls import referring_page

RULE = "_rule"


class DomainError(Exception):
    status_code = 400

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(DomainError):
    """Input that fails validation: ``errors`` maps field names to messages."""

    status_code = 422

    def __init__(self, errors: dict[str, list[str]] | str, field: str | None = None) -> None:
        if isinstance(errors, str):
            errors = {field or RULE: [errors]}
        super().__init__("; ".join(m for msgs in errors.values() for m in msgs))
        self.errors = errors


class RuleViolation(InvalidInput):
    """A statutory or procedural rule blocks the action (API: ``422`` with ``_rule``)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        errors = {RULE: [message]}
        if field:
            errors[field] = [message]
        super().__init__(errors)


class NotFound(DomainError):
    status_code = 404


@contextmanager
def not_found_as(message: str) -> Iterator[None]:
    """Inside, a parent's NotFound answers as the record's own ``message``.

    A record loaded by its id and then checked through its parent (an intervention through its case, an
    agenda item through its meeting) must answer a hidden parent exactly as a missing id: the parent's
    own message ("Case not found.") would tell a probing user that the record exists.
    """
    try:
        yield
    except NotFound:
        raise NotFound(message) from None


class Forbidden(DomainError):
    status_code = 403


class Conflict(DomainError):
    """The record changed since the caller read it."""

    status_code = 409


#: A unique index refused a write: someone made the same change at the same moment.
SAME_MOMENT = (
    "The same change was being saved at the same moment (by a second click, or by someone else), so it "
    "was not saved twice. Go back, reload the page and check what is there now."
)

#: What a request refused for want of the database's write lock is told (``handle_operational_error``).
BUSY = "The service is busy. Nothing you sent was saved: try again in a minute."

_TITLES = {
    400: ("Sorry, there is a problem with the request", "Check what you entered and try again."),
    401: ("You need to sign in", "Sign in to use this page."),
    403: ("You do not have permission to view this page", "Ask your administrator if you need access."),
    404: ("Page not found", "If you typed the web address, check it is correct."),
    405: ("Sorry, that did not work", "That action is not available on this page."),
    409: (
        "Someone else changed this record",
        "Someone saved a change after you opened this page. Go back, reload it and make your change again.",
    ),
    413: ("The request is too large", "What you sent is larger than the service accepts."),
    422: ("There is a problem", "Check what you entered and try again."),
    429: (
        "Too many attempts",
        "You have tried too many times. Wait a few minutes and try again.",
    ),
    500: ("Sorry, there is a problem with the service", "Try again later."),
    503: ("Sorry, the service is busy", BUSY),
}

#: How long a refused writer is told to wait (``Retry-After``) when SQLite's write lock was not free.
BUSY_RETRY_SECONDS = 60


def is_write_lock_timeout(error: Exception) -> bool:
    """SQLite's one write lock stayed taken past the wait (``SQLITE_BUSY_SECONDS``): by a large
    import or report, which holds it for its whole run, one transaction."""
    original = getattr(error, "orig", None)
    return type(original).__module__ == "sqlite3" and "database is locked" in str(original)


def wants_json() -> bool:
    return request.path.startswith("/api/") or (
        request.accept_mimetypes.best_match(["application/json", "text/html"]) == "application/json"
    )


def json_error(status: int, errors: dict[str, list[str]] | None = None, message: str | None = None) -> Response:
    body: dict[str, Any] = {"errors": errors or {}}
    if message or not errors:
        body["message"] = message or _TITLES.get(status, _TITLES[500])[0]
    response = jsonify(body)
    response.status_code = status
    return response


def html_error(status: int, message: str | None = None, title: str | None = None) -> tuple[str, int]:
    default_title, default_message = _TITLES.get(status, _TITLES[500])
    # A save refused over someone else's leads back to the form's page, to read the record again.
    back_url = referring_page() if status == 409 else None
    return (
        render_template(
            "errors/error.html",
            title=title or default_title,
            message=message or default_message,
            status_code=status,
            back_url=back_url,
        ),
        status,
    )


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def handle_domain_error(error: DomainError):  # type: ignore[no-untyped-def]
        from casework.extensions import db

        db.session.rollback()
        errors = getattr(error, "errors", None)
        if wants_json():
            return json_error(error.status_code, errors, None if errors else error.message)
        return html_error(error.status_code, error.message or None)

    @app.errorhandler(StaleDataError)
    def handle_stale(_error: StaleDataError):  # type: ignore[no-untyped-def]
        from casework.extensions import db

        db.session.rollback()
        if wants_json():
            return json_error(409, message="The record changed since you read it. Fetch it again.")
        return html_error(409)

    @app.errorhandler(IntegrityError)
    def handle_integrity_error(error: IntegrityError):  # type: ignore[no-untyped-def]
        # A unique index refused a row that a check before it found absent: another request wrote the
        # same at the same moment (services that expect it say so themselves: ``add_unless_taken``).
        # Anything else the database refused is a fault of the service.
        from casework.core.db import is_unique_violation
        from casework.extensions import db

        if not is_unique_violation(error):
            return handle_unexpected(error)
        app.logger.warning(
            "A unique index refused a write on %s %s: %s", request.method, request.path, describe_database_error(error)
        )
        db.session.rollback()
        if wants_json():
            return json_error(409, message=SAME_MOMENT)
        return html_error(409, SAME_MOMENT)

    @app.errorhandler(HTTPException)
    def handle_http(error: HTTPException):  # type: ignore[no-untyped-def]
        if error.response is not None:
            return error.response  # a view or extension built the answer itself (a sign-in refusal)
        status = error.code or 500
        # The exception's own headers (a 405's Allow, a 429's Retry-After), but not its Content-Type.
        headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
        title = message = None
        if status == 413:
            # Which limit it passed: a file's size, a form's fields, or a body that is not an upload.
            title, message = too_large_message()
        if wants_json():
            errors = getattr(error, "data", {}).get("messages") if hasattr(error, "data") else None
            if errors is not None:
                response = json_error(status, _flatten_webargs(errors))
            else:
                response = json_error(
                    status, message=f"{title}. {message}" if title else _TITLES.get(status, (error.description,))[0]
                )
            response.headers.extend(headers)
            return response
        body, status = html_error(status, message, title)
        return body, status, headers

    @app.errorhandler(DataError)
    def handle_data_error(error: DataError):  # type: ignore[no-untyped-def]
        # A value the database refused (casework.core.db checks lengths and ranges before a flush, so
        # this is a check that missed one): the input was bad, nothing was written.
        from casework.extensions import db

        app.logger.warning(
            "The database refused a value on %s %s: %s", request.method, request.path, describe_database_error(error)
        )
        db.session.rollback()
        message = "A value is too long or out of range for the database."
        if wants_json():
            return json_error(422, {RULE: [message]})
        return html_error(422, message)

    @app.errorhandler(OperationalError)
    def handle_operational_error(error: OperationalError):  # type: ignore[no-untyped-def]
        # Another process held SQLite's write lock past the wait (an import runs in one transaction):
        # this request's transaction is rolled back, so it may be sent again as it was; a fault
        # only if it lasts. Anything else is a fault of the service.
        from casework.extensions import db

        if not is_write_lock_timeout(error):
            return handle_unexpected(error)
        app.logger.warning("The database's write lock was not free on %s %s", request.method, request.path)
        db.session.rollback()
        headers = {"Retry-After": str(BUSY_RETRY_SECONDS)}
        if wants_json():
            response = json_error(503, message=BUSY)
            response.headers.update(headers)
            return response
        body, status = html_error(503)
        return body, status, headers

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception):  # type: ignore[no-untyped-def]
        from casework.extensions import db

        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        if app.config.get("PROPAGATE_EXCEPTIONS") and app.testing:
            raise error
        if wants_json():
            return json_error(500)
        return html_error(500)


def _flatten_webargs(messages: dict[str, Any]) -> dict[str, Any]:
    """webargs nests messages by location ({"json": {...}}); docs/api.md wants the fields at the top."""
    if len(messages) == 1 and next(iter(messages)) in {"json", "query", "form", "view_args", "json_or_form"}:
        inner = next(iter(messages.values()))
        return inner if isinstance(inner, dict) else {RULE: inner}
    return messages


def describe_database_error(error: Exception) -> str:
    """What a log line says of a refusal by the database: its kind and where (the error code, the
    constraint, table and column PostgreSQL names), never the refused value. PostgreSQL's own text
    quotes it (``invalid input syntax for type integer: "..."``, a DETAIL line with the key or the
    whole row), and a log is out of the retention run's reach. SQLite's message names only the
    constraint or the kind (``UNIQUE constraint failed: users.email``)."""
    original = getattr(error, "orig", None) or error
    diag = getattr(original, "diag", None)
    if diag is None:
        return f"{type(original).__name__}: {str(original).splitlines()[0] if str(original) else ''}"
    where = [
        f"{name} {value}"
        for name, value in (
            ("constraint", diag.constraint_name),
            ("table", diag.table_name),
            ("column", diag.column_name),
        )
        if value
    ]
    return ", ".join([f"{type(original).__name__} (SQLSTATE {diag.sqlstate})", *where])
