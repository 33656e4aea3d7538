"""Multi-agency actions: statuses, outcomes, deadlines, overdue lists, access, the manager's panel."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
import time_machine

from casework.extensions import db
from casework.reminders.models import Deadline, DeadlineStatus


@pytest.fixture(autouse=True)
def _frozen_day():
    with time_machine.travel("2026-11-23T12:00:00+00:00", tick=False):
        yield


@pytest.fixture
def add(world: Any, api_client: Any):
    def post(user: Any = None, case: Any = None, **body: Any) -> Any:
        body.setdefault("description", "Visit the perpetrator with the landlord")
        return api_client(user or world.officer).post(f"/api/v1/cases/{(case or world.case).id}/actions", json=body)

    return post


def deadline(action_id: int) -> Deadline | None:
    db.session.expire_all()
    return db.session.scalar(
        sa.select(Deadline).where(Deadline.subject_type == "actions", Deadline.subject_id == action_id)
    )


def test_action_with_due_date_gets_a_deadline_owned_by_the_assignee(world, add):
    response = add(assignee_id=world.colleague.id, due_on="2026-12-01")
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["status"] == "open"
    assert body["agency_code"] == "BDC"
    assert body["assignee_name"] == "Colin Colleague"
    row = deadline(body["id"])
    assert (row.kind, row.due_on, row.owner_id) == ("action.due", date(2026, 12, 1), world.colleague.id)


def test_assignee_must_work_for_the_agency(world, add):
    response = add(agency_code="POL", assignee_id=world.colleague.id)
    assert response.status_code == 422
    assert "assignee_id" in response.get_json()["errors"]
    assert add(agency_code="POL", assignee_id=world.partner.id).status_code == 201


def test_done_needs_an_outcome_and_closes_the_deadline(world, add, api_client):
    body = add(assignee_id=world.officer.id, due_on="2026-12-01").get_json()
    client = api_client(world.officer)
    path = f"/api/v1/actions/{body['id']}"
    refused = client.patch(path, json={"status": "done", "version": body["version"]})
    assert refused.status_code == 422
    assert "outcome" in refused.get_json()["errors"]
    assert deadline(body["id"]).status == DeadlineStatus.open
    done = client.patch(
        path, json={"status": "done", "outcome": "Visited; agreed to keep noise down", "version": body["version"]}
    )
    assert done.status_code == 200
    assert done.get_json()["completed_on"] == "2026-11-23"
    assert deadline(body["id"]).status == DeadlineStatus.done


def test_cancel_cancels_the_deadline_and_reopening_restores_it(world, add, api_client):
    body = add(due_on="2026-12-01").get_json()
    client = api_client(world.officer)
    path = f"/api/v1/actions/{body['id']}"
    cancelled = client.patch(path, json={"status": "cancelled"}).get_json()
    assert deadline(body["id"]).status == DeadlineStatus.cancelled
    client.patch(path, json={"status": "in_progress", "due_on": "2026-12-05", "version": cancelled["version"]})
    row = deadline(body["id"])
    assert row.status == DeadlineStatus.open
    assert row.due_on == date(2026, 12, 5)


def test_stale_version_is_409(world, add, api_client):
    body = add().get_json()
    client = api_client(world.officer)
    assert (
        client.patch(
            f"/api/v1/actions/{body['id']}", json={"status": "in_progress", "version": body["version"]}
        ).status_code
        == 200
    )
    assert (
        client.patch(f"/api/v1/actions/{body['id']}", json={"description": "x", "version": body["version"]}).status_code
        == 409
    )


def test_my_overdue_actions(world, add, api_client):
    add(assignee_id=world.officer.id, due_on="2026-11-22")  # overdue
    add(assignee_id=world.officer.id, due_on="2026-11-23")  # due today: not overdue
    add(assignee_id=world.colleague.id, due_on="2026-11-01")  # someone else's
    client = api_client(world.officer)
    mine = client.get("/api/v1/actions?assignee=me&overdue=true").get_json()
    assert [a["due_on"] for a in mine["items"]] == ["2026-11-22"]
    assert mine["items"][0]["is_overdue"]
    assert client.get("/api/v1/actions?assignee=me").get_json()["total"] == 2
    assert client.get("/api/v1/actions?overdue=true").get_json()["total"] == 2


def test_recommendation_actions_without_a_case_reach_the_assignee(world, api_client):
    from casework.actions.services import create_action

    action = create_action(
        None,
        None,
        description="Fit a doorbell camera",
        agency=world.council,
        assignee_id=world.officer.id,
        due_on=date(2026, 11, 20),
    )
    db.session.commit()
    mine = api_client(world.officer).get("/api/v1/actions?assignee=me&overdue=true").get_json()
    assert [a["id"] for a in mine["items"]] == [action.id]
    assert mine["items"][0]["case_id"] is None
    assert api_client(world.stranger).get(f"/api/v1/actions/{action.id}").status_code == 404
    assert api_client(world.colleague).get(f"/api/v1/actions/{action.id}").status_code == 200  # same agency


@pytest.mark.parametrize(
    ("who", "status"), [("chair", 403), ("admin", 403), ("stranger", 404), ("unshared_partner", 404)]
)
def test_roles_refused(world, add, api_client, who, status):
    body = add().get_json()
    user = getattr(world, who)
    assert add(user=user).status_code == status
    assert api_client(user).patch(f"/api/v1/actions/{body['id']}", json={"status": "in_progress"}).status_code == status


def test_partner_contributes_to_a_shared_case(world, add, api_client):
    body = add(user=world.partner).get_json()
    assert body["agency_code"] == "POL"
    listed = api_client(world.partner).get(f"/api/v1/cases/{world.case.id}/actions").get_json()
    assert listed["total"] == 1
    assert api_client(world.unshared_partner).get("/api/v1/actions").get_json()["total"] == 0


def test_list_runs_a_fixed_number_of_queries(world, add, api_client, count_queries):
    client = api_client(world.officer)
    for _ in range(2):
        add(assignee_id=world.officer.id, due_on="2026-11-01")
    with count_queries() as small:
        assert client.get("/api/v1/actions?assignee=me").get_json()["total"] == 2
    for _ in range(6):
        add(assignee_id=world.officer.id, due_on="2026-11-01", agency_code="BDC")
    with count_queries() as large:
        assert client.get("/api/v1/actions?assignee=me").get_json()["total"] == 8
    assert small.count == large.count


def test_manager_panel_lists_the_teams_overdue_work(world, add, page_client):
    add(assignee_id=world.colleague.id, due_on="2026-11-22")
    add(assignee_id=world.officer.id, due_on="2026-11-30")  # not yet due
    add(agency_code="POL", assignee_id=world.partner.id, due_on="2026-11-01")  # not in the team
    from casework.actions.case_sections import team_overdue

    rows = team_overdue(world.manager)["overdue"]
    assert [(r["owner"], r["due_on"]) for r in rows] == [("Colin Colleague", date(2026, 11, 22))]
    page = page_client(world.manager).get("/")
    assert page.status_code == 200
    assert "Colin Colleague" in page.get_data(as_text=True)


def test_unassigned_review_action_keeps_its_deadline_owner(world, api_client):
    from casework.actions.services import create_action
    from casework.reminders.services import set_deadline

    action = create_action(
        None, None, description="Review CCTV coverage", agency=world.council, due_on=date(2026, 12, 1)
    )
    set_deadline(
        subject_type="actions",
        subject_id=action.id,
        kind="action.due",
        title="Review CCTV coverage",
        due=date(2026, 12, 1),
        owner_id=world.coordinator.id,
        case_id=None,
    )
    db.session.commit()
    client = api_client(world.coordinator)
    assert client.patch(f"/api/v1/actions/{action.id}", json={"due_on": "2026-12-10"}).status_code == 200
    row = deadline(action.id)
    assert (row.due_on, row.owner_id) == (date(2026, 12, 10), world.coordinator.id)


def test_a_cases_next_deadline_on_the_officers_home_counts_its_actions(world, add, page_client):
    """One source for deadlines: the action's deadline is the case's next one on "My cases"
    (it used to be found by the case's link, which an action's deadline does not carry)."""
    from casework.cases.queries import my_open_cases

    response = add(assignee_id=world.officer.id, due_on="2026-11-20")  # overdue
    assert response.status_code == 201, response.get_json()
    row = deadline(response.get_json()["id"])
    assert row is not None
    assert row.case_id == world.case.id
    listed = {case["reference"]: case for case in my_open_cases(world.officer)}
    assert listed[world.case.reference]["next_due_on"] == date(2026, 11, 20)
    assert listed[world.case.reference]["is_overdue"] is True
    home = page_client(world.officer).get("/").text
    mine = home.partition("Open cases assigned to you")[2].partition("</table>")[0]
    assert "20 November 2026" in mine
    assert "Overdue" in mine
