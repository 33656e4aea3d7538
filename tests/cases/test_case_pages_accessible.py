"""axe-core finds no WCAG 2.2 A/AA violations on the casework pages (rendered by the app, checked in
Chromium)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.browser import assert_accessible

pytestmark = pytest.mark.browser

STATIC = Path(__file__).resolve().parents[2] / "casework" / "static"
STYLESHEETS = [STATIC / "govuk" / "govuk-frontend.min.css", STATIC / "css" / "app.css"]


@pytest.mark.sqlite_only  # the markup does not depend on the database
def test_casework_pages_are_accessible(page_client, api_client, world, person, open_case, database_url, browser):
    if not STYLESHEETS[0].exists():
        pytest.skip("GOV.UK Frontend is not built: run npm ci && npm run build")
    victim = person("Vera Victim", date_of_birth="1950-01-01")
    case = open_case(parties=[{"person_id": victim, "role": "victim"}], shared_with=["DERPOL"])
    client = api_client(world.officer)
    for day in ("2026-01-10", "2026-02-10"):
        client.post(
            f"/api/v1/cases/{case['id']}/incidents",
            json={
                "occurred_on": day,
                "description": "Shouting",
                "complaints": [{"complainant_person_id": victim, "reported_on": day, "agency_code": "BDC"}],
            },
        )
    officer = page_client(world.officer)
    pages = {
        "case list": officer.get("/cases/"),
        "case page": officer.get(f"/cases/{case['id']}"),
        "new case": officer.get("/cases/new"),
        "new case with errors": officer.post("/cases/new", data={"area_code": "BOL", "category": "personal"}),
        "incident form": officer.get(f"/cases/{case['id']}/incidents/new"),
        "people search": officer.get("/people/?name=vera"),
        "person page": officer.get(f"/people/{victim}"),
        "new person": officer.get("/people/new"),
        "share": officer.get(f"/cases/{case['id']}/share"),
        "home": officer.get("/"),
    }
    page = browser.new_page()
    try:
        for name, response in pages.items():
            assert response.status_code in (200, 422), name
            # The page is loaded as text, so its stylesheets are added by hand (sizes and colours
            # matter to axe: target size, contrast).
            page.set_content(response.text)
            for sheet in STYLESHEETS:
                page.add_style_tag(path=str(sheet))
            assert_accessible(page)
    finally:
        page.close()
