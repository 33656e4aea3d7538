"""probe22: a time of day in year 1 (``0001-01-01T00:00:00+00:00``) answers 500 on the interventions API.

Dates are bounded (``core.fields.EventDate``: 1900 to today, "refused as invalid input, before any rule
or arithmetic runs on it"), but the times (``issued_at``, ``extended_at``, ``reviewed_at``:
``fields.AwareDateTime``) are not: the service checks only that they are not in the future, then turns
them into a London day (``core.time.london_day``), which overflows before 0001-01-01 (London's offset
in year 1 is -0:01:15) and raises OverflowError: a 500 where docs/api.md promises "An event cannot be
in the future or before 1900" and a 422.
"""

from __future__ import annotations

import pytest
import time_machine

from tests.interventions.world import world  # noqa: F401

YEAR_ONE = "0001-01-01T00:00:00+00:00"


@pytest.mark.xfail(strict=True, reason="probe22 #4: a time in year 1 answers 500, not 422")
def test_time_of_service_in_year_one_is_refused_not_a_server_error(app, world, api_client):  # noqa: F811
    app.config["PROPAGATE_EXCEPTIONS"] = False
    try:
        with time_machine.travel("2026-11-23T12:00:00+00:00", tick=False):
            answer = api_client(world.officer).post(
                f"/api/v1/cases/{world.case.id}/interventions",
                json={
                    "kind": "warning_letter",
                    "subject_person_id": world.adult.id,
                    "issued_on": "2026-11-20",
                    "issued_at": YEAR_ONE,
                },
            )
    finally:
        app.config["PROPAGATE_EXCEPTIONS"] = None
    assert answer.status_code == 422, answer.status_code
