"""A page's query string is kept in its links and redirects (the next page of a search, a merged record's
export) as a query string, whatever names it holds.

The people list, the subject access finder and a merged record's export passed ``request.args`` to
``url_for`` as keyword arguments, so a name in the query was one of ``url_for``'s own: ``?_external=1``
made the pagination links absolute (from the request's Host), ``?_anchor=`` added a fragment to them,
and ``?endpoint=`` or a name the URL already had (``?person_id=``) was a TypeError, a 500. Now they go
through ``core.urls.url_with_query``. Every page is walked with those names (all at once: each alone was
enough to break one), with a page size of one so that every search with two results has a next page.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask

from tests.support.walk import World, call
from tests.test_permissions import endpoints

#: Names ``url_for`` takes for itself, or as the endpoint's path argument, each with a marker value.
URL_FOR_NAMES = {
    "endpoint": "x",
    "_external": "1",
    "_anchor": "marker-anchor",
    "_scheme": "javascript",
    "_method": "POST",
    "person_id": "1",
}
#: Matches two people of the walk's world ("Vera Visible", "Val Visible"): a page of one has a next page.
SEARCH = {"name": "Visible"}


@pytest.fixture
def one_per_page(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("casework.cases.views.staff.PER_PAGE", 1)
    monkeypatch.setattr("casework.data_protection.views.staff.PER_PAGE", 1)


@pytest.fixture
def no_propagation(app: Flask) -> Any:
    app.config["PROPAGATE_EXCEPTIONS"] = False
    yield
    app.config["PROPAGATE_EXCEPTIONS"] = None


def _links(response: Any) -> list[str]:
    page = response.get_data(as_text=True) if response.mimetype == "text/html" else ""
    links = re.findall(r'href="([^"]*)"', page)
    if response.headers.get("Location"):
        links.append(response.headers["Location"])
    return [link.replace("&amp;", "&") for link in links]


def _problems(label: str, response: Any) -> list[str]:
    if response.status_code >= 500:
        return [f"{label}: {response.status_code}"]
    # A link the page built from its own query: still on this site, relative, without a fragment from the
    # query (the page's own links to the service are relative; the marker is the query's).
    return [
        f"{label}: link {link}"
        for link in _links(response)
        if "marker-anchor" in link.partition("?")[0] + link.partition("#")[2]
        or ("Visible" in link and not link.startswith("/"))
    ]


def test_the_names_url_for_takes_for_itself_stay_in_the_query_string_on_every_page(
    app: Flask, world: World, one_per_page: None, no_propagation: Any
) -> None:
    query = "&".join(f"{key}={quote(value)}" for key, value in {**SEARCH, **URL_FOR_NAMES}.items())
    problems, paged = [], 0
    for endpoint in endpoints(app):
        if "GET" not in endpoint.rule.methods or endpoint.is_api:
            continue
        response = call(app, world, f"{endpoint.url}?{query}", "GET", None, False)
        problems += _problems(f"GET {endpoint.url}?{query}", response)
        paged += any("page=2" in link and "Visible" in link for link in _links(response))
    assert paged >= 2, "the people list and the subject access finder show a next page"
    assert not problems, "\n".join(problems)


def test_the_pagination_keeps_the_query_as_it_was(page_client: Any, world: World, one_per_page: None) -> None:
    response = page_client(world.me).get("/people/?name=Visible&_anchor=x&endpoint=y")
    assert response.status_code == 200
    assert 'href="/people/?name=Visible&amp;_anchor=x&amp;endpoint=y&amp;page=2"' in response.get_data(as_text=True)


@pytest.mark.parametrize("name", sorted(URL_FOR_NAMES))
def test_a_merged_records_export_keeps_the_query_in_its_redirect(
    api_client: Any, page_client: Any, world: World, no_propagation: Any, name: str
) -> None:
    client = api_client(world.me)
    kept = client.post("/api/v1/people", json={"name": "Kept Record"}).json["id"]
    merged = client.post("/api/v1/people", json={"name": "Merged Record"}).json["id"]
    merge = client.post(f"/api/v1/people/{kept}/merge", json={"merged_person_id": merged})
    assert merge.status_code == 200, merge.json
    value = URL_FOR_NAMES[name]
    response = page_client(world.me).get(f"/people/{merged}/export?format=json&{name}={quote(value)}")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/people/{kept}/export?format=json&{name}={quote(value)}"
