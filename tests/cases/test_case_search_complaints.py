"""The case search finds a case by a complaint's reference through the copy of the case beside the
complaint (``Complaint.case_id``, migration 0520), written with the complaint however it is written:
the API (a new incident, another report of one), the ledger's batched insert and its COPY path (an
import), and an insert that leaves it out (the model takes the incident's case)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import sqlalchemy as sa

from casework.accounts.models import Agency
from casework.cases import ledger_import, services
from casework.cases.models import Case, Complaint, Incident
from casework.extensions import db
from tests.cases.test_case_search import found
from tests.conftest import ApiClient


def copies_out_of_step() -> list[tuple[int, int, int]]:
    """Every complaint whose copy of the case is not its incident's (none, when every write sets it)."""
    db.session.expire_all()
    return [
        (row.id, row.case_id, row.incident_case_id)
        for row in db.session.execute(
            sa.select(Complaint.id, Complaint.case_id, Incident.case_id.label("incident_case_id"))
            .join(Incident, Incident.id == Complaint.incident_id)
            .where(Complaint.case_id != Incident.case_id)
        )
    ]


def report(client: ApiClient, case: dict[str, Any], reference: str) -> int:
    """An incident on ``case`` reported to the police under ``reference``, through the API; its id."""
    response = client.post(
        f"/api/v1/cases/{case['id']}/incidents",
        json={
            "occurred_on": "2026-01-10",
            "description": "Shouting in the street",
            "complaints": [{"reported_on": "2026-01-11", "agency_code": "DERPOL", "reference": reference}],
        },
    )
    assert response.status_code == 201, response.json
    return response.json["id"]


def _an_incident_for_an_import(case_id: int, reference: str) -> services.IncidentInput:
    police = db.session.scalar(sa.select(Agency.id).where(Agency.code == "DERPOL"))
    return services.IncidentInput(
        case=db.session.get(Case, case_id),
        occurred_on=date(2026, 1, 10),
        description="Shouting",
        complaints=[services.ComplaintInput(date(2026, 1, 11), police, None, reference)],
    )


def test_a_complaint_written_any_way_is_found_by_its_reference_on_its_incidents_case(api_client, world, open_case):
    client = api_client(world.officer)
    through_the_api = open_case(summary="Noise")
    first = report(client, through_the_api, "DP-5101")
    more = client.post(
        f"/api/v1/cases/{through_the_api['id']}/incidents/{first}/complaints",
        json={"reported_on": "2026-01-12", "agency_code": "BDC", "reference": "ASB-5102"},
    )
    assert more.status_code == 201, more.json
    batched, copied, left_out = open_case(summary="Graffiti"), open_case(summary="Litter"), open_case(summary="Dogs")
    actor = db.session.merge(world.officer)
    services.record_incidents_bulk(actor, [_an_incident_for_an_import(batched["id"], "DP-5103")], note="test")
    # COPY on PostgreSQL (no default applies there), the batched insert again on SQLite.
    ledger_import.record_incidents(actor, [_an_incident_for_an_import(copied["id"], "DP-5104")], note="test")
    # Written without the case (a script, a test's rows): the complaint takes its incident's.
    row = Incident(case_id=left_out["id"], occurred_on=date(2026, 1, 10), description="Barking")
    row.complaints.append(Complaint(reported_on=date(2026, 1, 11), agency_id=world.police.id, reference="DP-5105"))
    db.session.add(row)
    db.session.commit()

    assert copies_out_of_step() == []
    assert found(client, q="DP-5101") == [through_the_api["reference"]]
    assert found(client, q="asb-5102") == [through_the_api["reference"]]
    assert found(client, q="DP-5103") == [batched["reference"]]
    assert found(client, q="DP-5104") == [copied["reference"]]
    assert found(client, q="DP-5105") == [left_out["reference"]]
    newest_first = [left_out, copied, batched, through_the_api]
    assert found(client, q="51") == [case["reference"] for case in newest_first]


def test_the_search_reads_a_complaints_case_beside_it_not_its_incident(api_client, world, open_case, count_queries):
    """A part of a police log number matches thousands of complaints nationally: each was looked up in
    ``incidents`` to find its case, about half of such a search (docs/performance.md)."""
    case = open_case()
    client = api_client(world.officer)
    report(client, case, "DP-5201")
    with count_queries() as counter:
        assert found(client, q="DP-52") == [case["reference"]]
    assert [s for s in counter.statements if re.search(r"\bincidents\b", s)] == []
