"""Personal data where the retention run cannot reach it: log lines (the app's, the worker's, an access
log's), database errors' text, the sign-in limits' keys. The retention run erases names, addresses and
numbers from the tables and the audit log; whatever is written elsewhere must not hold them, while
keeping what an operator needs to diagnose a failure (ids, kinds, paths, status codes)."""

from __future__ import annotations

import hashlib
import io
import logging
import threading
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError
from werkzeug.serving import make_server

from casework.accounts import sign_in_limits
from casework.core.db import _READ_ENGINE_KEY
from casework.extensions import db

EMAIL = "jane.smith+asb@example.org"
MOBILE = "07700 900123"
LANDLINE = "+44 (0)20 7946 0000"
NAME = "Jane Smith-Oduya"


def _captured(logger_name: str) -> tuple[logging.Handler, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    logger = logging.getLogger(logger_name)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    return handler, stream


@pytest.fixture
def captured_logs() -> Iterator[Any]:
    handlers: list[tuple[str, logging.Handler, int]] = []

    def capture(name: str) -> io.StringIO:
        logger = logging.getLogger(name)
        level = logger.level
        handler, stream = _captured(name)
        handlers.append((name, handler, level))
        return stream

    yield capture
    for name, handler, level in handlers:
        logging.getLogger(name).removeHandler(handler)
        logging.getLogger(name).setLevel(level)


@pytest.mark.parametrize(
    "logger_name",
    ["casework", "casework.notifications.tasks", "celery.app.trace", "celery.worker.strategy", "gunicorn.error"],
)
def test_log_lines_of_the_app_and_the_worker_leave_out_addresses_and_numbers(
    app: Flask, captured_logs: Any, logger_name: str
) -> None:
    stream = captured_logs(logger_name)
    logger = logging.getLogger(logger_name)
    # As the send task logs an SMTP refusal (its text quotes the address), and Celery a task's result.
    refusal = {EMAIL: (550, b"5.1.1 No such user")}
    logger.warning("email %s refused for good: %s", 42, refusal)
    logger.info(
        "Task %(name)s[%(id)s] succeeded: %(return_value)r", {"name": "x", "id": "abc-1", "return_value": MOBILE}
    )
    try:
        raise ValueError(f"cannot text {LANDLINE} or write to <{EMAIL}>")
    except ValueError:
        logger.exception("email %s cannot be sent", 43)
    written = stream.getvalue()
    assert EMAIL not in written
    assert MOBILE not in written
    assert "7946 0000" not in written
    # What an operator needs stays: the ids, the SMTP code, the kind of error and where it was raised.
    assert "email 42 refused for good" in written
    assert "550" in written
    assert "abc-1" in written
    assert "email 43 cannot be sent" in written
    assert "ValueError: cannot text [phone]" in written
    assert "Traceback" in written
    assert __name__.rsplit(".", 1)[-1] in written


def test_an_error_quoting_the_value_it_could_not_read_is_logged_without_it(app: Flask, captured_logs: Any) -> None:
    """As an import logs the unexpected error of a row whose cell it could not convert ("Import 7
    failed"): Python's conversions quote the cell, which may be a name."""
    from datetime import date, datetime

    stream = captured_logs("casework.spreadsheets.services")
    conversions = [
        lambda: int(NAME),
        lambda: float(NAME),
        lambda: date.fromisoformat(NAME),
        lambda: datetime.strptime(NAME, "%d/%m/%Y"),
    ]
    for convert in conversions:
        try:
            convert()
        except ValueError:
            logging.getLogger("casework.spreadsheets.services").exception("Import %s failed", 7)
    written = stream.getvalue()
    assert "Smith" not in written
    assert written.count("Import 7 failed") == len(conversions)
    assert "ValueError: invalid literal for int() with base 10: [value withheld]" in written


@pytest.fixture
def served_app(app: Flask) -> Iterator[str]:
    """The development server (scripts/start runs ``flask run``) on a port of its own, answering every
    path with 200: its request lines go to the ``werkzeug`` logger."""

    def answer(_environ: Any, start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    server = make_server("127.0.0.1", 0, answer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()


def test_the_development_servers_access_log_leaves_out_query_strings(served_app: str, captured_logs: Any) -> None:
    stream = captured_logs("werkzeug")
    query = urllib.parse.urlencode({"q": NAME, "owner_email": EMAIL})
    with urllib.request.urlopen(f"{served_app}/cases?{query}", timeout=10) as answer:  # noqa: S310 - our server
        assert answer.status == 200
    written = stream.getvalue()
    assert "Smith" not in written
    assert "example.org" not in written
    assert '"GET /cases?[query withheld] HTTP/1.1" 200' in written


def test_gunicorns_access_log_leaves_out_query_strings(app: Flask, captured_logs: Any) -> None:
    """The deploy's web server (gunicorn, ``--access-logfile -``) with its default format: the request
    line and the Referer both carry a search's query string."""
    from datetime import timedelta

    from gunicorn.config import Config
    from gunicorn.glogging import Logger

    stream = captured_logs("gunicorn.access")
    config = Config()
    config.set("accesslog", "/dev/null")
    query = urllib.parse.urlencode({"q": NAME, "agency": 3})

    class Answer:
        status, sent, headers, response_length = "200 OK", 2, [], 2

    class Request:
        headers: list[tuple[str, str]] = []

    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/cases?{query}",
        "PATH_INFO": "/cases",
        "QUERY_STRING": query,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_REFERER": f"https://casework.example.org/cases?{query}",
        "HTTP_USER_AGENT": "probe",
    }
    Logger(config).access(Answer(), Request(), environ, timedelta(seconds=0.1))
    written = stream.getvalue()
    assert "Smith" not in written
    assert '"GET /cases?[query withheld] HTTP/1.1" 200 2' in written
    assert '"https://casework.example.org/cases?[query withheld]"' in written


def test_gunicorns_error_log_leaves_out_query_strings(app: Flask, captured_logs: Any) -> None:
    """As gunicorn logs a request its worker could not handle (``Error handling request <uri>``)."""
    stream = captured_logs("gunicorn.error")
    query = urllib.parse.urlencode({"q": NAME})
    try:
        raise RuntimeError("worker failed")
    except RuntimeError:
        logging.getLogger("gunicorn.error").exception("Error handling request %s", f"/cases?{query}")
    written = stream.getvalue()
    assert "Smith" not in written
    assert "Error handling request /cases?[query withheld]" in written
    assert "RuntimeError: worker failed" in written


def _refused(statement: str, **values: Any) -> DBAPIError:
    with pytest.raises(DBAPIError) as raised, db.session.begin_nested():
        db.session.execute(sa.text(statement), values)
    return raised.value


def test_database_errors_leave_out_the_statements_values(app: Flask, db_session: Any) -> None:
    """A failed statement's error (logged with its traceback by the unexpected-error handler and the
    worker) names the statement but not its values: a name, an address, an incident's words."""
    error = _refused("SELECT * FROM no_such_table WHERE name = :name", name=NAME)
    assert NAME not in str(error)
    assert "no_such_table" in str(error)
    reads = app.extensions.get(_READ_ENGINE_KEY)
    if reads is not None:  # the engine read-only requests use
        with reads.connect() as connection, pytest.raises(DBAPIError) as raised:
            connection.execute(sa.text("SELECT * FROM no_such_table WHERE name = :name"), {"name": NAME})
        assert NAME not in str(raised.value)


@pytest.fixture
def unique_names(db_session: Any) -> None:
    db.session.execute(sa.text("CREATE TEMPORARY TABLE probe_people (name VARCHAR(100) UNIQUE)"))


def test_a_refused_write_is_logged_without_the_refused_value(
    app: Flask, db_session: Any, unique_names: None, caplog: pytest.LogCaptureFixture
) -> None:
    db.session.execute(sa.text("INSERT INTO probe_people (name) VALUES (:name)"), {"name": NAME})
    error = _refused("INSERT INTO probe_people (name) VALUES (:name)", name=NAME)
    assert isinstance(error, IntegrityError)
    with app.test_request_context("/api/v1/cases", method="POST"), caplog.at_level(logging.WARNING):
        answer = app.make_response(app.handle_user_exception(error))
    assert answer.status_code == 409
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "A unique index refused a write on POST /api/v1/cases" in logged
    assert "probe_people" in logged  # where: the table (PostgreSQL's constraint, SQLite's table.column)
    assert "Smith" not in logged


@pytest.mark.postgresql_only  # SQLite converts any text to a number without an error
def test_a_refused_value_is_logged_without_it(app: Flask, db_session: Any, caplog: pytest.LogCaptureFixture) -> None:
    error = _refused("SELECT CAST(:value AS integer)", value=NAME)
    assert isinstance(error, DataError)
    assert NAME in str(error.orig)  # PostgreSQL's own message quotes it
    with app.test_request_context("/api/v1/cases", method="POST"), caplog.at_level(logging.WARNING):
        answer = app.make_response(app.handle_user_exception(error))
    assert answer.status_code == 422
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "The database refused a value on POST /api/v1/cases: InvalidTextRepresentation (SQLSTATE 22P02)" in logged
    assert "Smith" not in logged


def test_sign_in_limit_keys_cannot_be_turned_back_into_the_address(app: Flask) -> None:
    """The limiter's storage (Redis) is out of the retention run's reach: its keys are an HMAC under the
    secret key, not a plain SHA-256 a list of the council's addresses would reverse."""
    plain = "account:" + hashlib.sha256(EMAIL.encode()).hexdigest()[:32]
    with app.test_request_context("/sign-in", method="POST", data={"email": f" {EMAIL.upper()} "}):
        key = sign_in_limits.account_key()
        assert key.startswith("account:")
        assert key != plain
        with app.test_request_context("/sign-in", method="POST", data={"email": EMAIL}):
            assert sign_in_limits.account_key() == key  # the same account, however it was typed
        saved = app.secret_key
        app.secret_key = "another secret key for this test only"
        try:
            assert sign_in_limits.account_key() != key
        finally:
            app.secret_key = saved


def test_the_proxys_access_log_leaves_out_query_strings_and_referers() -> None:
    """nginx writes its own log, out of the service's reach: the deploy's server blocks log in a format
    without ``$request`` (the request line, query string included), ``$args``, ``$request_uri`` or the
    Referer."""
    import re
    from pathlib import Path

    conf = (Path(__file__).resolve().parents[2] / "deploy" / "nginx" / "casework.conf").read_text()
    formats = dict(re.findall(r"log_format\s+(\w+)\s+((?:'[^']*'\s*)+);", conf))
    servers = conf.count("server {")
    logs = re.findall(r"access_log\s+(\S+)\s+(\w+);", conf)
    assert servers
    assert len(logs) == servers
    for _path, name in logs:
        assert name in formats
        assert "$uri" in formats[name]
        assert "$status" in formats[name]
        for variable in ("$request ", '$request"', "$request_uri", "$args", "$query_string", "$http_referer"):
            assert variable not in formats[name]
