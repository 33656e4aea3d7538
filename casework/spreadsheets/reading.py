"""Reading an uploaded spreadsheet one row at a time: CSV through the ``csv`` module, XLSX through
openpyxl in read-only mode. Neither loads the whole file: memory stays the same however long it is.

Rows are numbered as a spreadsheet program shows them: the header is row 1, the first data row is 2.
Wholly empty rows are skipped (spreadsheets often end with some). Problems with the file itself (not
UTF-8 text, not a workbook, a broken CSV line) are raised as ``FileProblem`` with the row they were found
on, so the import can report them like any other.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

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


def open_sheet(stream: IO[bytes], file_format: str) -> Sheet:
    """Open ``stream`` (a binary file, positioned at its start) as a sheet of text cells."""
    if file_format == "xlsx":
        return _open_xlsx(stream)
    if file_format == "csv":
        return _open_csv(stream)
    raise ValueError(f"unknown format {file_format!r}")


def _open_csv(stream: IO[bytes]) -> Sheet:
    # utf-8-sig: Excel's "CSV UTF-8" starts with a byte order mark, which is not part of the first header.
    # Bytes that are not UTF-8 are kept as lone surrogates, so the cell they are in is reported
    # (``columns.read_row``) rather than the whole file failing at some point near it.
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="", errors="surrogateescape")
    reader = csv.reader(text, strict=True)

    def rows_from(start: int) -> Iterator[tuple[int, list[str | None]]]:
        number = start
        while True:
            try:
                raw = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                raise FileProblem(f"The CSV file cannot be read on this line: {error}.", number + 1) from None
            number += 1
            cells = [from_cell(value) for value in raw]
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


def _open_xlsx(stream: IO[bytes]) -> Sheet:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(stream, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError):
        raise FileProblem("The file is not an Excel workbook (.xlsx) that can be read.", None) from None
    worksheet = workbook.worksheets[0] if workbook.worksheets else None
    if worksheet is None:
        workbook.close()
        raise FileProblem("The workbook has no sheets.", None)

    def rows() -> Iterator[tuple[int, list[str | None]]]:
        try:
            for number, values in enumerate(worksheet.iter_rows(values_only=True), start=1):
                cells = [from_cell(_plain(value)) for value in values]
                if not _empty(cells):
                    yield number, cells
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


def _plain(value: Any) -> Any:
    # openpyxl gives error cells ('#N/A') as text and times as datetime.time: both become text.
    if hasattr(value, "isoformat") and not hasattr(value, "year"):
        return value.isoformat()
    return value
