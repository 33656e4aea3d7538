"""A closure order or PSPO extended again: the new extension cannot be dated before the last one
(``services.extend``). The intervention keeps the latest extension's day, from which the time to appeal
runs again (s.84, s.66): an earlier day would put the time to appeal back before the last extension
was made. Refused with a clear message under ``extended_on``, nothing written, by the API as by the
page (both go through the service)."""

from __future__ import annotations

from typing import Any

import time_machine

from casework.extensions import db
from casework.interventions.models import Intervention
from tests.interventions.world import world  # noqa: F401


def test_an_extension_dated_before_the_last_one_is_refused(world, api_client):  # noqa: F811
    with time_machine.travel("2026-02-01T12:00:00+00:00", tick=False):
        created = api_client(world.officer).post(
            f"/api/v1/cases/{world.case.id}/interventions",
            json={"kind": "pspo", "issued_on": "2026-01-15", "ends_on": "2027-01-14", "location": "Park"},
        )
        assert created.status_code == 201, created.get_json()
    order_id = created.get_json()["id"]
    path = f"/api/v1/interventions/{order_id}/extend"

    def extend(ends_on: str, extended_on: str) -> Any:
        return api_client(world.officer).post(path, json={"ends_on": ends_on, "extended_on": extended_on})

    with time_machine.travel("2027-01-10T12:00:00+00:00", tick=False):
        first = extend("2028-01-14", "2027-01-08")
        assert first.status_code == 200, first.get_json()
        refused = extend("2029-01-14", "2027-01-05")
        assert refused.status_code == 422, refused.get_json()
        assert refused.get_json()["errors"]["extended_on"] == [
            "The extension cannot be before the last one, made on 8 January 2027."
        ]
        db.session.expire_all()
        order = db.session.get(Intervention, order_id)
        assert (order.ends_on.isoformat(), order.extended_on.isoformat()) == ("2028-01-14", "2027-01-08")
        # The same day as the last one, or later, is taken.
        assert extend("2029-01-14", "2027-01-08").status_code == 200
