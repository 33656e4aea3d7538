"""A Case Review application names its linked cases, and the complaints in their ledgers, only to a
reader who may see those cases (restricted cases are visible only to named users;
nobody sees a record through a side door, a count and the holding agency instead).

The world: the council's coordinator, named on a restricted council case, registers an application
linking it and an ordinary council case. The council's officer sees the ordinary case only; the
police manager, whose agency covers the area and so sees the application, sees neither."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import Any

import pytest

from casework.cases.models import CaseAccess
from casework.extensions import db

RESTRICTED = "BOL-2026-0001"
ORDINARY = "BOL-2026-0002"
#: The name of the complainant on the restricted case's ledger (not the applicant).
NEIGHBOUR = "Amira Haddad"


@pytest.fixture
def linked(ct: Any) -> SimpleNamespace:
    restricted = ct.case(RESTRICTED, is_restricted=True)
    db.session.add(CaseAccess(case_id=restricted.id, user_id=ct.coordinator.id))
    ordinary = ct.case(ORDINARY)
    # On the restricted case: the neighbour's complaint, and the applicant's own complaint about the
    # behaviour of 10 January, reported a day before the one the application lists (so that one is
    # "Already counted" as this one).
    ct.incident(restricted, date(2026, 1, 25), [(date(2026, 1, 26), ct.council, NEIGHBOUR)])
    ct.incident(restricted, date(2026, 1, 10), [(date(2026, 1, 11), ct.council, "Jane Smith")])
    ct.incident(ordinary, date(2026, 2, 1), [(date(2026, 2, 2), ct.police, None)])
    application = ct.register(case_ids=[restricted.id, ordinary.id])
    return SimpleNamespace(application=application, restricted=restricted, ordinary=ordinary)


def _threshold_sources(answer: dict[str, Any]) -> list[str | None]:
    return sorted(c.get("case_reference") or "" for c in answer["threshold"]["complaints"])


def test_a_reader_who_sees_every_linked_case_sees_them_all(ct, linked, api_client):
    answer = api_client(ct.coordinator).get(f"/api/v1/triggers/{linked.application.id}").get_json()
    assert sorted(answer["case_ids"]) == sorted([linked.restricted.id, linked.ordinary.id])
    assert answer["cases_withheld"] == {"count": 0, "agencies": []}
    assert _threshold_sources(answer) == ["", "", "", RESTRICTED, RESTRICTED, ORDINARY]
    assert answer["threshold"]["withheld"] == {"complaints": 0, "qualifying": 0, "agencies": []}
    already = [c for c in answer["threshold"]["complaints"] if c["reason"].startswith("Already counted")]
    assert len(already) == 1
    assert f"on case {RESTRICTED}" in already[0]["reason"]


@pytest.mark.parametrize("path", ["/api/v1/triggers/{id}", "/api/v1/triggers"])
def test_the_api_counts_the_cases_a_reader_may_not_see(ct, linked, api_client, path):
    officer = api_client(ct.officer).get(path.format(id=linked.application.id))
    police = api_client(ct.police_manager).get(path.format(id=linked.application.id))
    for response in (officer, police):
        assert response.status_code == 200, response.get_json()
        text = response.get_data(as_text=True)
        assert RESTRICTED not in text
        assert NEIGHBOUR not in text
    officer_view, police_view = (
        r.get_json()["items"][0] if "items" in r.get_json() else r.get_json() for r in (officer, police)
    )
    assert officer_view["case_ids"] == [linked.ordinary.id]
    assert officer_view["cases_withheld"] == {"count": 1, "agencies": ["BDC"]}
    assert _threshold_sources(officer_view) == ["", "", "", ORDINARY]
    assert officer_view["threshold"]["withheld"] == {"complaints": 2, "qualifying": 2, "agencies": ["BDC"]}
    # The application's own complaint of 10 January was counted once, as the one on the hidden case.
    already = [c for c in officer_view["threshold"]["complaints"] if c["reason"].startswith("Already counted")]
    assert [c["reason"].endswith("as a complaint on a case you cannot see.") for c in already] == [True]
    # The totals are the threshold's, whoever reads them.
    assert officer_view["threshold"]["qualifying_count"] == 5

    assert ORDINARY not in police.get_data(as_text=True)
    assert police_view["case_ids"] == []
    assert police_view["cases_withheld"] == {"count": 2, "agencies": ["BDC"]}
    assert _threshold_sources(police_view) == ["", "", ""]
    assert police_view["threshold"]["withheld"] == {"complaints": 3, "qualifying": 3, "agencies": ["BDC"]}
    assert police_view["threshold"]["qualifying_count"] == 5


def test_the_stored_working_is_counted_the_same_after_a_decision(ct, linked, api_client):
    decided = api_client(ct.coordinator).post(
        f"/api/v1/triggers/{linked.application.id}/threshold-decision",
        json={"met": True, "basis": "automatic", "decided_on": "2026-03-10"},
    )
    assert decided.status_code == 200, decided.get_json()
    police = api_client(ct.police_manager).get(f"/api/v1/triggers/{linked.application.id}")
    assert RESTRICTED not in police.get_data(as_text=True)
    assert police.get_json()["threshold"]["withheld"]["complaints"] == 3


@pytest.mark.parametrize("page", ["", "/decision"])
def test_the_pages_count_the_cases_a_reader_may_not_see(ct, linked, page_client, page):
    path = f"/case-reviews/{linked.application.id}{page}"
    police = page_client(ct.police_manager).get(path)
    assert police.status_code == 200
    text = " ".join(police.get_data(as_text=True).split())
    for hidden in (RESTRICTED, ORDINARY, NEIGHBOUR):
        assert hidden not in text
    assert "Not listed: 3 complaints (3 counted) on linked cases you cannot see, held by BDC." in text
    if not page:
        assert "Linked: 2 cases you cannot see, held by BDC." in text
    coordinator = " ".join(page_client(ct.coordinator).get(path).get_data(as_text=True).split())
    assert "you cannot see" not in coordinator
    # Named on the restricted case: the page lists it (the application page) or its complaint's reason
    # names it (both).
    assert RESTRICTED in coordinator


def test_a_chair_refused_for_a_hidden_case_is_refused_without_naming_it(ct, linked, api_client):
    """The chair owns the restricted case: not independent. The police manager arranging the meeting is
    told why, by the agency holding the case; the coordinator named on it, by its reference."""
    linked.restricted.owner_id = ct.chair.id
    db.session.commit()
    decided = api_client(ct.coordinator).post(
        f"/api/v1/triggers/{linked.application.id}/threshold-decision",
        json={"met": True, "basis": "automatic", "decided_on": "2026-03-10"},
    )
    assert decided.status_code == 200, decided.get_json()
    body = {"scheduled_on": "2026-03-20", "chair_email": ct.chair.email}
    police = api_client(ct.police_manager).post(f"/api/v1/triggers/{linked.application.id}/meetings", json=body)
    assert police.status_code == 422, police.get_json()
    assert RESTRICTED not in police.get_data(as_text=True)
    assert "Charles Chair owns a linked case held by BDC" in str(police.get_json()["errors"])
    coordinator = api_client(ct.coordinator).post(f"/api/v1/triggers/{linked.application.id}/meetings", json=body)
    assert coordinator.status_code == 422, coordinator.get_json()
    assert f"Charles Chair owns case {RESTRICTED}" in str(coordinator.get_json()["errors"])


def test_the_audit_trail_names_a_linked_case_only_to_a_reader_who_may_see_it(ct, linked, api_client, page_client):
    """The entry written when cases are linked named them ("Linked BOL-2026-0003 to ..."); audit entries
    are sealed, so the page names each case as the reader may see it when it shows the trail."""
    another = ct.case("BOL-2026-0003")
    linked_now = api_client(ct.coordinator).post(
        f"/api/v1/triggers/{linked.application.id}/cases", json={"case_ids": [another.id]}
    )
    assert linked_now.status_code == 200, linked_now.get_json()
    restricted_too = api_client(ct.coordinator).post(
        f"/api/v1/triggers/{ct.register().id}/cases", json={"case_ids": [linked.restricted.id]}
    )
    assert restricted_too.status_code == 200, restricted_too.get_json()
    for application_id, hidden_reference in (
        (linked.application.id, "BOL-2026-0003"),
        (restricted_too.get_json()["id"], RESTRICTED),
    ):
        path = f"/case-reviews/{application_id}"
        police = " ".join(page_client(ct.police_manager).get(path).get_data(as_text=True).split())
        assert hidden_reference not in police
        assert "Linked a case you cannot see, held by BDC to BOL-CT-" in police
        coordinator = " ".join(page_client(ct.coordinator).get(path).get_data(as_text=True).split())
        assert f"Linked {hidden_reference} to BOL-CT-" in coordinator
