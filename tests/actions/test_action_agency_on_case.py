"""An action on a case goes to an agency working on the case: its lead or an agency it is shared with
(an action does not share the case). The rule is the actions service's, so the API (adding and
changing), the pages, the tasking meeting and the spreadsheet import all refuse another agency alike:
422 naming the agency field, nothing written (probe 21, finding 6); the page has no check of its own,
and shows the service's words on its agency select."""

from __future__ import annotations

import html

import sqlalchemy as sa

from casework.cases.models import Action
from casework.extensions import db


def _actions() -> list[tuple[str, str]]:
    db.session.expire_all()
    return [(a.description, a.agency.code) for a in db.session.scalars(sa.select(Action).order_by(Action.id))]


def test_the_api_refuses_an_action_for_an_agency_not_on_the_case(world, api_client):
    # world.case: the council's, shared with the police; NED has nothing to do with it.
    client = api_client(world.officer)
    answer = client.post(f"/api/v1/cases/{world.case.id}/actions", json={"description": "Visit", "agency_code": "NED"})
    assert answer.status_code == 422, (answer.status_code, answer.get_json())
    assert answer.get_json()["errors"]["agency_code"] == [
        "Agency NED does not work on case BOL-2026-0001: choose its lead agency or an agency it is shared with "
        "(an action does not share the case)."
    ]
    assert _actions() == []
    # The lead and the agency the case is shared with are accepted.
    for code in ("BDC", "POL"):
        made = client.post(f"/api/v1/cases/{world.case.id}/actions", json={"description": code, "agency_code": code})
        assert made.status_code == 201, made.get_json()
    assert _actions() == [("BDC", "BDC"), ("POL", "POL")]


def test_the_api_refuses_moving_an_action_to_an_agency_not_on_the_case(world, api_client):
    client = api_client(world.officer)
    action = client.post(f"/api/v1/cases/{world.case.id}/actions", json={"description": "Visit"}).get_json()
    path = f"/api/v1/actions/{action['id']}"
    moved = client.patch(path, json={"agency_code": "NED", "version": action["version"]})
    assert moved.status_code == 422, moved.get_json()
    assert "agency_code" in moved.get_json()["errors"]
    assert _actions() == [("Visit", "BDC")]
    moved = client.patch(path, json={"agency_code": "POL", "version": action["version"]})
    assert moved.status_code == 200, moved.get_json()
    assert _actions() == [("Visit", "POL")]


def test_the_page_refuses_an_action_for_an_agency_not_on_the_case_with_the_services_words(world, page_client):
    """The page offers the agencies working on the case, and leaves the rule to the service: an agency
    posted that does not work on it is refused with the service's message, on the agency select
    (linked from the error summary), and nothing is written."""
    client = page_client(world.officer)
    path = f"/cases/{world.case.id}/actions/new"
    offered = client.get(path).get_data(as_text=True)
    assert f'value="{world.other.id}"' not in offered.split('name="agency_id"', 1)[1].split("</select>", 1)[0]
    refused = client.post(path, data={"description": "Visit", "agency_id": str(world.other.id)})
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    field_error = html.unescape(page.split('id="agency_id-error"', 1)[1].split("</p>", 1)[0])
    assert (
        "Agency NED does not work on case BOL-2026-0001: choose its lead agency or an agency it is shared with "
        "(an action does not share the case)."
    ) in field_error
    assert 'href="#agency_id"' in page
    assert _actions() == []
    unknown = client.post(path, data={"description": "Visit", "agency_id": "999999"})
    assert unknown.status_code == 422
    assert "Choose the agency" in unknown.get_data(as_text=True).split('id="agency_id-error"', 1)[1].split("</p>", 1)[0]
    assert _actions() == []
    added = client.post(path, data={"description": "Visit", "agency_id": str(world.police.id)})
    assert added.status_code == 302
    assert _actions() == [("Visit", "POL")]
