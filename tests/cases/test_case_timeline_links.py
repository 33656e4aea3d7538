"""A link names the other case on the timeline only to a reader who can see that case: to others it is
"a case you cannot see" and the agency that holds it (nobody sees a record through a side door),
in the API answer, the case page and its print view alike."""

from __future__ import annotations

from typing import Any

import pytest

HIDDEN_BY_BDC = "Linked to a case you cannot see, held by BDC"
HIDDEN_BY_NEDDC = "Linked to a case you cannot see, held by NEDDC"


@pytest.fixture
def linked(api_client, world, open_case):
    """Case A, led by BDC and shared with the police, linked by the BDC officer to a restricted case of
    BDC's (shared with the police too, but the police partner is not named on it) and to a case NEDDC
    leads and shares with BDC, not with the police. Answers (A, restricted, unshared) as JSON bodies."""
    case = open_case(shared_with=["DERPOL"])
    restricted = open_case(is_restricted=True, named_user_emails=[world.officer.email], shared_with=["DERPOL"])
    unshared = open_case(user=world.other_officer, area_code="NED", shared_with=["BDC"])
    officer = api_client(world.officer)
    for other in (restricted, unshared):
        response = officer.post(f"/api/v1/cases/{case['id']}/links", json={"case_id": other["id"]})
        assert response.status_code == 200, response.json
    return case, restricted, unshared


def _answers(api_client, page_client, user: Any, case_id: int) -> dict[str, str]:
    answers = {
        "api": api_client(user).get(f"/api/v1/cases/{case_id}"),
        "page": page_client(user).get(f"/cases/{case_id}"),
        "print": page_client(user).get(f"/cases/{case_id}/print"),
    }
    for name, response in answers.items():
        assert response.status_code == 200, name
    return {name: response.get_data(as_text=True) for name, response in answers.items()}


def test_a_reader_who_cannot_see_the_linked_cases_is_told_only_who_holds_them(api_client, page_client, world, linked):
    case, restricted, unshared = linked
    for name, text in _answers(api_client, page_client, world.partner, case["id"]).items():
        assert restricted["reference"] not in text, name
        assert unshared["reference"] not in text, name
        assert HIDDEN_BY_BDC in text, name
        assert HIDDEN_BY_NEDDC in text, name
    timeline = api_client(world.partner).get(f"/api/v1/cases/{case['id']}").json["timeline"]
    assert sorted(e["title"] for e in timeline if e["kind"] == "case_linked") == [HIDDEN_BY_BDC, HIDDEN_BY_NEDDC]


def test_a_reader_who_sees_the_linked_cases_reads_their_references(api_client, page_client, world, linked):
    case, restricted, unshared = linked
    for name, text in _answers(api_client, page_client, world.officer, case["id"]).items():
        assert f"Linked to {restricted['reference']}" in text, name
        assert f"Linked to {unshared['reference']}" in text, name
        assert "you cannot see" not in text, name


def test_the_other_side_of_a_link_is_named_by_the_same_rule(api_client, world, linked):
    case, _restricted, unshared = linked
    # NEDDC's officer sees the case they lead but not BDC's case A (not shared with NEDDC).
    timeline = api_client(world.other_officer).get(f"/api/v1/cases/{unshared['id']}").json["timeline"]
    assert [e["title"] for e in timeline if e["kind"] == "case_linked"] == [HIDDEN_BY_BDC]
    timeline = api_client(world.officer).get(f"/api/v1/cases/{unshared['id']}").json["timeline"]
    assert [e["title"] for e in timeline if e["kind"] == "case_linked"] == [f"Linked to {case['reference']}"]
