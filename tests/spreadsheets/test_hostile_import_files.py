"""Import files built to make the reader do unbounded work: each is refused with a message, having cost
a bounded amount (the limits are checked before the work, never timed), and nothing is written.

A workbook the reader refuses outright (its unpacked size, its XML) is refused at the upload, with a
422 and no job; one whose trouble is further down (a row too far, a column too wide, a CSV row too long)
is uploaded, and its check stops there with the problem on the row it was found.
"""

from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest

from casework.spreadsheets.models import ImportFileChunk, ImportJob
from tests.spreadsheets.conftest import count, problems_of, xlsx_bytes

SHEET = "xl/worksheets/sheet1.xml"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
HEADER_ROW = '<row r="1"><c r="A1" t="inlineStr"><is><t>reference</t></is></c></row>'


def _with_part(name: str, content: bytes | str, *, declared: int | None = None) -> bytes:
    """A real workbook (of the people layout) with its part ``name`` replaced."""
    source = zipfile.ZipFile(io.BytesIO(xlsx_bytes([["reference", "name"], ["P-1", "Ann Able"]])))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            archive.writestr(info.filename, content if info.filename == name else source.read(info.filename))
    data = bytearray(buffer.getvalue())
    if declared is not None:
        # Make the archive lie about the part's size, in its local header and in its directory.
        local = data.find(b"PK\x03\x04")
        while data[local + 30 : local + 30 + len(name)] != name.encode():
            local = data.find(b"PK\x03\x04", local + 4)
        struct.pack_into("<I", data, local + 22, declared)
        central = data.find(b"PK\x01\x02")
        while data[central + 46 : central + 46 + len(name)] != name.encode():
            central = data.find(b"PK\x01\x02", central + 4)
        struct.pack_into("<I", data, central + 24, declared)
    return bytes(data)


def _with_broken_part(name: str) -> bytes:
    """A real workbook whose part ``name`` has its first compressed bytes overwritten."""
    data = bytearray(_with_part(name, _sheet(HEADER_ROW)))
    local = data.find(b"PK\x03\x04")
    while data[local + 30 : local + 30 + len(name)] != name.encode():
        local = data.find(b"PK\x03\x04", local + 4)

    name_length, extra_length = struct.unpack_from("<HH", data, local + 26)
    start = local + 30 + name_length + extra_length
    data[start : start + 16] = b"\xff" * 16
    return bytes(data)


def _sheet(rows: str) -> str:
    return f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}"><sheetData>{rows}</sheetData></worksheet>'


def _laughs() -> str:
    entities = '<!ENTITY lol0 "lollollollollollollollollol">' + "".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
    )
    return (
        f'<?xml version="1.0"?><!DOCTYPE w [{entities}]><worksheet xmlns="{MAIN}"><sheetData>'
        '<row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>'
    )


def _external_entity() -> str:
    return (
        '<?xml version="1.0"?><!DOCTYPE w [<!ENTITY secret SYSTEM "file:///etc/passwd">]>'
        f'<worksheet xmlns="{MAIN}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&secret;</t></is></c>'
        "</row></sheetData></worksheet>"
    )


@pytest.fixture
def small_import_limits(app: Any) -> Iterator[None]:
    """1 MB files (so 20 MB unpacked) and 1,000 rows."""
    config = app.config["CASEWORK"]
    saved = {key: config.get(key) for key in ("IMPORT_MAX_MB", "IMPORT_MAX_ROWS")}
    config.update(IMPORT_MAX_MB=1, IMPORT_MAX_ROWS=1000)
    yield
    config.update(saved)


@pytest.fixture
def a_thousand_rows(app: Any) -> Iterator[None]:
    config = app.config["CASEWORK"]
    saved = config.get("IMPORT_MAX_ROWS")
    config["IMPORT_MAX_ROWS"] = 1000
    yield
    config["IMPORT_MAX_ROWS"] = saved


REFUSED_AT_UPLOAD = {
    # A "zip bomb": a few kilobytes that unpack to more than twenty times the largest file accepted.
    "unpacks too large": (
        _with_part(SHEET, _sheet(HEADER_ROW + "<row/>" * (4 * 1024 * 1024))),
        "too large to read once unpacked",
    ),
    # A part openpyxl holds whole in memory (the styles) larger than the largest file accepted.
    "styles too large": (
        _with_part("xl/styles.xml", f'<styleSheet xmlns="{MAIN}">' + "<fonts/>" * (200 * 1024) + "</styleSheet>"),
        "too large to read once unpacked",
    ),
    # One cell of 8 MB: the XML parser would hold it whole, whatever the row and size limits.
    "one enormous cell": (
        _with_part(
            SHEET,
            _sheet(HEADER_ROW + '<row r="2"><c r="A2" t="inlineStr"><is><t>' + "a" * (8 << 20) + "</t></is></c></row>"),
        ),
        "far longer than a spreadsheet cell can be",
    ),
    # A part whose directory says it is small: zipfile stops at the size declared, and the checksum fails.
    "a part that lies about its size": (
        _with_part(SHEET, _sheet(HEADER_ROW + "<row/>" * 100_000), declared=1000),
        "not an Excel workbook",
    ),
    "billion laughs": (_with_part(SHEET, _laughs()), "not an Excel workbook"),
    # A column name whose cell says it is a date and holds none: openpyxl's ValueError, a 500.
    "a header cell that is not what its type says": (
        _with_part(SHEET, _sheet('<row r="1"><c r="A1" t="d"><v>reference</v></c></row>')),
        "A cell in this row cannot be read",
    ),
    # A part whose compressed bytes are not deflate data: zlib's own error, which is no OSError.
    "a part that cannot be inflated": (_with_broken_part(SHEET), "not an Excel workbook"),
    "an external entity": (_with_part(SHEET, _external_entity()), "not an Excel workbook"),
}


@pytest.mark.parametrize(("content", "message"), REFUSED_AT_UPLOAD.values(), ids=REFUSED_AT_UPLOAD.keys())
def test_a_workbook_that_would_unpack_or_expand_beyond_the_limits_is_refused_at_upload(
    importer, small_import_limits, content, message
):
    response = importer.client.post(
        "/imports/new/people",
        data={"file": (io.BytesIO(content), "people.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422, response.status_code
    assert message in response.get_data(as_text=True)
    assert count(ImportJob) == 0
    assert count(ImportFileChunk) == 0


CHECK_STOPS = {
    # A row numbered two million, after the header: every row between would be read as empty.
    "a row far below the rest": (
        _with_part(
            SHEET, _sheet(HEADER_ROW + '<row r="2000000"><c r="A2000000" t="inlineStr"><is><t>x</t></is></c></row>')
        ),
        "people.xlsx",
        (1001, "The file has more than 1,000 rows"),
    ),
    # The sheet declares itself 16,384 columns by a million rows, and has a value in its last column.
    "a value in column XFD": (
        _with_part(
            SHEET,
            f'<?xml version="1.0"?><worksheet xmlns="{MAIN}"><dimension ref="A1:XFD1048576"/><sheetData>{HEADER_ROW}'
            '<row r="2"><c r="A2" t="inlineStr"><is><t>P-2</t></is></c><c r="XFD2" t="inlineStr"><is><t>x</t></is>'
            "</c></row></sheetData></worksheet>",
        ),
        "people.xlsx",
        (2, "This row has a value beyond column 1,000"),
    ),
    # A CSV with no line break after its header: one row of 600,000 fields.
    "a CSV row with no line breaks": (
        b"reference,name\n" + b"ab," * 600_000,
        "people.csv",
        (2, "This row is longer than 1,048,576 characters"),
    ),
    "a CSV with too many rows": (
        b"reference,name\n" + b"".join(b"P-%d,Ann Able\n" % number for number in range(1500)),
        "people.csv",
        (1001, "The file has more than 1,000 rows"),
    ),
    # A cell whose value is not what its type says: openpyxl's ValueError, which stopped the check as "an
    # error in the service" (try again, which could never help).
    "a number cell that is no number": (
        _with_part(SHEET, _sheet(HEADER_ROW + '<row r="2"><c r="A2"><v>abc</v></c></row>')),
        "people.xlsx",
        (2, "A cell in this row cannot be read"),
    ),
}


@pytest.mark.parametrize(("content", "filename", "problem"), CHECK_STOPS.values(), ids=CHECK_STOPS.keys())
def test_the_check_stops_at_a_row_beyond_the_limits_and_says_where(
    importer, a_thousand_rows, content, filename, problem
):
    job = importer.upload("people", content, filename=filename)
    row, message = problem
    assert [(found_row, text[: len(message)]) for found_row, _, text in problems_of(job)] == [(row, message)]
    assert job.error is None
    assert job.status.value != "imported"


@pytest.fixture
def two_megabyte_uploads(app: Any) -> Iterator[None]:
    saved = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = 2 * 1024 * 1024
    yield
    app.config["MAX_CONTENT_LENGTH"] = saved


def test_an_import_takes_files_larger_than_other_uploads(importer, two_megabyte_uploads) -> None:
    """The imports' own limit (``CASEWORK_IMPORT_MAX_MB``) holds at the check made before any view runs."""
    rows = b"reference,name,date_of_birth\n" + b"".join(
        b"P-%d,Person Number %d,1990-01-02\n" % (number, number) for number in range(90_000)
    )
    assert len(rows) > 3 * 1024 * 1024
    response = importer.client.post(
        "/imports/new/people", data={"file": (io.BytesIO(rows), "people.csv")}, content_type="multipart/form-data"
    )
    assert response.status_code == 302, response.status_code


def test_the_scan_for_long_values_holds_a_piece_at_a_time_however_many_tags() -> None:
    """Every part of a workbook is read through at the upload, in the web request. A part may unpack to
    twenty times the upload limit, from a file of a megabyte (``<c/>`` compresses a thousandfold): the scan
    must cost little per byte. Splitting each piece at every tag made an object of each, ten megabytes
    of them for a megabyte of ``<c/>`` (200 MB took 14 seconds); two searches a piece keep no more than
    the piece itself."""
    import tracemalloc

    from casework.spreadsheets.reading import MAX_XML_RUN_BYTES, _longest_run_without_tag

    dense = io.BytesIO(b"<c/>" * MAX_XML_RUN_BYTES)  # 4 MB, a tag every four bytes
    tracemalloc.start()
    try:
        assert _longest_run_without_tag(dense) == len("c/>")
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 3 * MAX_XML_RUN_BYTES, f"{peak:,} bytes held at once"
