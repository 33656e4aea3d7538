"""A served notice prints the name and address of the person it was served on, as typed then. An
intervention's subject who is not a party to its case (recorded before subjects had to be parties) is
withheld from the case's readers: the restricted-people rule may hide that person from them. So the
notice served for such an intervention is withheld from every user who may not see its subject
(``casework.documents.policies.withheld_clause``, the rule of ``get_person_for``): listed without a link
or description, and 404 on every route that shows or serves it (as a document on a case they may not
see). A user who sees the person still opens it; a notice served on a party is unaffected."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from casework.cases.models import Person
from casework.documents import services as documents
from casework.documents.models import Document, DocumentKind
from casework.extensions import db
from casework.interventions.models import Intervention, InterventionKind, ServiceMethod
from tests.interventions.world import hidden_person

HIDDEN = "Harry Noticed-Hiddenperson"


@pytest.fixture
def hidden(world: Any) -> Person:
    """A person who is a party only on a restricted case the officer is named on; the partner (who sees
    the shared case) and the officer's colleague (of the lead agency, not named) may not see them."""
    return hidden_person(world, HIDDEN)


def _served(world: Any, subject: Person) -> tuple[Intervention, Document]:
    """A warning on the shared case served on ``subject``: the notice kept on the case names them."""
    warning = Intervention(
        case_id=world.case.id,
        kind=InterventionKind.cpw,
        subject_person_id=subject.id,
        issuing_agency_id=world.council.id,
        issuing_officer_id=world.officer.id,
        issued_on=date(2026, 11, 2),
        comply_by=date(2026, 11, 30),
        served_at=datetime(2026, 11, 2, 10, tzinfo=UTC),
        service_method=ServiceMethod.by_hand,
        served_by_id=world.officer.id,
        served_by_name="Olive Officer",
        notice_details={"recipient_name": subject.name, "recipient_address": "1 Hidden Row"},
    )
    db.session.add(warning)
    db.session.flush()
    notice = documents.add_produced(
        world.officer,
        world.case,
        kind=DocumentKind.notice,
        filename=f"BOL-2026-0001-{warning.id}-cpw.pdf",
        content=f"%PDF-1.7 Community Protection Warning. To: {subject.name}, 1 Hidden Row".encode(),
        content_type="application/pdf",
        description=f"Community Protection Warning to {subject.name} served by hand by Olive Officer",
        intervention_id=warning.id,
    )
    db.session.commit()
    return warning, notice


def _file_routes(document_id: int) -> list[str]:
    return [
        f"/documents/{document_id}",
        f"/documents/{document_id}/file",
        f"/documents/{document_id}/download",
        f"/documents/{document_id}/remove",
    ]


def _timeline_entry(answer: Any, notice: Document) -> dict[str, Any]:
    [entry] = [e for e in answer.get_json()["timeline"] if e["kind"] == "document" and notice.filename in e["title"]]
    return entry


def test_a_notice_naming_a_person_the_reader_may_not_see_is_withheld_on_every_route(
    world, hidden, page_client, api_client
):
    warning, notice = _served(world, hidden)
    assert warning.subject_withheld
    for user in (world.partner, world.colleague):
        pages = page_client(user)
        for route in _file_routes(notice.id):
            response = pages.get(route)
            assert response.status_code == 404, (user.name, route, response.status_code)
            assert HIDDEN not in response.get_data(as_text=True)
        # Listed as withheld: what it is and when it was added, not linked, no description.
        case_page = pages.get(f"/cases/{world.case.id}").text
        assert HIDDEN not in case_page
        assert notice.filename in case_page
        assert "Withheld" in case_page
        assert f"/documents/{notice.id}" not in case_page
        intervention_page = pages.get(f"/interventions/{warning.id}").text
        assert f"/documents/{notice.id}" not in intervention_page
        assert HIDDEN not in intervention_page
        answer = api_client(user).get(f"/api/v1/cases/{world.case.id}")
        assert answer.status_code == 200
        assert HIDDEN not in answer.get_data(as_text=True)
        entry = _timeline_entry(answer, notice)
        assert (entry["detail"], entry["link"], entry.get("withheld")) == (None, None, True)
        assert entry["title"].startswith(f"Served notice added: {notice.filename}")

    # The lead agency's officer, who may see the person, still opens and downloads it.
    officer = page_client(world.officer)
    assert officer.get(f"/documents/{notice.id}").status_code == 200
    for route in (f"/documents/{notice.id}/file", f"/documents/{notice.id}/download"):
        response = officer.get(route)
        assert response.status_code == 200, route
        assert HIDDEN.encode() in response.data
    assert f"/documents/{notice.id}" in officer.get(f"/cases/{world.case.id}").text
    assert f"/documents/{notice.id}" in officer.get(f"/interventions/{warning.id}").text
    entry = _timeline_entry(api_client(world.officer).get(f"/api/v1/cases/{world.case.id}"), notice)
    assert (entry["detail"], entry["link"]) == (notice.description, f"/documents/{notice.id}")
    assert "withheld" not in entry


def test_a_notice_served_on_a_party_is_unaffected(world, hidden, page_client, api_client):
    warning, notice = _served(world, world.adult)
    _withheld_warning, withheld = _served(world, hidden)
    assert not warning.subject_withheld
    partner = page_client(world.partner)
    assert partner.get(f"/documents/{notice.id}").status_code == 200
    for route in (f"/documents/{notice.id}/file", f"/documents/{notice.id}/download"):
        response = partner.get(route)
        assert response.status_code == 200, route
        assert b"Adam Adult" in response.data
    case_page = partner.get(f"/cases/{world.case.id}").text
    assert f"/documents/{notice.id}" in case_page
    assert f"/documents/{withheld.id}" not in case_page
    assert f"/documents/{notice.id}" in partner.get(f"/interventions/{warning.id}").text
    entry = _timeline_entry(api_client(world.partner).get(f"/api/v1/cases/{world.case.id}"), notice)
    assert entry["link"] == f"/documents/{notice.id}"


def test_the_case_page_decides_what_is_withheld_in_one_statement_whatever_the_number_of_notices(
    world, hidden, page_client, count_queries
):
    _served(world, hidden)
    partner = page_client(world.partner)
    partner.get(f"/cases/{world.case.id}")
    with count_queries() as one:
        assert partner.get(f"/cases/{world.case.id}").status_code == 200
    for _ in range(3):
        _served(world, hidden)
    _served(world, world.adult)
    partner.get(f"/cases/{world.case.id}")
    with count_queries() as five:
        page = partner.get(f"/cases/{world.case.id}").text
    assert page.count("Withheld</strong>") == 4
    assert five.count == one.count


def test_a_subject_access_export_lists_the_withheld_notice_without_its_description(world, hidden, make, api_client):
    """The export lists the documents of the person's cases (not their files): a notice withheld from the
    exporter loses its description, which may quote the name it was served to; the data protection
    officer's full release keeps it."""
    _warning, notice = _served(world, hidden)
    _party_warning, party_notice = _served(world, world.adult)
    police_manager = make.user("manager", agency=world.police, name="Polly Police-Manager")
    for exporter in (police_manager, world.manager):
        answer = api_client(exporter).get(f"/api/v1/people/{world.adult.id}/export")
        assert answer.status_code == 200, answer.get_json()
        assert HIDDEN not in answer.get_data(as_text=True)
        listed = {d["filename"]: d for d in answer.get_json()["documents"]}
        assert (listed[notice.filename]["description"], listed[notice.filename].get("withheld")) == (None, True)
        assert listed[party_notice.filename]["description"] == party_notice.description
        assert "withheld" not in listed[party_notice.filename]
    dpo = make.user("dpo", agency=world.council, name="Dee Protection")
    released = api_client(dpo).post(f"/api/v1/people/{world.adult.id}/export/full", json={"reason": "SAR 2026/9"})
    assert released.status_code == 200, released.get_json()
    listed = {d["filename"]: d for d in released.get_json()["documents"]}
    assert listed[notice.filename]["description"] == notice.description
    assert "withheld" not in listed[notice.filename]
