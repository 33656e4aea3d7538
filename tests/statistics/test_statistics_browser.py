"""The staff statistics page and the public figures pass axe (WCAG 2.2 AA) in Chromium."""

from __future__ import annotations

import threading
from datetime import date

import pytest
import time_machine
from werkzeug.serving import make_server

from casework.extensions import db
from casework.statistics import services
from tests.support.browser import assert_accessible
from tests.support.services import LOOPBACK

# The live server answers from another thread on the test's own connection, which SQLite's driver
# refuses; the pages are the same on both databases.
pytestmark = [pytest.mark.browser, pytest.mark.postgresql_only]


@pytest.fixture
def site(app, area_staff, records, database_url):
    staff = area_staff("BOL")
    application = records.application(staff["area"], date(2025, 6, 2))
    records.decision(application, date(2025, 6, 20))
    records.meeting(application, date(2025, 7, 20), recommendations=2)
    records.application(staff["area"], date(2025, 9, 2), channel="phone", withdrawn_on=date(2025, 9, 20))
    with time_machine.travel(date(2026, 4, 2)):
        services.publish(staff["manager"], staff["area"], date(2025, 4, 1), date(2026, 3, 31))
        services.enter_historic(
            staff["admin"],
            staff["area"],
            date(2016, 4, 1),
            date(2017, 3, 31),
            {"applications": 0, "threshold_not_met": 0, "reviews_carried_out": 0, "reviews_with_recommendations": 0},
            "Bolsover CSP plan 2017-2020.",
        )
    db.session.commit()
    # One request at a time: every request uses the test's own connection (and its SAVEPOINTs).
    server = make_server(LOOPBACK, 0, app, threaded=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://{LOOPBACK}:{server.server_port}", staff
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


@pytest.fixture
def browser_page(browser, site):
    base_url, _staff = site
    context = browser.new_context(base_url=base_url)
    yield context.new_page()
    context.close()


def test_public_statistics_page_is_accessible(browser_page):
    response = browser_page.goto("/statistics")
    assert response.ok
    assert browser_page.locator("h1").inner_text() == "ASB Case Review figures"
    assert browser_page.locator("svg[role=img]").count() == 2
    assert_accessible(browser_page)


def test_staff_statistics_page_is_accessible(app, browser_page, site):
    base_url, staff = site
    # Signed in through the test client; its session cookie is handed to the browser.
    client = app.test_client(user=staff["manager"])
    client.get("/reports/statistics/")
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    browser_page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base_url}])
    response = browser_page.goto("/reports/statistics/?area=BOL&year=2025")
    assert response.ok
    assert browser_page.locator("h1").inner_text() == "Case Review statistics"
    assert browser_page.get_by_role("button", name="Approve and publish version 2").count() == 1
    browser_page.locator("summary").filter(has_text="Extra figures").click()
    assert_accessible(browser_page)
