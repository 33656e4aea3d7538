"""The timeout warning in Chromium, on a service whose idle timeout is one minute (so the warning comes
after 30 seconds): an officer who chooses to stay signed in is still signed in after the minute, and
one who does nothing is taken to the sign-in page, which says why."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.support.browser import assert_accessible, demo_server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def short_idle(tmp_path_factory):
    from casework.demo import DEMO_DOMAIN

    folder = tmp_path_factory.mktemp("idle")
    with demo_server(folder, ENV="development", SESSION_IDLE_MINUTES=1) as server:
        yield server.url, f"officer@{DEMO_DOMAIN}", server.password


def _signed_in(browser, base_url, email, password):
    context = browser.new_context(base_url=base_url, viewport={"width": 320, "height": 640})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base_url}/")
    return context, page, errors


def test_the_warning_appears_and_stay_signed_in_keeps_the_session(short_idle, browser):
    base_url, email, password = short_idle
    staying, stayer, stayer_errors = _signed_in(browser, base_url, email, password)
    leaving, leaver, leaver_errors = _signed_in(browser, base_url, email, password)
    # Something typed on the page is still there after staying signed in.
    stayer.locator("h1").click()

    dialog = stayer.get_by_role("dialog", name="You're about to be signed out")
    expect(dialog).to_be_visible(timeout=45_000)
    expect(dialog).to_contain_text("For your security, we will sign you out in")
    # A modal dialog: the focus is inside it, and the page behind cannot be reached.
    assert stayer.evaluate("() => document.getElementById('app-timeout-dialog').contains(document.activeElement)")
    assert stayer.evaluate("() => document.getElementById('app-timeout-dialog').matches(':modal')")
    # It fits a 320-pixel screen.
    assert stayer.evaluate(
        "() => { const box = document.getElementById('app-timeout-dialog').getBoundingClientRect();"
        " return box.left >= 0 && box.right <= window.innerWidth; }"
    )
    assert_accessible(stayer)
    stayer.get_by_role("button", name="Stay signed in").click()
    expect(dialog).to_be_hidden()

    # The one who did nothing is signed out when the minute is up, and told why.
    leaver.wait_for_url(f"{base_url}/sign-in?**", timeout=60_000)
    expect(leaver.locator("body")).to_contain_text("You were signed out because you were inactive")
    assert "next=/" in leaver.url

    # By now the first page's minute is over too: staying signed in kept the session.
    stayer.goto("/")
    assert stayer.url == f"{base_url}/"
    expect(stayer.locator("h1")).to_contain_text("Home")
    assert stayer_errors == []
    assert leaver_errors == []
    staying.close()
    leaving.close()
