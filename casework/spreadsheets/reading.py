"""Reading an uploaded spreadsheet one row at a time: CSV through the ``csv`` module, XLSX through
openpyxl in read-only mode. Neither loads the whole file: memory stays the same however long it is.

Rows are numbered as a spreadsheet program shows them: the header is row 1, the first data row is 2.
Wholly empty rows are skipped (spreadsheets often end with some). Problems with the file itself (not
UTF-8 text, not a workbook, a broken CSV line) are raised as ``FileProblem`` with the row they were found
on, so the import can report them like any other.

A file can be small and still ask for unbounded work: an XLSX is a ZIP archive whose parts can inflate a
thousandfold (a "zip bomb"), a few bytes of XML can name row 900,000,000 or column XFD, and a CSV line
can hold millions of fields. ``ReadingLimits`` bounds each by construction, before the work is done: the
archive's parts are measured from its directory (Python's ``zipfile`` never inflates a part beyond the
size its directory declares), the row number is checked as each row comes, and a CSV row is refused once
it has read more characters than a row may hold.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any
from xml.etree.ElementTree import ParseError

from casework.spreadsheets.cells import from_cell

#: Characters a CSV's bytes that are not UTF-8 become (``surrogateescape``).
NOT_UTF8 = re.compile("[\udc80-\udcff]")
NOT_UTF8_MESSAGE = (
    "The file is not saved as UTF-8 text. In your spreadsheet program, save it as 'CSV UTF-8 (comma "
    "delimited)' and upload it again"
)
#: The first bytes of a ZIP file, which an XLSX workbook is.
ZIP_MAGIC = b"PK\x03\x04"
FORMATS = ("csv", "xlsx")


#: The most characters one CSV row may hold (all its fields, and the line breaks inside quoted ones). A
#: field alone may hold up to ``csv.field_size_limit()`` (131,072), so a row can carry several long notes.
CSV_ROW_MAX_CHARACTERS = 1024 * 1024
#: The most columns a row may have. Every layout has far fewer; a cell further right than this is refused
#: rather than every row being read as that wide.
MAX_COLUMNS = 1000
#: The longest run of an XLSX part's bytes between two tags. A cell holds at most 32,767 characters
#: (Excel's own limit): 1MB is room for that in any encoding, and for any attribute a real file has.
MAX_XML_RUN_BYTES = 1024 * 1024
NOT_A_WORKBOOK = "The file is not an Excel workbook (.xlsx) that can be read."


@dataclass(frozen=True)
class ReadingLimits:
    """What one file may ask of the reader. ``max_rows`` counts rows as the sheet numbers them, header
    and blank rows included; ``max_unpacked_bytes`` is the sum of an XLSX archive's parts once inflated;
    ``max_part_bytes`` is the largest part other than a worksheet (openpyxl holds those whole in memory:
    the shared strings, the styles, the workbook)."""

    max_rows: int = 500_000
    max_unpacked_bytes: int = 1024 * 1024 * 1024
    max_part_bytes: int = 50 * 1024 * 1024


class FileProblem(Exception):
    def __init__(self, message: str, row: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.row = row


@dataclass(frozen=True)
class Sheet:
    """The header's cells (as text) and an iterator of ``(row number, cells as text or None)``."""

    header: list[str]
    rows: Iterator[tuple[int, list[str | None]]]


def detect_format(head: bytes, filename: str | None = None) -> str:
    """``xlsx`` when the bytes are a ZIP file (whatever the name says), otherwise ``csv``."""
    if head.startswith(ZIP_MAGIC):
        return "xlsx"
    return "csv"


def _empty(cells: list[str | None]) -> bool:
    return all(cell is None for cell in cells)


def open_sheet(stream: IO[bytes], file_format: str, limits: ReadingLimits | None = None) -> Sheet:
    """Open ``stream`` (a binary file, positioned at its start) as a sheet of text cells."""
    limits = limits or ReadingLimits()
    if file_format == "xlsx":
        return _open_xlsx(stream, limits)
    if file_format == "csv":
        return _open_csv(stream, limits)
    raise ValueError(f"unknown format {file_format!r}")


def _too_many_rows(limits: ReadingLimits) -> str:
    return (
        f"The file has more than {limits.max_rows:,} rows. Split it into files of fewer rows and import "
        "each, or delete the empty rows at its end."
    )


def _too_many_columns() -> str:
    return f"This row has a value beyond column {MAX_COLUMNS:,}. Delete the columns that are not part of the import."


class _RowTooLong(Exception):
    pass


class _BoundedLines:
    """The lines of ``text`` for ``csv.reader``, refusing a row (which may span lines inside quotes) once it
    has read more than ``limit`` characters: a line is read no further than what the row has left, so a
    file with no line breaks is never read whole into memory."""

    def __init__(self, text: IO[str], limit: int) -> None:
        self.text, self.limit, self.used = text, limit, 0

    def __iter__(self) -> _BoundedLines:
        return self

    def __next__(self) -> str:
        line = self.text.readline(self.limit - self.used + 1)
        if not line:
            raise StopIteration
        self.used += len(line)
        if self.used > self.limit:
            raise _RowTooLong
        return line

    def next_row(self) -> None:
        self.used = 0


def _open_csv(stream: IO[bytes], limits: ReadingLimits) -> Sheet:
    # utf-8-sig: Excel's "CSV UTF-8" starts with a byte order mark, which is not part of the first header.
    # Bytes that are not UTF-8 are kept as lone surrogates, so the cell they are in is reported
    # (``columns.read_row``) rather than the whole file failing at some point near it.
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="", errors="surrogateescape")
    lines = _BoundedLines(text, CSV_ROW_MAX_CHARACTERS)
    reader = csv.reader(lines, strict=True)

    def rows_from(start: int) -> Iterator[tuple[int, list[str | None]]]:
        number = start
        while True:
            lines.next_row()
            try:
                raw = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                raise FileProblem(f"The CSV file cannot be read on this line: {error}.", number + 1) from None
            except _RowTooLong:
                raise FileProblem(
                    f"This row is longer than {CSV_ROW_MAX_CHARACTERS:,} characters. Check that the file is a "
                    "CSV file with one record on each line.",
                    number + 1,
                ) from None
            number += 1
            if number > limits.max_rows:
                raise FileProblem(_too_many_rows(limits), number)
            if len(raw) > MAX_COLUMNS and any(raw[MAX_COLUMNS:]):
                raise FileProblem(_too_many_columns(), number)
            cells = [from_cell(value) for value in raw[:MAX_COLUMNS]]
            if not _empty(cells):
                yield number, cells

    first = rows_from(0)
    try:
        _, header = next(first)
    except StopIteration:
        raise FileProblem("The file is empty.", 1) from None
    if any(NOT_UTF8.search(cell or "") for cell in header):
        raise FileProblem(NOT_UTF8_MESSAGE, 1)
    return Sheet([(cell or "").strip() for cell in header], first)


def _check_archive(stream: IO[bytes], limits: ReadingLimits) -> None:
    """Refuse a workbook whose parts would inflate beyond the limits, from the sizes its ZIP directory
    declares. The declared sizes are binding: ``zipfile`` stops inflating a part at its declared size
    (and a part that lies fails its checksum), so nothing larger is ever produced. Then every part is read
    through once, a piece at a time, for a run of text longer than ``MAX_XML_RUN_BYTES``: the XML parser
    holds a whole text or attribute value in memory, so one cell could otherwise take the lot."""
    too_large = (
        "The workbook is too large to read once unpacked (an Excel file is compressed). Save it as CSV, or "
        "split it into smaller workbooks."
    )
    try:
        with zipfile.ZipFile(stream) as archive:
            parts = archive.infolist()
            if sum(part.file_size for part in parts) > limits.max_unpacked_bytes:
                raise FileProblem(too_large, None)
            for part in parts:
                if not part.filename.startswith("xl/worksheets/") and part.file_size > limits.max_part_bytes:
                    raise FileProblem(too_large, None)
            for part in parts:
                with archive.open(part) as contents:
                    if _longest_run_without_tag(contents) > MAX_XML_RUN_BYTES:
                        raise FileProblem(
                            "A cell or value in the workbook is far longer than a spreadsheet cell can be.", None
                        )
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, zlib.error):
        # NotImplementedError: a compression method zipfile does not know; zlib.error (no OSError): a
        # part whose compressed bytes are not deflate data.
        raise FileProblem(NOT_A_WORKBOOK, None) from None
    finally:
        stream.seek(0)


def _longest_run_without_tag(contents: IO[bytes]) -> int:
    """The longest run of bytes with no ``<`` in it (a text, an attribute, a CDATA section) that could
    pass ``MAX_XML_RUN_BYTES``, read in pieces of that size and given up as soon as one passes it, so the
    part is never whole in memory. A run inside one piece is shorter than a piece, so only the runs that
    reach a piece's edges are measured: two searches a piece, at C speed, where splitting the piece at
    every tag made a Python object of each (a megabyte of ``<c/>`` is 262,144 of them: 200 MB unpacked
    took 14 seconds of the upload's request)."""
    longest = run = 0
    while piece := contents.read(MAX_XML_RUN_BYTES):
        first = piece.find(b"<")
        if first == -1:
            run += len(piece)
        else:
            longest = max(longest, run + first)
            run = len(piece) - piece.rfind(b"<") - 1
        longest = max(longest, run)
        if longest > MAX_XML_RUN_BYTES:
            break
    return longest


def _open_xlsx(stream: IO[bytes], limits: ReadingLimits) -> Sheet:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    _check_archive(stream, limits)
    try:
        workbook = load_workbook(stream, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError, ParseError, zlib.error):
        # ParseError: XML that is not well formed, or that expat refuses (an entity that names a file,
        # entities nested to expand a thousandfold).
        raise FileProblem(NOT_A_WORKBOOK, None) from None
    worksheet = workbook.worksheets[0] if workbook.worksheets else None
    if worksheet is None:
        workbook.close()
        raise FileProblem("The workbook has no sheets.", None)
    # Rows as wide as their own last cell, and no further than their own last row: the size the sheet
    # declares (its <dimension>) is not to be trusted, and "A1:XFD1048576" would make every row 16,384
    # cells wide and add empty rows to the millionth.
    worksheet.reset_dimensions()

    def rows() -> Iterator[tuple[int, list[str | None]]]:
        number = 0
        try:
            for number, values in enumerate(_readable(worksheet.iter_rows(values_only=True)), start=1):
                if number > limits.max_rows:
                    raise FileProblem(_too_many_rows(limits), number)
                if len(values) > MAX_COLUMNS:
                    # Counted at C speed: a row made 16,384 cells wide costs an attacker only the XML of
                    # one empty cell, so it must cost the reader little more.
                    beyond = values[MAX_COLUMNS:]
                    if beyond.count(None) != len(beyond):
                        raise FileProblem(_too_many_columns(), number)
                    values = values[:MAX_COLUMNS]
                cells = [from_cell(_plain(value)) for value in values]
                if not _empty(cells):
                    yield number, cells
        except ParseError:
            message = "The sheet cannot be read after this row: its XML is broken or refused."
            raise FileProblem(message, number) from None
        finally:
            workbook.close()

    iterator = rows()
    try:
        number, header = next(iterator)
    except StopIteration:
        raise FileProblem("The first sheet of the workbook is empty.", 1) from None
    if number != 1:
        # Blank rows above the header: tell the user, rather than number every row differently.
        raise FileProblem("The column names must be in the first row of the sheet.", number)
    return Sheet([(cell or "").strip() for cell in header], iterator)


#: What the reader says of a cell whose value is not what its type says.
UNREADABLE_CELL = (
    "A cell in this row cannot be read: its value is not what the file says it is (a number, a date or a "
    "true or false that holds something else). Open the file in your spreadsheet program and save it again."
)


def _readable(values: Iterator[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
    """openpyxl's rows, with a cell it cannot convert (``<c><v>abc</v></c>``, a number that is no number;
    a date that is no date) a ``FileProblem`` on the row it was reading, as any other problem of the
    file, rather than an error of the service's. Only openpyxl's conversion is inside the ``try``."""
    number = 0
    while True:
        try:
            row = next(values)
        except StopIteration:
            return
        except ValueError:
            raise FileProblem(UNREADABLE_CELL, number + 1) from None
        number += 1
        yield row


def _plain(value: Any) -> Any:
    # openpyxl gives error cells ('#N/A') as text and times as datetime.time: both become text.
    if hasattr(value, "isoformat") and not hasattr(value, "year"):
        return value.isoformat()
    return value
