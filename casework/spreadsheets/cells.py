"""What goes in a spreadsheet cell, and what comes out of one.

Formula injection: a spreadsheet program treats a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a
formula (some after dropping a tab or a carriage return in front), so a name such as ``=HYPERLINK(...)``
typed into a form could run when an export is opened. Every text cell an export writes that starts with
one of those characters is written with a single quote in front, and so is one that already starts with
a quote, so that the escaping can be undone exactly: an import drops the quote in front of a cell that
starts with a quote followed by one of ``= + - @ '``, a tab or a carriage return, and nothing else.
Export then import gives back the same text, whatever it was.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import re
from typing import Any

#: The characters that make a spreadsheet read a cell as a formula: ``= + - @``, and a tab or a carriage
#: return, which some programs drop from the front of a cell before reading the rest as one.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"
_ESCAPED_STARTS = (*FORMULA_STARTS, QUOTE)


def escape(text: str) -> str:
    """The text as it is written to a cell: a quote in front when it could be read as a formula."""
    return QUOTE + text if text.startswith(_ESCAPED_STARTS) else text


def unescape(text: str) -> str:
    """Undo ``escape`` exactly (and only it): the text as it was before it was exported."""
    if len(text) > 1 and text[0] == QUOTE and text[1] in _ESCAPED_STARTS:
        return text[1:]
    return text


def to_cell(value: Any) -> Any:
    """A Python value as an export writes it: text escaped, dates as ``YYYY-MM-DD``, times in ISO 8601
    with their offset, yes/no for booleans, nothing for None. Numbers stay numbers (an XLSX cell holds
    them as numbers, so they are never formulas)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float | decimal.Decimal):
        return value
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return escape(str(value.value))
    if isinstance(value, list | tuple):
        return escape("; ".join(str(v) for v in value if v is not None))
    return escape(str(value))


#: The control characters an XLSX cell cannot hold (XML 1.0 has no way to write them, and openpyxl refuses
#: the whole workbook for one of them): a case summary pasted from elsewhere with one in it would make
#: every XLSX export holding that record fail. Word's line and page breaks (vertical tab, form feed) are
#: line breaks in the cell; the others, invisible anyway, are left out. The same characters as openpyxl's
#: ``ILLEGAL_CHARACTERS_RE``, written here so that a CSV export does not load openpyxl.
_NOT_IN_XLSX = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
_XLSX_LINE_BREAKS = ("\x0b", "\x0c")


def _xlsx_character(match: re.Match[str]) -> str:
    return "\n" if match.group() in _XLSX_LINE_BREAKS else ""


def to_xlsx_cell(value: Any) -> Any:
    """A value as an XLSX cell holds it: as ``to_cell`` writes it, without the control characters a
    workbook cannot hold (escaped again afterwards: what is left may now start like a formula)."""
    cell = to_cell(value)
    if type(cell) is str and _NOT_IN_XLSX.search(cell):
        return escape(_NOT_IN_XLSX.sub(_xlsx_character, unescape(cell)))
    return cell


def from_cell(value: Any) -> str | None:
    """A cell read back as text (or None when empty), with the export's escaping undone.

    XLSX cells arrive typed: a date cell as a datetime, a number as an int or float. They become the
    text an export would have written for them, so every column is parsed one way whatever the file.
    """
    if type(value) is str:  # every CSV cell: the common case first (bench/import_bench.py)
        text = unescape(value)
        return text if text.strip() else None
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float | decimal.Decimal):
        return str(value)
    text = unescape(str(value))
    return text if text.strip() else None
