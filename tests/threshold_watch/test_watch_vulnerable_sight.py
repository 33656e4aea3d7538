"""The threshold watch's "Vulnerable" as each reader may know it. The pass flags a victim vulnerable from
their own record and from the latest risk assessments on all their cases, a restricted case or another
agency's included; the board and the API say it (and list the victim first for it) only when the
reader may see what it comes from: the person's own flags, or a high risk on a case they may see. A
high risk assessed on a case the reader may not see is that case's content, and shows neither as the
tag nor in the order."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import time_machine

from casework.cases import services as case_services
from casework.cases.models import CaseParty, PartyRole
from casework.extensions import db
from casework.risk.models import RiskAssessment, RiskBand
from casework.risk.services import current_questionnaire
from casework.threshold_watch import services


@pytest.fixture(autouse=True)
def _frozen_day():
    with time_machine.travel("2026-11-23T12:00:00+00:00", tick=False):
        yield


def _report(world: Any, case: Any, person: Any, days: tuple[date, ...], agency: Any, by: Any) -> None:
    for day in days:
        case_services.record_incident(
            by,
            case,
            occurred_on=day,
            description="Shouting and banging at night",
            complaints=[{"reported_on": day, "agency_code": agency.code, "complainant_person_id": person.id}],
        )
        db.session.commit()


def _assess_high(case: Any, person: Any) -> None:
    questionnaire = current_questionnaire(case.area)
    db.session.add(
        RiskAssessment(
            case_id=case.id,
            questionnaire_id=questionnaire.id,
            victim_person_id=person.id,
            answers={},
            score=0,
            band=RiskBand.high,
            assessed_on=date(2026, 11, 20),
        )
    )
    db.session.commit()


@pytest.fixture
def watched(world, make):
    """Vera, on the council's case and on the police's (not shared), assessed high risk on the police's
    only; Carl, on the council's case, with more qualifying complaints and no vulnerability."""
    police_case = world.new_case(lead=world.police, owner=world.partner, reference="BOL-2026-0050")
    db.session.add(CaseParty(case_id=police_case.id, person_id=world.victim.id, role=PartyRole.victim))
    carl = world.person("Carl Calm", date(1980, 2, 2), on_case=False)
    db.session.add(CaseParty(case_id=world.case.id, person_id=carl.id, role=PartyRole.victim))
    db.session.commit()
    _report(world, world.case, world.victim, (date(2026, 10, 1),), world.council, world.officer)
    _report(world, police_case, world.victim, (date(2026, 10, 8), date(2026, 10, 15)), world.police, world.partner)
    _report(
        world,
        world.case,
        carl,
        (date(2026, 10, 2), date(2026, 10, 9), date(2026, 10, 16), date(2026, 10, 23)),
        world.council,
        world.officer,
    )
    _assess_high(police_case, world.victim)
    services.evaluate_people([world.victim.id])
    db.session.commit()
    police_coordinator = make.user("coordinator", agency=world.police, name="Pia Police")
    return police_case, carl, police_coordinator


def _board_names_and_tags(client) -> tuple[list[str], int]:
    html = client.get("/threshold-watch/?area=BOL").get_data(as_text=True)
    names = [name for name in ("Vera Victim", "Carl Calm") if name in html]
    return sorted(names, key=html.index), html.count(">Vulnerable</strong>")


def test_a_high_risk_on_a_case_the_reader_may_not_see_is_not_said(world, watched, page_client, api_client):
    _police_case, _carl, police_coordinator = watched
    # The council's coordinator sees Vera (on the council's case), not the police's case and its risk.
    assert _board_names_and_tags(page_client(world.coordinator)) == (["Carl Calm", "Vera Victim"], 0)
    items = api_client(world.coordinator).get("/api/v1/threshold-watch?area=BOL").get_json()["items"]
    assert [(i["name"], i["vulnerable"]) for i in items] == [("Carl Calm", False), ("Vera Victim", False)]
    # The police's coordinator, who sees the assessment, sees her vulnerable and first.
    assert _board_names_and_tags(page_client(police_coordinator)) == (["Vera Victim", "Carl Calm"], 1)
    items = api_client(police_coordinator).get("/api/v1/threshold-watch?area=BOL").get_json()["items"]
    assert [(i["name"], i["vulnerable"]) for i in items] == [("Vera Victim", True), ("Carl Calm", False)]


def test_a_vulnerability_the_reader_may_see_is_said(world, watched, page_client, api_client):
    _police_case, _carl, _police_coordinator = watched
    # A high risk on the council's own case, or a flag on her record, the council's coordinator sees.
    _assess_high(world.case, world.victim)
    services.evaluate_people([world.victim.id])
    db.session.commit()
    assert _board_names_and_tags(page_client(world.coordinator)) == (["Vera Victim", "Carl Calm"], 1)
    items = api_client(world.coordinator).get("/api/v1/threshold-watch?area=BOL").get_json()["items"]
    assert [(i["name"], i["vulnerable"]) for i in items] == [("Vera Victim", True), ("Carl Calm", False)]
