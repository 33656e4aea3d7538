"""The timeout warning in Chromium, on a service whose idle timeout is one minute (so the warning comes
after 30 seconds): an officer who chooses to stay signed in is still signed in after the minute, and
one who does nothing is taken to the sign-in page, which says why."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.support.browser import assert_accessible, run_live_server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def short_idle(tmp_path_factory):
    from celery import current_app as current_celery
    from flask_migrate import upgrade

    from casework import create_app
    from casework.core.db import dispose_engines
    from casework.demo import DEMO_DOMAIN
    from tests.conftest import test_settings

    previous_celery = current_celery._get_current_object()
    instance = tmp_path_factory.mktemp("idle")
    app = create_app(
        {
            **test_settings(f"sqlite:///{instance / 'casework.sqlite'}", instance),
            "INSTANCE_PATH": str(instance),
            "ENV": "development",
            "SESSION_IDLE_MINUTES": 1,
        }
    )
    with app.app_context():
        upgrade()
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    password = (Path(instance) / "demo_password").read_text().strip()
    base_url, stop = run_live_server(app)
    yield base_url, f"officer@{DEMO_DOMAIN}", password
    stop()
    previous_celery.set_default()
    with app.app_context():
        dispose_engines()


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
