"""The case list sorted by any column and filtered by owner, team, risk, overdue work, status, category,
area, lead agency and date opened: the same on the API and the page, walked a page at a time on the
sort keys (keyset), in a fixed number of statements whatever the rows."""

from __future__ import annotations

from datetime import date
from typing import Any

import flask
import pytest

from casework.accounts.models import User
from casework.cases import queries, schemas
from casework.cases.models import Case
from casework.extensions import db
from casework.risk.models import RiskAssessment, RiskBand, RiskQuestionnaire


def refs(client: Any, **query: Any) -> list[str]:
    response = client.get("/api/v1/cases", query_string=query)
    assert response.status_code == 200, response.json
    return [item["reference"] for item in response.json["items"]]


def walk(client: Any, per_page: int = 2, **query: Any) -> list[str]:
    """Every case of the list, following ``next_cursor`` from page to page."""
    seen: list[str] = []
    cursor = None
    for _ in range(50):
        body = client.get(
            "/api/v1/cases", query_string={**query, "per_page": per_page, **({"cursor": cursor} if cursor else {})}
        ).json
        seen += [item["reference"] for item in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            return seen
    raise AssertionError("the walk did not end")


def _assess(case_id: int, band: RiskBand, on: date) -> None:
    questionnaire = db.session.query(RiskQuestionnaire).first()
    if questionnaire is None:
        questionnaire = RiskQuestionnaire(version=1, title="Test", questions=[], medium_from=1, high_from=2)
        db.session.add(questionnaire)
        db.session.flush()
    db.session.add(
        RiskAssessment(
            case_id=case_id, questionnaire_id=questionnaire.id, answers={}, score=0, band=band, assessed_on=on
        )
    )
    db.session.commit()


@pytest.fixture
def cases(api_client, world, open_case, make):
    """Five BOL cases of the BDC officer's agency and one shared by the NEDDC officer, each different."""
    officer = api_client(world.officer)
    opened = {
        "noise": open_case(summary="Noise", category="nuisance", opened_on="2026-01-05"),
        "threats": open_case(
            summary="Threats", category="personal", opened_on="2026-02-10", owner_email="manager@bdc.example"
        ),
        "litter": open_case(summary="Litter", category="environmental", opened_on="2026-03-15"),
        "dogs": open_case(
            summary="Dogs", category="nuisance", opened_on="2025-12-01", owner_email="coordinator@bdc.example"
        ),
        "cars": open_case(summary="Cars", category="personal", opened_on="2026-03-01"),
    }
    shared = open_case(
        user=world.other_officer, area_code="NED", summary="Shared", category="personal", opened_on="2026-01-20"
    )
    assert api_client(world.other_officer).post(
        f"/api/v1/cases/{shared['id']}/share", json={"agency_code": "BDC"}
    ).status_code in (200, 201)
    opened["shared"] = shared
    # Nobody owns "cars"; "litter" is closed.
    db.session.get(Case, opened["cars"]["id"]).owner_id = None
    db.session.commit()
    assert officer.post(f"/api/v1/cases/{opened['litter']['id']}/close", json={"reason": "Cleared"}).status_code == 200
    return {key: value["reference"] for key, value in opened.items()} | {"ids": {k: v["id"] for k, v in opened.items()}}


def test_each_filter_narrows_the_list(api_client, world, cases):
    client = api_client(world.officer)
    everything = set(refs(client))
    assert everything == {cases[k] for k in ("noise", "threats", "litter", "dogs", "cars", "shared")}
    assert set(refs(client, owner="me")) == {cases["noise"], cases["litter"]}
    assert set(refs(client, owner="manager@bdc.example")) == {cases["threats"]}
    assert set(refs(client, owner="MANAGER@bdc.example")) == {cases["threats"]}
    assert set(refs(client, owner="none")) == {cases["cars"]}
    assert refs(client, owner="nobody@nowhere.example") == []
    # The team of the officer's manager: the manager's and the officer's cases, not the coordinator's.
    assert set(refs(client, team="mine")) == {cases["noise"], cases["litter"], cases["threats"]}
    assert set(refs(api_client(world.manager), team="mine")) == {cases["noise"], cases["litter"], cases["threats"]}
    assert set(refs(client, category="nuisance")) == {cases["noise"], cases["dogs"]}
    assert set(refs(client, status="closed")) == {cases["litter"]}
    assert set(refs(client, area="NED")) == {cases["shared"]}
    assert set(refs(client, agency="neddc")) == {cases["shared"]}
    assert set(refs(client, opened_from="2026-02-10")) == {cases["threats"], cases["litter"], cases["cars"]}
    assert set(refs(client, opened_to="2026-01-05")) == {cases["noise"], cases["dogs"]}
    assert set(refs(client, opened_from="2026-01-01", opened_to="2026-01-31")) == {cases["noise"], cases["shared"]}
    # Filters combine.
    assert set(refs(client, category="personal", status="open", opened_from="2026-02-01")) == {
        cases["threats"],
        cases["cars"],
    }


def test_risk_filter_uses_the_latest_assessment(api_client, world, cases):
    ids = cases["ids"]
    _assess(ids["noise"], RiskBand.high, date(2026, 1, 6))
    _assess(ids["noise"], RiskBand.standard, date(2026, 2, 1))  # no longer high
    _assess(ids["threats"], RiskBand.high, date(2026, 2, 11))
    _assess(ids["dogs"], RiskBand.medium, date(2026, 1, 1))
    client = api_client(world.officer)
    assert refs(client, risk="high") == [cases["threats"]]
    assert refs(client, risk="standard") == [cases["noise"]]
    assert refs(client, risk="medium") == [cases["dogs"]]


def test_overdue_filter_finds_cases_with_open_work_past_due(api_client, world, cases):
    client = api_client(world.officer)
    ids = cases["ids"]
    late = client.post(f"/api/v1/cases/{ids['noise']}/actions", json={"description": "Visit", "due_on": "2026-01-10"})
    assert late.status_code == 201, late.json
    later = client.post(f"/api/v1/cases/{ids['dogs']}/actions", json={"description": "Visit", "due_on": "2099-01-10"})
    assert later.status_code == 201, later.json
    assert refs(client, overdue="true") == [cases["noise"]]
    done = client.patch(
        f"/api/v1/actions/{late.json['id']}", json={"status": "done", "version": late.json.get("version", 1)}
    )
    if done.status_code == 200:  # completing the action settles its deadline
        assert refs(client, overdue="true") == []


@pytest.mark.parametrize("sort", queries.SORT_KEYS)
@pytest.mark.parametrize("order", ["asc", "desc"])
def test_sorted_by_any_column_and_walked_on_its_keys(api_client, world, cases, sort, order):
    client = api_client(world.officer)
    listed = refs(client, sort=sort, order=order)
    cases_by_ref = {c.reference: c for c in db.session.query(Case).all()}

    def key(reference: str) -> Any:
        case = cases_by_ref[reference]
        value = queries.sort_value(case, sort)
        return (value.timestamp() if sort == "created" else value, case.id)

    assert listed == sorted(listed, key=key, reverse=order == "desc")
    # A page at a time on the sort keys: every case once, in the same order.
    assert walk(client, sort=sort, order=order) == listed
    assert walk(client, per_page=1, sort=sort, order=order, status="open") == refs(
        client, sort=sort, order=order, status="open"
    )


def test_search_can_be_sorted(api_client, world, cases):
    client = api_client(world.officer)
    assert refs(client, q="s", sort="reference", order="asc") == sorted(refs(client, q="s"))


def test_a_cursor_works_only_for_its_own_order(api_client, world, cases):
    client = api_client(world.officer)
    cursor = client.get("/api/v1/cases", query_string={"per_page": 2, "sort": "owner"}).json["next_cursor"]
    assert cursor
    assert client.get("/api/v1/cases", query_string={"cursor": cursor, "sort": "owner"}).status_code == 200
    refused = client.get("/api/v1/cases", query_string={"cursor": cursor, "sort": "reference"})
    assert refused.status_code == 422
    assert "cursor" in str(refused.json)
    default_cursor = client.get("/api/v1/cases", query_string={"per_page": 2}).json["next_cursor"]
    assert client.get("/api/v1/cases", query_string={"cursor": default_cursor, "order": "asc"}).status_code == 422


@pytest.mark.parametrize(
    "query",
    [
        {"sort": "summary"},
        {"order": "up"},
        {"risk": "extreme"},
        {"opened_from": "2026-02-30"},
        {"opened_from": "2026-03-01", "opened_to": "2026-02-01"},
        {"opened_to": "2999-01-01"},
        {"overdue": "maybe"},
    ],
)
def test_bad_list_arguments_are_refused_with_a_message(api_client, world, cases, query):
    response = api_client(world.officer).get("/api/v1/cases", query_string=query)
    assert response.status_code == 422
    assert response.json


def test_sorted_and_filtered_list_runs_a_fixed_number_of_statements(api_client, world, open_case, count_queries):
    client = api_client(world.officer)
    query = (
        "/api/v1/cases?per_page=100&sort=owner&order=asc&overdue=false&team=mine&category=personal"
        "&opened_from=2026-01-01"
    )

    def counted() -> int:
        with count_queries() as counter:
            response = client.get(query)
        assert response.status_code == 200
        return counter.count

    for _ in range(2):
        open_case(owner_email="manager@bdc.example")
    small = counted()
    for _ in range(12):
        open_case(owner_email="manager@bdc.example")
    assert len(client.get(query).json["items"]) == 14
    assert counted() == small


def test_the_api_and_the_list_know_the_same_sort_keys():
    assert list(queries.SORT_KEYS) == schemas.SORT_KEYS
    assert list(queries.SORT_ORDERS) == schemas.SORT_ORDERS


def test_the_page_sorts_filters_and_shows_what_it_could_not_read(page_client, world, cases):
    client = page_client(world.officer)
    page = client.get("/cases/?sort=reference&order=desc&category=nuisance").get_data(as_text=True)
    nuisance = sorted([cases["noise"], cases["dogs"]], reverse=True)
    assert page.index(nuisance[0]) < page.index(nuisance[1])
    assert cases["threats"] not in page
    assert 'aria-sort="descending"' in page
    # The header link turns the order round and keeps the filters.
    assert "sort=reference" in page
    assert "order=asc" in page
    assert "category=nuisance" in page
    # A GOV.UK date input, read into the same filter.
    dated = client.get(
        "/cases/?opened_from-day=10&opened_from-month=2&opened_from-year=2026&opened_to-day=1&opened_to-month=3&opened_to-year=2026"
    ).get_data(as_text=True)
    assert cases["threats"] in dated
    assert cases["cars"] in dated
    assert cases["noise"] not in dated
    assert cases["litter"] not in dated
    bad = client.get("/cases/?opened_from-day=31&opened_from-month=2&opened_from-year=2026")
    assert bad.status_code == 200
    text = bad.get_data(as_text=True)
    assert "There is a problem" in text
    assert "Opened from must be a real date" in text
    assert cases["noise"] in text  # the rest of the list is shown
    # Overdue and owner filters on the page.
    assert cases["cars"] in client.get("/cases/?owner=none").get_data(as_text=True)
    assert cases["noise"] not in client.get("/cases/?owner=none").get_data(as_text=True)


def test_the_export_follows_the_lists_filters(page_client, world, cases):
    client = page_client(world.officer)
    response = client.get("/exports/cases.csv?category=nuisance")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert cases["noise"] in text
    assert cases["dogs"] in text
    assert cases["threats"] not in text


def test_the_page_runs_a_fixed_number_of_statements(page_client, world, open_case, count_queries):
    client = page_client(world.officer)
    url = "/cases/?sort=owner&order=desc&team=mine&category=personal&overdue=yes&risk=high"

    def counted(address: str) -> int:
        with count_queries() as counter:
            assert client.get(address).status_code == 200
        return counter.count

    for _ in range(2):
        open_case(category="personal")
    small, plain = counted(url), counted("/cases/?sort=reference")
    for _ in range(10):
        open_case(category="personal")
    assert counted(url) == small
    assert counted("/cases/?sort=reference") == plain


#: Lists of every shape: the default, each filter, a search (ranked and sorted), a later page, a
#: cursor's next page, a page past the end.
SUMMARY_SHAPES: list[dict[str, Any]] = [
    {},
    {"per_page": 2},
    {"per_page": 2, "page": 2},
    {"per_page": 2, "page": 9},
    {"status": "open"},
    {"area": "NED"},
    {"q": "s"},
    {"q": "s", "sort": "owner", "order": "desc"},
    {"filters": queries.CaseFilters(owner="none")},
    {"filters": queries.CaseFilters(category="personal", opened_from=date(2026, 1, 1))},
    {"filters": queries.CaseFilters(agency="NEDDC")},
    *({"sort": sort, "order": order, "per_page": 2} for sort in queries.SORT_KEYS for order in ("asc", "desc")),
]


@pytest.mark.parametrize("viewer", ["officer", "coordinator", "manager", "partner", "police_officer", "other_officer"])
def test_the_lists_summaries_are_the_cases_values(app, world, cases, viewer):
    """The case lists read their rows as ``CaseSummary`` values, not entities: the same cases in the
    same order, with the same values, total and cursor, and each noted as shown for the audit log, as
    a loaded case is (casework.audit.reads)."""
    user_id = getattr(world, viewer).id
    compared = 0
    for shape in SUMMARY_SHAPES:
        pages = []
        for summaries in (False, True):
            with app.test_request_context("/api/v1/cases"):
                db.session.expunge_all()  # every case loaded afresh, so the entities are noted as shown
                flask.g.pop("audit_shown", None)
                user = db.session.get(User, user_id)
                page = queries.case_page(user, summaries=summaries, **shape)
                shown = list(flask.g.get("audit_shown", {}))
                pages.append((page, shown))
        (entities, entities_shown), (values, values_shown) = pages
        assert all(isinstance(item, queries.CaseSummary) for item in values.items)
        assert [schemas.dump_case_summary(c) for c in values.items] == [
            schemas.dump_case_summary(c) for c in entities.items
        ], shape
        # What the page template reads besides the dump.
        assert [(c.owner.name if c.owner else None, c.lead_agency.name, c.area.name) for c in values.items] == [
            (c.owner.name if c.owner else None, c.lead_agency.name, c.area.name) for c in entities.items
        ], shape
        assert (values.total, values.total_is_estimate, values.has_more, values.next_cursor) == (
            entities.total,
            entities.total_is_estimate,
            entities.has_more,
            entities.next_cursor,
        ), shape
        # The same entries: the page's cases (and the one read past it to learn there is a next page).
        assert values_shown == entities_shown, shape
        assert values_shown[: len(values.items)] == [("cases", str(c.id)) for c in values.items], shape
        compared += len(values.items)
        if values.next_cursor:
            following = {**shape, "cursor": values.next_cursor, "page": 1}
            with app.test_request_context("/api/v1/cases"):
                assert [c.id for c in queries.case_page(user, summaries=True, **following).items] == [
                    c.id for c in queries.case_page(user, **following).items
                ]
    # The police see no case here (none is shared with them): the others' lists compare something.
    assert compared or viewer in ("partner", "police_officer")


def test_the_list_arguments_are_read_without_an_exception_per_missing_one(app, world, monkeypatch):
    """listing.read takes each argument's first value, as MultiDict.get gives it, from a plain dict:
    MultiDict.get builds and catches a BadRequestKeyError for every argument not given."""
    from werkzeug.datastructures import MultiDict
    from werkzeug.exceptions import BadRequestKeyError

    from casework.cases import listing

    given = MultiDict([("status", "closed"), ("status", "open"), ("q", " Rita "), ("opened_from-day", "3")])
    expected = listing.read(world.officer, given)  # as read before: the first value of each
    assert expected.status == "closed"
    assert expected.q == "Rita"
    assert expected.errors == {"opened_from": "Opened from must include a day, month and year"}
    with app.test_request_context("/cases/?status=closed&status=open&q=+Rita+&opened_from-day=3"):
        args = flask.request.args
        built = []
        original = BadRequestKeyError.__init__

        def counted(self, *args, **kwargs):
            built.append(args)
            original(self, *args, **kwargs)

        monkeypatch.setattr(BadRequestKeyError, "__init__", counted)
        assert listing.read(world.officer, args) == expected
        assert listing.read(world.officer, MultiDict()) == listing.read(world.officer, {})
        monkeypatch.undo()
    assert built == []
