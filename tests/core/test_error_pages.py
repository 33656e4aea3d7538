"""Each HTML error page says what to do next for its status, and a 500 page is drawn without the
navigation, which asks the database that may just have failed (``templates/errors/error.html``).

Until 6 December 2026 the error pages were given ``status`` while the template reads ``status_code``:
every error page showed its title and sentence only (no link to the start page on a 404, no advice on
a 500), and a 500 page drew the whole navigation.
"""

from __future__ import annotations

import pytest

from tests.core.test_busy_database import every_flush_failing


@pytest.fixture
def officer(make):
    return make.user("officer", agency=make.agency("BDC", areas=[make.area("BOL", "Bolsover")]))


def test_a_missing_page_says_what_to_check_and_leads_to_the_start(officer, page_client):
    response = page_client(officer).get("/cases/999999")

    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "If you pasted the web address" in page
    assert "Go to the start page" in page


def test_a_refused_page_says_whom_to_ask(officer, page_client):
    response = page_client(officer).get("/subject-access")

    assert response.status_code == 403
    assert "ask your Casework administrator" in response.get_data(as_text=True)


def test_a_failure_of_the_service_says_to_check_what_was_saved_and_draws_no_navigation(officer, page_client):
    client = page_client(officer)
    signed_in_page = client.get("/people/new").get_data(as_text=True)
    assert "Sign out" in signed_in_page  # the navigation, as on every page signed in

    with every_flush_failing("disk I/O error"):
        response = client.post("/people/new", data={"kind": "individual", "name": "Pat Example"})

    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "check whether it was saved" in page
    assert "Sign out" not in page


@pytest.mark.parametrize(
    ("referrer", "link"),
    [
        ("http://localhost/people/7/edit?from=list", "/people/7/edit?from=list"),
        ("https://evil.example/people/7/edit", None),  # another site's page
        ("http://localhost//evil.example/x", None),  # a path another site's would be read from
        (None, None),
    ],
)
def test_a_save_refused_over_another_leads_back_to_this_sites_page_it_came_from(app, referrer, link):
    from casework.core.errors import html_error

    headers = {"Referer": referrer} if referrer else {}
    with app.test_request_context("/people/7/edit", method="POST", headers=headers):
        page, status = html_error(409)

    assert status == 409
    if link is None:
        assert "Open the page again" not in page
        assert "reload the page" in page
    else:
        assert f'href="{link}"' in page.replace("&amp;", "&")
