"""A huge ``?page=`` (or ``?job=``) used to become an OFFSET or id the database refuses (500).

These lists read the page with ``request.args.get("page", type=int)`` and no bound, and the API's
``PageArgs.page`` had only a minimum; on SQLite (the embedded default the README starts) the driver
refused the integer with an OverflowError, a 500 (on PostgreSQL a DataError that ``core.errors`` turned
into a 422). Now every page view reads its page through ``core.pagination.page_number`` (its last
possible page, an empty one), the API's page stops at ``core.inputs.MAX_PAGE`` (422 on ``page``), and
``?job=`` is read as an id (``core.inputs.query_id``: 404 when it names no report).
``tests/test_bad_input.py`` walks every list and every parameter; these are the examples first found.
"""

from __future__ import annotations

import pytest

from tests.interventions.world import world  # noqa: F401

HUGE = "99999999999999999999"


@pytest.fixture
def no_propagation(app):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    yield
    app.config["PROPAGATE_EXCEPTIONS"] = None


@pytest.mark.parametrize(
    ("who", "path", "status"),
    [
        ("officer", "/interventions", 200),
        ("officer", "/cases/police-reports/", 200),
        ("manager", "/subject-access?name=Smith", 200),
        ("manager", "/imports", 200),
        ("officer", "/api/v1/cases", 422),
        ("officer", "/api/v1/actions", 422),
        ("officer", "/api/v1/people", 422),
        ("officer", "/api/v1/deadlines", 422),
        ("officer", "/api/v1/triggers", 422),
        ("admin", "/api/v1/users", 422),
    ],
)
def test_huge_page_number_is_not_a_server_error(page_client, api_client, world, no_propagation, who, path, status):  # noqa: F811
    user = getattr(world, who)
    client = api_client(user) if path.startswith("/api/") else page_client(user)
    response = client.get(f"{path}{'&' if '?' in path else '?'}page={HUGE}")
    assert response.status_code == status
    if status == 422:
        assert "page" in response.json["errors"]


@pytest.mark.parametrize("path", ["/reports/partnership/report.xlsx", "/reports/partnership/report.pdf"])
@pytest.mark.parametrize("job", [HUGE, "2147483648", "\u00b2"])
def test_a_job_that_cannot_be_an_id_names_no_report(page_client, world, no_propagation, path, job):  # noqa: F811
    response = page_client(world.manager).get(path, query_string={"job": job})
    assert response.status_code == 404


@pytest.mark.parametrize("assignee", [HUGE, "\u00b2", "someone"])
def test_an_assignee_that_cannot_be_a_user_id_is_refused(api_client, world, no_propagation, assignee):  # noqa: F811
    response = api_client(world.officer).get("/api/v1/actions", query_string={"assignee": assignee})
    assert response.status_code == 422
    assert response.json["errors"] == {"assignee": ['Use "me" or a user id.']}
