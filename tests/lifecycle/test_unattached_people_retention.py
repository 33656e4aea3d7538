"""A person's record put on no case (made and never used, or a case opened with someone else) has no
case to close, so the case-driven retention (``due_people``) never reached it: it is anonymised once
``retention.person_years`` has passed since the record last changed, and then nothing of it is found
anywhere (``scan_database``: every column of every table). A record anything refers to waits for
what refers to it."""

from __future__ import annotations

from datetime import timedelta

import time_machine

from casework.core.time import now
from casework.extensions import db
from tests.lifecycle.planting import new_marker, scan_database


def test_a_person_on_no_case_is_anonymised_after_the_person_period(world, api_client):
    from casework.cases.models import Person
    from casework.data_protection.tasks import apply_retention

    marker = new_marker("un")
    response = api_client(world.officer).post(
        "/api/v1/people",
        json={
            "name": f"Zebedee {marker}",
            "email": f"{marker.lower()}@example.org",
            "phone": "07700 900333",
            "address": f"1 {marker} Street",
            "personal_vulnerability_notes": f"Notes {marker}",
        },
    )
    assert response.status_code == 201, response.get_json()
    person_id = response.get_json()["id"]
    markers = [marker, "900333"]
    assert scan_database(markers)

    with time_machine.travel(now() + timedelta(days=366), tick=False):
        apply_retention()
        db.session.commit()
    db.session.expire_all()
    assert db.session.get(Person, person_id).anonymised_at is None
    # World's people are on its open case: they stay.
    assert db.session.get(Person, world.victim.id).anonymised_at is None

    with time_machine.travel(now() + timedelta(days=7 * 366), tick=False):
        apply_retention()
        db.session.commit()
    db.session.expire_all()
    assert db.session.get(Person, person_id).anonymised_at is not None
    assert db.session.get(Person, world.victim.id).anonymised_at is None
    assert scan_database(markers) == []
