"""Nominating a case puts it on the next meeting of a series that both the nominator's agency and the
case's lead agency attend, and the page names only that meeting. A series the nominator's agency does
not attend (its meetings answer 404 to them) is never named nor written to; when no series fits, the
page says so and a nomination writes nothing (probe 21, finding 5)."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
import time_machine

from casework.extensions import db
from casework.tasking import services
from casework.tasking.models import TaskingAgendaItem


@pytest.fixture(autouse=True)
def _frozen_day():
    with time_machine.travel("2026-11-23T12:00:00+00:00", tick=False):
        yield


def _series(chair, world, name: str, agencies: list, held_on: date):
    series = services.create_series(chair, area=world.area, name=name, interval_days=7, agencies=agencies)
    meeting = services.schedule_meeting(chair, series, held_on)
    db.session.commit()
    return meeting


def _placed(case_id: int) -> dict[int, list[str]]:
    """The meetings the case is on, with the reasons."""
    db.session.expire_all()
    rows = db.session.execute(
        sa.select(TaskingAgendaItem.meeting_id, TaskingAgendaItem.reasons).where(TaskingAgendaItem.case_id == case_id)
    )
    return {row.meeting_id: row.reasons for row in rows}


def test_a_series_the_nominators_agency_does_not_attend_is_neither_named_nor_written_to(world, make, page_client):
    other_chair = make.user("coordinator", agency=world.other, name="Nora Other")
    hidden = _series(other_chair, world, "NED private tasking", [world.other], date(2026, 11, 26))
    officer = page_client(world.officer)  # the council's: does not attend NED's series
    assert officer.get(f"/tasking/meetings/{hidden.id}").status_code == 404

    page = officer.get(f"/cases/{world.case.id}/tasking-nomination")
    assert page.status_code == 200
    assert "NED private tasking" not in page.text
    assert "No tasking meeting that your agency attends is planned in Bolsover" in page.text

    answer = officer.post(f"/cases/{world.case.id}/tasking-nomination", data={"note": "Victim in danger"})
    assert answer.status_code == 422
    # Said once, in the error summary (GOV.UK: it takes the focus and is read out), not again below it.
    said = answer.text.find("No tasking meeting that your agency attends is planned in Bolsover")
    assert answer.text.count("No tasking meeting that your agency attends is planned in Bolsover") == 1
    assert answer.text.find('class="govuk-error-summary"') < said < answer.text.find("<h1")
    assert "NED private tasking" not in answer.text
    assert _placed(world.case.id) == {}


def test_the_next_meeting_the_nominators_agency_attends_is_chosen_over_an_earlier_one_it_does_not(
    world, make, page_client
):
    other_chair = make.user("coordinator", agency=world.other, name="Nora Other")
    hidden = _series(other_chair, world, "NED private tasking", [world.other], date(2026, 11, 24))
    joint = _series(world.coordinator, world, "Bolsover ASB tasking", [world.council, world.police], date(2026, 11, 26))
    officer = page_client(world.officer)

    page = officer.get(f"/cases/{world.case.id}/tasking-nomination")
    assert "The next meeting is Bolsover ASB tasking on 26 November 2026" in page.text
    assert "NED private tasking" not in page.text
    answer = officer.post(f"/cases/{world.case.id}/tasking-nomination", data={"note": "Victim in danger"})
    assert answer.status_code == 302
    assert _placed(world.case.id) == {joint.id: ["nominated"]}
    assert hidden.id not in _placed(world.case.id)


def test_a_partner_nominates_a_shared_case_only_to_a_meeting_the_lead_agency_attends(world, make, page_client):
    # world.case is the council's, shared with the police.
    police_officer = make.user("officer", agency=world.police, name="Paul Police")
    police_chair = make.user("coordinator", agency=world.police, name="Pam Police")
    police_only = _series(police_chair, world, "Police tasking", [world.police], date(2026, 11, 24))
    police = page_client(police_officer)

    page = police.get(f"/cases/{world.case.id}/tasking-nomination")
    assert "Police tasking" not in page.text
    assert "No tasking meeting that both your agency and Agency BDC, which holds the case, attend" in page.text
    answer = police.post(f"/cases/{world.case.id}/tasking-nomination", data={"note": "Dealing"})
    assert answer.status_code == 422
    assert _placed(world.case.id) == {}

    joint = _series(world.coordinator, world, "Bolsover ASB tasking", [world.council, world.police], date(2026, 11, 26))
    page = police.get(f"/cases/{world.case.id}/tasking-nomination")
    assert "The next meeting is Bolsover ASB tasking on 26 November 2026" in page.text
    assert police.post(f"/cases/{world.case.id}/tasking-nomination", data={"note": "Dealing"}).status_code == 302
    assert _placed(world.case.id) == {joint.id: ["nominated"]}
    assert police_only.id not in _placed(world.case.id)
