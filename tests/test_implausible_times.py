"""A time of day in year 1 (``0001-01-01T00:00:00+00:00``) used to answer 500 on the
interventions API.

Dates were bounded (``core.fields.EventDate``: 1900 to today) but the times (``issued_at``,
``extended_at``, ``reviewed_at``) were plain ``fields.AwareDateTime``: the service turned them into a
London day (``core.time.london_day``), which overflows before 0001-01-01 (London's offset in year 1 is
-0:01:15). Every time in an API body is now ``core.fields.EventDateTime`` (1900 to before 2100, checked
before any arithmetic); ``tests/test_bad_input.py`` checks that every schema's times are.
"""

from __future__ import annotations

import pytest
import time_machine

from tests.interventions.world import world  # noqa: F401

YEAR_ONE = "0001-01-01T00:00:00+00:00"


@pytest.fixture
def no_propagation(app):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    yield
    app.config["PROPAGATE_EXCEPTIONS"] = None


@pytest.mark.parametrize("moment", [YEAR_ONE, "0001-01-01T00:30:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_time_of_service_in_year_one_is_refused_not_a_server_error(world, api_client, no_propagation, moment):  # noqa: F811
    with time_machine.travel("2026-11-23T12:00:00+00:00", tick=False):
        client = api_client(world.officer)
        answer = client.post(
            f"/api/v1/cases/{world.case.id}/interventions",
            json={
                "kind": "warning_letter",
                "subject_person_id": world.adult.id,
                "issued_on": "2026-11-20",
                "issued_at": moment,
            },
        )
        assert answer.status_code == 422, answer.status_code
        assert list(answer.json["errors"]) == ["issued_at"]
        created = client.post(
            f"/api/v1/cases/{world.case.id}/interventions",
            json={"kind": "warning_letter", "subject_person_id": world.adult.id, "issued_on": "2026-11-20"},
        )
        assert created.status_code == 201, created.json
        intervention = created.json["id"]
        extension = client.post(
            f"/api/v1/interventions/{intervention}/extension-notices", json={"extended_at": moment, "hours": 12}
        )
        review = client.post(
            f"/api/v1/interventions/{intervention}/reviews",
            json={"reviewed_on": "2026-11-21", "reviewed_at": moment, "outcome": "continues"},
        )
    assert (extension.status_code, list(extension.json["errors"])) == (422, ["extended_at"])
    assert (review.status_code, list(review.json["errors"])) == (422, ["reviewed_at"])
