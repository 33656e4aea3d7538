"""Dates and times typed outside the GOV.UK date input (a spreadsheet's date and time cells, the time of
service or direction on an intervention's pages) are read from ASCII digits only, as the date input's
boxes are (``tests/core/test_typed_dates.py``): ``\\d`` in a pattern matches full-width and Arabic-Indic
digits too, and ``int`` reads them, so 02/03/2026 in full-width digits was imported as 2 March 2026,
and 14:30 in full-width digits was a time of service. Each is refused with the message a mistyped date or time gets."""

from __future__ import annotations

import pytest

FULL_WIDTH = str.maketrans("0123456789", "".join(chr(0xFF10 + n) for n in range(10)))
ARABIC_INDIC = str.maketrans("0123456789", "".join(chr(0x0660 + n) for n in range(10)))


def _spreadsheet_date(text: str):
    from casework.spreadsheets.columns import event_date

    return event_date(text, "Date reported")


def _spreadsheet_planned_date(text: str):
    from casework.spreadsheets.columns import planned_date

    return planned_date(text, "Due date")


def _spreadsheet_time(text: str):
    from casework.spreadsheets.columns import event_datetime

    return event_datetime(text, "Time of the call")


def _time_of_service(text: str):
    from casework.interventions.forms import parse_time

    return parse_time(text)


READERS = {
    "spreadsheet date": (_spreadsheet_date, "02/03/2026"),
    "spreadsheet planned date": (_spreadsheet_planned_date, "02/03/2026"),
    "spreadsheet time": (_spreadsheet_time, "02/03/2026 14:30"),
    "time of service": (_time_of_service, "14:30"),
}


@pytest.mark.parametrize("reader", sorted(READERS))
@pytest.mark.parametrize("digits", [FULL_WIDTH, ARABIC_INDIC], ids=["full-width", "arabic-indic"])
def test_digits_other_than_ascii_are_refused(reader, digits):
    from casework.spreadsheets.columns import CellProblem

    read, typed = READERS[reader]
    assert read(typed) is not None  # the same text in ASCII digits is read
    with pytest.raises((CellProblem, ValueError)):
        read(typed.translate(digits))
