"""Action pages: add, update (outcome needed to close), my actions with overdue flags, the case section."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
import time_machine
from flask import render_template

from casework.cases.models import Action
from casework.extensions import db


@pytest.fixture(autouse=True)
def _frozen_day():
    with time_machine.travel("2026-11-23T12:00:00+00:00", tick=False):
        yield


def test_add_update_and_list(world, page_client):
    client = page_client(world.officer)
    page = client.get(f"/cases/{world.case.id}/actions/new")
    assert page.status_code == 200
    assert "Pat Partner (Agency POL)" in page.get_data(as_text=True)
    wrong = client.post(
        f"/cases/{world.case.id}/actions/new",
        data={"description": "Visit", "agency_id": str(world.police.id), "assignee_id": str(world.colleague.id)},
    )
    assert wrong.status_code == 422
    assert "does not work for" in wrong.get_data(as_text=True)
    saved = client.post(
        f"/cases/{world.case.id}/actions/new",
        data={
            "description": "Visit the neighbour",
            "agency_id": str(world.council.id),
            "assignee_id": str(world.officer.id),
            "due_on-day": "20",
            "due_on-month": "11",
            "due_on-year": "2026",
        },
    )
    assert saved.status_code == 302
    action = db.session.scalar(sa.select(Action))
    mine = client.get("/actions?overdue=1").get_data(as_text=True)
    assert "Visit the neighbour" in mine
    assert "Overdue" in mine
    refused = client.post(f"/actions/{action.id}", data={"status": "done", "version": str(action.version)})
    assert refused.status_code == 422
    assert "Record the outcome" in refused.get_data(as_text=True)
    done = client.post(
        f"/actions/{action.id}", data={"status": "done", "outcome": "Spoke to them", "version": str(action.version)}
    )
    assert done.status_code == 302
    assert "You have no open actions" in client.get("/actions").get_data(as_text=True)


@pytest.mark.parametrize(("who", "status"), [("chair", 403), ("admin", 403), ("stranger", 404)])
def test_pages_refused(world, page_client, who, status):
    assert page_client(getattr(world, who)).get(f"/cases/{world.case.id}/actions/new").status_code == status


def test_case_section_shows_overdue(world, app, api_client):
    from casework.actions.case_sections import actions_section

    api_client(world.officer).post(
        f"/api/v1/cases/{world.case.id}/actions", json={"description": "Fit locks", "due_on": "2026-11-01"}
    )
    with app.test_request_context():
        html = render_template("actions/_case_section.html", **actions_section(world.case, world.officer))
    assert "1 overdue" in html
    assert "Fit locks" in html
