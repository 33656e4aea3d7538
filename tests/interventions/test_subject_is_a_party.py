"""An intervention's subject is a party to its case, and a subject who is not one is withheld.

Everyone who may see a case reads its interventions' subjects (API, case page, exports), and the
restricted-people rule lets them see the case's parties only among the people a restricted case hides
(``casework.cases.policies.visible_people_clause``). A person met only on a restricted case must not be
named to a partner through an intervention on a shared case (probe 21, finding 3)."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

import openpyxl
import pytest
import sqlalchemy as sa
import time_machine

from casework.cases.models import CaseParty, PartyRole, Person
from casework.extensions import db
from casework.interventions.models import Intervention, InterventionKind
from tests.interventions.world import hidden_person, world  # noqa: F401

HIDDEN = "Harry Hiddenperson"
#: What the pages and exports show for a withheld subject.
WITHHELD_SUBJECT = "Withheld (not a party to this case)"


@pytest.fixture(autouse=True)
def _frozen_day():
    with time_machine.travel("2026-11-23T12:00:00+00:00", tick=False):
        yield


@pytest.fixture
def hidden(world: Any) -> Person:  # noqa: F811
    """A person who is a party only on a restricted case the officer is named on, and the partner is not."""
    return hidden_person(world, HIDDEN)


def _read_everywhere(world: Any, api_client: Any, page_client: Any, intervention_id: int) -> list[str]:  # noqa: F811
    """Where the partner, who sees the shared case, reads the hidden person's name."""
    api = api_client(world.partner)
    pages = page_client(world.partner)
    answers = {
        "API list": api.get(f"/api/v1/cases/{world.case.id}/interventions").get_data(as_text=True),
        "API intervention": api.get(f"/api/v1/interventions/{intervention_id}").get_data(as_text=True),
        "case API": api.get(f"/api/v1/cases/{world.case.id}").get_data(as_text=True),
        "case page": pages.get(f"/cases/{world.case.id}").text,
        "intervention page": pages.get(f"/interventions/{intervention_id}").text,
        "interventions page": pages.get("/interventions/").text,
        "CSV export": pages.get("/exports/interventions.csv").get_data(as_text=True),
    }
    book = openpyxl.load_workbook(io.BytesIO(pages.get("/exports/interventions.xlsx").data), read_only=True)
    answers["XLSX export"] = " ".join(
        str(cell) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for cell in row if cell
    )
    return [where for where, text in answers.items() if HIDDEN in text]


def test_a_subject_who_is_not_a_party_is_refused_and_nothing_is_written(
    world,  # noqa: F811
    hidden,
    api_client,
    page_client,
):
    partner = api_client(world.partner)
    assert partner.get(f"/api/v1/people/{hidden.id}").status_code == 404  # hidden from the partner
    made = api_client(world.officer).post(
        f"/api/v1/cases/{world.case.id}/interventions",
        json={"kind": "cpw", "subject_person_id": hidden.id, "issued_on": "2026-01-06", "comply_by": "2026-02-06"},
    )
    assert made.status_code == 422, made.get_json()
    assert made.get_json()["errors"]["subject_person_id"] == [
        f"{HIDDEN} is not a party to this case: add them to the case first."
    ]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Intervention)) == 0
    assert HIDDEN not in partner.get(f"/api/v1/cases/{world.case.id}/interventions").get_data(as_text=True)


def test_the_page_offers_and_accepts_only_the_cases_parties(world, hidden, page_client):  # noqa: F811
    officer = page_client(world.officer)
    form = officer.get(f"/cases/{world.case.id}/interventions/new/verbal_warning")
    assert form.status_code == 200
    assert HIDDEN not in form.text
    answer = officer.post(
        f"/cases/{world.case.id}/interventions/new/verbal_warning",
        data={
            "subject_person_id": str(hidden.id),
            "issued_on-day": "1",
            "issued_on-month": "11",
            "issued_on-year": "2026",
        },
    )
    assert answer.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Intervention)) == 0


def test_a_subject_recorded_before_who_is_not_a_party_is_withheld_from_every_reader(
    world,  # noqa: F811
    hidden,
    api_client,
    page_client,
):
    """Interventions recorded before subjects had to be parties: the subject is withheld, read with the
    intervention (no statement per row), on every page, answer and export."""
    old = Intervention(
        case_id=world.case.id,
        kind=InterventionKind.cpw,
        subject_person_id=hidden.id,
        issuing_agency_id=world.council.id,
        issuing_officer_id=world.officer.id,
        issued_on=date(2026, 1, 6),
        comply_by=date(2026, 2, 6),
    )
    db.session.add(old)
    db.session.commit()
    assert _read_everywhere(world, api_client, page_client, old.id) == []
    body = api_client(world.partner).get(f"/api/v1/interventions/{old.id}").get_json()
    assert (body["subject_person_id"], body["subject_name"], body["subject_withheld"]) == (None, None, True)
    assert WITHHELD_SUBJECT in page_client(world.partner).get(f"/cases/{world.case.id}").text
    rows = list(csv.reader(io.StringIO(page_client(world.partner).get("/exports/interventions.csv").get_data(True))))
    assert rows[1][-1] == WITHHELD_SUBJECT

    # A party to the case is named to its readers.
    db.session.add(CaseParty(case_id=world.case.id, person_id=hidden.id, role=PartyRole.perpetrator))
    db.session.commit()
    body = api_client(world.partner).get(f"/api/v1/interventions/{old.id}").get_json()
    assert (body["subject_person_id"], body["subject_name"], body["subject_withheld"]) == (hidden.id, HIDDEN, False)
    assert HIDDEN in page_client(world.partner).get(f"/cases/{world.case.id}").text
