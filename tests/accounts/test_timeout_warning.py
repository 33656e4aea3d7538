"""The timeout warning's two requests: how long the session has left (which is not activity) and
"stay signed in" (which is), and the dialog signed-in pages carry for it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import time_machine
from flask import Flask


def test_asking_how_long_is_left_does_not_extend_the_session(app: Flask, make: Any, page_client: Any) -> None:
    idle = app.config["CASEWORK"]["SESSION_IDLE_MINUTES"] * 60
    start = datetime.now(UTC) + timedelta(days=1)
    with time_machine.travel(start, tick=False) as clock:
        client = page_client(make.user("officer"))
        assert client.get("/").status_code == 200
        clock.move_to(start + timedelta(seconds=100))
        assert client.get("/session").get_json() == {"remaining_seconds": idle - 100}
        clock.move_to(start + timedelta(seconds=250))
        # Still counted from the page at the start: the first question was not activity.
        assert client.get("/session").get_json() == {"remaining_seconds": idle - 250}
        clock.move_to(start + timedelta(seconds=idle + 1))
        ended = client.get("/session")
        assert ended.status_code == 302
        assert ended.headers["Location"].startswith("/sign-in")
        assert "signed out because you were inactive" in client.get(ended.headers["Location"]).text


def test_staying_signed_in_restarts_the_idle_time(app: Flask, make: Any, page_client: Any) -> None:
    idle = app.config["CASEWORK"]["SESSION_IDLE_MINUTES"] * 60
    start = datetime.now(UTC) + timedelta(days=1)
    with time_machine.travel(start, tick=False) as clock:
        client = page_client(make.user("officer"))
        assert client.get("/").status_code == 200
        clock.move_to(start + timedelta(seconds=idle - 60))
        kept = client.post("/session/keep-alive")
        assert kept.status_code == 200
        assert kept.get_json() == {"remaining_seconds": idle}
        clock.move_to(start + timedelta(seconds=idle + 30))  # past the first page's limit
        assert client.get("/").status_code == 200


def test_staying_signed_in_needs_the_form_token(app: Flask, make: Any) -> None:
    client = app.test_client(user=make.user("officer"))
    assert client.post("/session/keep-alive").status_code == 400


def test_nobody_signed_in_gets_no_time(client: Any) -> None:
    assert client.get("/session").status_code == 302


def test_signed_in_pages_carry_the_warning_and_public_pages_do_not(
    app: Flask, make: Any, page_client: Any, client: Any
) -> None:
    page = page_client(make.user("officer")).get("/").text
    assert 'data-module="app-timeout-warning"' in page
    assert f'data-idle-seconds="{app.config["CASEWORK"]["SESSION_IDLE_MINUTES"] * 60}"' in page
    assert 'data-warning-seconds="120"' in page
    assert "js/timeout-warning." in page  # (the file name carries a content hash)
    assert "For your security, we will sign you out in <strong" in page
    for path in ("/sign-in", "/case-review/", "/privacy"):
        assert "app-timeout-warning" not in client.get(path).text


def test_the_warning_comes_at_half_a_short_idle_time(app: Flask) -> None:
    from casework.core.security import warning_seconds
    from casework.core.templating import format_duration

    settings = app.config["CASEWORK"]
    saved = settings["SESSION_IDLE_MINUTES"]
    try:
        settings["SESSION_IDLE_MINUTES"] = 1
        with app.app_context():
            assert warning_seconds() == 30
        settings["SESSION_IDLE_MINUTES"] = 30
        with app.app_context():
            assert warning_seconds() == 120
    finally:
        settings["SESSION_IDLE_MINUTES"] = saved
    assert [format_duration(s) for s in (120, 90, 61, 60, 45, 1, 0)] == [
        "2 minutes",
        "1 minute 30 seconds",
        "1 minute 1 second",
        "1 minute",
        "45 seconds",
        "1 second",
        "0 seconds",
    ]
