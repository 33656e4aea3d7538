"""Personal data kept out of log lines: the retention run erases it from the database and the audit log,
but it cannot reach a log file or a journal, so what is written there must not hold it.

``install()`` (called by ``create_app``, so the web server, the Celery worker and beat all have it)
wraps the process's log record factory: every record any logger makes (the app's, Celery's, gunicorn's,
SQLAlchemy's, the development server's) has its message and its exception text written once, with email
addresses, UK telephone numbers, a database error's DETAIL line (the key or the whole row a
constraint refused) and the value a conversion error quotes (``invalid literal for int() ...: '<a
name>'``) replaced, and the web server's lines without their URLs' query strings (a search's
words). Ids, kinds, methods, paths, status codes and the rest of a traceback stay, so a failure can
still be diagnosed.

This is the net under the sources, not the only guard: names and free text cannot be recognised by
their shape, so the sources log ids and kinds, never values (``casework.core.errors.describe_database_error``,
the engine's ``hide_parameters``).
"""

from __future__ import annotations

import logging
import re
from typing import Any

EMAIL = re.compile(r"[^\s@<>\"'(),;:\[\]{}=]+@[^\s@<>\"'(),;:\[\]{}=]+\.[A-Za-z]{2,}")
#: A UK number as people type it: 07700 900123, 0161 496 0000, +44 (0)20 7946 0000, 020-7946-0000.
PHONE = re.compile(r"(?<![\w.:/-])(?:\+44[\s-]?(?:\(0\)[\s-]?)?|0)\d(?:[\s-]?\d){8,9}(?![\w.:/-]|-\d)")
#: PostgreSQL's DETAIL line quotes the refused key (``Key (email)=(...)``) or the whole failing row.
DETAIL = re.compile(r"DETAIL:[^\n]*")
#: Errors that quote the value they could not read (a spreadsheet's cell, a submitted field): Python's
#: conversions and PostgreSQL's. The kind of error stays, the value goes.
QUOTED_VALUE = re.compile(
    r"(invalid literal for \w+\(\) with base \d+|could not convert string to \w+|Invalid isoformat string"
    r"|invalid input syntax for type [\w ]+|invalid input value for enum \w+): [^\n]*"
)
TIME_DATA = re.compile(r"time data [^\n]*? does not match format [^\n]*")

#: The query string of a URL in a request line or a Referer: a search's words (``?q=`` a name), a
#: filter. Access logs (gunicorn's, the development server's) keep the method, path and status, and
#: gunicorn's error log the path of a request it could not handle ("Error handling request /...").
QUERY = re.compile(r"(/[^\s?\"]*)\?[^\s\"]+")
REQUEST_LOGGERS = frozenset({"gunicorn.access", "gunicorn.error", "werkzeug"})

EMAIL_MARK = "[email]"
PHONE_MARK = "[phone]"
DETAIL_MARK = "DETAIL: [withheld from the log: it may quote personal data]"
VALUE_MARK = "[value withheld]"
QUERY_MARK = "?[query withheld]"


def redact(text: str) -> str:
    """``text`` without email addresses, telephone numbers, a database error's DETAIL line or the value
    an error says it could not read."""
    if not text:
        return text
    text = DETAIL.sub(DETAIL_MARK, text)
    text = QUOTED_VALUE.sub(lambda match: f"{match.group(1)}: {VALUE_MARK}", text)
    text = TIME_DATA.sub(f"time data {VALUE_MARK} does not match its format", text)
    text = EMAIL.sub(EMAIL_MARK, text)
    return PHONE.sub(PHONE_MARK, text)


_formatter = logging.Formatter()


def _redacting(factory: Any) -> Any:
    def make_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record: logging.LogRecord = factory(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: leave it to the handler, which reports it
            return record
        # Formatted once, here: a handler formats ``msg % args`` again only when there are args.
        if record.name in REQUEST_LOGGERS:
            message = QUERY.sub(lambda match: match.group(1) + QUERY_MARK, message)
        record.msg, record.args = redact(message), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(_formatter.formatException(record.exc_info))
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return record

    make_record.redacts = True  # type: ignore[attr-defined]
    return make_record


def install() -> None:
    """Redact every log record this process makes from now on (once, however many apps are built)."""
    current = logging.getLogRecordFactory()
    if not getattr(current, "redacts", False):
        logging.setLogRecordFactory(_redacting(current))
