"""A deadline's title quotes its case, and a deadline reaches people through its owner and the
owner's manager: every place that shows or sends a title (pages, API, exports, the calendar page and
feed, each kind of email) gives a reader who may not see the deadline's case no title, link or
reference, only that there is a deadline on a case they cannot see, the agency holding it and when it
is due (``casework.reminders.titles``)."""

from __future__ import annotations

import io
import re
from datetime import date
from typing import Any

import openpyxl
import pytest
import sqlalchemy as sa

from casework.cases.models import CaseAccess
from casework.extensions import db
from casework.notifications.models import OutboxEmail
from casework.reminders import tasks
from tests.conftest import csrf_from

#: What the titles quote: a name, an address and the case's reference. None may reach a hidden reader.
QUOTED = ("Ursula", "Quiet Road", "BOL-2026-0006")
HIDDEN = "A deadline on a case you cannot see, held by BDC"
DUE = date(2026, 4, 9)


def _title(what: str) -> str:
    return f"Action due on case BOL-2026-0006: {what} Ursula Xenakis at 12 Quiet Road"


@pytest.fixture
def hidden(world, make, deadline):
    """A restricted case of the council named only to its officer; a deadline on it owned by the
    officer (whose manager is not named), and one owned by an officer of another agency (handed it
    before the case was restricted), whose manager cannot see it either."""
    case = world.new_case(restricted=True, reference="BOL-2026-0006")
    db.session.add(CaseAccess(case_id=case.id, user_id=world.officer.id))
    db.session.commit()
    other_manager = make.user("manager", agency=world.other, name="Nina Manager")
    world.stranger.manager = other_manager
    db.session.commit()
    link = f"/cases/{case.id}"
    owned = deadline(world.officer, DUE, title=_title("check on"), case_id=case.id, kind="action.due", link=link)
    strangers = deadline(world.stranger, DUE, title=_title("visit"), case_id=case.id, kind="action.due", link=link)
    # Old data: ``set_deadline`` now gives the case's owner work its record names someone else for who
    # may not see the case, so the row is written as it was left before that was checked.
    strangers.owner_id = world.stranger.id
    db.session.commit()
    return case, owned, strangers, other_manager


def _leaks(text: str, where: str) -> list[str]:
    """What of the title ``text`` quotes (each place is walked, and every leak reported at once)."""
    return [f"{where} shows {quoted!r}" for quoted in QUOTED if quoted in text]


def _xlsx_text(data: bytes) -> str:
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    return "\n".join(
        str(cell) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for cell in row if cell
    )


def _calendar_feed(page_client: Any, client: Any, user: Any) -> str:
    staff = page_client(user)
    page = staff.get("/notifications")
    made = staff.post("/notifications/calendar", data={"csrf_token": csrf_from(page.text)})
    match = re.search(r'id="calendar-feed-url">(http[^<]+)</code>', made.text)
    assert match is not None
    response = client.get(match.group(1).replace("http://localhost", ""))
    assert response.status_code == 200
    return response.data.decode()


def _walk(reader: Any, who: str, page_client: Any, api_client: Any, client: Any) -> list[str]:
    """Every place that shows ``reader`` deadlines, and what of the titles each quotes."""
    pages = page_client(reader)
    api = api_client(reader)
    answers = {
        "home page": pages.get("/"),
        "calendar page": pages.get("/deadlines/calendar?month=2026-04"),
        "CSV": pages.get("/exports/deadlines.csv"),
        "team CSV": pages.get("/exports/deadlines.csv?owner=team"),
        "team CSV, due this week": pages.get("/exports/deadlines.csv?owner=team&due=week"),
        "team CSV, overdue": pages.get("/exports/deadlines.csv?owner=team&due=overdue"),
        "API": api.get("/api/v1/deadlines"),
        "team API": api.get("/api/v1/deadlines?owner=team"),
    }
    leaks: list[str] = []
    for where, response in answers.items():
        assert response.status_code == 200, (who, where)
        leaks += _leaks(response.get_data(as_text=True), f"{where} for {who}")
    for owner in ("me", "team"):
        response = pages.get(f"/exports/deadlines.xlsx?owner={owner}")
        assert response.status_code == 200
        leaks += _leaks(_xlsx_text(response.data), f"{owner} XLSX for {who}")
    leaks += _leaks(_calendar_feed(page_client, client, reader), f"calendar feed for {who}")
    return leaks


def test_no_page_answer_or_export_shows_a_hidden_cases_deadline_title(
    world, hidden, page_client, api_client, client, at
):
    _case, _owned, _strangers, other_manager = hidden
    readers = {"the officer's manager": world.manager, "the stranger": world.stranger, "their manager": other_manager}
    leaks: list[str] = []
    # Before the day it is due (coming work) and after (overdue work: the managers' own panel).
    for moment in ((2026, 4, 8, 9, 0), (2026, 4, 10, 9, 0)):
        with at(*moment):
            for who, reader in readers.items():
                leaks += _walk(reader, f"{who} on {moment[2]} April", page_client, api_client, client)
    assert leaks == []
    with at(2026, 4, 10, 9, 0):
        assert HIDDEN in page_client(world.manager).get("/").text.split("My team's deadlines")[0]
    with at(2026, 4, 8, 9, 0):
        # The readers are told there is something, held by whom and when: not nothing.
        team = api_client(world.manager).get("/api/v1/deadlines?owner=team").get_json()["items"]
        withheld = [i for i in team if i["title_withheld"]]
        assert [(i["title"], i["due_on"], i["link"]) for i in withheld] == [(HIDDEN, "2026-04-09", None)]
        assert HIDDEN in page_client(world.manager).get("/").text
        assert HIDDEN in page_client(world.stranger).get("/deadlines/calendar?month=2026-04").text
        assert HIDDEN in page_client(world.stranger).get("/exports/deadlines.csv").text
        # Who may see the case reads the title as before.
        mine = api_client(world.officer).get("/api/v1/deadlines").get_json()["items"]
        assert [(i["title"], i["title_withheld"]) for i in mine] == [(_title("check on"), False)]
        assert _title("check on") in page_client(world.officer).get("/exports/deadlines.csv").text


def test_no_email_sends_a_hidden_cases_deadline_title(world, hidden, at):
    _case, _owned, _strangers, other_manager = hidden
    with at(2026, 4, 7, 6, 30):  # reminders: two working days before
        tasks.sweep.run()
    world.stranger.is_digest_only = True
    db.session.commit()
    with at(2026, 4, 10, 6, 0):  # the digest at 07:00 London, then the escalations
        tasks.digest.run()
        tasks.sweep.run()
    emails = list(db.session.scalars(sa.select(OutboxEmail).order_by(OutboxEmail.id)))
    kinds = {(e.idempotency_key.split(":")[0], e.to_address) for e in emails}
    assert kinds >= {
        ("reminder", world.officer.email),
        ("reminder", world.stranger.email),
        ("digest", world.manager.email),
        ("digest", world.stranger.email),
        ("digest", other_manager.email),
        ("escalation", world.manager.email),
        ("escalation", other_manager.email),
    }
    leaks: list[str] = []
    for email in emails:
        where = f"{email.idempotency_key} to {email.to_address}"
        if email.to_address == world.officer.email:
            assert "Ursula" in email.subject + email.body_text  # named on the case: the title as before
            continue
        for part, text in (("subject", email.subject), ("text", email.body_text), ("HTML", email.body_html or "")):
            leaks += _leaks(text, f"{where}, {part}")
    assert leaks == []
    assert all(HIDDEN in e.body_text for e in emails if e.to_address != world.officer.email)
