"""axe-core checks (WCAG 2.2 AA) on the risk, actions and interventions pages, including their error
states. The pages are rendered by the app and loaded into Chromium, so no live server is needed."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
import time_machine

from casework.extensions import db
from casework.interventions.models import Intervention
from tests.support.browser import REPO_ROOT, assert_accessible

STYLESHEETS = [
    REPO_ROOT / "casework" / "static" / "govuk" / "govuk-frontend.min.css",
    REPO_ROOT / "casework" / "static" / "css" / "app.css",
]

pytestmark = pytest.mark.browser


@pytest.fixture
def browser_page(browser):
    page = browser.new_page()
    yield page
    page.close()


def parts(name: str, day: date) -> dict[str, str]:
    return {f"{name}-day": str(day.day), f"{name}-month": str(day.month), f"{name}-year": str(day.year)}


@pytest.mark.sqlite_only  # the pages are the same on both databases
def test_pages_are_accessible(world, page_client, api_client, browser_page):
    with time_machine.travel("2026-11-23T12:00:00+00:00", tick=False):
        officer, admin = page_client(world.officer), page_client(world.admin)
        api = api_client(world.officer)
        api.post(
            f"/api/v1/cases/{world.case.id}/interventions",
            json={"kind": "abc", "subject_person_id": world.adult.id, "issued_on": "2026-10-01"},
        )
        abc = db.session.scalar(sa.select(Intervention))
        api.post(
            f"/api/v1/interventions/{abc.id}/breaches", json={"occurred_on": "2026-11-01", "description": "Shouting"}
        )
        action = api.post(
            f"/api/v1/cases/{world.case.id}/actions",
            json={"description": "Visit", "assignee_id": world.officer.id, "due_on": "2026-11-01"},
        ).get_json()
        case = world.case.id
        pages = {
            "choose kind": officer.get(f"/cases/{case}/interventions/new"),
            "cpn form": officer.get(f"/cases/{case}/interventions/new/cpn"),
            "cpn blocked": officer.post(
                f"/cases/{case}/interventions/new/cpn",
                data={"subject_person_id": str(world.adult.id), **parts("issued_on", date(2026, 11, 1))},
            ),
            "closure form": officer.get(f"/cases/{case}/interventions/new/closure_notice"),
            "fpn form with errors": officer.post(f"/cases/{case}/interventions/new/fpn", data={"amount": "lots"}),
            "intervention": officer.get(f"/interventions/{abc.id}"),
            "breach form with errors": officer.post(f"/interventions/{abc.id}/breaches/new", data={}),
            "risk form": officer.get(f"/cases/{case}/risk-assessments/new"),
            "risk form with errors": officer.post(f"/cases/{case}/risk-assessments/new", data={}),
            "risk history": officer.get(f"/cases/{case}/risk-assessments"),
            "action form": officer.get(f"/cases/{case}/actions/new"),
            "action": officer.get(f"/actions/{action['id']}"),
            "my actions": officer.get("/actions"),
            "questionnaire": admin.get("/admin/risk-questionnaire"),
        }
    for name, response in pages.items():
        assert response.status_code in (200, 422), name
        browser_page.set_content(response.get_data(as_text=True))
        # The styles decide contrast and target sizes; set_content cannot fetch them from a server.
        for stylesheet in STYLESHEETS:
            if not stylesheet.exists():
                pytest.skip(f"{stylesheet.name} is missing: run `npm ci && npm run build`")
            browser_page.add_style_tag(path=str(stylesheet))
        assert_accessible(browser_page, context=None)
