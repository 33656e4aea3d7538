"""The published Case Review figures for other websites: a stable per-area JSON and CSV address and a
small page to embed, all showing the latest published version of each period with its date."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest

from casework.core.db import commit
from casework.statistics import services
from casework.statistics.schemas import PUBLIC_COLUMNS


def _figures(applications: int) -> dict[str, int]:
    return {
        "applications": applications,
        "threshold_not_met": 1,
        "reviews_carried_out": 2,
        "reviews_with_recommendations": 1,
    }


@pytest.fixture
def published(make):
    bolsover, other = make.area("BOL", "Bolsover"), make.area("NED", "North East Derbyshire")
    services.enter_historic(None, bolsover, date(2023, 4, 1), date(2024, 3, 31), _figures(4), "Board paper 2024")
    services.enter_historic(None, bolsover, date(2024, 4, 1), date(2025, 3, 31), _figures(7), "Board paper 2025")
    correction = services.enter_historic(
        None, bolsover, date(2024, 4, 1), date(2025, 3, 31), _figures(9), "Corrected: two applications missed"
    )
    services.enter_historic(None, other, date(2024, 4, 1), date(2025, 3, 31), _figures(1), "Board paper 2025")
    commit()
    return {"bolsover": bolsover, "other": other, "correction": correction}


def test_the_area_json_has_each_period_and_the_latest_with_its_date(client, published):
    response = client.get("/statistics/BOL.json")
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    body = response.json
    assert (body["area_code"], body["area_name"]) == ("BOL", "Bolsover")
    assert [(item["period_start"], item["version"]) for item in body["items"]] == [
        ("2023-04-01", 1),
        ("2024-04-01", 2),
    ]
    assert body["latest"]["applications"] == 9  # the correction, not the first version
    assert body["latest"]["published_at"] == published["correction"].published_at.isoformat()
    assert client.get("/statistics/bol.json").json["area_code"] == "BOL"


def test_the_area_csv_has_the_public_columns_and_only_that_area(client, published):
    response = client.get("/statistics/BOL.csv")
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert list(rows[0]) == list(PUBLIC_COLUMNS)
    assert {row["area_code"] for row in rows} == {"BOL"}
    assert [row["applications"] for row in rows] == ["4", "9"]


def test_the_embed_page_may_be_framed_and_shows_the_latest_version(client, published):
    response = client.get("/statistics/BOL/embed")
    assert response.status_code == 200
    assert "frame-ancestors *" in response.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in response.headers
    html = response.get_data(as_text=True)
    assert "2024/25" in html
    assert ">9<" in html
    assert "version 2, a correction" in html
    assert "<script" not in html
    assert " style=" not in html
    # Every file it loads answers (the icon too: without one the browser asks for /favicon.ico).
    assert 'rel="icon"' in html
    for path in re.findall(r'(?:href|src)="(/[^"]+)"', html):
        assert client.get(path).status_code == 200, path


def test_a_withdrawn_version_leaves_the_one_before(client, make, published):
    services.withdraw(
        make.user("manager", agency=make.agency(areas=[published["bolsover"]])),
        published["correction"],
        "Published by mistake",
    )
    commit()
    assert client.get("/statistics/BOL.json").json["latest"]["applications"] == 7
    assert ">7<" in client.get("/statistics/BOL/embed").get_data(as_text=True)


def test_an_area_with_nothing_published_says_so(client, make):
    make.area("AMB", "Amber Valley")
    assert client.get("/statistics/AMB.json").json == {
        "area_code": "AMB",
        "area_name": "Amber Valley",
        "latest": None,
        "items": [],
    }
    assert "No figures have been published" in client.get("/statistics/AMB/embed").get_data(as_text=True)


@pytest.mark.parametrize("path", ["/statistics/ZZZ.json", "/statistics/ZZZ.csv", "/statistics/ZZZ/embed"])
def test_an_unknown_area_is_not_found(client, db_session, path):
    assert client.get(path).status_code == 404


def test_every_other_page_still_refuses_to_be_framed(client, published):
    for path in ("/statistics", "/statistics.json", "/statistics/BOL.json"):
        response = client.get(path)
        assert response.headers["X-Frame-Options"] == "DENY"
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_the_public_page_offers_the_snippet_and_the_links(client, published):
    html = client.get("/statistics").get_data(as_text=True)
    assert '&lt;iframe src="http' in html
    assert "/statistics/BOL/embed" in html
    assert 'href="/statistics/BOL.json"' in html
    assert 'href="/statistics/BOL.csv"' in html
