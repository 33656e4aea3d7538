"""A restricted case hides its people too (restricted cases are visible only to named
users): a person recorded by the user's agency who is a party on a restricted case the user is not
named on is hidden from them, unless they also meet the person on a case they may see."""

from __future__ import annotations

from typing import Any

import pytest

from casework.extensions import db
from tests.interventions.world import (
    World,
    world,  # noqa: F401
)


@pytest.fixture
def on_restricted_case(world: World) -> Any:  # noqa: F811
    """Rita, recorded by the council, the victim on its restricted case that names only the officer."""
    from casework.cases.models import CaseAccess, CaseParty, PartyRole, Person

    restricted = world.new_case(restricted=True)
    rita = Person(name="Rita Restricted", normalised_name="rita restricted", agency_id=world.council.id)
    db.session.add(rita)
    db.session.flush()
    db.session.add(CaseParty(case_id=restricted.id, person_id=rita.id, role=PartyRole.victim))
    db.session.add(CaseAccess(case_id=restricted.id, user_id=world.officer.id))
    db.session.commit()
    return rita


def _people_found(client: Any, name: str) -> set[int]:
    return {p["id"] for p in client.get("/api/v1/people", query_string={"name": name}).json["items"]}


def test_a_person_on_a_restricted_case_is_hidden_from_colleagues_not_named_on_it(
    world: World,  # noqa: F811
    on_restricted_case: Any,
    api_client: Any,
) -> None:
    rita = on_restricted_case.id
    named = api_client(world.officer)
    assert named.get(f"/api/v1/people/{rita}").json["name"] == "Rita Restricted"
    assert _people_found(named, "rita") == {rita}
    for colleague in (world.colleague, world.manager, world.coordinator):
        client = api_client(colleague)
        hidden, missing = client.get(f"/api/v1/people/{rita}"), client.get("/api/v1/people/999999")
        assert (hidden.status_code, hidden.json) == (missing.status_code, missing.json)
        assert hidden.status_code == 404
        assert _people_found(client, "rita") == set()
    # Named in a request body, she is refused as an unknown person, and nothing is written.
    from casework.cases.models import Incident

    complaint = {"reported_on": "2026-01-10", "agency_code": "BDC", "complainant_person_id": rita}
    refused = api_client(world.colleague).post(
        f"/api/v1/cases/{world.case.id}/incidents",
        json={"occurred_on": "2026-01-10", "description": "Noise", "complaints": [complaint]},
    )
    assert refused.status_code == 422, refused.json
    assert "Unknown person" in str(refused.json["errors"])
    assert db.session.query(Incident).count() == 0


def test_a_person_also_on_a_case_the_user_sees_stays_visible_without_the_restricted_case(
    world: World,  # noqa: F811
    on_restricted_case: Any,
    api_client: Any,
) -> None:
    from casework.cases.models import CaseParty, PartyRole

    db.session.add(CaseParty(case_id=world.case.id, person_id=on_restricted_case.id, role=PartyRole.witness))
    db.session.commit()
    answer = api_client(world.colleague).get(f"/api/v1/people/{on_restricted_case.id}")
    assert answer.status_code == 200
    assert [c["id"] for c in answer.json["cases"]] == [world.case.id]
