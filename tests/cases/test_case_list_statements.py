"""The case list, on the pages and through the API, runs a handful of statements for every role that
has one, however many cases it shows (issue 15: every signed-in request pays for what runs here).

The API's list: the token with its user and roles; the page of cases with its count (one statement);
the view entries of the cases shown (two inserts, however many). The page adds the filters' options
with the agency's areas and queued police calls (one ``UNION ALL``) and the saved views. A page past
the end of the list has no row to carry the count and counts apart, but shows (and logs) nothing.
"""

from __future__ import annotations

from typing import Any

import pytest

#: The most statements ``GET /api/v1/cases`` may run: the token and user, the page with its count,
#: and the two inserts of the view entries.
API_LIST_STATEMENTS = 4
#: The most statements ``GET /cases/`` may run: the user with their session, the page with its count,
#: the filters' options (with the areas and the queued calls), the saved views, the two inserts.
PAGE_LIST_STATEMENTS = 6

#: The roles that have a case list (the others are refused it: tests/test_permissions.py).
LIST_VIEWERS = ["officer", "coordinator", "manager", "partner", "police_officer"]


@pytest.fixture
def shared_cases(world, open_case, api_client):
    """``shared_cases(n)`` opens ``n`` more BOL cases as the BDC officer, each shared with the police."""
    officer = api_client(world.officer)

    def add(n: int) -> None:
        for _ in range(n):
            case = open_case()
            shared = officer.post(f"/api/v1/cases/{case['id']}/share", json={"agency_code": "DERPOL"})
            assert shared.status_code == 200, shared.json

    return add


def _statements(count_queries: Any, get: Any, path: str) -> list[str]:
    with count_queries() as counter:
        response = get(path)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert b"BOL-" in response.get_data(), "the list shows the cases"
    return counter.statements


def _shown(statements: list[str]) -> str:
    return "\n".join(" ".join(statement.split())[:160] for statement in statements)


@pytest.mark.parametrize("viewer", LIST_VIEWERS)
def test_the_api_case_list_runs_a_handful_of_statements(world, shared_cases, api_client, count_queries, viewer):
    client = api_client(getattr(world, viewer))
    shared_cases(2)
    small = _statements(count_queries, client.get, "/api/v1/cases?per_page=100")
    shared_cases(6)
    large = _statements(count_queries, client.get, "/api/v1/cases?per_page=100")
    assert len(large) == len(small), _shown(large)
    assert len(large) <= API_LIST_STATEMENTS, _shown(large)


@pytest.mark.parametrize("viewer", LIST_VIEWERS)
def test_the_case_list_page_runs_a_handful_of_statements(world, shared_cases, page_client, count_queries, viewer):
    client = page_client(getattr(world, viewer))
    shared_cases(2)
    client.get("/cases/")  # the first page after signing in may note the session as seen
    small = _statements(count_queries, client.get, "/cases/")
    shared_cases(6)
    large = _statements(count_queries, client.get, "/cases/")
    assert len(large) == len(small), _shown(large)
    assert len(large) <= PAGE_LIST_STATEMENTS, _shown(large)


def test_a_page_past_the_end_still_counts_the_list(world, shared_cases, api_client, count_queries):
    """With no row to carry the count, the list counts apart: the total is still right."""
    client = api_client(world.officer)
    shared_cases(3)
    with count_queries() as counter:
        response = client.get("/api/v1/cases?page=5&per_page=2")
    assert response.status_code == 200
    assert response.json["items"] == []
    assert response.json["total"] == 3
    # The token and user, the empty page, the count; nothing shown, so nothing logged.
    assert counter.count <= 3, _shown(counter.statements)
    first = client.get("/api/v1/cases?per_page=2").json
    assert first["total"] == 3
    assert len(first["items"]) == 2


def test_the_case_list_page_reads_only_the_user_through_the_orms_loading(world, shared_cases, page_client):
    """The page's rows, its filters' options and the saved views are values, run by the session's
    connection (``casework.core.db.execute_values``): the ORM's loading, which sets up a row processor
    for each selected column on every execution, sees only the signed-in user's statement."""
    from tests.support.orm_loading import statements_through_the_orm

    client = page_client(world.officer)
    shared_cases(1)
    with statements_through_the_orm() as through_the_orm:
        response = client.get("/cases/")
    assert response.status_code == 200
    assert b"BOL-" in response.get_data()
    assert len(through_the_orm) == 1, "\n".join(statement[:160] for statement in through_the_orm)
    assert "JOIN user_sessions" in through_the_orm[0], through_the_orm[0][:160]
