"""An administrator could publish the figures of a year the service was used, over the manager's.

docs/rules.md: "Publishing is a manager's approval ... Figures of years before the service was used can
be entered by an administrator and are marked as entered by hand": publishing needs a manager of an agency covering
the area, and administrators manage configuration, not casework. But
``statistics.services.enter_historic`` (``POST /api/v1/statistics/historic``, ``/admin/statistics/historic``)
checked only that the period is whole and has ended: for a year whose applications are in the service
and whose figures a manager published, the administrator's numbers become a new published version,
the one the public pages show. Fixed: ``enter_historic`` refuses such a period (422), nothing is written.
"""

from __future__ import annotations

import time_machine

from tests.interventions.world import world  # noqa: F401

PERIOD = {"area_code": "BOL", "period_start": "2025-04-01", "period_end": "2026-03-31"}


def test_admin_cannot_publish_figures_for_a_year_the_service_holds(world, api_client, client):  # noqa: F811
    with time_machine.travel("2026-11-23T12:00:00+00:00", tick=False):
        made = api_client(world.coordinator).post(
            "/api/v1/triggers",
            json={
                "area_code": "BOL",
                "received_on": "2025-06-02",
                "channel": "phone",
                "applicant": {"name": "Vera Victim"},
                "applicant_role": "victim",
                "description": "Noise every night",
            },
        )
        assert made.status_code == 201, made.get_json()
        published = api_client(world.manager).post("/api/v1/statistics/publish", json=PERIOD)
        assert published.status_code == 200, published.get_json()
        assert published.get_json()["applications"] == 1

        answer = api_client(world.admin).post(
            "/api/v1/statistics/historic",
            json={
                **PERIOD,
                "applications": 0,
                "threshold_not_met": 0,
                "reviews_carried_out": 0,
                "reviews_with_recommendations": 0,
                "note": "Council annual report",
            },
        )
        public = client.get("/statistics/BOL.json").get_data(as_text=True)
    assert answer.status_code in (403, 422), (answer.status_code, public[:400])
    # Nothing written: the public still sees the manager's version, compiled from the records.
    latest = [
        item for item in client.get("/statistics/BOL.json").get_json()["items"] if item["period_start"] == "2025-04-01"
    ]
    assert [(item["version"], item["entered_by_hand"], item["applications"]) for item in latest] == [(1, False, 1)]
