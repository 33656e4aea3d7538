"""GET /api/v1/deadlines, GET/PATCH /api/v1/me/notifications, the settings page and the dashboard."""

from __future__ import annotations

from datetime import date

import pytest

from casework.accounts.models import User
from casework.audit.models import AuditEntry
from casework.extensions import db


@pytest.fixture
def officer_with_work(make, deadline):
    manager = make.user("manager", name="Lee Manager")
    officer = make.user("officer", manager=manager, name="Olu Officer")
    other = make.user("officer")
    rows = {
        "overdue": deadline(officer, date(2026, 4, 1), title="Overdue work"),
        "today": deadline(officer, date(2026, 4, 8), title="Today work"),
        "week": deadline(officer, date(2026, 4, 14), title="Week work"),
        "later": deadline(officer, date(2026, 5, 30), title="Later work"),
        "other": deadline(other, date(2026, 4, 8), title="Someone else's"),
        "manager": deadline(manager, date(2026, 4, 9), title="Manager's own"),
    }
    return officer, manager, rows


def titles(response):
    assert response.status_code == 200, response.get_json()
    return [item["title"] for item in response.get_json()["items"]]


def test_lists_my_open_deadlines_by_due(api_client, officer_with_work, at):
    officer, _manager, _rows = officer_with_work
    with at(2026, 4, 8, 9, 0):
        client = api_client(officer)
        assert titles(client.get("/api/v1/deadlines")) == ["Overdue work", "Today work", "Week work", "Later work"]
        assert titles(client.get("/api/v1/deadlines?owner=me&status=open&due=overdue")) == ["Overdue work"]
        assert titles(client.get("/api/v1/deadlines?due=today")) == ["Today work"]
        # The week is the next seven days, today included: up to the end of Tuesday 14 April.
        assert titles(client.get("/api/v1/deadlines?due=week")) == ["Today work", "Week work"]
        body = client.get("/api/v1/deadlines?per_page=2&page=2").get_json()
    assert body["total"] == 4
    assert body["page"] == 2
    assert body["per_page"] == 2
    assert [i["title"] for i in body["items"]] == ["Week work", "Later work"]
    item = body["items"][0]
    assert item["due_on"] == "2026-04-14"
    assert item["owner"] == {"id": officer.id, "name": "Olu Officer"}
    assert item["status"] == "open"


def test_team_lists_the_managers_and_their_reports_deadlines(api_client, officer_with_work, at):
    officer, manager, _rows = officer_with_work
    with at(2026, 4, 8, 9, 0):
        listed = titles(api_client(manager).get("/api/v1/deadlines?owner=team&due=week"))
        assert listed == ["Today work", "Manager's own", "Week work"]
        # An officer's team is themselves and nobody else.
        assert "Manager's own" not in titles(api_client(officer).get("/api/v1/deadlines?owner=team"))


def test_bad_filters_are_refused(api_client, officer_with_work):
    officer, _manager, _rows = officer_with_work
    client = api_client(officer)
    response = client.get("/api/v1/deadlines?due=tomorrow")
    assert response.status_code == 422
    assert "due" in response.get_json()["errors"]
    assert client.get("/api/v1/deadlines?owner=42").status_code == 422
    assert client.get("/api/v1/deadlines?per_page=101").status_code == 422


def test_anonymous_callers_are_refused(api_client):
    assert api_client(None).get("/api/v1/deadlines").status_code == 401
    assert api_client(None).get("/api/v1/me/notifications").status_code == 401
    assert api_client(None).patch("/api/v1/me/notifications", json={"digest_only": True}).status_code == 401


def test_list_runs_a_fixed_number_of_queries(api_client, make, deadline, count_queries):
    officer = make.user("officer")
    client = api_client(officer)
    deadline(officer, date(2026, 4, 8))
    with count_queries() as small:
        assert client.get("/api/v1/deadlines").status_code == 200
    for n in range(15):
        deadline(officer, date(2026, 4, 9 + n % 10))
    with count_queries() as large:
        assert len(client.get("/api/v1/deadlines").get_json()["items"]) == 16
    assert large.count == small.count


@pytest.mark.parametrize("role", ["officer", "coordinator", "chair", "manager", "partner", "admin"])
def test_every_role_reads_and_sets_its_notification_preference(api_client, make, role):
    user = make.user(role)
    client = api_client(user)
    assert client.get("/api/v1/me/notifications").get_json() == {"digest_only": False}
    response = client.patch("/api/v1/me/notifications", json={"digest_only": True})
    assert response.status_code == 200
    assert response.get_json() == {"digest_only": True}
    db.session.expire_all()
    assert db.session.get(User, user.id).is_digest_only is True
    audit = db.session.query(AuditEntry).filter_by(object_id=str(user.id), summary="Changed notification settings")
    assert audit.count() == 1


@pytest.mark.parametrize("body", [{"digest_only": "yes"}, {"digest_only": 1}, {}, {"digest_only": True, "x": 1}])
def test_bad_preference_writes_nothing(api_client, make, body):
    user = make.user("officer")
    response = api_client(user).patch("/api/v1/me/notifications", json=body)
    assert response.status_code == 422
    db.session.expire_all()
    assert db.session.get(User, user.id).is_digest_only is False


def test_settings_page_changes_the_preference(page_client, make):
    user = make.user("officer")
    client = page_client(user)
    page = client.get("/notifications")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<h1" in html
    assert "Notification settings" in html
    assert 'value="each" checked' in html
    response = client.post("/notifications", data={"delivery": "digest_only"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).is_digest_only is True
    assert 'value="digest_only" checked' in client.get("/notifications").get_data(as_text=True)


def test_settings_page_refuses_a_missing_choice(page_client, make):
    user = make.user("officer")
    response = page_client(user).post("/notifications", data={"delivery": "sometimes"})
    assert response.status_code == 422
    assert "govuk-error-summary" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, user.id).is_digest_only is False


def test_settings_page_needs_sign_in(client):
    response = client.get("/notifications")
    assert response.status_code == 302
    assert "/sign-in" in response.headers["Location"]


@pytest.mark.parametrize("role", ["coordinator", "chair", "partner", "manager"])
def test_dashboard_shows_overdue_and_due_soon(page_client, make, deadline, at, role):
    user = make.user(role)
    deadline(user, date(2026, 4, 1), title="Late thing")
    deadline(user, date(2026, 4, 10), title="Soon thing")
    deadline(user, date(2026, 6, 10), title="Far thing")
    with at(2026, 4, 8, 9, 0):
        html = page_client(user).get("/").get_data(as_text=True)
    overdue, _, soon = html.partition(">Due soon<")
    assert "Late thing" in overdue
    assert "Was due 1 April 2026" in overdue
    assert "Soon thing" in soon
    assert "Late thing" not in soon
    assert "Far thing" not in html


def test_officer_dashboard_due_soon(page_client, make, deadline, at):
    officer = make.user("officer")
    deadline(officer, date(2026, 4, 1), title="Late thing")
    with at(2026, 4, 8, 9, 0):
        html = page_client(officer).get("/").get_data(as_text=True)
    assert "Late thing" in html
    assert "Overdue" in html


def test_manager_dashboard_shows_team_deadlines(page_client, make, deadline, at):
    manager = make.user("manager")
    officer = make.user("officer", manager=manager, name="Olu Officer")
    deadline(officer, date(2026, 4, 1), title="Team late thing")
    with at(2026, 4, 8, 9, 0):
        html = page_client(manager).get("/").get_data(as_text=True)
    team = html.partition("My team&#39;s deadlines")[2] or html.partition("My team's deadlines")[2]
    assert "Team late thing" in team
    assert "Olu Officer" in team
