"""The case page (cases' own view) shows the risk, actions and interventions sections and timeline."""

from __future__ import annotations

import pytest
import time_machine


def test_case_page_shows_the_sections(world, app, page_client, api_client):
    if "staff.cases.show" not in app.view_functions:
        pytest.skip("the case page is not built in this checkout")
    with time_machine.travel("2026-11-23T12:00:00+00:00", tick=False):
        api = api_client(world.officer)
        api.post(
            f"/api/v1/cases/{world.case.id}/interventions",
            json={"kind": "verbal_warning", "subject_person_id": world.adult.id, "issued_on": "2026-11-01"},
        )
        api.post(f"/api/v1/cases/{world.case.id}/actions", json={"description": "Fit locks", "due_on": "2026-11-01"})
        response = page_client(world.officer).get(f"/cases/{world.case.id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Warnings, notices and orders" in html
    assert "1 overdue" in html
    assert "No risk assessment yet" in html
    assert "Verbal warning issued to Adam Adult" in html
