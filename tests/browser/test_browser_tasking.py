"""A tasking meeting in a real browser, from agenda to minutes, with two agencies (issue 14 item 1): the
council's coordinator sets up a meeting with the police, adds a case to the agenda, records the
discussion and decisions, allocates an action to the police, records attendance and publishes; the
police partner then reads the minutes and the action log. axe runs on every page on the way.

It writes its own series (not the demo's), so other browser tests do not depend on it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from tests.browser.conftest import LiveApp
from tests.browser.test_service import check_page
from tests.support.browser import assert_accessible

pytestmark = pytest.mark.browser


def _shared_case(live_app: LiveApp) -> tuple[str, int]:
    from casework.cases.models import Case
    from casework.extensions import db

    with live_app.app.app_context():
        case = db.session.scalar(sa.select(Case).where(Case.summary.startswith("Margaret Holmes is harassed")))
        return case.reference, case.id


def test_a_tasking_meeting_from_agenda_to_minutes(signed_in_as: Any, live_app: LiveApp) -> None:
    from casework.core.time import today

    reference, case_id = _shared_case(live_app)
    held_on = today() + timedelta(days=40)
    page, console = signed_in_as("coordinator")
    console.take()
    assert not check_page(page, console, "/tasking")
    page.get_by_role("link", name="Set up a tasking meeting").click()
    assert_accessible(page)
    page.get_by_label("Name of the meeting").fill("Browser tasking")
    page.get_by_label("Area").select_option(label="Bolsover")
    page.get_by_label("Days between meetings").fill("7")
    page.get_by_label("Derbyshire Constabulary").check()
    first = page.get_by_role("group", name="Date of the first meeting")
    first.get_by_label("Day", exact=True).fill(str(held_on.day))
    first.get_by_label("Month", exact=True).fill(str(held_on.month))
    first.get_by_label("Year", exact=True).fill(str(held_on.year))
    page.get_by_role("button", name="Set up and build the first agenda").click()
    page.get_by_role("heading", name=f"Meeting on {held_on.day} {held_on:%B %Y}").wait_for()
    assert_accessible(page)
    meeting_url = page.url

    # The chair adds a case by reference (it may already be there: the agenda built itself).
    page.get_by_label("Add a case to the agenda").fill(reference)
    page.get_by_role("button", name="Add to agenda").click()
    page.get_by_role("link", name=reference).click()
    page.get_by_role("heading", name=f"Case {reference}").wait_for()
    assert_accessible(page)
    page.get_by_label("Discussion").fill("Youths gather outside the victim's home most evenings.")
    page.get_by_label("Decisions").fill("Joint patrols at weekends.")
    page.get_by_role("button", name="Save discussion and decisions").click()
    page.get_by_text("Discussion and decisions saved").wait_for()
    page.get_by_label("What needs to be done").fill("Weekend patrols on Station Road")
    page.get_by_label("Which agency will do it").select_option(label="Derbyshire Constabulary")
    page.get_by_label("Who will do it").select_option(label="Pat Partner (Derbyshire Constabulary)")
    due = today() + timedelta(days=45)
    due_group = page.get_by_role("group", name="Due date")
    due_group.get_by_label("Day", exact=True).fill(str(due.day))
    due_group.get_by_label("Month", exact=True).fill(str(due.month))
    due_group.get_by_label("Year", exact=True).fill(str(due.year))
    page.get_by_role("button", name="Allocate action").click()
    page.get_by_text("Action allocated").wait_for()
    assert page.get_by_role("link", name="Weekend patrols on Station Road").count() == 1
    assert_accessible(page)

    # Attendance per agency, then publish.
    page.goto(meeting_url)
    council = page.get_by_role("group", name="Bolsover District Council")
    council.get_by_label("Attended").check()
    council.get_by_label("Represented by").select_option(label="Cora Coordinator")
    police = page.get_by_role("group", name="Derbyshire Constabulary")
    police.get_by_label("Attended").check()
    police.get_by_label("Represented by").select_option(label="Pat Partner")
    page.get_by_role("button", name="Save attendance").click()
    page.get_by_text("Attendance recorded").wait_for()
    assert_accessible(page)
    page.get_by_role("button", name="Publish the minutes").click()
    page.get_by_text("2 attendees emailed a link to them").wait_for()
    assert_accessible(page)
    assert [e for e in console.take() if "status of 422" not in e] == []

    # The police partner reads the minutes: the shared case, its discussion and the action.
    partner, partner_console = signed_in_as("partner")
    partner_console.take()
    minutes_path = meeting_url.removeprefix(live_app.url) + "/minutes"
    assert not check_page(partner, partner_console, minutes_path)
    text = partner.locator("main").inner_text()
    assert reference in text
    assert "Youths gather outside the victim's home" in text
    assert "Weekend patrols on Station Road" in text
    assert "Pat Partner" in text
    assert partner.get_by_role("link", name="Download the minutes as PDF").count() in (0, 1)
    # Being discussed shared nothing new: the partner still sees the case only because it is shared.
    assert partner.goto(f"/cases/{case_id}").status == 200
