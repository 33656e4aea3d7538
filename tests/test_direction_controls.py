"""A direction control typed into a name or a text (a right-to-left override, U+202E) reverses only that
value on the pages, not the service's words after it.

A complainant named ``Eve Example\u202e`` turned the case page's "Eve Example reported the incident of
25 November 2026 to Bolsover District Council (reference REF-1)" into that sentence read backwards after
the name. Every value a template writes goes through ``core.templating.closed_directions`` (Jinja's
``finalize``, and the summary lists' values filled in outside Jinja), which closes at the value's end
whatever it leaves open. Every page is walked with such a name and summary planted: no run of text between
two tags (nor a tag's attributes) leaves a direction open.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask

from casework.core.templating import closed_directions, direction_closers
from tests.support.walk import World, call
from tests.test_permissions import endpoints

RLO, LRE, PDF, RLI, PDI = "\u202e", "\u202a", "\u202c", "\u2067", "\u2069"


@pytest.mark.parametrize(
    ("text", "closers"),
    [
        ("Eve", ""),
        (f"Eve{RLO}", PDF),
        (f"{RLO}Eve{PDF}", ""),
        (f"{RLI}Eve", PDI),
        (f"{RLI}{RLO}Eve{PDI}", ""),  # a PDI closes what was opened inside its isolate
        (f"{RLO}{RLI}Eve{PDF}", PDI + PDF),  # a PDF does not close an isolate
        (f"{PDF}{PDI}{RLO}", PDF),  # closers without an opener do nothing
        (f"{LRE}{RLI}{RLO}", PDF + PDI + PDF),
    ],
)
def test_the_closers_are_those_the_bidirectional_algorithm_pairs(text, closers):
    assert direction_closers(text) == closers
    assert direction_closers(text + closers) == ""
    assert closed_directions(text) == text + closers


def _open_directions(page: str) -> list[str]:
    """Each run of text or tag on the page that leaves a direction open."""
    return [repr(run[:80]) for run in re.split(r"[<>]", page) if direction_closers(run)]


@pytest.fixture
def planted(api_client: Any, world: World) -> dict[str, int]:
    client = api_client(world.me)
    person = client.post("/api/v1/people", json={"name": f"Eve Example{RLO}"}).json["id"]
    case = client.post(
        "/api/v1/cases",
        json={
            "area_code": "MIN",
            "category": "personal",
            "summary": f"Noise {RLI}upstairs",
            "parties": [{"person_id": person, "role": "victim"}],
        },
    )
    assert case.status_code == 201, case.json
    incident = client.post(
        f"/api/v1/cases/{case.json['id']}/incidents",
        json={
            "occurred_on": "2025-01-02",
            "description": f"Shouting{RLO}",
            "complaints": [{"complainant_person_id": person, "reported_on": "2025-01-03", "agency_code": "MYAG"}],
        },
    )
    assert incident.status_code == 201, incident.json
    return {"person": person, "case": case.json["id"]}


def test_no_page_leaves_a_typed_direction_open(app: Flask, world: World, planted: dict[str, int]) -> None:
    urls = [f"/cases/{planted['case']}", f"/people/{planted['person']}", "/people/?name=Eve"]
    urls += [e.url for e in endpoints(app) if "GET" in e.rule.methods and not e.is_api and not e.rule.arguments]
    problems, shown = [], 0
    for url in urls:
        response = call(app, world, url, "GET", None, False)
        if response.mimetype != "text/html":
            continue
        page = response.get_data(as_text=True)
        shown += RLO in page
        problems += [f"{url}: {run}" for run in _open_directions(page)]
    assert shown >= 3, "the planted name is shown on the case, the person and the search"
    assert not problems, "\n".join(problems)


def test_a_summary_list_filled_outside_jinja_closes_its_values_as_the_macro_does(app: Flask) -> None:
    """``filled_component`` puts a record's values into a kept shape in Python, not through Jinja: it
    closes them the same way, so its output stays the macro's own."""
    from casework.core import templating

    rows = [
        {"key": {"text": "Location"}, "value": {"text": f"Flat 3{RLO}"}},
        {
            "key": {"text": f"Key{RLI}"},
            "value": {"text": "x"},
            "actions": {"items": [{"href": "/a", "text": "Change"}]},
        },
    ]
    with app.test_request_context("/"):
        summary_list = app.jinja_env.get_template(
            "govuk_frontend_jinja/components/summary-list/macro.html"
        ).module.govukSummaryList
        templating._shapes.clear()
        for _ in range(2):  # the shape built, then kept
            filled = templating.filled_component(summary_list, {"rows": rows})
            assert filled == summary_list({"rows": rows})
            assert _open_directions(str(filled)) == []
