"""Writing a list to a CSV or XLSX file, a row at a time (openpyxl's write-only mode streams rows to
disk, so a long export does not sit in memory). Every cell goes through ``cells.to_cell``: text that a
spreadsheet could read as a formula is escaped; an XLSX cell through ``cells.to_xlsx_cell`` (``append_row``),
which also leaves out the control characters a workbook cannot hold."""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Sequence
from typing import IO, Any

from casework.spreadsheets.cells import to_cell, to_xlsx_cell

#: Without a charset: werkzeug adds "; charset=utf-8" to every text type itself (one given here was named
#: twice, "text/csv; charset=utf-8; charset=utf-8", a header a strict reader may refuse).
MIMETYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def write_sheet(
    file_format: str, header: Sequence[str], rows: Iterable[Sequence[Any]], *, title: str = "Sheet1"
) -> IO[bytes]:
    """The rows as a file (a temporary file on disk, positioned at its start; closing deletes it)."""
    target = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the caller, who sends and closes it
    if file_format == "csv":
        text = io.TextIOWrapper(target, encoding="utf-8-sig", newline="", write_through=True)
        writer = csv.writer(text)
        writer.writerow([to_cell(h) for h in header])
        for row in rows:
            writer.writerow(["" if (cell := to_cell(value)) is None else cell for value in row])
        text.flush()
        text.detach()
    elif file_format == "xlsx":
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(title=title[:31])
        append_row(sheet, header)
        for row in rows:
            append_row(sheet, row)
        workbook.save(target)
    else:
        raise ValueError(f"unknown format {file_format!r}")
    target.seek(0)
    return target


def append_row(sheet: Any, values: Iterable[Any]) -> None:
    """One row of an XLSX sheet (openpyxl, write-only or not), each value as ``cells.to_xlsx_cell``
    writes it: every workbook the service writes goes through here."""
    sheet.append([to_xlsx_cell(value) for value in values])
