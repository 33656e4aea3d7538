"""Security from day one: headers, cookies, CSRF, idle timeout, the sign-in rate limit, signing in and out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import time_machine
from flask import Flask

from casework import create_app
from casework.audit.models import AuditAction, AuditEntry
from casework.core import data_keys
from casework.extensions import db
from tests.conftest import TEST_PASSWORD, csrf_from


def audit_actions(action: AuditAction) -> list[AuditEntry]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action)))


def sign_in(client: Any, email: str, password: str, path: str = "/sign-in") -> Any:
    token = csrf_from(client.get(path).get_data(as_text=True))
    return client.post(path, data={"email": email, "password": password, "csrf_token": token})


# --- headers and cookies ----------------------------------------------------------------------------


def test_pages_send_the_security_headers(client: Any, make: Any, page_client: Any) -> None:
    for response in (client.get("/sign-in"), page_client(make.user("officer")).get("/")):
        assert response.status_code == 200
        headers = response.headers
        policy = headers["Content-Security-Policy"]
        assert "'unsafe-inline'" not in policy
        assert "'unsafe-eval'" not in policy
        assert "frame-ancestors 'none'" in policy
        assert "default-src 'self'" in policy
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Cache-Control"] == "no-store"
        # The suite's app runs in the testing environment: HSTS is for production only.
        assert "Strict-Transport-Security" not in headers


def test_the_api_sends_the_security_headers(api_client: Any, make: Any) -> None:
    response = api_client(make.user("officer")).get("/api/v1/me")
    assert response.status_code == 200
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"


@pytest.fixture
def production_app(tmp_path: Path) -> Flask:
    """A production configuration; the pages used here need no database."""
    return create_app(
        {
            "ENV": "production",
            "SECRET_KEY": "p" * 48,
            "DATA_KEY": data_keys.new_key(),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite'}",
            "BROKER_URL": "memory://",
            "INSTANCE_PATH": str(tmp_path / "instance"),
        }
    )


def test_production_sends_hsts_and_secure_cookies(production_app: Flask) -> None:
    response = production_app.test_client().get("/sign-in")
    assert response.status_code == 200
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    cookie = next(value for value in response.headers.getlist("Set-Cookie") if value.startswith("casework_session="))
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"secure", "httponly"} <= attributes
    assert "SameSite=Lax" in cookie


def test_static_files_are_not_marked_no_store(client: Any) -> None:
    response = client.get("/static/css/app.css")
    assert response.status_code == 200
    assert response.headers.get("Cache-Control") != "no-store"


# --- CSRF ---------------------------------------------------------------------------------------------


def test_a_page_post_without_a_csrf_token_is_refused_and_writes_nothing(client: Any, make: Any) -> None:
    make.user("officer", email="officer@example.org")
    response = client.post("/sign-in", data={"email": "officer@example.org", "password": "wrong"})
    assert response.status_code == 400
    assert audit_actions(AuditAction.sign_in_failed) == []


def test_sign_out_without_a_csrf_token_is_refused_and_keeps_the_session(app: Flask, make: Any) -> None:
    user = make.user("officer")
    client = app.test_client(user=user)  # signed in, but no CSRF header
    assert client.post("/sign-out").status_code == 400
    assert client.get("/").status_code == 200
    assert audit_actions(AuditAction.sign_out) == []


# --- idle timeout -------------------------------------------------------------------------------------


def test_the_idle_timeout_signs_out_after_the_configured_minutes_and_not_before(
    app: Flask, make: Any, page_client: Any
) -> None:
    minutes = app.config["CASEWORK"]["SESSION_IDLE_MINUTES"]
    user = make.user("officer")
    # Forwards from now: a session cookie signed in the future would not be accepted.
    start = datetime.now(UTC) + timedelta(days=1)
    with time_machine.travel(start, tick=False) as clock:
        client = page_client(user)
        assert client.get("/").status_code == 200
        clock.move_to(start + timedelta(minutes=minutes))  # exactly the limit: still signed in
        assert client.get("/").status_code == 200
        clock.move_to(start + timedelta(minutes=2 * minutes, seconds=1))  # the limit and a second since
        response = client.get("/")
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/sign-in")
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        assert "signed out because you were inactive" in page
        # The session is over: going back does not sign the user in again.
        assert client.get("/").headers["Location"].startswith("/sign-in")


def test_a_busy_session_still_ends_its_lifetime_after_signing_in(
    app: Flask, make: Any, page_client: Any, monkeypatch: Any
) -> None:
    monkeypatch.setitem(app.config["CASEWORK"], "SESSION_MAX_HOURS", 1)
    minutes = app.config["CASEWORK"]["SESSION_IDLE_MINUTES"]
    user = make.user("officer")
    start = datetime.now(UTC) + timedelta(days=1)
    with time_machine.travel(start, tick=False) as clock:
        client = page_client(user)
        assert client.get("/").status_code == 200
        # Busy all along (a request well inside every idle period) until the hour is up.
        moment = start
        while moment + timedelta(minutes=minutes / 2) <= start + timedelta(hours=1):
            moment += timedelta(minutes=minutes / 2)
            clock.move_to(moment)
            assert client.get("/").status_code == 200
        clock.move_to(start + timedelta(hours=1, seconds=1))
        response = client.get("/")
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/sign-in")
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        assert "signed out because you signed in more than 1 hour ago" in page
        assert client.get("/").headers["Location"].startswith("/sign-in")


# --- signing in and out ---------------------------------------------------------------------------------


def test_a_wrong_password_shows_an_error_and_is_audited(client: Any, make: Any) -> None:
    user = make.user("officer")
    response = sign_in(client, user.email, "not the password")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Enter a correct email address and password" in page
    assert "govuk-error-summary" in page
    failed = audit_actions(AuditAction.sign_in_failed)
    assert [(entry.object_type, entry.object_id) for entry in failed] == [("users", str(user.id))]
    assert client.get("/").status_code == 302  # still signed out


def test_an_unknown_email_gives_the_same_error(client: Any) -> None:
    response = sign_in(client, "nobody@example.org", "whatever")
    assert response.status_code == 422
    assert "Enter a correct email address and password" in response.get_data(as_text=True)
    assert len(audit_actions(AuditAction.sign_in_failed)) == 1


def test_signing_in_goes_to_the_dashboard(client: Any, make: Any) -> None:
    user = make.user("officer", name="Olive Officer")
    response = sign_in(client, user.email, TEST_PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    dashboard = client.get("/")
    assert dashboard.status_code == 200
    assert "Olive Officer" in dashboard.get_data(as_text=True)
    assert len(audit_actions(AuditAction.sign_in)) == 1


def test_signing_in_follows_a_local_next(client: Any, make: Any) -> None:
    user = make.user("officer")
    response = sign_in(client, user.email, TEST_PASSWORD, path="/sign-in?next=%2Fadmin%2Fusers%3Fpage%3D2")
    assert response.headers["Location"] == "/admin/users?page=2"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/phish",
        "//evil.example/phish",
        # Browsers read a backslash as a slash: "/\\evil.example" is "//evil.example".
        "/%5Cevil.example/phish",
        "/%09/evil.example",
        "javascript:alert(1)",
        "evil.example",
        # A scheme without slashes, encoded slashes and backslashes, a header cut short by CR LF.
        "https:evil.example",
        "/%2F/evil.example",
        "%2F%2Fevil.example",
        "%5C%5Cevil.example",
        "/%0D%0ALocation:%20https://evil.example",
    ],
)
def test_signing_in_ignores_a_next_that_leaves_the_site(client: Any, make: Any, target: str) -> None:
    user = make.user("officer")
    response = sign_in(client, user.email, TEST_PASSWORD, path=f"/sign-in?next={target}")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_signing_out_is_post_only_and_ends_the_session(make: Any, page_client: Any) -> None:
    user = make.user("officer")
    client = page_client(user)
    assert client.get("/sign-out").status_code == 405
    assert client.get("/").status_code == 200
    response = client.post("/sign-out")
    assert response.status_code == 302
    assert response.headers["Location"] == "/sign-in"
    assert "You have signed out" in client.get("/sign-in").get_data(as_text=True)
    assert client.get("/").headers["Location"].startswith("/sign-in")
    assert [entry.actor_id for entry in audit_actions(AuditAction.sign_out)] == [user.id]


def test_changing_a_users_roles_ends_their_sessions(make: Any, page_client: Any) -> None:
    from casework.accounts.services import update_user
    from casework.core.db import commit

    user = make.user("officer")
    admin = make.user("admin")
    client = page_client(user)
    assert client.get("/").status_code == 200
    update_user(admin, db.session.merge(user), roles=["officer", "coordinator"])
    commit()
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in")


def test_an_inactive_user_cannot_sign_in(client: Any, make: Any) -> None:
    user = make.user("officer")
    user.is_active = False
    db.session.commit()
    assert sign_in(client, user.email, TEST_PASSWORD).status_code == 422


# --- the Host header ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "canonical"),
    [("/case-review", "/case-review/"), ("/cases//1", "/cases/1"), ("//case-review", "/case-review/")],
)
@pytest.mark.parametrize("host", ["localhost", "evil.example"])
def test_a_redirect_to_an_address_canonical_form_stays_on_the_service(
    client: Any, path: str, canonical: str, host: str
) -> None:
    """werkzeug answers an address without its trailing slash, or with doubled slashes, with a redirect
    to its canonical form: to a path, never to the host the request's Host header named (a poisoned Host
    would send the redirect, or a cache that kept it, to another site)."""
    response = client.get("/", environ_overrides={"PATH_INFO": path, "HTTP_HOST": host, "QUERY_STRING": "a=1"})
    assert response.status_code == 308
    assert response.headers["Location"] == f"{canonical}?a=1"
    assert "no-store" in response.headers["Cache-Control"]
