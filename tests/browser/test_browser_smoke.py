"""Playwright drives Debian's Chromium, and axe-core tells an accessible page from an inaccessible one."""

import pytest
from flask import Flask

from tests.support.browser import assert_accessible, run_live_server

pytestmark = pytest.mark.browser

PAGE = """<!DOCTYPE html>
<html lang="en-GB">
<head><meta charset="utf-8"><title>{title} - Casework - GOV.UK</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body>
<header><a href="#main-content">Skip to main content</a></header>
<main id="main-content">
<h1>{title}</h1>
<form method="post" novalidate>
{field}
<button type="submit">Continue</button>
</form>
</main>
</body>
</html>"""


def make_app():
    app = Flask("smoke")

    @app.get("/")
    def good():
        return PAGE.format(
            title="Find a case", field='<label for="ref">Case reference</label><input id="ref" name="ref" type="text">'
        )

    @app.get("/unlabelled")
    def bad():
        return PAGE.format(title="Find a case", field='<input id="ref" name="ref" type="text">')

    return app


@pytest.fixture(scope="module")
def live_server():
    base_url, stop = run_live_server(make_app())
    yield base_url
    stop()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server)
    yield context.new_page()
    context.close()


def test_accessible_page_loads_and_passes_axe(page):
    response = page.goto("/")
    assert response is not None
    assert response.ok
    assert page.title() == "Find a case - Casework - GOV.UK"
    assert page.locator("h1").inner_text() == "Find a case"
    page.get_by_label("Case reference").fill("ASB-1")
    assert_accessible(page)


def test_unlabelled_input_fails_axe(page):
    page.goto("/unlabelled")
    with pytest.raises(AssertionError) as failure:
        assert_accessible(page)
    message = str(failure.value)
    assert "label" in message
    assert "#ref" in message
