"""Case search and the case list: visibility first, external references, Case Review references and
applicant names, ranking, keyset pagination with a cursor, and a total that is estimated past a limit."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from casework.cases import queries


@pytest.fixture
def incident(api_client, world):
    """``incident(case, reference, agency="DERPOL", user=officer)`` records an incident reported under
    another agency's ``reference``."""

    def add(case: dict[str, Any], reference: str, agency: str = "DERPOL", user: Any = None) -> None:
        response = api_client(user or world.officer).post(
            f"/api/v1/cases/{case['id']}/incidents",
            json={
                "occurred_on": "2026-01-10",
                "description": "Shouting in the street",
                "complaints": [{"reported_on": "2026-01-11", "agency_code": agency, "reference": reference}],
            },
        )
        assert response.status_code == 201, response.json

    return add


def found(client: Any, **query: Any) -> list[str]:
    response = client.get("/api/v1/cases", query_string=query)
    assert response.status_code == 200, response.json
    return [item["reference"] for item in response.json["items"]]


def test_search_finds_a_case_by_any_agencys_reference_on_its_complaints(api_client, world, open_case, incident):
    police_log = open_case(summary="Noise from number 12")
    council_ref = open_case(summary="Youths gathering")
    incident(police_log, "DP-2231")
    incident(council_ref, "ASB-5012", agency="BDC")
    client = api_client(world.officer)
    assert found(client, q="DP-2231") == [police_log["reference"]]
    assert found(client, q="dp-2231") == [police_log["reference"]]
    assert found(client, q="2231") == [police_log["reference"]]
    assert found(client, q="ASB-5012") == [council_ref["reference"]]
    assert found(client, q="5012") == [council_ref["reference"]]
    assert found(client, q="DP-9999") == []


def _apply_for_a_review(coordinator: Any, case_ids: list[int]) -> Any:
    """A Case Review application by Jane Applewood about ``case_ids``, recorded by ``coordinator``."""
    application = coordinator.post(
        "/api/v1/triggers",
        json={
            "area_code": "BOL",
            "received_on": "2026-03-02",
            "channel": "phone",
            "applicant": {"name": "Jane Applewood", "email": None, "phone": None, "address": None},
            "applicant_role": "victim",
            "consent_given": False,
            "description": "Noise and threats.",
            "case_ids": case_ids,
            "complaints": [
                {"occurred_on": "2026-01-10", "reported_on": "2026-01-12", "agency_code": "BDC", "reference": "L-1"}
            ],
        },
    )
    assert application.status_code == 201, application.json
    return application


def test_search_finds_a_case_by_case_review_reference_and_applicant_name(api_client, world, open_case):
    linked = open_case(summary="Noise from number 12")
    open_case(summary="Another case")
    application = _apply_for_a_review(api_client(world.coordinator), [linked["id"]])
    client = api_client(world.officer)
    assert found(client, q=application.json["reference"]) == [linked["reference"]]
    assert found(client, q=application.json["reference"].lower()) == [linked["reference"]]
    assert found(client, q="applewood") == [linked["reference"]]
    assert found(client, q="Jane Apple") == [linked["reference"]]


def test_a_case_review_reference_finds_only_the_linked_cases_the_user_can_see(api_client, world, open_case):
    """Other domains' search sources answer every case their matching records lead to; the search keeps
    the visible ones, with every other kind of match (one join to the visible set)."""
    own = open_case(summary="Noise")
    shared = open_case(summary="Threats", shared_with=["DERPOL"])
    restricted = open_case(summary="Threats", shared_with=["DERPOL"])
    application = _apply_for_a_review(api_client(world.coordinator), [own["id"], shared["id"], restricted["id"]])
    restricting = api_client(world.officer).patch(
        f"/api/v1/cases/{restricted['id']}", json={"version": restricted["version"], "is_restricted": True}
    )
    assert restricting.status_code == 200, restricting.json
    reference = application.json["reference"]
    newest_first = [restricted["reference"], shared["reference"], own["reference"]]
    assert found(api_client(world.officer), q=reference) == newest_first
    assert found(api_client(world.manager), q=reference) == newest_first[1:], "restricted: named users only"
    assert found(api_client(world.police_officer), q=reference) == [shared["reference"]]
    # The application is linked to a restricted case the police officer may not see, so its applicant
    # is withheld from them (casework.community_triggers.applicants): their name finds nothing.
    assert found(api_client(world.police_officer), q="applewood") == []
    assert found(api_client(world.officer), q="applewood") == newest_first
    assert found(api_client(world.other_officer), q="applewood") == []


def test_an_application_the_user_may_not_see_finds_nothing(api_client, world, open_case):
    """A partner sees the shared case but no Case Review application: searching for the applicant's
    name or the application's reference must answer as for a name nobody has, or it tells them who
    applied about the case (probe 21, finding 7)."""
    shared = open_case(summary="Threats", shared_with=["DERPOL"])
    application = _apply_for_a_review(api_client(world.coordinator), [shared["id"]])
    partner = api_client(world.partner)
    assert partner.get(f"/api/v1/triggers/{application.json['id']}").status_code in (403, 404)
    assert found(partner) == [shared["reference"]]
    for term in (application.json["reference"], "Jane Applewood", "applewood"):
        assert found(partner, q=term) == found(partner, q="Nobody Else") == [], term
    # The same search by a police officer, who sees the area's applications, finds it.
    assert found(api_client(world.police_officer), q="Jane Applewood") == [shared["reference"]]


def test_search_never_finds_a_case_the_user_cannot_see(api_client, world, open_case, incident):
    theirs = open_case(user=world.other_officer, area_code="NED", summary="Noise")
    incident(theirs, "DP-7777", user=world.other_officer)
    restricted = open_case(summary="Threats", is_restricted=True)
    incident(restricted, "DP-7778")
    colleague = api_client(world.manager)
    assert found(colleague, q="DP-7777") == []
    assert found(colleague, q="DP-7778") == [], "a restricted case is for its named users only"
    assert found(api_client(world.officer), q="DP-7778") == [restricted["reference"]]
    assert found(api_client(world.partner), q="DP-777") == []
    api_client(world.other_officer).post(f"/api/v1/cases/{theirs['id']}/share", json={"agency_code": "DERPOL"})
    assert found(api_client(world.partner), q="DP-777") == [theirs["reference"]]
    shared = api_client(world.officer).post(f"/api/v1/cases/{restricted['id']}/share", json={"agency_code": "DERPOL"})
    assert shared.status_code in (200, 201), shared.json
    assert found(api_client(world.partner), q="DP-777") == [theirs["reference"]], "shared, but for its named users"


def test_a_search_keeps_to_the_lists_other_filters(api_client, world, open_case):
    """The list's filters narrow a search as they narrow the list: a search within "my cases" finds only
    mine, and its total counts only those. (Area and status a search applied as it found its matches;
    the owner, category and the others it once ignored.)"""
    mine = open_case(summary="Graffiti on the garages", owner_email=world.officer.email)
    theirs = open_case(summary="Graffiti by the shops", category="environmental", owner_email=world.manager.email)
    client = api_client(world.officer)
    assert sorted(found(client, q="Graffiti")) == sorted([mine["reference"], theirs["reference"]])
    assert found(client, q="Graffiti", owner="me") == [mine["reference"]]
    assert found(client, q="Graffiti", owner="none") == []
    assert found(client, q="Graffiti", category="environmental") == [theirs["reference"]]
    assert found(client, q="Graffiti", sort="reference", owner="me") == [mine["reference"]]
    response = client.get("/api/v1/cases", query_string={"q": "Graffiti", "owner": "me"})
    assert response.json["total"] == 1
    assert found(client, q="Graffiti", opened_to="2020-01-01") == []


def test_an_exact_reference_ranks_before_partial_matches_and_words(api_client, world, open_case, incident):
    exact = open_case(summary="Loud music")
    incident(exact, "DP-100")
    partial = open_case(summary="Broken windows")
    incident(partial, "DP-1001")
    mentioned = open_case(summary="See also the police log DP-100 for last year's incident")
    client = api_client(world.officer)
    assert found(client, q="DP-100") == [exact["reference"], partial["reference"], mentioned["reference"]]


def _walk(client: Any, per_page: int, **query: Any) -> list[str]:
    seen: list[str] = []
    cursor = None
    for _ in range(50):
        response = client.get(
            "/api/v1/cases", query_string={"per_page": per_page, **query, **({"cursor": cursor} if cursor else {})}
        )
        assert response.status_code == 200, response.json
        seen += [item["reference"] for item in response.json["items"]]
        cursor = response.json["next_cursor"]
        if cursor is None:
            return seen
    raise AssertionError("the cursor never ended")


@pytest.mark.parametrize("who", ["officer", "partner"])
def test_the_cursor_walks_the_whole_list_once_newest_first(api_client, world, open_case, who):
    for n in range(5):
        open_case(summary=f"Ours {n}")
    for n in range(4):
        theirs = open_case(user=world.other_officer, area_code="NED", summary=f"Theirs {n}")
        for agency in ("BDC", "DERPOL"):
            api_client(world.other_officer).post(f"/api/v1/cases/{theirs['id']}/share", json={"agency_code": agency})
    client = api_client(getattr(world, who))
    everything = client.get("/api/v1/cases", query_string={"per_page": 100}).json
    expected = [item["reference"] for item in everything["items"]]
    assert len(expected) == everything["total"] == (9 if who == "officer" else 4)
    assert everything["next_cursor"] is None
    assert _walk(client, 2) == expected
    assert _walk(client, 4) == expected
    by_page = [found(client, per_page=2, page=page) for page in range(1, 6)]
    assert [reference for chunk in by_page for reference in chunk] == expected
    created = [item["created_at"] for item in everything["items"]]
    assert created == sorted(created, reverse=True)


def _cursor(*keys: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(keys)).encode()).decode().rstrip("=")


def test_a_cursor_that_is_not_one_is_refused(api_client, world, open_case):
    open_case()
    for cursor in [
        "nonsense",  # not JSON
        _cursor(),
        _cursor("2026-01-01", 1),  # a time without its zone
        _cursor("2026-01-01T00:00:00+00:00", 2**31),  # an id the database cannot hold
        _cursor("2026-01-01T00:00:00+00:00", True),
    ]:
        response = api_client(world.officer).get("/api/v1/cases", query_string={"cursor": cursor})
        assert response.status_code == 422, cursor
        assert "cursor" in response.json["errors"]


def test_the_total_is_estimated_past_the_count_limit(api_client, world, open_case, monkeypatch, database_url):
    for _ in range(6):
        open_case()
    monkeypatch.setattr(queries, "COUNT_LIMIT", 3)
    body = api_client(world.officer).get("/api/v1/cases", query_string={"per_page": 2}).json
    assert len(body["items"]) == 2
    if database_url.startswith("sqlite"):
        # The embedded default counts everything: it is never big enough to need an estimate.
        assert (body["total"], body["total_is_estimate"]) == (6, False)
    else:
        assert body["total_is_estimate"] is True
        assert body["total"] > 3
    monkeypatch.setattr(queries, "COUNT_LIMIT", 1000)
    assert api_client(world.officer).get("/api/v1/cases").json["total_is_estimate"] is False


def test_search_runs_a_fixed_number_of_queries(api_client, world, open_case, incident, count_queries):
    client = api_client(world.officer)

    def counted() -> int:
        with count_queries() as counter:
            assert client.get("/api/v1/cases", query_string={"q": "DP-"}).status_code == 200
        return counter.count

    for n in range(2):
        incident(open_case(), f"DP-{n}")
    small = counted()
    for n in range(12):
        incident(open_case(), f"DP-1{n}")
    assert counted() == small


def test_a_search_pages_through_every_match_once_best_first_with_the_whole_total(
    api_client, world, open_case, incident
):
    """The page's cases are chosen among the matches before they are loaded: each page holds the next
    matches in rank order (then newest first), and every page gives the total of all matches."""
    exact = open_case(summary="Loud music")
    incident(exact, "DP-700")
    partials = []
    for n in range(3):
        case = open_case(summary="Broken windows")
        incident(case, f"DP-700{n}")
        partials.append(case)
    words = [open_case(summary=f"Police log DP-700 mentioned, visit {n}") for n in range(2)]
    open_case(summary="Nothing to find here")
    client = api_client(world.officer)
    pages, totals = [], []
    for page in (1, 2, 3, 4):
        response = client.get("/api/v1/cases", query_string={"q": "DP-700", "per_page": 2, "page": page})
        assert response.status_code == 200, response.json
        pages.append([item["reference"] for item in response.json["items"]])
        totals.append(response.json["total"])
    newest_first = [c["reference"] for c in reversed(partials)] + [c["reference"] for c in reversed(words)]
    assert pages[:3] == [[exact["reference"], newest_first[0]], newest_first[1:3], newest_first[3:5]]
    assert totals[:3] == [6, 6, 6]
    assert pages[3] == []
    assert totals[3] == 6
