"""Static files: fingerprinted names kept for a year, answered without the user, the database or the
session cookie (WhiteNoise in front of Flask, casework/core/static.py)."""

from __future__ import annotations

import re

from casework.core.static import fingerprinted_name

YEAR = 365 * 24 * 3600


def test_pages_link_fingerprinted_files_that_browsers_keep_for_a_year(client):
    page = client.get("/sign-in").text
    links = re.findall(r'(?:href|src)="(/static/[^"]+)"', page)
    assert links, "the page links no static files"
    for link in links:
        assert re.search(r"\.[0-9a-f]{12}\.\w+$", link), link
        response = client.get(link)
        assert response.status_code == 200, link
        cache = response.headers["Cache-Control"]
        assert "immutable" in cache, link
        assert int(re.search(r"max-age=(\d+)", cache).group(1)) >= YEAR
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_static_file_touches_neither_the_user_nor_the_database_nor_the_session(app, page_client, make, count_queries):
    client = page_client(make.user("officer"))
    assert client.get("/").status_code == 200
    with app.test_request_context():
        from flask import url_for

        stylesheet = url_for("static", filename="css/app.css")
    with count_queries() as counter:
        response = client.get(stylesheet)
    assert response.status_code == 200
    assert counter.count == 0
    assert "Set-Cookie" not in response.headers
    assert "Vary" not in response.headers or "Cookie" not in response.headers["Vary"]


def test_plain_names_and_the_govuk_images_answer_with_a_short_cache(client):
    for path in ("/static/css/app.css", "/static/govuk/govuk-frontend.min.js", "/assets/images/govuk-crest.svg"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "immutable" not in response.headers["Cache-Control"], path
    font = re.search(r"url\((/assets/fonts/[^)]+)\)", client.get("/static/govuk/govuk-frontend.min.css").text)
    assert "immutable" in client.get(font.group(1)).headers["Cache-Control"]


def test_a_changed_file_gets_a_new_name():
    assert fingerprinted_name("css/app.css", b"a") != fingerprinted_name("css/app.css", b"b")
    assert fingerprinted_name("css/app.css", b"a") == fingerprinted_name("css/app.css", b"a")
    assert fingerprinted_name("js/app.mjs", b"a").endswith(".mjs")
