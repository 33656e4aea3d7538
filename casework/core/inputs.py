"""What any input may hold, whichever way it arrives (URL, query string, JSON body, page form).

The database decides some limits that no schema states: an ``INTEGER`` column holds -2^31 to 2^31-1,
PostgreSQL text cannot hold a NUL character, and a lone UTF-16 surrogate cannot be encoded at all.
JSON nested thousands deep exhausts Python's recursion before any schema sees it. Each of these
used to end in a 500; the checks here turn them into a clear 4xx at the edge, before anything runs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Any

#: PostgreSQL's INTEGER range: every id and count column is one.
DB_INT_MIN = -(2**31)
DB_INT_MAX = 2**31 - 1

#: The last page number any list reads: ``(page - 1) * per_page`` (at most 100 a page) stays within the
#: database's integer range, so an OFFSET is never a number the driver or the database refuses. The
#: page views read a larger ``?page=`` as this page (an empty one); the API refuses it with a 422.
MAX_PAGE = DB_INT_MAX // 100

#: Deeper than any request body of this API (the deepest nests four levels); well below recursion limits.
MAX_JSON_DEPTH = 32

#: NUL (PostgreSQL text cannot hold it) and lone surrogates (no encoding can write them).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")

UNSTORABLE_MESSAGE = "Remove the character that cannot be saved (a null or an unpaired surrogate character)."
#: A one-line input (a name, a text box) that holds a line break: made by hand, not by a browser.
ONE_LINE_MESSAGE = "Enter this on one line, without line breaks"
TOO_DEEP_MESSAGE = f"The JSON body is nested too deeply (more than {MAX_JSON_DEPTH} levels)."


def query_id(value: str | None) -> int | None:
    """An id read from a query string or a form (``?job=12``, ``?incident=3``): ASCII digits naming a
    number from 1 to the database's integer range, else None. ``"²".isdigit()`` is true and
    ``int("99999999999999999999")`` is fine, but neither can be looked up, so neither reaches SQL."""
    return whole_number(value) or None


def is_digits(text: str | None) -> bool:
    """ASCII digits only. ``str.isdigit`` also accepts superscripts and other digits (``"²"``) that
    ``int`` refuses: a form or query value checked with it ended in a 500."""
    return text is not None and text.isascii() and text.isdigit()


def whole_number(value: str | None) -> int | None:
    """A whole number from 0 to the database's integer range written in ASCII digits (a form's
    version, hours, a weight), else None."""
    text = (value or "").strip()
    if not is_digits(text) or len(text) > len(str(DB_INT_MAX)):
        return None
    number = int(text)
    return number if number <= DB_INT_MAX else None


#: The one way a day is written in a query string or an API body (docs/api.md: "Dates are ``YYYY-MM-DD``"),
#: in ASCII digits. ``date.fromisoformat`` reads more: ``20260105`` and the ISO week date ``2026-W02-1``
#: are both 5 January 2026, which nothing the service writes looks like.
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
#: A month (a calendar's ``?month=``): ``YYYY-MM``.
_ISO_MONTH = re.compile(r"[0-9]{4}-[0-9]{2}")


def iso_day(text: str | None) -> date | None:
    """The day ``text`` writes as ``YYYY-MM-DD`` in ASCII digits, else None (another form of date, or
    no real day). Every date read from a query string or an API body is read here."""
    if text is None or not _ISO_DAY.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def iso_month(text: str | None) -> date | None:
    """The first day of the month ``text`` writes as ``YYYY-MM`` in ASCII digits, else None."""
    if text is None or not _ISO_MONTH.fullmatch(text):
        return None
    return iso_day(f"{text}-01")


def has_unstorable(text: str) -> bool:
    return _UNSTORABLE.search(text) is not None


def unstorable_strings(value: Any, path: str = "") -> Iterator[str]:
    """The paths (``complaints.0.reference``) of strings, keys included, that cannot be stored."""
    if isinstance(value, str):
        if has_unstorable(value):
            yield path or "_rule"
    elif isinstance(value, dict):
        for key, inner in value.items():
            name = str(key)
            here = f"{path}.{name}" if path else name
            if has_unstorable(name):
                yield here
            yield from unstorable_strings(inner, here)
    elif isinstance(value, (list, tuple)):
        for index, inner in enumerate(value):
            yield from unstorable_strings(inner, f"{path}.{index}" if path else str(index))


def json_too_deep(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether the JSON text ``body`` nests arrays and objects more than ``limit`` deep.

    Checked on the raw bytes, before parsing: the parser itself is what a deep body breaks. A body
    with fewer brackets than the limit cannot be too deep, which is every ordinary request.
    """
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    depth = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return False
