"""The columns of an import layout and how each cell is read.

A ``Column`` has a key (the column name in the template), a label (what people call it, used in
messages), whether it is required, a parser, a description and an example (both shown on the layout's
page and in its template). Parsers take the cell's text (never empty: empty cells are ``None`` and are
handled here) and return the value, or raise ``CellProblem`` with a message in the GOV.UK style.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from casework.core.time import london_time


class CellProblem(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


Parser = Callable[[str, str], Any]  # (text, label) -> value


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    parse: Parser
    description: str
    example: str = ""
    required: bool = False
    #: Other names a spreadsheet may use for this column (matched without case, spaces or punctuation).
    aliases: tuple[str, ...] = ()
    #: The message when a required cell is empty (default: "Enter the <label>").
    missing: str | None = None

    def read(self, text: str | None) -> Any:
        if text is None or not text.strip():
            if self.required:
                raise CellProblem(self.missing or f"Enter the {self.label[0].lower()}{self.label[1:]}")
            return None
        return self.parse(text, self.label)


@dataclass(frozen=True)
class Layout:
    """The documented column layout of one kind of import."""

    key: str
    title: str
    description: str
    columns: tuple[Column, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)

    def column(self, key: str) -> Column:
        for column in self.columns:
            if column.key == key:
                return column
        raise KeyError(key)

    @property
    def keys(self) -> list[str]:
        return [c.key for c in self.columns]


def normalise_header(text: str) -> str:
    """``"Date of birth"``, ``"date_of_birth"`` and ``"DATE-OF-BIRTH"`` are the same column."""
    return re.sub(r"[^a-z0-9]", "", text.lower())


def suggest_mapping(layout: Layout, header: Iterable[str]) -> dict[str, int | None]:
    """Layout column key -> index of the file's column with the same name (or an alias), else None."""
    found: dict[str, int] = {}
    for index, name in enumerate(header):
        found.setdefault(normalise_header(name), index)
    mapping: dict[str, int | None] = {}
    for column in layout.columns:
        names = [column.key, column.label, *column.aliases]
        mapping[column.key] = next((found[n] for n in (normalise_header(x) for x in names) if n in found), None)
    return mapping


def read_row(
    layout: Layout, mapping: Mapping[str, int | None], cells: list[str | None]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The row's values by column key, and the problems by column key."""
    values: dict[str, Any] = {}
    problems: dict[str, str] = {}
    from casework.spreadsheets.reading import NOT_UTF8, NOT_UTF8_MESSAGE

    for column in layout.columns:
        index = mapping.get(column.key)
        text = cells[index] if index is not None and index < len(cells) else None
        # Only text with a character beyond ASCII can hold a byte that was not UTF-8 (checked first: fast).
        if text is not None and not text.isascii() and NOT_UTF8.search(text):
            problems[column.key] = NOT_UTF8_MESSAGE
            continue
        try:
            values[column.key] = column.read(text)
        except CellProblem as problem:
            problems[column.key] = problem.message
    return values, problems


# --- parsers -----------------------------------------------------------------------------------------


def text_value(max_length: int) -> Parser:
    def parse(text: str, label: str) -> str:
        text = text.strip()
        if len(text) > max_length:
            raise CellProblem(f"{label} must be {max_length:,} characters or fewer")
        if "\x00" in text:
            raise CellProblem(f"{label} must not contain a null character")
        return text

    return parse


#: ASCII digits only: ``\d`` alone matches full-width and other digits, which ``int`` then reads.
_DAY_FIRST = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$", re.ASCII)


def _parse_day(text: str, label: str) -> dt.date:
    text = text.strip()
    match = _DAY_FIRST.match(text)
    try:
        if match:  # 02/03/2026: spreadsheets in England write the day first
            day, month, year = (int(part) for part in match.groups())
            value = dt.date(year, month, day)
        else:
            value = dt.date.fromisoformat(text[:10]) if len(text) >= 10 else dt.date.fromisoformat(text)
            if len(text) > 10 and not re.match(r"^[T ]00:00(:00)?$", text[10:]):
                raise ValueError
    except ValueError:
        raise CellProblem(f"{label} must be a real date, like 2026-03-02 or 02/03/2026") from None
    if value.year < 1900:
        raise CellProblem(f"{label} must be on or after 1 January 1900")
    return value


def event_date(text: str, label: str) -> dt.date:
    """A date on which something happened: not in the future."""
    from casework.core.time import today

    value = _parse_day(text, label)
    if value > today():
        raise CellProblem(f"{label} must be today or in the past")
    return value


def planned_date(text: str, label: str) -> dt.date:
    value = _parse_day(text, label)
    if value.year > 2099:
        raise CellProblem(f"{label} must be between 1 January 1900 and 31 December 2099")
    return value


_DATETIME_DAY_FIRST = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?$", re.ASCII)


def event_datetime(text: str, label: str) -> dt.datetime:
    """A date and time something happened, in England's local time unless it carries an offset."""
    from casework.core.time import now

    text = text.strip()
    match = _DATETIME_DAY_FIRST.match(text)
    try:
        if match:
            day, month, year, hour, minute, second = match.groups()
            value = dt.datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0))
        else:
            value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise CellProblem(f"{label} must be a real date and time, like 2026-03-02 14:30 or 02/03/2026 14:30") from None
    if value.tzinfo is None:
        try:
            value = london_time(value.date(), value.time())
        except ValueError as error:
            raise CellProblem(f"{label}: {error}") from None
    if value.year < 1900:
        raise CellProblem(f"{label} must be on or after 1 January 1900")
    if value > now():
        raise CellProblem(f"{label} must be in the past")
    return value


_YES = {"yes", "y", "true", "t", "1"}
_NO = {"no", "n", "false", "f", "0"}


def yes_no(text: str, label: str) -> bool:
    value = text.strip().lower()
    if value in _YES:
        return True
    if value in _NO:
        return False
    raise CellProblem(f"{label} must be yes or no")


def choice(values: Iterable[str]) -> Parser:
    allowed = list(values)

    def parse(text: str, label: str) -> str:
        value = text.strip().lower().replace(" ", "_").replace("-", "_")
        if value not in allowed:
            raise CellProblem(f"{label} must be one of: {', '.join(allowed)}")
        return value

    return parse


def code(text: str, label: str) -> str:
    value = text.strip().upper()
    if len(value) > 20:
        raise CellProblem(f"{label} must be 20 characters or fewer")
    return value


def email(text: str, label: str) -> str:
    value = text.strip().lower()
    if len(value) > 254 or not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", value):
        raise CellProblem(f"{label} must be an email address, like name@example.org")
    return value


def money(text: str, label: str) -> decimal.Decimal:
    try:
        value = decimal.Decimal(text.strip().lstrip("£").replace(",", ""))
    except decimal.InvalidOperation:
        raise CellProblem(f"{label} must be an amount in pounds, like 100 or 75.50") from None
    if not value.is_finite() or value < 0 or value > 1_000_000:
        raise CellProblem(f"{label} must be an amount in pounds, like 100 or 75.50")
    return value.quantize(decimal.Decimal("0.01"))


def reference_list(text: str, label: str) -> list[str]:
    """``P1; P2`` (semicolons or commas)."""
    items = [part.strip() for part in re.split(r"[;,]", text) if part.strip()]
    if any(len(item) > 100 for item in items):
        raise CellProblem(f"Each reference in {label.lower()} must be 100 characters or fewer")
    return items
