"""Deadline titles written before an intervention's subject had to be a party to its case named the
subject: a subject who is not a party is withheld from the case's readers (``subject_withheld``), so
``flask --app casework interventions withhold-subjects`` writes those titles again without the name,
and the emails quoting one that are still to be sent with them. Every reader of a title (pages, API,
exports, calendar, reminders, escalations, digests) takes it from the stored row, so each then reads
it without the name. What was sent is left as it went; a party subject is still named."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from typing import Any

import openpyxl
import pytest
import sqlalchemy as sa
import time_machine
from markupsafe import escape

from casework.cases.models import Person
from casework.extensions import db
from casework.interventions.cli import interventions
from casework.interventions.models import Intervention, InterventionKind
from casework.notifications.models import OutboxEmail
from casework.reminders.models import Deadline
from casework.reminders.services import set_deadline
from tests.interventions.world import hidden_person, world  # noqa: F401

HIDDEN = "Harry O'Hiddenperson"
OLD_TITLE = f"Compliance period ends: Community Protection Warning for {HIDDEN} (BOL-2026-0001)"
NEW_TITLE = "Compliance period ends: Community Protection Warning (BOL-2026-0001)"
PARTY_TITLE = "Compliance period ends: Community Protection Warning for Adam Adult (BOL-2026-0001)"


@pytest.fixture(autouse=True)
def _frozen_day():
    with time_machine.travel("2026-11-23T12:00:00+00:00", tick=False):
        yield


@pytest.fixture
def hidden(world: Any) -> Person:  # noqa: F811
    """A person who is a party only on a restricted case the officer is named on, and the partner is not."""
    return hidden_person(world, HIDDEN)


def _old_warning(world: Any, subject: Person, title: str) -> tuple[Intervention, Deadline]:  # noqa: F811
    """A warning recorded before subjects had to be parties, its deadline's title written then (naming
    the subject), held by the partner, who sees the shared case but not the hidden person."""
    warning = Intervention(
        case_id=world.case.id,
        kind=InterventionKind.cpw,
        subject_person_id=subject.id,
        issuing_agency_id=world.police.id,
        issuing_officer_id=world.partner.id,
        issued_on=date(2026, 11, 2),
        comply_by=date(2026, 11, 30),
    )
    db.session.add(warning)
    db.session.flush()
    row = set_deadline(
        subject_type="interventions",
        subject_id=warning.id,
        kind="intervention.comply_by",
        title=title,
        due=date(2026, 11, 30),
        owner_id=world.partner.id,
        case_id=world.case.id,
        area_id=world.area.id,
        link=f"/interventions/{warning.id}",
    )
    db.session.commit()
    return warning, row


def _email(key: str, title: str, *, sent: bool) -> OutboxEmail:
    """A reminder quoting ``title``, queued before the upgrade (sent, or still waiting)."""
    row = OutboxEmail(
        idempotency_key=key,
        to_address="partner@example.org",
        subject=f"Due by 30 November 2026: {title}",
        body_text=f"Reminder: {title}\nhttp://localhost/interventions/1",
        body_html=f"<p>Reminder: {escape(title)}</p>",
        related_type="deadlines",
        related_id=1,
        sent_at=datetime(2026, 11, 20, tzinfo=UTC) if sent else None,
    )
    db.session.add(row)
    db.session.commit()
    return row


def _partner_reads(world: Any, page_client: Any, api_client: Any) -> dict[str, str]:  # noqa: F811
    pages = page_client(world.partner)
    answers = {
        "home page": pages.get("/").text,
        "calendar page": pages.get("/deadlines/calendar?month=2026-11").text,
        "CSV": pages.get("/exports/deadlines.csv").get_data(as_text=True),
        "API": api_client(world.partner).get("/api/v1/deadlines").get_data(as_text=True),
    }
    book = openpyxl.load_workbook(io.BytesIO(pages.get("/exports/deadlines.xlsx").data), read_only=True)
    answers["XLSX"] = " ".join(
        str(cell) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for cell in row if cell
    )
    return answers


def test_old_titles_stop_naming_a_withheld_subject_everywhere(
    app,
    world,  # noqa: F811
    hidden,
    page_client,
    api_client,
):
    warning, row = _old_warning(world, hidden, OLD_TITLE)
    party_warning, party_row = _old_warning(world, world.adult, PARTY_TITLE)
    waiting = _email("reminder:waiting", OLD_TITLE, sent=False)
    sent = _email("reminder:sent", OLD_TITLE, sent=True)
    assert warning.subject_withheld
    assert not party_warning.subject_withheld
    # Before: the partner, from whom the subject is withheld everywhere else, reads the name in the title.
    assert [where for where, text in _partner_reads(world, page_client, api_client).items() if HIDDEN in text]

    result = app.test_cli_runner().invoke(interventions, ["withhold-subjects"])
    assert result.exit_code == 0, result.output
    assert "1 deadline titles no longer name a withheld subject." in result.output

    db.session.expire_all()
    assert db.session.get(Deadline, row.id).title == NEW_TITLE
    assert db.session.get(Deadline, party_row.id).title == PARTY_TITLE  # a party is named, as before
    reads = _partner_reads(world, page_client, api_client)
    assert [where for where, text in reads.items() if HIDDEN in text] == []
    assert NEW_TITLE in reads["API"]
    assert NEW_TITLE in reads["CSV"]
    # The reminder still waiting goes without the name; the one sent is kept as it went.
    waiting = db.session.get(OutboxEmail, waiting.id)
    assert (waiting.subject, waiting.body_text, waiting.body_html) == (
        f"Due by 30 November 2026: {NEW_TITLE}",
        f"Reminder: {NEW_TITLE}\nhttp://localhost/interventions/1",
        f"<p>Reminder: {NEW_TITLE}</p>",
    )
    assert db.session.get(OutboxEmail, sent.id).body_text.startswith(f"Reminder: {OLD_TITLE}")

    # Running it again changes nothing.
    again = app.test_cli_runner().invoke(interventions, ["withhold-subjects"])
    assert "0 deadline titles no longer name a withheld subject." in again.output
    assert db.session.scalar(sa.select(Deadline.title).where(Deadline.id == row.id)) == NEW_TITLE


def test_a_title_written_under_an_earlier_name_loses_that_name_too(
    app,
    world,  # noqa: F811
    hidden,
):
    """The title quotes the name the person had when it was written: it goes even if they were renamed."""
    _warning, row = _old_warning(world, hidden, OLD_TITLE)
    hidden.name = "Harriet Renamed"
    db.session.commit()
    result = app.test_cli_runner().invoke(interventions, ["withhold-subjects"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.get(Deadline, row.id).title == NEW_TITLE
